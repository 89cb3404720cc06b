// Shared boundaries in a set of polygons, such as a grid layer that tiles its county: which
// vertices are junctions, where a boundary shared by the same rings starts, ends or branches.
// Between two junctions a stretch of ring is either shared, vertex for vertex, by the same
// neighbours along its whole length, or belongs to one ring alone. Whatever treats each stretch
// the same way in every ring that has it (tiles/simplify) keeps the polygons seamless.
//
// Coordinates are compared bit for bit: a boundary shared within a rounding error is not shared.
// Pure; safe to call from any thread.
#pragma once

#include "geo/geometry.hpp"

#include <span>
#include <vector>

namespace tessera::geo {

// Per polygon, one flag per vertex of its rings, ring after ring in order and each ring's
// closing vertex included (as the first): whether that vertex is a junction. A vertex is a
// junction when the rings through it do not all have the same two neighbours there (taken
// either way round): where three boundaries meet, where a shared boundary reaches the
// outside, where a ring touches another at a point, or where a ring passes the same point twice.
std::vector<std::vector<bool>> find_junctions(std::span<const MultiPolygon> polygons);

} // namespace tessera::geo
