#include "geo/coverage.hpp"

#include "geo/detail/vertex_key.hpp"
#include "geo/measure.hpp"
#include "geo/ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <unordered_map>

namespace tessera::geo {
namespace {

// The polygonal part of an overlay result.
MultiPolygon polygons_of(const Geometry& g) {
    if (const auto* mp = std::get_if<MultiPolygon>(&g))
        return *mp;
    if (const auto* p = std::get_if<Polygon>(&g))
        return MultiPolygon{{*p}};
    return {};
}

// Each polygon of `pieces` at least `min_area_m2` large, as a fault of `kind` with the parts
// whose boxes meet it.
void add_pieces(CoverageFault::Kind kind, const MultiPolygon& pieces, std::span<const BBox> boxes,
                double min_area_m2, std::vector<CoverageFault>& out) {
    for (const auto& polygon : pieces.polygons) {
        CoverageFault f;
        f.kind = kind;
        f.area.polygons.push_back(polygon);
        f.area_m2 = area_m2(Geometry{f.area});
        if (f.area_m2 < min_area_m2)
            continue;
        f.location = point_on_surface(Geometry{f.area});
        const BBox box = bbox_of(Geometry{f.area});
        for (std::size_t i = 0; i < boxes.size(); ++i)
            if (boxes[i].intersects(box))
                f.parts.push_back(i);
        out.push_back(std::move(f));
    }
}

// An edge between two vertices as (smaller, larger).
using detail::VertexKey;
struct EdgeKey {
    VertexKey a, b;
    friend bool operator==(const EdgeKey&, const EdgeKey&) = default;
};
struct EdgeHash {
    std::size_t operator()(const EdgeKey& e) const {
        std::uint64_t h = e.a.x * 0x9E3779B97F4A7C15ull;
        for (std::uint64_t v : {e.a.y, e.b.x, e.b.y})
            h = detail::mix(h, v);
        return static_cast<std::size_t>(h);
    }
};
// Per undirected edge: the net direction (+1 for smaller -> larger) of the parts' edges minus the
// region's, and how many times the parts and the region use it.
struct EdgeUse {
    int net = 0, parts = 0, region = 0;
};

// Adds the edges of mp's rings, exteriors counter-clockwise and holes clockwise; returns the
// planar area.
double add_edges(const MultiPolygon& mp, bool is_region,
                 std::unordered_map<EdgeKey, EdgeUse, EdgeHash>& edges) {
    double total = 0;
    for (const auto& poly : mp.polygons)
        for (std::size_t r = 0; r < poly.rings.size(); ++r) {
            const Ring& ring = poly.rings[r];
            const double a = signed_area(ring);
            total += r == 0 ? std::abs(a) : -std::abs(a);
            const bool flip = (r == 0) != (a > 0); // walk it the normalised way
            for (std::size_t i = 0; i + 1 < ring.size(); ++i) {
                VertexKey from = detail::vertex_key(ring[i]), to = detail::vertex_key(ring[i + 1]);
                if (from == to)
                    continue;
                if (flip)
                    std::swap(from, to);
                const bool forward = from < to;
                EdgeUse& use = edges[forward ? EdgeKey{from, to} : EdgeKey{to, from}];
                use.net += (forward ? 1 : -1) * (is_region ? -1 : 1);
                ++(is_region ? use.region : use.parts);
            }
        }
    return total;
}

} // namespace

bool tiles_exactly(std::span<const MultiPolygon> parts, const MultiPolygon& region) {
    std::unordered_map<EdgeKey, EdgeUse, EdgeHash> edges;
    double parts_area = 0;
    for (const auto& p : parts)
        parts_area += add_edges(p, false, edges);
    const double region_area = add_edges(region, true, edges);
    for (const auto& [edge, use] : edges) {
        if (use.net != 0 || use.region > 1)
            return false;
        // An inner edge has one part on each side; a boundary edge one part and the region.
        if (use.region == 1 ? use.parts != 1 : use.parts != 2)
            return false;
    }
    return std::abs(parts_area - region_area) <= 1e-9 * std::max(1e-300, std::abs(region_area));
}

std::vector<CoverageFault> find_coverage_faults(std::span<const MultiPolygon> parts,
                                                const MultiPolygon& region, double min_area_m2) {
    if (tiles_exactly(parts, region))
        return {};
    std::vector<BBox> boxes;
    boxes.reserve(parts.size());
    for (const auto& p : parts)
        boxes.push_back(bbox_of(Geometry{p}));
    std::vector<CoverageFault> gaps, overlaps, outside;

    const MultiPolygon covered = unary_union(parts);
    add_pieces(CoverageFault::Kind::gap,
               polygons_of(difference(Geometry{region}, Geometry{covered})), boxes, min_area_m2,
               gaps);
    add_pieces(CoverageFault::Kind::outside,
               polygons_of(difference(Geometry{covered}, Geometry{region})), boxes, min_area_m2,
               outside);

    // Overlaps: every pair whose boxes meet, found by a sweep over the boxes' west edges.
    std::vector<std::size_t> order(parts.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::ranges::sort(order, {}, [&](std::size_t i) { return boxes[i].min_x; });
    for (std::size_t a = 0; a < order.size(); ++a)
        for (std::size_t b = a + 1; b < order.size(); ++b) {
            const std::size_t i = order[a], j = order[b];
            if (boxes[j].min_x > boxes[i].max_x)
                break;
            if (!boxes[i].intersects(boxes[j]))
                continue;
            MultiPolygon shared = polygons_of(intersection(Geometry{parts[i]}, Geometry{parts[j]}));
            if (shared.polygons.empty())
                continue; // they only touch
            CoverageFault f;
            f.kind = CoverageFault::Kind::overlap;
            f.area_m2 = area_m2(Geometry{shared});
            if (f.area_m2 < min_area_m2)
                continue;
            f.area = std::move(shared);
            f.location = point_on_surface(Geometry{f.area});
            f.parts = {std::min(i, j), std::max(i, j)};
            overlaps.push_back(std::move(f));
        }

    auto by_location = [](const CoverageFault& x, const CoverageFault& y) {
        return std::pair(x.location.lon, x.location.lat) <
               std::pair(y.location.lon, y.location.lat);
    };
    std::vector<CoverageFault> out;
    for (auto* kind : {&gaps, &overlaps, &outside}) {
        std::ranges::sort(*kind, by_location);
        std::ranges::move(*kind, std::back_inserter(out));
    }
    return out;
}

} // namespace tessera::geo
