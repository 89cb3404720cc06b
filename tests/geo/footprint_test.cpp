#include "geo/error.hpp"
#include "geo/footprint.hpp"
#include "geo/measure.hpp"
#include "geo/ops.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <numbers>
#include <vector>

using namespace tessera::geo;
namespace {

const LonLat origin{114.0, 33.5}; // near Luohe

// The point x metres east and y metres north of the origin (geodesic).
LonLat at(double x, double y) {
    return destination(destination(origin, 90, x), 0, y);
}

// A rectangle from (x0, y0) to (x1, y1), metres from the origin.
MultiPolygon rect_m(double x0, double y0, double x1, double y1) {
    const LonLat a = at(x0, y0), b = at(x1, y1);
    return MultiPolygon{{Polygon{{{a, {b.lon, a.lat}, b, {a.lon, b.lat}, a}}}}};
}

TEST(Swath, AStraightPathSweepsItsLengthTimesTheWidthWithFlatEnds) {
    const std::vector<LonLat> path{at(0, 0), at(500, 0), at(1000, 0)};
    const MultiPolygon strip = swath(path, 80);
    ASSERT_EQ(strip.polygons.size(), 1u);
    EXPECT_NEAR(area_m2(strip), 1000.0 * 80, 1000.0 * 80 * 0.002);
    EXPECT_TRUE(covers(strip, at(500, 39)));
    EXPECT_TRUE(covers(strip, at(10, -39)));
    EXPECT_FALSE(covers(strip, at(500, 41)));
    EXPECT_FALSE(covers(strip, at(-2, 0))) << "nothing is claimed before the first point";
    EXPECT_FALSE(covers(strip, at(1002, 0))) << "nor after the last";
}

TEST(Swath, ATurnAddsARoundedCornerOutsideAndOverlapsInside) {
    // 500 m east, then 500 m north. Outside the corner a quarter disc of radius w/2 is added;
    // inside it the two strips share a (w/2)^2 square.
    const double w = 80, r = w / 2;
    const std::vector<LonLat> path{at(0, 0), at(500, 0), at(500, 500)};
    const double expected = w * 1000 - r * r + std::numbers::pi * r * r / 4;
    EXPECT_NEAR(area_m2(swath(path, w)), expected, expected * 0.003);
    EXPECT_TRUE(covers(swath(path, w), at(500 + r * 0.6, -r * 0.6))) << "the rounded corner";
    EXPECT_FALSE(covers(swath(path, w), at(500 + r * 0.9, -r * 0.9)));
}

TEST(Swath, NeedsTwoDistinctPointsAndAPositiveWidth) {
    EXPECT_TRUE(swath(std::vector<LonLat>{}, 80).polygons.empty());
    EXPECT_TRUE(swath(std::vector<LonLat>{at(0, 0), at(0, 0)}, 80).polygons.empty());
    const std::vector<LonLat> path{at(0, 0), at(100, 0)};
    EXPECT_THROW(swath(path, 0), tessera::Error);
    EXPECT_THROW(swath(path, std::nan("")), tessera::Error);
    EXPECT_THROW(swath(std::vector<LonLat>{at(0, 0), {std::nan(""), 33.5}}, 80), tessera::Error);
}

TEST(CoveredBy, HalfASquareCoveredLeavesTheOtherHalfAsOnePiece) {
    const MultiPolygon square = rect_m(0, 0, 100, 100);
    const std::vector<MultiPolygon> views{rect_m(-20, -20, 50, 120)};
    const Covered c = covered_by(square, views, 1);
    EXPECT_NEAR(c.area_m2, 10'000, 1);
    EXPECT_NEAR(c.covered_m2, 5'000, 1);
    EXPECT_NEAR(c.share(), 0.5, 1e-3);
    ASSERT_EQ(c.uncovered.polygons.size(), 1u);
    EXPECT_NEAR(area_m2(c.uncovered), 5'000, 1);
    EXPECT_TRUE(covers(c.uncovered, at(75, 50)));
}

TEST(CoveredBy, OverlappingViewsCountOnceAndSmallPiecesAreLeftOut) {
    const MultiPolygon square = rect_m(0, 0, 100, 100);
    // Two views overlapping by 20 m leave a 10 m strip and a 0.2 m sliver uncovered.
    const std::vector<MultiPolygon> views{rect_m(-1, -1, 60, 101), rect_m(40, -1, 80, 101),
                                          rect_m(90, -1, 99.8, 101)};
    const Covered c = covered_by(square, views, 50);
    EXPECT_NEAR(c.covered_m2, 10'000 - 1'000 - 20, 1);
    ASSERT_EQ(c.uncovered.polygons.size(), 1u) << "the 20 m2 sliver is below the minimum";
    EXPECT_NEAR(area_m2(c.uncovered), 1'000, 1);
}

TEST(CoveredBy, NoViewsLeaveTheWholeAreaUncovered) {
    const MultiPolygon square = rect_m(0, 0, 100, 100);
    const Covered c = covered_by(square, {}, 1);
    EXPECT_EQ(c.covered_m2, 0);
    EXPECT_EQ(c.share(), 0);
    EXPECT_EQ(c.uncovered, square);
    EXPECT_EQ(covered_by(MultiPolygon{}, std::vector<MultiPolygon>{square}, 1).share(), 0);
}

} // namespace
