// Geometry validity as OGC simple features define it (checked by GEOS), plus the checks GEOS
// does not make: finite coordinates within lon/lat range, closed rings, enough points.
#pragma once

#include "geo/geometry.hpp"

#include <optional>
#include <string>

namespace tessera::geo {

struct GeometryProblem {
    std::string code;    // stable: "non_finite", "out_of_range", "too_few_points",
                         // "ring_not_closed", "empty", "self_intersection", "invalid"
    std::string message; // human-readable, e.g. "Self-intersection at (113.9, 33.5)"
    std::optional<LonLat> location;
};

// The first problem found, or nullopt for a valid geometry. `lonlat` additionally requires
// coordinates inside [-180,180] x [-90,90] (for stored, EPSG:4326 geometry).
std::optional<GeometryProblem> find_problem(const Geometry& g, bool lonlat = true);

} // namespace tessera::geo
