#include "geo/error.hpp"
#include "geo/geometry.hpp"
#include "geo/wkb.hpp"
#include "tests/support/shapes.hpp"

#include <cmath>
#include <gtest/gtest.h>

using namespace tessera::geo;

using tessera::testing::square;

namespace {
std::span<const std::uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
} // namespace

TEST(Geometry, BBoxAndVertexCount) {
    Geometry g = MultiPolygon{{square(0, 0, 1), square(5, 5, 2)}};
    BBox b = bbox_of(g);
    EXPECT_EQ(b.min_x, 0);
    EXPECT_EQ(b.max_x, 7);
    EXPECT_EQ(b.max_y, 7);
    EXPECT_EQ(vertex_count(g), 10u);
    EXPECT_TRUE(b.contains({3, 3}));
    EXPECT_FALSE(b.contains({8, 3}));
    EXPECT_TRUE(BBox{}.empty());
}

TEST(Geometry, RangeCheckRejectsNaNAndOutOfRange) {
    EXPECT_TRUE(coordinates_in_lonlat_range(Point{{113.9, 33.5}}));
    EXPECT_FALSE(coordinates_in_lonlat_range(Point{{190, 33.5}}));
    EXPECT_FALSE(coordinates_in_lonlat_range(Point{{std::nan(""), 1}}));
}

TEST(Wkb, RoundTripsEveryType) {
    std::vector<Geometry> cases = {
        Point{{113.123456789012, 33.98765432109876}},
        LineString{{{0, 0}, {1, 1}, {2, 0.5}}},
        square(0, 0, 1),
        Polygon{{square(0, 0, 10).rings[0], {{2, 2}, {2, 3}, {3, 3}, {3, 2}, {2, 2}}}},
        MultiPoint{{{1, 2}, {3, 4}}},
        MultiLineString{{LineString{{{0, 0}, {1, 1}}}, LineString{{{2, 2}, {3, 3}}}}},
        MultiPolygon{{square(0, 0, 1), square(2, 2, 1)}},
    };
    for (const auto& g : cases) {
        std::string wkb = to_wkb(g);
        EXPECT_EQ(from_wkb(bytes(wkb)), g) << type_name(type_of(g));
    }
}

TEST(Wkb, ReadsBigEndianAndDropsZ) {
    // Big-endian Point Z (ISO type 1001): x=1, y=2, z=3.
    const std::uint8_t be_point_z[] = {0x00, 0x00, 0x00, 0x03, 0xE9, 0x3F, 0xF0, 0, 0, 0,
                                       0,    0,    0,    0x40, 0x00, 0,    0,    0, 0, 0,
                                       0,    0x40, 0x08, 0,    0,    0,    0,    0, 0};
    Geometry g = from_wkb(be_point_z);
    EXPECT_EQ(g, Geometry(Point{{1, 2}}));
}

TEST(Wkb, RejectsTruncatedAndAbsurdCounts) {
    std::string wkb = to_wkb(square(0, 0, 1));
    for (std::size_t cut : {std::size_t{0}, std::size_t{3}, wkb.size() / 2, wkb.size() - 1})
        EXPECT_THROW(from_wkb(bytes(wkb.substr(0, cut))), tessera::Error) << cut;
    // A LineString claiming 2^31 points in a 13-byte buffer.
    const std::uint8_t absurd[] = {1, 2, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0};
    EXPECT_THROW(from_wkb(absurd), tessera::Error);
    EXPECT_THROW(from_wkb(bytes(wkb + "x")), tessera::Error);
}

TEST(Geometry, OrientRfc7946) {
    Polygon cw{{{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}},
                {{0.2, 0.2}, {0.4, 0.2}, {0.4, 0.4}, {0.2, 0.4}, {0.2, 0.2}}}};
    EXPECT_LT(signed_area(cw.rings[0]), 0);
    EXPECT_GT(signed_area(cw.rings[1]), 0);
    EXPECT_DOUBLE_EQ(planar_area(cw), 0.96); // orientation-independent, hole subtracted
    EXPECT_DOUBLE_EQ(planar_area(MultiPolygon{{cw, square(5, 5, 2)}}), 4.96);
    EXPECT_EQ(planar_area(Point{{1, 1}}), 0);
    Geometry g = cw;
    orient_rfc7946(g);
    const auto& p = std::get<Polygon>(g);
    EXPECT_DOUBLE_EQ(signed_area(p.rings[0]), 1.0);
    EXPECT_DOUBLE_EQ(signed_area(p.rings[1]), -0.04);
    Geometry again = g;
    orient_rfc7946(again);
    EXPECT_EQ(again, g); // idempotent
}
