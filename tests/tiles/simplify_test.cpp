#include "geo/topology.hpp"
#include "tiles/mvt.hpp"
#include "tiles/simplify.hpp"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <numbers>

using namespace tessera;
using namespace tessera::tiles;

namespace {

// An n x n tiling of a square whose inner edges wiggle: each inner edge has `m` - 1 vertices
// between its corners, a few metres off the straight line, the same ones in both cells that
// share it. The outer boundary is straight.
struct WigglyTiling {
    static constexpr int n = 12, m = 24;
    static constexpr double x0 = 113.9, y0 = 33.5, size = 0.2, step = size / n;
    std::vector<geo::MultiPolygon> cells;
    geo::MultiPolygon whole;

    static geo::LonLat corner(int i, int j) {
        bool outer = i == 0 || j == 0 || i == n || j == n;
        double jx = outer ? 0 : 0.25 * std::sin(i * 12.9898 + j * 78.233);
        double jy = outer ? 0 : 0.25 * std::cos(i * 39.3467 + j * 11.135);
        return {x0 + (i + jx) * step, y0 + (j + jy) * step};
    }
    // The vertices from corner a to corner b, both included, wiggling unless on the outside.
    static geo::Ring edge(int ai, int aj, int bi, int bj) {
        geo::LonLat a = corner(ai, aj), b = corner(bi, bj);
        bool outer = (ai == bi && (ai == 0 || ai == n)) || (aj == bj && (aj == 0 || aj == n));
        // Generate from the smaller corner, so both cells get bit-identical vertices.
        bool flip = std::pair{ai, aj} > std::pair{bi, bj};
        if (flip)
            std::swap(a, b);
        const int phase = flip ? bi + 3 * bj + 7 * ai + 11 * aj : ai + 3 * aj + 7 * bi + 11 * bj;
        geo::Ring out{a};
        if (!outer)
            for (int k = 1; k < m; ++k) {
                double t = double(k) / m;
                double wiggle = 0.00003 * std::sin(k * 2.1 + phase);
                // Perpendicular to the edge (roughly: the edges run near x or near y).
                bool horizontal = aj == bj;
                out.push_back({a.lon + (b.lon - a.lon) * t + (horizontal ? 0 : wiggle),
                               a.lat + (b.lat - a.lat) * t + (horizontal ? wiggle : 0)});
            }
        out.push_back(b);
        if (flip)
            std::reverse(out.begin(), out.end());
        return out;
    }

    WigglyTiling() {
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j) {
                geo::Ring ring;
                for (auto [a, b] : {std::pair{std::pair{i, j}, std::pair{i + 1, j}},
                                    {{i + 1, j}, {i + 1, j + 1}},
                                    {{i + 1, j + 1}, {i, j + 1}},
                                    {{i, j + 1}, {i, j}}}) {
                    geo::Ring e = edge(a.first, a.second, b.first, b.second);
                    ring.insert(ring.end(), e.begin(), e.end() - 1);
                }
                ring.push_back(ring.front());
                cells.push_back(geo::MultiPolygon{{geo::Polygon{{ring}}}});
            }
        // The square's outline through every cell corner on it, as the cells have them.
        geo::Ring outline;
        for (int i = 0; i < n; ++i)
            outline.push_back(corner(i, 0));
        for (int j = 0; j < n; ++j)
            outline.push_back(corner(n, j));
        for (int i = n; i > 0; --i)
            outline.push_back(corner(i, n));
        for (int j = n; j > 0; --j)
            outline.push_back(corner(0, j));
        outline.push_back(outline.front());
        whole = geo::MultiPolygon{{geo::Polygon{{outline}}}};
    }

    // The outline's junctions are the cells' junctions at the same points: the simplified outline
    // is what the cells' outer stretches become.
    std::vector<bool>
    outline_junctions(const std::vector<std::vector<bool>>& cell_junctions) const {
        std::vector<bool> out;
        for (const auto& p : whole.polygons[0].rings[0]) {
            bool junction = false;
            for (std::size_t c = 0; c < cells.size(); ++c) {
                const geo::Ring& r = cells[c].polygons[0].rings[0];
                auto it = std::find(r.begin(), r.end(), p);
                if (it != r.end())
                    junction =
                        junction || cell_junctions[c][static_cast<std::size_t>(it - r.begin())];
            }
            out.push_back(junction);
        }
        return out;
    }
};

