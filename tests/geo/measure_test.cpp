#include "geo/measure.hpp"

#include <gtest/gtest.h>
#include <numbers>

using namespace tessera::geo;

TEST(Measure, EquatorDegreeLength) {
    // One degree of longitude on the WGS84 equator is a * pi / 180 = 111319.4908 m.
    EXPECT_NEAR(distance_m({0, 0}, {1, 0}), 111319.4908, 1e-3);
    EXPECT_NEAR(length_m(LineString{{{0, 0}, {1, 0}, {2, 0}}}), 2 * 111319.4908, 2e-3);
}

TEST(Measure, AreaOfOneDegreeCellAtEquator) {
    // The area of the WGS84 cell lon 0..1, lat 0..1 is 12308778361.47 m^2 (Karney, GeodSolve -p).
    Polygon cell{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}};
    EXPECT_NEAR(area_m2(cell), 12308778361.47, 1.0);
    // Orientation does not matter.
    Polygon cw{{{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}}}};
    EXPECT_NEAR(area_m2(cw), area_m2(cell), 1e-3);
}

TEST(Measure, HolesAreSubtracted) {
    Polygon outer{{{{114, 33}, {114.01, 33}, {114.01, 33.01}, {114, 33.01}, {114, 33}}}};
    Polygon holed = outer;
    holed.rings.push_back({{114.004, 33.004},
                           {114.006, 33.004},
                           {114.006, 33.006},
                           {114.004, 33.006},
                           {114.004, 33.004}});
    Polygon hole{{holed.rings[1]}};
    EXPECT_NEAR(area_m2(holed), area_m2(outer) - area_m2(hole), 1e-6);
    // A 0.01 degree cell near Luohe is about 1.03 km^2.
    EXPECT_GT(area_m2(outer), 1.0e6);
    EXPECT_LT(area_m2(outer), 1.1e6);
    EXPECT_EQ(area_m2(Point{{114, 33}}), 0);
}

TEST(Measure, DestinationInvertsDistance) {
    // Along the equator, due east: 111319.4908 m is one degree of longitude.
    LonLat east = destination({0, 0}, 90, 111319.4908);
    EXPECT_NEAR(east.lon, 1.0, 1e-9);
    EXPECT_NEAR(east.lat, 0.0, 1e-9);
    // Anywhere: the distance back is the distance travelled, and north raises the latitude.
    LonLat from{114.02, 33.58};
    for (double azimuth : {0.0, 45.0, 135.0, 200.0, 315.0}) {
        LonLat to = destination(from, azimuth, 37.5);
        EXPECT_NEAR(distance_m(from, to), 37.5, 1e-6) << azimuth;
    }
    EXPECT_GT(destination(from, 0, 100).lat, from.lat);
    EXPECT_LT(destination(from, 270, 100).lon, from.lon);
}

// A 60° cone of 40 m looking north-east: apex, arc within the heading ±30° at the range,
// counter-clockwise and valid, with the area of a circular sector (π r² · 60/360) to 0.5 %.
TEST(ViewCone, IsTheSectorTheCameraSees) {
    const LonLat apex{114.001, 33.501};
    Polygon cone = view_cone(apex, 45, 60, 40);
    ASSERT_EQ(cone.rings.size(), 1u);
    const Ring& ring = cone.rings[0];
    EXPECT_EQ(ring.front(), apex);
    EXPECT_EQ(ring.back(), apex);
    EXPECT_GE(ring.size(), 2u + 12u + 1u) << "a vertex at least every 5 degrees";
    for (std::size_t i = 1; i + 1 < ring.size(); ++i) {
        EXPECT_NEAR(distance_m(apex, ring[i]), 40, 1e-6);
        EXPECT_GT(ring[i].lon, apex.lon) << "north-east of the camera";
        EXPECT_GT(ring[i].lat, apex.lat);
    }
    const double sector = std::numbers::pi * 40 * 40 / 6;
    EXPECT_NEAR(area_m2(cone), sector, sector * 0.005);
    double signed2 = 0; // shoelace in degrees: positive when counter-clockwise
    for (std::size_t i = 0; i + 1 < ring.size(); ++i)
        signed2 += ring[i].lon * ring[i + 1].lat - ring[i + 1].lon * ring[i].lat;
    EXPECT_GT(signed2, 0);

    // 360° and more: a full circle around the camera, no apex vertex.
    Polygon all = view_cone(apex, 0, 360, 40);
    EXPECT_NE(all.rings[0].front(), apex);
    EXPECT_NEAR(area_m2(all), std::numbers::pi * 40 * 40, std::numbers::pi * 40 * 40 * 0.005);
}

