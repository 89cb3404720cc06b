#include "geo/offset_frames.hpp"

#include <cmath>
#include <numbers>

namespace tessera::geo {
namespace {

constexpr double pi = std::numbers::pi;
// Krasovsky 1940 ellipsoid, which the GCJ-02 formula is stated on.
constexpr double krasovsky_a = 6378245.0;
constexpr double krasovsky_ee = 0.00669342162296594323;
constexpr double bd_x_pi = pi * 3000.0 / 180.0;

double offset_lat(double x, double y) {
    double r =
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * std::sqrt(std::abs(x));
    r += (20.0 * std::sin(6.0 * x * pi) + 20.0 * std::sin(2.0 * x * pi)) * 2.0 / 3.0;
    r += (20.0 * std::sin(y * pi) + 40.0 * std::sin(y / 3.0 * pi)) * 2.0 / 3.0;
    r += (160.0 * std::sin(y / 12.0 * pi) + 320.0 * std::sin(y * pi / 30.0)) * 2.0 / 3.0;
    return r;
}

double offset_lon(double x, double y) {
    double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * std::sqrt(std::abs(x));
    r += (20.0 * std::sin(6.0 * x * pi) + 20.0 * std::sin(2.0 * x * pi)) * 2.0 / 3.0;
    r += (20.0 * std::sin(x * pi) + 40.0 * std::sin(x / 3.0 * pi)) * 2.0 / 3.0;
    r += (150.0 * std::sin(x / 12.0 * pi) + 300.0 * std::sin(x / 30.0 * pi)) * 2.0 / 3.0;
    return r;
}

// The GCJ-02 offset (degrees) at a WGS84 position, without the China test.
LonLat gcj_delta(LonLat wgs) {
    double x = wgs.lon - 105.0;
    double y = wgs.lat - 35.0;
    double d_lat = offset_lat(x, y);
    double d_lon = offset_lon(x, y);
    double rad_lat = wgs.lat / 180.0 * pi;
    double magic = std::sin(rad_lat);
    magic = 1 - krasovsky_ee * magic * magic;
    double sqrt_magic = std::sqrt(magic);
    d_lat = (d_lat * 180.0) / ((krasovsky_a * (1 - krasovsky_ee)) / (magic * sqrt_magic) * pi);
    d_lon = (d_lon * 180.0) / (krasovsky_a / sqrt_magic * std::cos(rad_lat) * pi);
    return {d_lon, d_lat};
}

} // namespace

bool in_china_offset_area(LonLat p) {
    return p.lon >= 72.004 && p.lon <= 137.8347 && p.lat >= 0.8293 && p.lat <= 55.8271;
}

LonLat wgs84_to_gcj02(LonLat wgs) {
    if (!in_china_offset_area(wgs))
        return wgs;
    LonLat d = gcj_delta(wgs);
    return {wgs.lon + d.lon, wgs.lat + d.lat};
}

LonLat gcj02_to_wgs84(LonLat gcj) {
    if (!in_china_offset_area(gcj))
        return gcj;
    // Fixed-point iteration on wgs = gcj - delta(wgs). The offset's derivative is ~1e-4, so each
    // step gains about four digits; a handful of steps reach 1e-12 degrees.
    LonLat wgs = gcj;
    for (int i = 0; i < 30; ++i) {
        LonLat d = gcj_delta(wgs);
        LonLat next{gcj.lon - d.lon, gcj.lat - d.lat};
        bool done = std::abs(next.lon - wgs.lon) < 1e-13 && std::abs(next.lat - wgs.lat) < 1e-13;
        wgs = next;
        if (done)
            break;
    }
    return wgs;
}

LonLat gcj02_to_bd09(LonLat gcj) {
    double x = gcj.lon, y = gcj.lat;
    double z = std::sqrt(x * x + y * y) + 0.00002 * std::sin(y * bd_x_pi);
    double theta = std::atan2(y, x) + 0.000003 * std::cos(x * bd_x_pi);
    return {z * std::cos(theta) + 0.0065, z * std::sin(theta) + 0.006};
}

LonLat bd09_to_gcj02(LonLat bd) {
    // The closed form Baidu publishes is ~1e-6 degrees (0.1 m) off; refine it by fixed-point
    // iteration on the forward formula until gcj02_to_bd09 reproduces the input.
    double x = bd.lon - 0.0065, y = bd.lat - 0.006;
    double z = std::sqrt(x * x + y * y) - 0.00002 * std::sin(y * bd_x_pi);
    double theta = std::atan2(y, x) - 0.000003 * std::cos(x * bd_x_pi);
    LonLat gcj{z * std::cos(theta), z * std::sin(theta)};
    for (int i = 0; i < 30; ++i) {
        LonLat f = gcj02_to_bd09(gcj);
        LonLat next{gcj.lon + (bd.lon - f.lon), gcj.lat + (bd.lat - f.lat)};
        bool done = std::abs(next.lon - gcj.lon) < 1e-13 && std::abs(next.lat - gcj.lat) < 1e-13;
        gcj = next;
        if (done)
            break;
    }
    return gcj;
}

LonLat wgs84_to_bd09(LonLat wgs) {
    return gcj02_to_bd09(wgs84_to_gcj02(wgs));
}
LonLat bd09_to_wgs84(LonLat bd) {
    return gcj02_to_wgs84(bd09_to_gcj02(bd));
}

} // namespace tessera::geo