std::int64_t area2(const EncodedGeometry& g) {
    std::int64_t sum = 0;
    for (const auto& part : decode_geometry(g.type, g.commands).parts)
        sum += ring_area2(part);
    return sum;
}

std::size_t vertices(const geo::MultiPolygon& mp) {
    std::size_t n = 0;
    for (const auto& p : mp.polygons)
        for (const auto& r : p.rings)
            n += r.size();
    return n;
}

} // namespace

// The simplified tiling at every zoom: the cells' areas in tile units (exact integers after
// snapping) add up to the area of the square they tile, its outline simplified the same way. A
// gap or a sliver between two cells whose shared edge came out differently would break the sum.
TEST(Simplify, KeepsATilingSeamlessAtEveryZoom) {
    WigglyTiling t;
    auto junctions = geo::find_junctions(t.cells);
    const std::vector<bool> outline = t.outline_junctions(junctions);
    EXPECT_EQ(std::count(outline.begin(), outline.end(), true), 4 * (WigglyTiling::n - 1))
        << "where inner edges reach the outline; not the square's own corners";
    std::size_t original = 0;
    for (const auto& c : t.cells)
        original += vertices(c);
    bool simplified_somewhere = false;
    const geo::LonLat middle = WigglyTiling::corner(WigglyTiling::n / 2, WigglyTiling::n / 2);
    for (geo::LonLat at : {middle, geo::LonLat{WigglyTiling::x0 + 1e-7, WigglyTiling::y0 + 1e-7}})
        for (std::uint32_t z = 0; z <= max_zoom; ++z) {
            TileFrame frame(tile_at(at, z));
            const double tolerance = simplify_tolerance_m(frame);
            std::int64_t sum = 0;
            std::size_t kept = 0;
            for (std::size_t i = 0; i < t.cells.size(); ++i) {
                geo::MultiPolygon s = simplify(t.cells[i], junctions[i], tolerance);
                kept += vertices(s);
                sum += area2(encode_geometry(frame, s));
            }
            EXPECT_EQ(sum, area2(encode_geometry(frame, simplify(t.whole, outline, tolerance))))
                << "zoom " << z;
            if (kept < original / 2)
                simplified_somewhere = true;
            if (z >= full_detail_zoom) {
                EXPECT_EQ(kept, original) << "full detail from zoom " << full_detail_zoom;
            }
        }
    EXPECT_TRUE(simplified_somewhere) << "the wiggles are below a low zoom's tolerance";
}

TEST(Simplify, KeepsJunctionsAndOriginalVerticesAndSharedStretchesAlike) {
    WigglyTiling t;
    auto junctions = geo::find_junctions(t.cells);
    // Cells 0 and 1 are (0,0) and (0,1): they share the edge from corner (0,1) to (1,1).
    for (double tolerance : {0.5, 2.0, 5.0, 50.0}) {
        geo::Ring a = simplify(t.cells[0], junctions[0], tolerance).polygons[0].rings[0];
        geo::Ring b = simplify(t.cells[1], junctions[1], tolerance).polygons[0].rings[0];
        auto on_edge = [&](const geo::Ring& r) {
            geo::Ring e = WigglyTiling::edge(0, 1, 1, 1);
            std::vector<geo::LonLat> out;
            for (const auto& p : r)
                if (std::find(e.begin(), e.end(), p) != e.end())
                    out.push_back(p);
            std::sort(out.begin(), out.end(), [](auto p, auto q) { return p.lon < q.lon; });
            out.erase(std::unique(out.begin(), out.end()), out.end());
            return out;
        };
        EXPECT_EQ(on_edge(a), on_edge(b)) << "tolerance " << tolerance;
        // Every vertex kept is one of the cell's own, and its corners (junctions) all stay.
        const geo::Ring& original = t.cells[0].polygons[0].rings[0];
        for (const auto& p : a)
            EXPECT_NE(std::find(original.begin(), original.end(), p), original.end());
        for (auto [i, j] : {std::pair{0, 0}, {1, 0}, {1, 1}, {0, 1}})
            EXPECT_NE(std::find(a.begin(), a.end(), WigglyTiling::corner(i, j)), a.end());
    }
    // A large tolerance leaves the corners only; none leaves the cell as it was.
    EXPECT_EQ(simplify(t.cells[5], junctions[5], 1e6).polygons[0].rings[0].size(), 5u);
    EXPECT_EQ(simplify(t.cells[5], junctions[5], 0), t.cells[5]);
}