TEST(ViewCone, SaysWhichPointsTheCameraSees) {
    const LonLat apex{114.001, 33.501};
    // Looking north-west (315), 60 degrees wide: the cone spans azimuths 285 to 345, across
    // neither 0 nor 360 but close enough to test the wrap-around.
    auto at = [&](double azimuth, double metres) { return destination(apex, azimuth, metres); };
    EXPECT_TRUE(in_view_cone(apex, 315, 60, 40, at(315, 39.9)));
    EXPECT_TRUE(in_view_cone(apex, 315, 60, 40, at(344.9, 20)));
    EXPECT_FALSE(in_view_cone(apex, 315, 60, 40, at(345.2, 20))) << "beside the cone";
    EXPECT_FALSE(in_view_cone(apex, 315, 60, 40, at(315, 40.1))) << "beyond its range";
    EXPECT_TRUE(in_view_cone(apex, 315, 60, 40, apex));
    // Looking north: azimuths 350..10 straddle north.
    EXPECT_TRUE(in_view_cone(apex, 0, 20, 40, at(355, 30)));
    EXPECT_TRUE(in_view_cone(apex, 0, 20, 40, at(5, 30)));
    EXPECT_FALSE(in_view_cone(apex, 0, 20, 40, at(180, 30)));
    // A 360-degree camera sees all round, to its range.
    EXPECT_TRUE(in_view_cone(apex, 0, 360, 40, at(180, 30)));
    EXPECT_FALSE(in_view_cone(apex, 0, 360, 40, at(180, 41)));
    // Every vertex on the drawn arc is in the cone (to rounding): the test and the drawing agree.
    const Polygon cone = view_cone(apex, 315, 60, 40);
    const Ring& ring = cone.rings[0];
    for (std::size_t i = 1; i + 1 < ring.size(); ++i)
        EXPECT_TRUE(in_view_cone(apex, 315, 60.0001, 40.0001, ring[i]));
}

TEST(GrownBox, HoldsEverythingWithinTheDistance) {
    const BBox box{114.0, 33.5, 114.01, 33.51};
    const BBox grown = grown_by_m(box, 1000);
    // Points 1 km out in every direction from the corners and edges are inside.
    for (LonLat corner : {LonLat{114.0, 33.5}, LonLat{114.01, 33.51}, LonLat{114.0, 33.51}})
        for (double azimuth = 0; azimuth < 360; azimuth += 15)
            EXPECT_TRUE(grown.contains(destination(corner, azimuth, 1000))) << azimuth;
    // And it is not much bigger than it needs to be.
    EXPECT_LT(distance_m({box.min_x, box.min_y}, {grown.min_x, box.min_y}), 1100);
    // Near the pole it stops at 90.
    EXPECT_EQ(grown_by_m(BBox{0, 89.995, 1, 89.999}, 2000).max_y, 90);
}

TEST(Measure, MetresPerDegreeGiveTheLocalPlaneOfTheGeodesic) {
    for (double lat : {0.0, 33.5, 60.0}) {
        const auto scale = metres_per_degree(lat);
        EXPECT_NEAR(scale.lon * 0.001, distance_m({114.0, lat}, {114.001, lat}),
                    scale.lon * 0.001 * 1e-6)
            << lat;
        EXPECT_NEAR(scale.lat * 0.001, distance_m({114.0, lat - 0.0005}, {114.0, lat + 0.0005}),
                    scale.lat * 0.001 * 1e-6)
            << lat;
    }
}
