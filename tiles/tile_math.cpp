#include "tiles/tile_math.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tessera::tiles {
namespace {
constexpr double half_world = geo::mercator_half_world_m;
} // namespace

bool is_valid(TileId t) {
    if (t.z > max_zoom)
        return false;
    std::uint64_t n = std::uint64_t{1} << t.z;
    return t.x < n && t.y < n;
}

TileId tile_at(geo::LonLat p, std::uint32_t z) {
    MercatorXY m = to_mercator(p);
    double n = std::ldexp(1.0, static_cast<int>(z));
    double fx = (m.x + half_world) / (2 * half_world) * n;
    double fy = (half_world - m.y) / (2 * half_world) * n;
    auto clamp_index = [&](double f) {
        return static_cast<std::uint32_t>(std::clamp(std::floor(f), 0.0, n - 1));
    };
    return {z, clamp_index(fx), clamp_index(fy)};
}

geo::BBox tile_bounds(TileId t) {
    double n = std::ldexp(1.0, static_cast<int>(t.z));
    double size = 2 * half_world / n;
    MercatorXY nw{-half_world + t.x * size, half_world - t.y * size};
    MercatorXY se{nw.x + size, nw.y - size};
    geo::BBox b;
    b.extend(from_mercator(nw));
    b.extend(from_mercator(se));
    return b;
}

} // namespace tessera::tiles
