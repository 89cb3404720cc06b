#include "geo/error.hpp"
#include "geo/ops.hpp"
#include "tests/support/shapes.hpp"

#include <gtest/gtest.h>
#include <utility>

using namespace tessera;
using namespace tessera::geo;

using tessera::testing::multi;
using tessera::testing::rect;

namespace {

// Planar shoelace area of a MultiPolygon (exterior minus holes), independent of GEOS.
double area(const MultiPolygon& mp) {
    return planar_area(mp);
}

// A square 0..4 with a square hole 1..3.
Polygon holed_square() {
    Polygon p = rect(0, 0, 4, 4);
    p.rings.push_back(rect(1, 1, 3, 3).rings[0]);
    return p;
}

// A "C" open to the east: its centroid lies in the opening, outside the polygon.
Polygon c_shape() {
    return Polygon{{{{0, 0}, {3, 0}, {3, 1}, {1, 1}, {1, 2}, {3, 2}, {3, 3}, {0, 3}, {0, 0}}}};
}

} // namespace

TEST(Ops, CoversCountsBoundaryAndRespectsHoles) {
    Geometry g = holed_square();
    EXPECT_TRUE(covers(g, {0.5, 0.5}));
    EXPECT_TRUE(covers(g, {0, 2}));       // on the exterior ring
    EXPECT_TRUE(covers(g, {1, 2}));       // on the hole's ring
    EXPECT_FALSE(covers(g, {2, 2}));      // inside the hole
    EXPECT_FALSE(covers(g, {5, 2}));      // outside
    EXPECT_FALSE(covers(g, {-1e-12, 2})); // just outside
    Geometry two = MultiPolygon{{rect(0, 0, 1, 1), rect(2, 0, 3, 1)}};
    EXPECT_TRUE(covers(two, {2.5, 0.5}));
    EXPECT_FALSE(covers(two, {1.5, 0.5}));
}

TEST(Ops, CoversRejectsNonPolygonal) {
    try {
        covers(LineString{{{0, 0}, {1, 1}}}, {0.5, 0.5});
        FAIL() << "expected an exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::invalid_geometry);
        EXPECT_NE(std::string(e.what()).find("LineString"), std::string::npos) << e.what();
    }
}

TEST(Ops, PointOnSurfaceIsInsideWhereCentroidIsNot) {
    Geometry c = c_shape();
    LonLat mid = centroid(c);
    EXPECT_FALSE(covers(c, mid)) << mid.lon << " " << mid.lat;
    LonLat inner = point_on_surface(c);
    EXPECT_TRUE(covers(c, inner));
    // Strictly inside: not on any edge of the C.
    EXPECT_TRUE(PreparedArea(c).contains(Point{inner}));

    Geometry holed = holed_square();
    LonLat h = point_on_surface(holed);
    EXPECT_TRUE(PreparedArea(holed).contains(Point{h})); // interior: not on the hole's ring
}

TEST(Ops, CentroidOfSquareAndOfLine) {
    LonLat c = centroid(Geometry{rect(2, 4, 6, 8)});
    EXPECT_DOUBLE_EQ(c.lon, 4);
    EXPECT_DOUBLE_EQ(c.lat, 6);
    LonLat l = centroid(Geometry{LineString{{{0, 0}, {10, 0}}}});
    EXPECT_DOUBLE_EQ(l.lon, 5);
    EXPECT_DOUBLE_EQ(l.lat, 0);
}

TEST(Ops, EmptyGeometryHasNoInteriorPointOrCentroid) {
    Geometry empty = MultiPolygon{};
    EXPECT_THROW(point_on_surface(empty), Error);
    EXPECT_THROW(centroid(empty), Error);
}

TEST(Ops, IntersectionOfPolygonsIsMultiPolygon) {
    Geometry a = rect(0, 0, 2, 2);
    Geometry b = rect(1, 1, 3, 3);
    Geometry i = intersection(a, b);
    ASSERT_TRUE(std::holds_alternative<MultiPolygon>(i));
    EXPECT_DOUBLE_EQ(area(std::get<MultiPolygon>(i)), 1.0);

    // Touching along an edge: the shared edge is dropped, the result is an empty MultiPolygon.
    Geometry touching = intersection(a, Geometry{rect(2, 0, 3, 2)});
    ASSERT_TRUE(std::holds_alternative<MultiPolygon>(touching));
    EXPECT_TRUE(std::get<MultiPolygon>(touching).polygons.empty());

    // Disjoint.
    Geometry none = intersection(a, Geometry{rect(5, 5, 6, 6)});
    ASSERT_TRUE(std::holds_alternative<MultiPolygon>(none));
    EXPECT_TRUE(std::get<MultiPolygon>(none).polygons.empty());
}

TEST(Ops, IntersectionWithLineIsMultiLineString) {
    Geometry line = LineString{{{-1, 1}, {5, 1}}};
    Geometry i = intersection(Geometry{holed_square()}, line);
    ASSERT_TRUE(std::holds_alternative<MultiLineString>(i));
    // The line y=1 runs along the hole's bottom edge: covered from x=0 to x=4.
    double length = 0;
    for (const auto& l : std::get<MultiLineString>(i).lines)
        for (std::size_t k = 0; k + 1 < l.points.size(); ++k)
            length += std::abs(l.points[k + 1].lon - l.points[k].lon);
    EXPECT_DOUBLE_EQ(length, 4.0);

    Geometry crossing = LineString{{{-1, 2}, {5, 2}}};
    Geometry j = intersection(crossing, Geometry{holed_square()});
    ASSERT_TRUE(std::holds_alternative<MultiLineString>(j));
    EXPECT_EQ(std::get<MultiLineString>(j).lines.size(), 2u); // split by the hole
}

