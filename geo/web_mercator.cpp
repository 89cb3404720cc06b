#include "geo/web_mercator.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tessera::geo {
namespace {
constexpr double max_lat = 85.0511287798066;
} // namespace

MercatorXY to_mercator(LonLat p) {
    double lat = std::clamp(p.lat, -max_lat, max_lat);
    double x = p.lon * std::numbers::pi / 180.0 * mercator_radius_m;
    double y = std::log(std::tan(std::numbers::pi / 4 + lat * std::numbers::pi / 360.0)) *
               mercator_radius_m;
    return {x, y};
}

LonLat from_mercator(MercatorXY m) {
    double lon = m.x / mercator_radius_m * 180.0 / std::numbers::pi;
    double lat = (2 * std::atan(std::exp(m.y / mercator_radius_m)) - std::numbers::pi / 2) * 180.0 /
                 std::numbers::pi;
    return {lon, lat};
}

} // namespace tessera::geo
