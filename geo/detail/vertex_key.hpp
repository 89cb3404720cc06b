// A vertex compared bit for bit (with -0 as +0, which compares equal to it), for the hash
// tables that find shared boundaries (geo/topology, geo/coverage). Internal to geo.
#pragma once

#include "geo/geometry.hpp"

#include <bit>
#include <compare>
#include <cstddef>
#include <cstdint>

namespace tessera::geo::detail {

struct VertexKey {
    std::uint64_t x = 0, y = 0;
    friend auto operator<=>(const VertexKey&, const VertexKey&) = default;
};

inline VertexKey vertex_key(LonLat p) {
    return {std::bit_cast<std::uint64_t>(p.lon + 0.0), std::bit_cast<std::uint64_t>(p.lat + 0.0)};
}

inline std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
    h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 31);
}

struct VertexKeyHash {
    std::size_t operator()(const VertexKey& k) const {
        return static_cast<std::size_t>(mix(k.x * 0x9E3779B97F4A7C15ull, k.y));
    }
};

} // namespace tessera::geo::detail
