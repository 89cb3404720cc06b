#include "tiles/tile_math.hpp"

#include <gtest/gtest.h>

using namespace tessera::tiles;

TEST(TileMath, WorldTileAndValidity) {
    auto b = tile_bounds({0, 0, 0});
    EXPECT_NEAR(b.min_x, -180, 1e-9);
    EXPECT_NEAR(b.max_x, 180, 1e-9);
    EXPECT_NEAR(b.max_y, 85.0511287798066, 1e-9);
    EXPECT_TRUE(is_valid({3, 7, 7}));
    EXPECT_FALSE(is_valid({3, 8, 0}));
    EXPECT_FALSE(is_valid({25, 0, 0}));
}

TEST(TileMath, LuoheAtZoom12) {
    // Luohe city centre (114.0165, 33.5809) is in z12 tile x=3345: floor((114.0165+180)/360*4096).
    TileId t = tile_at({114.0165, 33.5809}, 12);
    EXPECT_EQ(t.x, 3345u);
    auto b = tile_bounds(t);
    EXPECT_TRUE(b.contains({114.0165, 33.5809}));
}

TEST(TileMath, MercatorRoundTrip) {
    tessera::geo::LonLat p{113.5, 34.0};
    auto m = to_mercator(p);
    EXPECT_NEAR(m.x, 12634762.2050, 1e-3); // cs2cs EPSG:4326 -> EPSG:3857
    auto back = from_mercator(m);
    EXPECT_NEAR(back.lon, p.lon, 1e-12);
    EXPECT_NEAR(back.lat, p.lat, 1e-12);
}
