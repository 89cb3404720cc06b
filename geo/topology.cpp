#include "geo/topology.hpp"

#include "geo/detail/vertex_key.hpp"

#include <unordered_map>

namespace tessera::geo {
namespace {

using Key = detail::VertexKey;
using KeyHash = detail::VertexKeyHash;

// The two neighbours of a vertex, in a fixed order so that either direction gives the same pair.
struct Neighbours {
    Key a, b;
    bool junction = false;
};

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
            Key prev = detail::vertex_key(ring[(i + n - 1) % n]),
                next = detail::vertex_key(ring[(i + 1) % n]);
            if (next < prev)
                std::swap(prev, next);
            auto [it, first_time] =
                seen.try_emplace(detail::vertex_key(ring[i]), Neighbours{prev, next});
            if (!first_time && !(it->second.a == prev && it->second.b == next))
                it->second.junction = true;
        }
    });
    // A ring through the same point twice: that point's neighbours differ between the visits,
    // unless the ring doubles back on itself, which valid rings do not.
    std::vector<std::vector<bool>> out(polygons.size());
    for_each_ring(polygons, [&](std::size_t f, const Ring& ring) {
        for (std::size_t i = 0; i < ring.size(); ++i) {
            auto it = seen.find(detail::vertex_key(ring[i]));
            out[f].push_back(it != seen.end() && it->second.junction);
        }
    });
    return out;
}

} // namespace tessera::geo
