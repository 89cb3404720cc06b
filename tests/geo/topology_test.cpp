#include "geo/topology.hpp"

#include <gtest/gtest.h>

using namespace tessera::geo;

namespace {

MultiPolygon one(Ring exterior, std::vector<Ring> holes = {}) {
    Polygon p;
    p.rings.push_back(std::move(exterior));
    for (auto& h : holes)
        p.rings.push_back(std::move(h));
    return MultiPolygon{{p}};
}

} // namespace

TEST(Junctions, MarkWhereSharedBoundariesStartEndAndBranch) {
    // Two squares side by side; their shared edge x = 1 has a vertex in the middle.
    MultiPolygon a = one({{0, 0}, {1, 0}, {1, 0.5}, {1, 1}, {0, 1}, {0, 0}});
    MultiPolygon b = one({{1, 0}, {2, 0}, {2, 1}, {1, 1}, {1, 0.5}, {1, 0}});
    std::vector<MultiPolygon> both{a, b};
    auto j = find_junctions(both);
    ASSERT_EQ(j.size(), 2u);
    ASSERT_EQ(j[0].size(), 6u) << "one flag per vertex, the closing one included";
    // a: (0,0) no, (1,0) yes, (1,0.5) no (shared, same neighbours both ways), (1,1) yes, (0,1) no.
    EXPECT_EQ(j[0], (std::vector<bool>{false, true, false, true, false, false}));
    EXPECT_EQ(j[1], (std::vector<bool>{true, false, false, true, false, true}));

    // A third square on top of both: (1,1) now joins three rings; (0,1) and (2,1) end the
    // shared top boundaries.
    MultiPolygon c = one({{0, 1}, {1, 1}, {2, 1}, {2, 2}, {0, 2}, {0, 1}});
    std::vector<MultiPolygon> three{a, b, c};
    auto k = find_junctions(three);
    EXPECT_TRUE(k[0][3]) << "(1,1)";
    EXPECT_TRUE(k[0][4]) << "(0,1): the top boundary of a ends here";
    EXPECT_TRUE(k[2][1]) << "(1,1) in c, where c passes straight on";
    EXPECT_TRUE(k[2][0] && k[2][2]);
    EXPECT_FALSE(k[2][3] || k[2][4]) << "c's own top corners";
}

TEST(Junctions, ARingSharedAllRoundHasNone) {
    // A square with a hole, and an island that fills the hole exactly.
    Ring hole{{1, 1}, {1, 2}, {2, 2}, {2, 1}, {1, 1}};
    Ring island{{1, 1}, {2, 1}, {2, 2}, {1, 2}, {1, 1}};
    std::vector<MultiPolygon> polys{one({{0, 0}, {3, 0}, {3, 3}, {0, 3}, {0, 0}}, {hole}),
                                    one(island)};
    auto j = find_junctions(polys);
    ASSERT_EQ(j[0].size(), 10u);
    for (bool f : j[0])
        EXPECT_FALSE(f);
    for (bool f : j[1])
        EXPECT_FALSE(f);
}

TEST(Junctions, PointsThatMerelyTouchAreJunctions) {
    // Two squares touching at a corner only; and two triangles touching at (0, 5), written -0
    // in one and +0 in the other, which are the same point.
    std::vector<MultiPolygon> polys{one({{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}),
                                    one({{1, 1}, {2, 1}, {2, 2}, {1, 2}, {1, 1}}),
                                    one({{-0.0, 5}, {1, 5}, {1, 6}, {-0.0, 5}}),
                                    one({{0.0, 5}, {-1, 4}, {0, 4}, {0.0, 5}})};
    auto j = find_junctions(polys);
    EXPECT_TRUE(j[0][2]);
    EXPECT_TRUE(j[1][0] && j[1][4]);
    EXPECT_FALSE(j[0][0]);
    EXPECT_TRUE(j[2][0] && j[3][0]) << "-0 and +0 are one point";
    EXPECT_FALSE(j[2][1] || j[3][1]);
}
