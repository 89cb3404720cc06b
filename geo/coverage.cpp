#include "geo/coverage.hpp"

#include "geo/measure.hpp"
#include "geo/ops.hpp"

#include <algorithm>
#include <numeric>

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

} // namespace

std::vector<CoverageFault> find_coverage_faults(std::span<const MultiPolygon> parts,
                                                const MultiPolygon& region, double min_area_m2) {
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
