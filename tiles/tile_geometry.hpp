// From geo types (EPSG:4326) to a tile's command streams: projection to Web Mercator tile
// coordinates, clipping to the tile plus a buffer, snapping to the integer grid, ring
// orientation as the spec asks, and the MoveTo/LineTo/ClosePath encoding.
//
// Neighbouring polygons stay seamless: both sides of a shared edge have the same vertices, and
// every step here is a function of one vertex (projection, snapping) or of the tile (clipping),
// so the shared edge comes out identical in both features. Clipping adds edges only along the
// buffered tile border, outside the visible tile.
#pragma once

#include "geo/geometry.hpp"
#include "tiles/mvt.hpp"
#include "tiles/tile_math.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::tiles {

// A tile's coordinate frame: x to the right and y down, 0..extent across the tile.
class TileFrame {
public:
    // REQUIRES: is_valid(tile).
    explicit TileFrame(TileId tile, std::uint32_t extent = 4096, std::uint32_t buffer = 64);

    struct XY {
        double x = 0, y = 0;
    };
    XY project(geo::LonLat p) const { return project(to_mercator(p)); }
    XY project(MercatorXY m) const {
        return {(m.x - m_min_x) * m_scale, (m_max_y - m.y) * m_scale};
    }
    TileId tile() const { return m_tile; }
    std::uint32_t extent() const { return m_extent; }
    std::uint32_t buffer() const { return m_buffer; }
    // Tile units per Web Mercator metre.
    double units_per_metre() const { return m_scale; }
    // The tile and its buffer in lon/lat: what a query for the tile's features should cover.
    geo::BBox query_box() const;

private:
    TileId m_tile;
    std::uint32_t m_extent, m_buffer;
    double m_min_x = 0, m_max_y = 0, m_scale = 0; // Mercator metres of the NW corner; units/m
};

struct EncodedGeometry {
    GeomType type = GeomType::unknown;
    std::vector<std::uint32_t> commands; // empty: nothing of the geometry is in the tile
};

// Any geo geometry: points and multipoints as points, lines as linestrings, polygons as
// polygons. Parts outside the buffered tile are dropped; rings that snap to nothing (fewer
// than three distinct points, or no area) are dropped, and a polygon goes with its exterior.
EncodedGeometry encode_geometry(const TileFrame& frame, const geo::Geometry& g);
// The same for a multipolygon, without wrapping it in a Geometry.
EncodedGeometry encode_geometry(const TileFrame& frame, const geo::MultiPolygon& mp);
// One point's command stream (a MoveTo and its delta), with no allocation; nullopt when the
// point is outside the buffered tile.
std::optional<std::array<std::uint32_t, 3>> encode_point(const TileFrame& frame, geo::LonLat p);
// The same for a point already in Web Mercator metres (e.g. kept so by its owner).
std::optional<std::array<std::uint32_t, 3>> encode_point(const TileFrame& frame, MercatorXY p);

} // namespace tessera::tiles
