// XYZ tile addressing on Web Mercator (EPSG:3857), as used by /tiles/{layer}/{z}/{x}/{y}.mvt.
#pragma once

#include "geo/geometry.hpp"
#include "geo/web_mercator.hpp"

#include <cstdint>

namespace tessera::tiles {

struct TileId {
    std::uint32_t z = 0;
    std::uint32_t x = 0;
    std::uint32_t y = 0;
    friend bool operator==(const TileId&, const TileId&) = default;
};

constexpr std::uint32_t max_zoom = 24;

// True when z <= max_zoom and x, y < 2^z.
bool is_valid(TileId t);

// Web Mercator metres (geo/web_mercator.hpp).
using geo::from_mercator;
using geo::MercatorXY;
using geo::to_mercator;

// The tile containing a position at zoom z.
TileId tile_at(geo::LonLat p, std::uint32_t z);

// The tile's extent in lon/lat (min_x = west, max_y = north).
geo::BBox tile_bounds(TileId t);

} // namespace tessera::tiles
