// Encoded tiles kept in memory (docs/tiles.md, "Tile cache"): bounded by bytes with least-
// recently-used eviction, each tile gzip-compressed once when stored and given a strong ETag.
//
// Invalidation is by area: invalidate(layer, box) drops every cached tile of that layer, at
// every zoom and for every variant, whose buffered area meets the box; nothing else. A variant
// separates tiles of the same address that differ by who asks (an events tile as an officer of
// one grid sees it); boundary tiles are the same for everyone and use the empty variant.
//
// Never stale: a tile is built from data read after begin() and offered with the ticket begin()
// returned. put() refuses it when an invalidation meeting that tile arrived since the ticket
// (the build may have read the data before the change), so a change that happens while a tile
// is being built cannot leave the old tile behind. Callers invalidate after the change is
// visible to readers.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include "geo/geometry.hpp"
#include "tiles/tile_math.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tessera::tiles {

struct CachedTile {
    std::string body; // the encoded tile; empty for a tile without features
    std::string gzip; // body, gzip-compressed (RFC 1952)
    std::string etag; // strong, quoted: "\"1f3a…-412\""
};

// A tile ready to send, cached or not.
std::shared_ptr<const CachedTile> make_cached_tile(std::string body);

struct TileKey {
    std::string layer;
    TileId tile;
    std::string variant;
};

class TileCache {
public:
    // `buffer_fraction`: how far, as a fraction of the tile's width, a tile's content reaches
    // beyond its edges (the encoder's buffer / extent).
    explicit TileCache(std::size_t max_bytes, double buffer_fraction = 64.0 / 4096.0);
    ~TileCache();
    TileCache(const TileCache&) = delete;
    TileCache& operator=(const TileCache&) = delete;

    std::shared_ptr<const CachedTile> find(const TileKey& key);

    using Ticket = std::uint64_t;
    Ticket begin() const;
    // Stores the tile unless an invalidation since `ticket` met it, or it alone exceeds the
    // bound; returns it either way.
    std::shared_ptr<const CachedTile> put(const TileKey& key, std::shared_ptr<const CachedTile> t,
                                          Ticket ticket);

    // Drops the layer's tiles (every zoom and variant) whose buffered area meets `box` (lon/lat);
    // returns how many.
    std::size_t invalidate(std::string_view layer, const geo::BBox& box);

    struct Stats {
        std::uint64_t hits = 0, misses = 0, stored = 0, refused = 0, evicted = 0, invalidated = 0;
        std::size_t entries = 0, bytes = 0, max_bytes = 0;
    };
    Stats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace tessera::tiles
