#include "geo/measure.hpp"

#include <algorithm>
#include <cmath>
#include <geodesic.h>
#include <numbers>

namespace tessera::geo {
namespace {

const geod_geodesic& wgs84_ellipsoid() {
    static const geod_geodesic g = [] {
        geod_geodesic e;
        geod_init(&e, 6378137.0, 1 / 298.257223563);
        return e;
    }();
    return g;
}

double line_length(const std::vector<LonLat>& pts) {
    double total = 0;
    for (std::size_t i = 1; i < pts.size(); ++i)
        total += distance_m(pts[i - 1], pts[i]);
    return total;
}

double ring_area(const Ring& ring) {
    if (ring.size() < 4)
        return 0;
    geod_polygon poly;
    geod_polygon_init(&poly, 0);
    // The ring is closed; geod_polygon closes it itself, so skip the repeated point.
    for (std::size_t i = 0; i + 1 < ring.size(); ++i)
        geod_polygon_addpoint(&wgs84_ellipsoid(), &poly, ring[i].lat, ring[i].lon);
    double area = 0, perimeter = 0;
    geod_polygon_compute(&wgs84_ellipsoid(), &poly, 0, 1, &area, &perimeter);
    return std::abs(area);
}

double polygon_area(const Polygon& p) {
    if (p.rings.empty())
        return 0;
    double a = ring_area(p.rings[0]);
    for (std::size_t i = 1; i < p.rings.size(); ++i)
        a -= ring_area(p.rings[i]);
    return std::max(a, 0.0);
}

} // namespace

MetresPerDegree metres_per_degree(double lat_deg) {
    constexpr double a = 6378137.0;
    constexpr double f = 1 / 298.257223563;
    constexpr double e2 = f * (2 - f);
    const double phi = lat_deg * std::numbers::pi / 180;
    const double s = std::sin(phi);
    const double w = std::sqrt(1 - e2 * s * s);
    const double per_radian_lat = a * (1 - e2) / (w * w * w); // the meridian's radius of curvature
    const double per_radian_lon = a * std::cos(phi) / w;      // the parallel's radius
    return {per_radian_lat * std::numbers::pi / 180, per_radian_lon * std::numbers::pi / 180};
}

double distance_m(LonLat a, LonLat b) {
    double s12 = 0;
    geod_inverse(&wgs84_ellipsoid(), a.lat, a.lon, b.lat, b.lon, &s12, nullptr, nullptr);
    return s12;
}

LonLat destination(LonLat from, double azimuth_deg, double distance_m) {
    double lat = 0, lon = 0;
    geod_direct(&wgs84_ellipsoid(), from.lat, from.lon, azimuth_deg, distance_m, &lat, &lon,
                nullptr);
    return {lon, lat};
}

Polygon view_cone(LonLat apex, double heading_deg, double fov_deg, double range_m) {
    const bool circle = fov_deg >= 360;
    const double fov = circle ? 360 : fov_deg;
    const int steps = std::max(2, static_cast<int>(std::ceil(fov / 5)));
    Ring ring;
    if (!circle)
        ring.push_back(apex);
    // Azimuths grow clockwise: walking the arc from its clockwise end back makes the ring
    // counter-clockwise.
    for (int i = 0; i <= steps; ++i) {
        if (circle && i == steps)
            break;
        double azimuth = heading_deg + fov / 2 - fov * i / steps;
        ring.push_back(destination(apex, azimuth, range_m));
    }
    ring.push_back(ring.front());
    Polygon p;
    p.rings.push_back(std::move(ring));
    return p;
}

bool in_view_cone(LonLat apex, double heading_deg, double fov_deg, double range_m, LonLat p) {
    double distance = 0, azimuth = 0;
    geod_inverse(&wgs84_ellipsoid(), apex.lat, apex.lon, p.lat, p.lon, &distance, &azimuth,
                 nullptr);
    if (distance > range_m)
        return false;
    if (fov_deg >= 360 || distance == 0)
        return true;
    return std::abs(std::remainder(azimuth - heading_deg, 360.0)) <= fov_deg / 2;
}

BBox grown_by_m(const BBox& box, double metres) {
    // A degree of latitude is at least 110.5 km and a degree of longitude at least that times
    // cos(latitude) (the ellipsoid's polar flattening only makes both longer).
    const double dlat = metres / 110'500.0;
    const double worst_lat =
        std::min(89.0, std::max(std::abs(box.min_y), std::abs(box.max_y)) + dlat);
    const double dlon = dlat / std::cos(worst_lat * std::numbers::pi / 180);
    return {box.min_x - dlon, std::max(-90.0, box.min_y - dlat), box.max_x + dlon,
            std::min(90.0, box.max_y + dlat)};
}

double length_m(const Geometry& g) {
    return std::visit(
        [](const auto& v) -> double {
            using T = std::decay_t<decltype(v)>;
            double total = 0;
            if constexpr (std::is_same_v<T, LineString>) {
                total = line_length(v.points);
            } else if constexpr (std::is_same_v<T, MultiLineString>) {
                for (const auto& l : v.lines)
                    total += line_length(l.points);
            } else if constexpr (std::is_same_v<T, Polygon>) {
                for (const auto& r : v.rings)
                    total += line_length(r);
            } else if constexpr (std::is_same_v<T, MultiPolygon>) {
                for (const auto& p : v.polygons)
                    for (const auto& r : p.rings)
                        total += line_length(r);
            }
            return total;
        },
        g);
}

double area_m2(const Geometry& g) {
    if (const auto* p = std::get_if<Polygon>(&g))
        return polygon_area(*p);
    if (const auto* mp = std::get_if<MultiPolygon>(&g)) {
        double a = 0;
        for (const auto& p : mp->polygons)
            a += polygon_area(p);
        return a;
    }
    return 0;
}

} // namespace tessera::geo
