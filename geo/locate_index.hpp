// Point location over a set of polygons, exact and at memory speed: "which grid is this point
// in?" for one point or hundreds of millions.
//
// Design (docs/assignment.md): a uniform grid of cells over the polygons' extent, each cell
// classified at build time as empty, fully inside one polygon (answered in O(1)), or a boundary
// cell; boundary cells are refined once into sub-cells, and boundary sub-cells keep only the
// polygon edges that touch them plus the status of one reference point, so a query there is a
// handful of exact orientation tests along the segment from the point to the reference point.
//
// Exactness: every decision is the sign of an exact orientation predicate on the input doubles
// (a floating-point filter with an exact fallback); nothing uses a tolerance. Off the polygons'
// boundaries the answer agrees with GEOS covers/contains.
//
// Boundary rule (semi-open, "lower-left wins"): a point is located as if displaced by
// (+e, +e^2) for an infinitesimal e. A point on an edge shared by two polygons therefore belongs
// to exactly one of them: on a vertical edge the one to the east, on any other edge the one to
// the north (above), at a vertex the one occupying the direction just counter-clockwise of due
// east. A point on the outer boundary of a tiling belongs to the tiling only on its south/west
// sides. For a set of polygons that tile a region, every point of the region is located in
// exactly one polygon.
//
// Coordinates are planar (lon/lat degrees for stored geometry). Thread-safety: immutable after
// construction; locate() may be called from any number of threads at once.
#pragma once

#include "geo/geometry.hpp"

#include <cstdint>
#include <memory>
#include <span>

namespace tessera::geo {

class LocateIndex {
public:
    static constexpr std::uint32_t none = 0xffffffffu;

    struct Options {
        // Target number of top-level cells per polygon; more cells answer more points in O(1)
        // at the cost of memory. DEFAULT 4.
        double cells_per_polygon = 4;
        // Boundary cells are split into refine x refine sub-cells. DEFAULT 8.
        int refine = 8;
    };

    // polygons[i] gets id i. Empty polygons are allowed (never located). Where polygons
    // overlap, the lowest id containing the point wins. Throws Error(invalid_geometry) for
    // non-finite coordinates.
    explicit LocateIndex(std::span<const MultiPolygon> polygons);
    LocateIndex(std::span<const MultiPolygon> polygons, const Options& options);
    ~LocateIndex();
    LocateIndex(LocateIndex&&) noexcept;
    LocateIndex& operator=(LocateIndex&&) noexcept;
    LocateIndex(const LocateIndex&) = delete;
    LocateIndex& operator=(const LocateIndex&) = delete;

    // The id of the polygon containing p under the boundary rule, or `none`.
    // Non-finite coordinates give `none`.
    std::uint32_t locate(LonLat p) const;
    // Batch form: out[i] = locate(points[i]). REQUIRES: out.size() >= points.size().
    void locate(std::span<const LonLat> points, std::span<std::uint32_t> out) const;

    std::size_t polygon_count() const;
    // Heap memory held by the index, bytes.
    std::size_t memory_bytes() const;

    struct Stats {
        std::size_t cells = 0;          // top-level
        std::size_t interior_cells = 0; // answered in O(1)
        std::size_t empty_cells = 0;
        std::size_t boundary_cells = 0; // refined
        std::size_t boundary_subcells = 0;
        std::size_t stored_edges = 0; // edge references kept by boundary sub-cells
    };
    Stats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace tessera::geo
