// Small planar geometry operations (GEOS, reentrant API): predicates, interior points, overlay,
// unions and a coverage check. Coordinates are treated as planar (x, y) in whatever units they
// carry -- for stored EPSG:4326 geometry that means degrees, and areas are in "square degrees"
// (use geo/measure.hpp for metres). No function reprojects.
//
// Thread-safety: every free function is pure and may be called from any thread (GEOS runs in
// the calling thread's own context). PreparedArea is thread-compatible: one instance per thread.
//
// Errors: a geometry GEOS cannot build or that has the wrong dimension for the call throws
// tessera::Error(invalid_geometry); a GEOS failure while computing throws Error(internal).
#pragma once

#include "geo/geometry.hpp"

#include <memory>
#include <span>

namespace tessera::geo {

// True when `p` lies inside `polygonal` or on its boundary (OGC "covers"; a point on a hole's
// ring is covered, a point strictly inside a hole is not).
// REQUIRES: `polygonal` is a Polygon or MultiPolygon (else Error(invalid_geometry)).
bool covers(const Geometry& polygonal, LonLat p);

// A point guaranteed to lie in the interior of a polygon (or on a line / at a point of a lower
// dimensional geometry); unlike the centroid it is inside non-convex shapes.
// Throws Error(invalid_geometry) for an empty geometry.
LonLat point_on_surface(const Geometry& g);

// The planar centroid (area-weighted for polygons); may lie outside a non-convex polygon.
// Throws Error(invalid_geometry) for an empty geometry.
LonLat centroid(const Geometry& g);

// Overlay. The result has the lowest dimension of the inputs for intersection and the dimension
// of `a` for difference, always as a Multi* type: two polygonal inputs give a MultiPolygon
// (empty when they only touch: shared edges and corners are dropped), a lineal input a
// MultiLineString, a puntal one a MultiPoint.
Geometry intersection(const Geometry& a, const Geometry& b);
Geometry difference(const Geometry& a, const Geometry& b);

// General union of polygonal parts that may overlap or leave gaps (GEOSUnaryUnion_r); vertices
// may move by rounding where edges cross. For parts of an exact coverage, coverage_union
// (geo/partition.hpp) is faster and keeps vertices bit-for-bit. Empty input gives an empty result.
MultiPolygon unary_union(std::span<const MultiPolygon> parts);

// How well `parts` tile the `region` they are meant to cover exactly, in units^2 of the
// coordinates (planar):
//   overlap_area = sum(area(parts)) - area(union(parts))   (area counted more than once)
//   gap_area     = area(region - union(parts))             (region not covered)
//   outside_area = area(union(parts) - region)             (covered but outside the region)
// All three are clamped at 0; for a perfect tiling each is 0 up to rounding (~1e-12 relative).
struct CoverageCheck {
    double overlap_area = 0;
    double gap_area = 0;
    double outside_area = 0;
};
CoverageCheck check_coverage(std::span<const MultiPolygon> parts, const MultiPolygon& region);

namespace detail {
struct PreparedAreaState;
}

// A polygonal geometry prepared once (GEOS prepared geometry) for many fast predicates.
// Thread-compatible: create, use and destroy an instance on one thread; give each thread its
// own. Move-only; a moved-from instance may only be destroyed or assigned to.
class PreparedArea {
public:
    // REQUIRES: `polygonal` is a Polygon or MultiPolygon (else Error(invalid_geometry)).
    explicit PreparedArea(const Geometry& polygonal);
    ~PreparedArea();
    PreparedArea(PreparedArea&&) noexcept;
    PreparedArea& operator=(PreparedArea&&) noexcept;
    PreparedArea(const PreparedArea&) = delete;
    PreparedArea& operator=(const PreparedArea&) = delete;

    // Same semantics as the free covers(): the boundary counts as inside.
    bool covers(LonLat p) const;
    // True when no point of `g` lies outside the area and at least one lies in its interior
    // (OGC "contains": a polygon equal to the area is contained, a line along its boundary is not).
    bool contains(const Geometry& g) const;
    // True when `g` and the area share at least one point (touching counts).
    bool intersects(const Geometry& g) const;

private:
    std::unique_ptr<detail::PreparedAreaState> m_state;
};

} // namespace tessera::geo
