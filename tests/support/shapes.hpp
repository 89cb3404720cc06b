// Axis-aligned test polygons (closed, counter-clockwise) in any units, usually lon/lat degrees.
#pragma once

#include "geo/geometry.hpp"

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

} // namespace tessera::testing
