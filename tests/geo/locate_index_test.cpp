#include "geo/detail/predicates.hpp"
#include "geo/locate_index.hpp"
#include "geo/ops.hpp"
#include "geo/partition.hpp"
#include "tests/support/shapes.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <random>

using namespace tessera::geo;

using tessera::testing::multi;
using tessera::testing::rect;

namespace {

__extension__ using i128 = __int128; // GCC/Clang extension: exact reference arithmetic

// The boundary rule by definition: the polygons whose boundary a westward ray from the point
// displaced by (+e, +e^2) crosses an odd number of times; the lowest id wins.
std::uint32_t brute_force(const std::vector<MultiPolygon>& polys, LonLat p) {
    for (std::uint32_t id = 0; id < polys.size(); ++id) {
        bool in = false;
        for (const auto& poly : polys[id].polygons)
            for (const auto& ring : poly.rings)
                for (std::size_t i = 0; i + 1 < ring.size(); ++i) {
                    LonLat a = ring[i], b = ring[i + 1];
                    if (a.lat == b.lat)
                        continue;
                    bool up = a.lat < b.lat;
                    double lo = up ? a.lat : b.lat, hi = up ? b.lat : a.lat;
                    if (!(p.lat >= lo && p.lat < hi))
                        continue;
                    int s =
                        up ? detail::orient2d_perturbed(a.lon, a.lat, b.lon, b.lat, p.lon, p.lat)
                           : detail::orient2d_perturbed(b.lon, b.lat, a.lon, a.lat, p.lon, p.lat);
                    if (s < 0)
                        in = !in;
                }
        if (in)
            return id;
    }
    return LocateIndex::none;
}

// A realistic tiling: Voronoi cells of clustered points in a region, grouped into grids.
std::vector<MultiPolygon> random_tiling(std::uint64_t seed, int grids, int cells_per_grid,
                                        const MultiPolygon& region) {
    std::mt19937_64 rng(seed);
    BBox box = bbox_of(region);
    std::uniform_real_distribution<double> ux(box.min_x, box.max_x), uy(box.min_y, box.max_y);
    std::vector<LonLat> gen;
    PreparedArea area(region);
    while (static_cast<int>(gen.size()) < grids * cells_per_grid) {
        LonLat p{ux(rng), uy(rng)};
        if (area.covers(p))
            gen.push_back(p);
    }
    auto part = voronoi_partition(gen, region);
    // Group by sorting generators into a coarse grid of buckets (compact, not necessarily one
    // piece).
    std::vector<int> order(gen.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = static_cast<int>(i);
    int side = static_cast<int>(std::ceil(std::sqrt(grids)));
    auto bucket = [&](int i) {
        int bx = std::min(
            side - 1, static_cast<int>((gen[i].lon - box.min_x) / (box.max_x - box.min_x) * side));
        int by = std::min(
            side - 1, static_cast<int>((gen[i].lat - box.min_y) / (box.max_y - box.min_y) * side));
        return by * side + bx;
    };
    std::vector<std::vector<MultiPolygon>> groups(static_cast<std::size_t>(side * side));
    for (int i : order)
        if (!part.cells[i].polygons.empty())
            groups[static_cast<std::size_t>(bucket(i))].push_back(part.cells[i]);
    std::vector<MultiPolygon> out;
    for (auto& g : groups)
        if (!g.empty())
            out.push_back(coverage_union(g));
    return out;
}

} // namespace

TEST(Predicates, Orient2dIsExactNearDegeneracy) {
    // Points (0.5 + i u, 0.5 + j u) against the line through (12, 12) and (24, 24), u = 2^-53:
    // naive evaluation gets many signs wrong here; compare with exact integer arithmetic
    // (coordinates scaled by 2^53 are integers below 2^58, products fit in 128 bits).
    const double u = std::ldexp(1.0, -53);
    int wrong_naive = 0;
    for (int i = 0; i < 64; ++i)
        for (int j = 0; j < 64; ++j) {
            double ax = 0.5 + i * u, ay = 0.5 + j * u;
            auto scaled = [](double d) { return static_cast<i128>(std::ldexp(d, 53)); };
            i128 acx = scaled(ax) - scaled(24), bcy = scaled(12) - scaled(24);
            i128 acy = scaled(ay) - scaled(24), bcx = scaled(12) - scaled(24);
            i128 det = acx * bcy - acy * bcx;
            int exact = det > 0 ? 1 : det < 0 ? -1 : 0;
            EXPECT_EQ(detail::orient2d(ax, ay, 12, 12, 24, 24), exact) << i << "," << j;
            double naive = (ax - 24) * (12 - 24) - (ay - 24) * (12 - 24);
            if ((naive > 0 ? 1 : naive < 0 ? -1 : 0) != exact)
                ++wrong_naive;
        }
    EXPECT_GT(wrong_naive, 0) << "the test should include cases a naive evaluation gets wrong";
}

TEST(Predicates, PerturbationDecidesZeros) {
    // On a vertical edge going up, a point on it counts as east (right): negative.
    EXPECT_EQ(detail::orient2d_perturbed(0, 0, 0, 1, 0, 0.5), -1);
    // On a horizontal edge going east, a point on it counts as north (left): positive.
    EXPECT_EQ(detail::orient2d_perturbed(0, 0, 1, 0, 0.5, 0), 1);
    EXPECT_EQ(detail::orient2d_perturbed(0, 0, 0, 0, 0.5, 0), 0); // degenerate edge only
}

TEST(LocateIndex, BoundaryRuleOnSquares) {
    // A 2x2 block of unit squares: ids 0 (SW), 1 (SE), 2 (NW), 3 (NE).
    std::vector<MultiPolygon> sq = {multi(rect(0, 0, 1, 1)), multi(rect(1, 0, 2, 1)),
                                    multi(rect(0, 1, 1, 2)), multi(rect(1, 1, 2, 2))};
    LocateIndex idx(sq);
    EXPECT_EQ(idx.locate({0.5, 0.5}), 0u);
    EXPECT_EQ(idx.locate({1.0, 0.5}), 1u) << "vertical shared edge: east wins";
    EXPECT_EQ(idx.locate({0.5, 1.0}), 2u) << "horizontal shared edge: north wins";
    EXPECT_EQ(idx.locate({1.0, 1.0}), 3u) << "shared vertex: north-east wins";
    EXPECT_EQ(idx.locate({0.0, 0.5}), 0u) << "west outer edge belongs";
    EXPECT_EQ(idx.locate({2.0, 0.5}), LocateIndex::none) << "east outer edge does not";
    EXPECT_EQ(idx.locate({0.5, 0.0}), 0u) << "south outer edge belongs";
    EXPECT_EQ(idx.locate({0.5, 2.0}), LocateIndex::none) << "north outer edge does not";
    EXPECT_EQ(idx.locate({0.0, 0.0}), 0u);
    EXPECT_EQ(idx.locate({-0.1, 0.5}), LocateIndex::none);
    EXPECT_EQ(idx.locate({std::nan(""), 0.5}), LocateIndex::none);
    EXPECT_EQ(idx.locate({0.5, INFINITY}), LocateIndex::none);
    EXPECT_EQ(idx.polygon_count(), 4u);
}

TEST(LocateIndex, HolesOverlapsAndEmpties) {
    Polygon holed = rect(0, 0, 10, 10);
    holed.rings.push_back(rect(4, 4, 6, 6).rings[0]);
    std::vector<MultiPolygon> polys = {MultiPolygon{}, multi(holed), multi(rect(4, 4, 6, 6)),
                                       multi(rect(1, 1, 3, 3))};
    LocateIndex idx(polys);
    EXPECT_EQ(idx.locate({5, 5}), 2u) << "the island filling the hole";
    EXPECT_EQ(idx.locate({2, 2}), 1u) << "overlap: the lowest id wins";
    EXPECT_EQ(idx.locate({8, 8}), 1u);
    EXPECT_EQ(idx.locate({4, 5}), 2u) << "hole's west edge: east side is the island";
    EXPECT_EQ(idx.locate({6, 5}), 1u) << "hole's east edge: east side is the ring";
    // Overlaps in a boundary cell too: many small cells around.
    LocateIndex fine(polys, {64, 8});
    for (double x = 0.05; x < 10; x += 0.37)
        for (double y = 0.05; y < 10; y += 0.41)
            EXPECT_EQ(fine.locate({x, y}), brute_force(polys, {x, y})) << x << "," << y;
}

class RandomTiling : public ::testing::TestWithParam<int> {};

TEST_P(RandomTiling, ExactlyOneGridAndAgreementWithGeos) {
    const std::uint64_t seed = static_cast<std::uint64_t>(GetParam());
    // A non-convex region (an L) around Luohe's coordinates, so doubles are realistic.
    MultiPolygon region{{Polygon{{{{113.9, 33.5},
                                   {114.1, 33.5},
                                   {114.1, 33.58},
                                   {114.0, 33.58},
                                   {114.0, 33.65},
                                   {113.9, 33.65},
                                   {113.9, 33.5}}}}}};
    auto grids = random_tiling(seed, 150, 12, region);
    ASSERT_GT(grids.size(), 100u);
    LocateIndex idx(grids);
    auto st = idx.stats();
    EXPECT_GT(st.interior_cells, 0u);
    EXPECT_GT(st.boundary_subcells, 0u);

    std::vector<PreparedArea> prepared;
    for (const auto& g : grids)
        prepared.emplace_back(g);
    PreparedArea whole(region);
    std::mt19937_64 rng(seed * 7 + 1);
    std::uniform_real_distribution<double> ux(113.88, 114.12), uy(33.48, 33.67);
    int located = 0;
    std::vector<LonLat> points;
    std::vector<std::uint32_t> singles;
    for (int i = 0; i < 20000; ++i) {
        LonLat p{ux(rng), uy(rng)};
        std::uint32_t got = idx.locate(p);
        points.push_back(p);
        singles.push_back(got);
        // Random doubles are (essentially) never on a boundary: GEOS must agree exactly.
        std::uint32_t geos = LocateIndex::none;
        for (std::uint32_t g = 0; g < grids.size(); ++g)
            if (prepared[g].covers(p)) {
                geos = g;
                break;
            }
        ASSERT_EQ(got, geos) << "point (" << p.lon << ", " << p.lat << ")";
        EXPECT_EQ(got != LocateIndex::none, whole.covers(p));
        located += got != LocateIndex::none;
    }
    EXPECT_GT(located, 10000);

    // Every vertex of every grid (on shared edges and at triple points) gets exactly the grid the
    // rule defines, and that grid touches the vertex.
    std::size_t vertices = 0;
    for (const auto& g : grids)
        for (const auto& poly : g.polygons)
            for (const auto& ring : poly.rings)
                for (const auto& v : ring) {
                    std::uint32_t got = idx.locate(v);
                    points.push_back(v);
                    singles.push_back(got);
                    ASSERT_EQ(got, brute_force(grids, v))
                        << "vertex (" << v.lon << ", " << v.lat << ")";
                    if (got != LocateIndex::none) {
                        EXPECT_TRUE(prepared[got].covers(v));
                    }
                    ++vertices;
                }
    EXPECT_GT(vertices, 1000u);

    // The batch query (a pipeline over blocks of points) answers exactly as the single one.
    std::vector<std::uint32_t> batch(points.size());
    idx.locate(points, batch);
    EXPECT_EQ(batch, singles);
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomTiling, ::testing::Values(1, 2, 3));

TEST(LocateIndex, PointsOnAxisAlignedSharedEdgesOfALattice) {
    // A lattice of 0.01-degree cells: shared edges are exactly representable lines, so points on
    // them are exactly on the boundary. Each must land in exactly the grid east / north of it.
    std::vector<MultiPolygon> cells;
    const int n = 20;
    auto coord = [](int k, double base) { return base + k * 0.01; };
    for (int j = 0; j < n; ++j)
        for (int i = 0; i < n; ++i)
            cells.push_back(multi(
                rect(coord(i, 114.0), coord(j, 33.5), coord(i + 1, 114.0), coord(j + 1, 33.5))));
    LocateIndex idx(cells);
    for (int j = 0; j < n; ++j)
        for (int i = 1; i < n; ++i) {
            // On the vertical edge between (i-1, j) and (i, j), at a height inside the cell.
            LonLat p{coord(i, 114.0), (coord(j, 33.5) + coord(j + 1, 33.5)) / 2};
            ASSERT_EQ(idx.locate(p), brute_force(cells, p));
            EXPECT_EQ(idx.locate(p), static_cast<std::uint32_t>(j * n + i));
        }
    for (int j = 1; j < n; ++j)
        for (int i = 0; i < n; ++i) {
            LonLat p{(coord(i, 114.0) + coord(i + 1, 114.0)) / 2, coord(j, 33.5)};
            EXPECT_EQ(idx.locate(p), brute_force(cells, p));
        }
}

TEST(LocateIndex, ManyOverlappingPolygonsAtOnePlace) {
    // 40 overlapping rectangles whose east edges crowd together: near them a sub-cell holds more
    // candidate polygons than the fast path's table, and the general path answers.
    std::vector<MultiPolygon> polys;
    for (int i = 0; i < 40; ++i)
        polys.push_back(multi(rect(0, 0, 10 + i * 0.001, 10)));
    LocateIndex idx(polys);
    std::vector<LonLat> pts;
    for (double x = 9.9805; x < 10.05; x += 0.0007)
        for (double y = 0.3; y < 10; y += 1.7)
            pts.push_back({x, y});
    std::vector<std::uint32_t> batch(pts.size());
    idx.locate(pts, batch);
    int inside = 0;
    for (std::size_t i = 0; i < pts.size(); ++i) {
        std::uint32_t want = brute_force(polys, pts[i]);
        ASSERT_EQ(idx.locate(pts[i]), want) << pts[i].lon << "," << pts[i].lat;
        ASSERT_EQ(batch[i], want);
        inside += want != LocateIndex::none;
    }
    EXPECT_GT(inside, 100);
}

TEST(LocateIndex, BatchMatchesSingle) {
    std::vector<MultiPolygon> sq = {multi(rect(0, 0, 1, 1)), multi(rect(1, 0, 2, 1))};
    LocateIndex idx(sq);
    std::vector<LonLat> pts = {{0.5, 0.5}, {1.5, 0.5}, {3, 3}, {1, 0.2}};
    std::vector<std::uint32_t> out(pts.size());
    idx.locate(pts, out);
    EXPECT_EQ(out, (std::vector<std::uint32_t>{0, 1, LocateIndex::none, 1}));
    EXPECT_GT(idx.memory_bytes(), 0u);
    LocateIndex empty_index(std::span<const MultiPolygon>{});
    EXPECT_EQ(empty_index.locate({0, 0}), LocateIndex::none);
}
