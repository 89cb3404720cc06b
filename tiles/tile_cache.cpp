#include "tiles/tile_cache.hpp"

#include "geo/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <numbers>
#include <zlib.h>

namespace tessera::tiles {
namespace {

std::string gzip(std::string_view in) {
    z_stream zs{};
    // 15 window bits + 16: a gzip header and trailer instead of zlib's.
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw Error(ErrorCode::internal, "zlib: deflateInit2 failed");
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END)
        throw Error(ErrorCode::internal, "zlib: deflate did not finish");
    return out;
}

// FNV-1a, 64 bits: the ETag names the bytes, so equal tiles share it across restarts.
std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

struct Key {
    std::string layer;
    std::uint32_t z = 0, x = 0, y = 0;
    std::string variant;
    auto operator<=>(const Key&) const = default;
};

struct TileRange {
    std::uint32_t x0 = 0, x1 = 0, y0 = 0, y1 = 0;
};

// The tiles at zoom z whose area, widened by `buffer` tile widths, meets the box.
TileRange tiles_meeting(const geo::BBox& box, std::uint32_t z, double buffer) {
    constexpr double half = geo::mercator_half_world_m;
    const double size = 2 * half / std::ldexp(1.0, static_cast<int>(z));
    auto lo = to_mercator({box.min_x, box.min_y});
    auto hi = to_mercator({box.max_x, box.max_y});
    const double b = size * buffer;
    const double last = std::ldexp(1.0, static_cast<int>(z)) - 1;
    auto index = [&](double v) {
        return static_cast<std::uint32_t>(std::clamp(std::floor(v / size), 0.0, last));
    };
    return {index(lo.x - b + half), index(hi.x + b + half), index(half - hi.y - b),
            index(half - lo.y + b)};
}

bool meets(const TileRange& r, std::uint32_t x, std::uint32_t y) {
    return x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1;
}

} // namespace

std::shared_ptr<const CachedTile> make_cached_tile(std::string body) {
    auto t = std::make_shared<CachedTile>();
    t->gzip = gzip(body);
    char tag[48];
    std::snprintf(tag, sizeof tag, "\"%016llx-%zx\"", static_cast<unsigned long long>(fnv1a(body)),
                  body.size());
    t->etag = tag;
    t->body = std::move(body);
    return t;
}

struct TileCache::Impl {
    struct Entry {
        std::shared_ptr<const CachedTile> tile;
        std::size_t bytes = 0;
        std::list<std::map<Key, Entry>::iterator>::iterator lru;
    };
    using Map = std::map<Key, Entry>;
    struct Invalidation {
        Ticket seq = 0;
        std::string layer;
        geo::BBox box;
    };
    static constexpr std::size_t log_size = 4096;

    std::size_t max_bytes;
    double buffer;
    mutable std::mutex mutex;
    Map map;
    std::list<Map::iterator> lru; // most recently used first
    std::size_t bytes = 0;
    Ticket seq = 0;               // of the last invalidation
    std::deque<Invalidation> log; // the last log_size invalidations, oldest first
    Stats stats;

    void erase(Map::iterator it) {
        bytes -= it->second.bytes;
        lru.erase(it->second.lru);
        map.erase(it);
    }

    bool invalidated_since(const Key& k, Ticket ticket) const {
        if (ticket >= seq)
            return false;
        if (log.empty() || log.front().seq > ticket + 1)
            return true; // the log no longer reaches back to the ticket: assume the worst
        for (auto it = log.rbegin(); it != log.rend() && it->seq > ticket; ++it)
            if (it->layer == k.layer && meets(tiles_meeting(it->box, k.z, buffer), k.x, k.y))
                return true;
        return false;
    }
};

TileCache::TileCache(std::size_t max_bytes, double buffer_fraction)
    : m_impl(std::make_unique<Impl>()) {
    m_impl->max_bytes = max_bytes;
    m_impl->buffer = buffer_fraction;
}

TileCache::~TileCache() = default;

std::shared_ptr<const CachedTile> TileCache::find(const TileKey& key) {
    Key k{key.layer, key.tile.z, key.tile.x, key.tile.y, key.variant};
    std::lock_guard lock(m_impl->mutex);
    auto it = m_impl->map.find(k);
    if (it == m_impl->map.end()) {
        ++m_impl->stats.misses;
        return nullptr;
    }
    ++m_impl->stats.hits;
    m_impl->lru.splice(m_impl->lru.begin(), m_impl->lru, it->second.lru);
    return it->second.tile;
}

TileCache::Ticket TileCache::begin() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->seq;
}

std::shared_ptr<const CachedTile>
TileCache::put(const TileKey& key, std::shared_ptr<const CachedTile> t, Ticket ticket) {
    Key k{key.layer, key.tile.z, key.tile.x, key.tile.y, key.variant};
    // The tile's bytes plus the key and the bookkeeping around it.
    std::size_t bytes = t->body.size() + t->gzip.size() + t->etag.size() + 2 * k.layer.size() +
                        2 * k.variant.size() + 160;
    std::lock_guard lock(m_impl->mutex);
    auto& m = *m_impl;
    if (bytes > m.max_bytes || m.invalidated_since(k, ticket)) {
        ++m.stats.refused;
        return t;
    }
    if (auto old = m.map.find(k); old != m.map.end())
        m.erase(old);
    while (m.bytes + bytes > m.max_bytes && !m.lru.empty()) {
        m.erase(m.lru.back());
        ++m.stats.evicted;
    }
    auto [it, inserted] = m.map.emplace(std::move(k), Impl::Entry{t, bytes, {}});
    m.lru.push_front(it);
    it->second.lru = m.lru.begin();
    m.bytes += bytes;
    ++m.stats.stored;
    return t;
}

std::size_t TileCache::invalidate(std::string_view layer, const geo::BBox& box) {
    if (box.empty())
        return 0;
    std::lock_guard lock(m_impl->mutex);
    auto& m = *m_impl;
    m.log.push_back({++m.seq, std::string(layer), box});
    if (m.log.size() > Impl::log_size)
        m.log.pop_front();

    std::size_t dropped = 0;
    std::string name(layer);
    for (std::uint32_t z = 0; z <= max_zoom; ++z) {
        auto r = tiles_meeting(box, z, m.buffer);
        // Skip-scan the (layer, z) block: jump from column to column, never visiting the tiles
        // of a column outside [y0, y1] one by one.
        auto it = m.map.lower_bound(Key{name, z, r.x0, r.y0, {}});
        while (it != m.map.end() && it->first.layer == name && it->first.z == z &&
               it->first.x <= r.x1) {
            const Key& k = it->first;
            if (k.y < r.y0) {
                it = m.map.lower_bound(Key{name, z, k.x, r.y0, {}});
            } else if (k.y > r.y1) {
                if (k.x == r.x1)
                    break;
                it = m.map.lower_bound(Key{name, z, k.x + 1, r.y0, {}});
            } else {
                auto next = std::next(it);
                m.erase(it);
                ++dropped;
                it = next;
            }
        }
    }
    m.stats.invalidated += dropped;
    return dropped;
}

TileCache::Stats TileCache::stats() const {
    std::lock_guard lock(m_impl->mutex);
    Stats s = m_impl->stats;
    s.entries = m_impl->map.size();
    s.bytes = m_impl->bytes;
    s.max_bytes = m_impl->max_bytes;
    return s;
}

} // namespace tessera::tiles
