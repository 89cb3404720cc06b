#include "geo/topology.hpp"

#include <bit>
#include <cstdint>
#include <unordered_map>

namespace tessera::geo {
namespace {

// A coordinate's bits (with -0 as +0, which compares equal to it).
struct Key {
    std::uint64_t x, y;
    friend bool operator==(const Key&, const Key&) = default;
};

Key key_of(LonLat p) {
    return {std::bit_cast<std::uint64_t>(p.lon + 0.0), std::bit_cast<std::uint64_t>(p.lat + 0.0)};
}

struct KeyHash {
    std::size_t operator()(const Key& k) const {
        std::uint64_t h = k.x * 0x9E3779B97F4A7C15ull ^ (k.y + 0x632BE59BD9B4E019ull);
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9ull;
        return static_cast<std::size_t>(h ^ (h >> 32));
    }
};

// The two neighbours of a vertex, in a fixed order so that either direction gives the same pair.
struct Neighbours {
    Key a, b;
    bool junction = false;
};

bool less(const Key& p, const Key& q) {
    return p.x != q.x ? p.x < q.x : p.y < q.y;
}

template <class Visit>
void for_each_ring(std::span<const MultiPolygon> polygons, Visit&& visit) {
    for (std::size_t f = 0; f < polygons.size(); ++f)
        for (const auto& poly : polygons[f].polygons)
            for (const auto& ring : poly.rings)
                visit(f, ring);
}

} // namespace

std::vector<std::vector<bool>> find_junctions(std::span<const MultiPolygon> polygons) {
    std::size_t vertices = 0;
    for_each_ring(polygons, [&](std::size_t, const Ring& ring) { vertices += ring.size(); });
    std::unordered_map<Key, Neighbours, KeyHash> seen;
    seen.reserve(vertices);
    for_each_ring(polygons, [&](std::size_t, const Ring& ring) {
        if (ring.size() < 4)
            return;
        const std::size_t n = ring.size() - 1; // the closing vertex repeats the first
        for (std::size_t i = 0; i < n; ++i) {
            Key prev = key_of(ring[(i + n - 1) % n]), next = key_of(ring[(i + 1) % n]);
            if (less(next, prev))
                std::swap(prev, next);
            auto [it, first_time] = seen.try_emplace(key_of(ring[i]), Neighbours{prev, next});
            if (!first_time && !(it->second.a == prev && it->second.b == next))
                it->second.junction = true;
        }
    });
    // A ring through the same point twice: that point's neighbours differ between the visits,
    // unless the ring doubles back on itself, which valid rings do not.
    std::vector<std::vector<bool>> out(polygons.size());
    for_each_ring(polygons, [&](std::size_t f, const Ring& ring) {
        for (std::size_t i = 0; i < ring.size(); ++i) {
            auto it = seen.find(key_of(ring[i]));
            out[f].push_back(it != seen.end() && it->second.junction);
        }
    });
    return out;
}

} // namespace tessera::geo