TEST(Ops, DifferenceKeepsDimensionOfFirst) {
    Geometry a = rect(0, 0, 4, 4);
    Geometry d = difference(a, Geometry{rect(1, 1, 3, 3)});
    ASSERT_TRUE(std::holds_alternative<MultiPolygon>(d));
    const auto& mp = std::get<MultiPolygon>(d);
    ASSERT_EQ(mp.polygons.size(), 1u);
    EXPECT_EQ(mp.polygons[0].rings.size(), 2u); // a hole
    EXPECT_DOUBLE_EQ(area(mp), 12.0);

    // Removing everything gives an empty MultiPolygon, not an error.
    Geometry gone = difference(Geometry{rect(1, 1, 2, 2)}, a);
    ASSERT_TRUE(std::holds_alternative<MultiPolygon>(gone));
    EXPECT_TRUE(std::get<MultiPolygon>(gone).polygons.empty());

    Geometry points = MultiPoint{{{0.5, 0.5}, {5, 5}}};
    Geometry outside = difference(points, a);
    ASSERT_TRUE(std::holds_alternative<MultiPoint>(outside));
    EXPECT_EQ(std::get<MultiPoint>(outside).points, (std::vector<LonLat>{{5, 5}}));
}

TEST(Ops, UnaryUnionDissolvesOverlaps) {
    std::vector<MultiPolygon> parts{multi(rect(0, 0, 2, 2)), multi(rect(1, 1, 3, 3)),
                                    MultiPolygon{}, multi(rect(10, 10, 11, 11))};
    MultiPolygon u = unary_union(parts);
    EXPECT_EQ(u.polygons.size(), 2u);
    EXPECT_NEAR(area(u), 4 + 4 - 1 + 1, 1e-12);
    EXPECT_TRUE(unary_union(std::span<const MultiPolygon>{}).polygons.empty());
}

TEST(Ops, CheckCoverageOfExactTiling) {
    MultiPolygon region = multi(rect(0, 0, 2, 2));
    std::vector<MultiPolygon> tiles{multi(rect(0, 0, 1, 1)), multi(rect(1, 0, 2, 1)),
                                    multi(rect(0, 1, 1, 2)), multi(rect(1, 1, 2, 2))};
    CoverageCheck ok = check_coverage(tiles, region);
    EXPECT_NEAR(ok.overlap_area, 0, 1e-12);
    EXPECT_NEAR(ok.gap_area, 0, 1e-12);
    EXPECT_NEAR(ok.outside_area, 0, 1e-12);
}

TEST(Ops, CheckCoverageMeasuresGapsOverlapsAndOutside) {
    MultiPolygon region = multi(rect(0, 0, 2, 2));
    // The first tile is 0.25 too wide (overlaps the second by 0.25 x 1); the last tile is
    // missing (gap of 1); the second sticks 0.5 x 1 out of the region.
    std::vector<MultiPolygon> tiles{multi(rect(0, 0, 1.25, 1)), multi(rect(1, 0, 2.5, 1)),
                                    multi(rect(0, 1, 1, 2))};
    CoverageCheck c = check_coverage(tiles, region);
    EXPECT_NEAR(c.overlap_area, 0.25, 1e-12);
    EXPECT_NEAR(c.gap_area, 1.0, 1e-12);
    EXPECT_NEAR(c.outside_area, 0.5, 1e-12);

    CoverageCheck nothing = check_coverage({}, region);
    EXPECT_EQ(nothing.overlap_area, 0);
    EXPECT_NEAR(nothing.gap_area, 4.0, 1e-12);
    EXPECT_EQ(nothing.outside_area, 0);
}

TEST(Ops, PreparedAreaPredicates) {
    PreparedArea area(Geometry{holed_square()});
    EXPECT_TRUE(area.covers({0.5, 0.5}));
    EXPECT_TRUE(area.covers({4, 4}));  // corner
    EXPECT_TRUE(area.covers({3, 2}));  // on the hole's ring
    EXPECT_FALSE(area.covers({2, 2})); // in the hole
    EXPECT_FALSE(area.covers({4.5, 2}));

    EXPECT_TRUE(area.contains(Geometry{rect(0, 0, 1, 1)}));              // shares two edges
    EXPECT_FALSE(area.contains(Geometry{rect(0, 0, 2, 1.5)}));           // reaches into the hole
    EXPECT_FALSE(area.contains(Geometry{LineString{{{0, 0}, {4, 0}}}})); // boundary only
    EXPECT_TRUE(area.contains(Geometry{holed_square()}));                // equal

    EXPECT_TRUE(area.intersects(Geometry{rect(4, 4, 5, 5)}));          // touches a corner
    EXPECT_FALSE(area.intersects(Geometry{rect(1.5, 1.5, 2.5, 2.5)})); // inside the hole
    EXPECT_FALSE(area.intersects(Geometry{Point{{10, 10}}}));
}

TEST(Ops, PreparedAreaMoves) {
    PreparedArea a(Geometry{rect(0, 0, 1, 1)});
    PreparedArea b = std::move(a);
    EXPECT_TRUE(b.covers({0.5, 0.5}));
    PreparedArea c(Geometry{rect(5, 5, 6, 6)});
    c = std::move(b);
    EXPECT_TRUE(c.covers({0.5, 0.5}));
    EXPECT_FALSE(c.covers({5.5, 5.5}));
    EXPECT_THROW(PreparedArea(Geometry{Point{{0, 0}}}), Error);
}
