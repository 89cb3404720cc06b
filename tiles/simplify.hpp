// Zoom-appropriate simplification that keeps a tiling seamless (docs/tiles.md, "Simplification").
//
// Douglas-Peucker on each stretch of ring between two junctions (geo::find_junctions), the
// junctions always kept. Each stretch is simplified in one canonical direction (from its
// lexicographically smaller end), so the two polygons sharing it keep exactly the same vertices
// on it, and the tile encoder then draws the same edge for both: no gap and no sliver between
// neighbours at any zoom. The vertices kept are original vertices, never moved.
//
// Distances are measured in Web Mercator metres (the tile's units) with the scale of the stretch's
// canonical start, good to well under a pixel across a tile.
#pragma once

#include "geo/geometry.hpp"
#include "tiles/tile_geometry.hpp"

#include <vector>

namespace tessera::tiles {

// `mp` with every vertex dropped that lies within `tolerance_m` (Web Mercator metres) of the
// simplified line through its stretch. `junctions` holds one flag per vertex of mp's rings, in
// order (geo::find_junctions). A ring may come out with fewer than four vertices; the encoder
// drops such rings. tolerance_m <= 0 returns mp unchanged.
// REQUIRES: junctions.size() == the number of vertices of mp's rings.
geo::MultiPolygon simplify(const geo::MultiPolygon& mp, const std::vector<bool>& junctions,
                           double tolerance_m);

// The same for many polygons in a row (a tile's features), reusing its buffers: no allocation
// once they have grown. Not thread-safe; one per tile being built.
class Simplifier {
public:
    explicit Simplifier(double tolerance_m)
        : m_tolerance(tolerance_m) {}
    // `mp` simplified; the result stays valid until the next call.
    const geo::MultiPolygon& operator()(const geo::MultiPolygon& mp,
                                        const std::vector<bool>& junctions);

private:
    void simplify_ring(const geo::Ring& ring, std::vector<bool>::const_iterator flags,
                       geo::Ring& out);
    void douglas_peucker(const geo::Ring& ring, std::size_t lo, std::size_t hi);

    double m_tolerance;
    geo::MultiPolygon m_out;
    std::vector<char> m_keep;         // per vertex of the ring at hand
    std::vector<std::size_t> m_seq;   // a stretch's vertex indices, in canonical order
    std::vector<std::size_t> m_stops; // the ring's junctions
    std::vector<std::pair<std::size_t, std::size_t>> m_todo;
};

// The zoom from which tiles keep every vertex: the deepest zoom a TileJSON advertises, which
// clients overzoom, so simplifying it would show when they magnify.
constexpr std::uint32_t full_detail_zoom = 16;

// The tolerance for a tile: half a pixel of a 512-pixel tile (4 of its 4096 units), in Web
// Mercator metres; 0 from full_detail_zoom.
double simplify_tolerance_m(const TileFrame& frame);

} // namespace tessera::tiles
