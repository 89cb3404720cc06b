// Editing a polygonal coverage (a grid layer that tiles its community) so that it stays one.
// Each operation changes the polygons it names and their neighbours together, and leaves every
// boundary the result shares shared vertex for vertex (node_shared_vertices), so that
// geo::tiles_exactly can prove the tiling afterwards without an overlay. The data layer picks
// the polygons near the edit (the "neighbourhood") and maps indexes back to feature codes.
//
// Coordinates are planar (x, y) in any units, lon/lat degrees for stored layers; `snap` and
// `tolerance` are in the same units. Pure functions, safe to call from any thread.
//
// Errors: Error(invalid_argument) for an edit that cannot be made as asked (a line that does not
// cut the polygon across, parts that are not adjacent, an index out of range), and
// Error(invalid_geometry) for an input shape that is not valid or an edit that would leave a
// polygon that is not (a vertex dragged across an edge).
#pragma once

#include "geo/geometry.hpp"

#include <cstddef>
#include <span>
#include <utility>
#include <vector>

namespace tessera::geo {

// What an edit does to the polygons it was given.
struct Edit {
    // The new shape of each polygon it changed, by index into the input, ascending. Neighbours
    // appear here too when they gained or lost area or only a vertex on a shared edge.
    std::vector<std::pair<std::size_t, MultiPolygon>> changed;
    std::vector<std::size_t> removed; // ascending
    std::vector<MultiPolygon> created;
};

// About 0.1 mm in degrees: two vertices this close are one, a vertex this close to an edge is on
// it.
inline constexpr double edit_tolerance = 1e-9;

// Moves every vertex within `tolerance` of `from` to `to`, in every polygon that has one: a vertex
// shared by neighbours moves in all of them. Error(invalid_argument) when no polygon has a vertex
// there.
Edit move_vertex(std::span<const MultiPolygon> polygons, LonLat from, LonLat to,
                 double tolerance = edit_tolerance);

// polygons[target] takes `shape` (snapped to the others' vertices and edges within `snap`). The
// others lose what it now covers; each piece it gives up goes to the neighbour that shares the
// longest border with that piece (a piece with no neighbour is left uncovered, for validation to
// report as a gap).
Edit reshape(std::span<const MultiPolygon> polygons, std::size_t target, const MultiPolygon& shape,
             double snap);

// A new polygon of `shape` (snapped within `snap`), taking its area from the polygons it covers:
// `created` holds it, `changed` the neighbours that lost area.
Edit carve(std::span<const MultiPolygon> polygons, const MultiPolygon& shape, double snap);

// Cuts polygons[target] along `line` (snapped within `snap`), which must cross it from boundary to
// boundary. The largest piece stays polygons[target]; the others are `created`, largest first.
// The points where the line meets the boundary become vertices of the neighbours there too.
Edit split(std::span<const MultiPolygon> polygons, std::size_t target, const LineString& line,
           double snap);

// Dissolves parts[1..] into parts[0]: `changed` holds the union at parts[0], `removed` the rest.
// Error(invalid_argument) unless the parts are adjacent (share a boundary, not just a corner).
Edit merge(std::span<const MultiPolygon> polygons, std::span<const std::size_t> parts);

// Redraws the boundary between two adjacent polygons a and b as `line` (snapped within `snap`),
// which must run across their union from boundary to boundary: each side of the line goes to the
// polygon it overlapped most before.
Edit redraw_boundary(std::span<const MultiPolygon> polygons, std::size_t a, std::size_t b,
                     const LineString& line, double snap);

// Moves each vertex of `shape` to the nearest vertex of `others` within `snap`, or else to the
// nearest point of their edges within `snap`; the rest stay where they are.
MultiPolygon snapped(const MultiPolygon& shape, std::span<const MultiPolygon> others, double snap);
LineString snapped(const LineString& line, std::span<const MultiPolygon> others, double snap);

// Makes boundaries shared within `tolerance` shared vertex for vertex: a vertex of a polygon that
// is not `fixed` and lies within `tolerance` of a vertex of a fixed one takes its coordinates, and
// every vertex lying on another polygon's edge (within `tolerance`, between its ends) is inserted
// into that edge, unless both polygons are fixed (what was there before the edit stays as it
// was). Returns, per polygon, whether it changed.
std::vector<bool> node_shared_vertices(std::span<MultiPolygon> polygons,
                                       const std::vector<bool>& fixed,
                                       double tolerance = edit_tolerance);

} // namespace tessera::geo
