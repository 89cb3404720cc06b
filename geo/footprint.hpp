// What cameras and drones see, against the areas they should watch (docs/coverage.md, "Cameras"
// and "Drones"): a drone's imaged strip as a polygon, and how much of an area a set of views
// covers, with the pieces they miss.
//
// Pure; safe to call from any thread (GEOS runs in the calling thread's context). Polygon overlay
// is planar in degrees, as in geo/ops.hpp; areas are geodesic square metres (geo/measure.hpp).
#pragma once

#include "geo/geometry.hpp"

#include <span>

namespace tessera::geo {

// The ground strip of `width_m` centred on `path`: each point within width_m / 2 of the path,
// with flat ends (nothing is claimed ahead of the first point or behind the last one) and round
// joins at the turns. The strip is built in the local plane of the path's middle latitude, so a
// path spanning 50 km north to south is off by under 0.5 % in width at its ends. Empty for a path
// of fewer than two distinct points. Throws Error(invalid_argument) for a width that is not
// positive, Error(invalid_geometry) for non-finite coordinates.
MultiPolygon swath(std::span<const LonLat> path, double width_m);

// How much of `area` the union of `views` covers.
struct Covered {
    double area_m2 = 0;
    double covered_m2 = 0;
    // The parts of the area no view reaches, each piece of at least the minimum asked for (smaller
    // ones are slivers of rounding where a view's edge runs along the area's).
    MultiPolygon uncovered;

    double share() const { return area_m2 > 0 ? covered_m2 / area_m2 : 0; }
};
// REQUIRES: `area` and `views` are valid polygons (GEOS overlay; Error(invalid_geometry) when
// GEOS cannot build them).
Covered covered_by(const MultiPolygon& area, std::span<const MultiPolygon> views,
                   double min_piece_m2);

} // namespace tessera::geo