TEST(Simplify, ARingWithoutJunctionsKeepsItsShape) {
    // A lone circle-like ring: no junctions at all. It keeps enough vertices to stay a polygon
    // and comes out the same whichever vertex it starts at.
    geo::Ring ring;
    for (int k = 0; k < 64; ++k)
        ring.push_back({114 + 0.01 * std::cos(k * std::numbers::pi / 32),
                        33.5 + 0.01 * std::sin(k * std::numbers::pi / 32)});
    ring.push_back(ring.front());
    geo::Ring rotated(ring.begin() + 20, ring.end() - 1);
    rotated.insert(rotated.end(), ring.begin(), ring.begin() + 20);
    rotated.push_back(rotated.front());
    std::vector<bool> none(ring.size(), false);
    auto a = simplify(geo::MultiPolygon{{geo::Polygon{{ring}}}}, none, 30).polygons[0].rings[0];
    auto b = simplify(geo::MultiPolygon{{geo::Polygon{{rotated}}}}, none, 30).polygons[0].rings[0];
    EXPECT_GE(a.size(), 5u);
    EXPECT_LT(a.size(), ring.size());
    std::sort(a.begin(), a.end() - 1,
              [](auto p, auto q) { return p.lon < q.lon || (p.lon == q.lon && p.lat < q.lat); });
    std::sort(b.begin(), b.end() - 1,
              [](auto p, auto q) { return p.lon < q.lon || (p.lon == q.lon && p.lat < q.lat); });
    EXPECT_TRUE(std::equal(a.begin(), a.end() - 1, b.begin(), b.end() - 1));
}

// A symmetric bump on a shared edge: its two vertices are exactly as far from the edge's chord,
// so Douglas-Peucker keeps whichever it meets first. Both neighbours must meet the same one.
TEST(Simplify, BothNeighboursWalkASharedStretchTheSameWayRound) {
    const double x = 114, y = 33.5, d = 0.01;
    const geo::LonLat a{x + d, y}, p1{x + d + 0.0001, y + 0.003}, p2{x + d + 0.0001, y + 0.007},
        b{x + d, y + d};
    std::vector<geo::MultiPolygon> cells{
        geo::MultiPolygon{{geo::Polygon{{{{x, y}, a, p1, p2, b, {x, y + d}, {x, y}}}}}},
        geo::MultiPolygon{{geo::Polygon{{{a, {x + 2 * d, y}, {x + 2 * d, y + d}, b, p2, p1, a}}}}}};
    auto junctions = geo::find_junctions(cells);
    // p1 and p2 are 11 m off the chord a-b; once one is kept, the other is about 6 m off it.
    for (double tolerance : {7.0, 8.0}) {
        geo::Ring left = simplify(cells[0], junctions[0], tolerance).polygons[0].rings[0];
        geo::Ring right = simplify(cells[1], junctions[1], tolerance).polygons[0].rings[0];
        auto keeps = [](const geo::Ring& r, geo::LonLat p) {
            return std::find(r.begin(), r.end(), p) != r.end();
        };
        EXPECT_NE(keeps(left, p1), keeps(left, p2)) << "one bump vertex stays";
        EXPECT_EQ(keeps(left, p1), keeps(right, p1));
        EXPECT_EQ(keeps(left, p2), keeps(right, p2));
    }
}
