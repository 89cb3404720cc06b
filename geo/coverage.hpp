// Where a set of polygons fails to tile the region it should cover exactly (a grid layer inside
// its community, communities inside their township): each gap, overlap and piece outside the
// region as a polygon with its area, its location and the parts involved. The findings behind
// layer validation (issue 6); check_coverage (geo/ops.hpp) only sums the areas.
//
// Overlay is planar in the coordinates' units (GEOS); areas are geodesic square metres
// (geo/measure.hpp). Pure; safe to call from any thread.
#pragma once

#include "geo/geometry.hpp"

#include <cstddef>
#include <span>
#include <vector>

namespace tessera::geo {

struct CoverageFault {
    enum class Kind { gap, overlap, outside };
    Kind kind = Kind::gap;
    MultiPolygon area;              // the faulty piece
    double area_m2 = 0;             // geodesic
    LonLat location;                // a point inside the piece
    std::vector<std::size_t> parts; // overlap: the two parts; gap and outside: the parts whose
                                    // bounding boxes meet the piece's
};

// A quick proof that `parts` tile `region` exactly, edge for edge: every edge of the parts is
// either met by the opposite edge of exactly one neighbour or lies on the region's boundary once,
// the region's boundary is covered once, and the areas add up. Linear in the vertices, no GEOS.
// False means "not proven" (e.g. a vertex of one part on the middle of a neighbour's edge), not
// "faulty"; find_coverage_faults tries this first.
bool tiles_exactly(std::span<const MultiPolygon> parts, const MultiPolygon& region);

// The faults of `parts` as a tiling of `region`, pieces of at least `min_area_m2` only (smaller
// ones are rounding and digitising noise): one per connected gap (region not covered), one per
// pair of parts that overlap (their shared area), one per connected piece of the parts outside
// the region. Ordered: gaps, overlaps, outside pieces; each kind by its location (lon, then lat).
// Throws Error(invalid_geometry) for geometry GEOS cannot build.
std::vector<CoverageFault> find_coverage_faults(std::span<const MultiPolygon> parts,
                                                const MultiPolygon& region, double min_area_m2);

} // namespace tessera::geo
