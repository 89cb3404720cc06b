// Axis-aligned test polygons (closed, counter-clockwise) in any units, usually lon/lat degrees.
#pragma once

#include "geo/geometry.hpp"
#include "geo/measure.hpp"

namespace tessera::testing {

inline geo::Polygon rect(double x0, double y0, double x1, double y1) {
    return geo::Polygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}};
}

inline geo::Polygon square(double x, double y, double side) {
    return rect(x, y, x + side, y + side);
}

inline geo::MultiPolygon multi(geo::Polygon p) {
    return geo::MultiPolygon{{std::move(p)}};
}

// A local frame in metres east and north of (114.0, 33.5), near Luohe: planar, by the length of
// a degree there (geo::metres_per_degree).
inline geo::LonLat at_m(double east_m, double north_m) {
    const auto scale = geo::metres_per_degree(33.5);
    return {114.0 + east_m / scale.lon, 33.5 + north_m / scale.lat};
}

// The rectangle from (x0, y0) to (x1, y1) of that frame.
inline geo::MultiPolygon rect_m(double x0, double y0, double x1, double y1) {
    const geo::LonLat sw = at_m(x0, y0), ne = at_m(x1, y1);
    return multi(rect(sw.lon, sw.lat, ne.lon, ne.lat));
}

} // namespace tessera::testing
