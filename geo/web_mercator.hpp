// Web Mercator (EPSG:3857) on the sphere, as map tiles use it: a closed formula, exact to the
// definition and much cheaper than a PROJ transform. Pure.
#pragma once

#include "geo/geometry.hpp"

namespace tessera::geo {

// Web Mercator metres of a WGS84 position; latitude is clamped to +-85.0511287798.
struct MercatorXY {
    double x = 0;
    double y = 0;
};
MercatorXY to_mercator(LonLat p);
LonLat from_mercator(MercatorXY m);

} // namespace tessera::geo
