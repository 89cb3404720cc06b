// Web Mercator (EPSG:3857) on the sphere, as map tiles use it: a closed formula, exact to the
// definition and much cheaper than a PROJ transform. Pure.
#pragma once

#include "geo/geometry.hpp"

#include <numbers>

namespace tessera::geo {

// The sphere Web Mercator projects from, and half the width of the projected world.
constexpr double mercator_radius_m = 6378137.0;
constexpr double mercator_half_world_m = std::numbers::pi * mercator_radius_m;

// Web Mercator metres of a WGS84 position; latitude is clamped to +-85.0511287798.
struct MercatorXY {
    double x = 0;
    double y = 0;
};
MercatorXY to_mercator(LonLat p);
LonLat from_mercator(MercatorXY m);

} // namespace tessera::geo
