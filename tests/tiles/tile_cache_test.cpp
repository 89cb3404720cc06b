#include "tiles/tile_cache.hpp"
#include "tiles/tile_geometry.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

using namespace tessera;
using namespace tessera::tiles;

namespace {

std::string gunzip(const std::string& in) {
    z_stream zs{};
    EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
    std::string out(1 << 20, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    inflateEnd(&zs);
    return out;
}

TileKey key(std::string layer, TileId t, std::string variant = {}) {
    return {std::move(layer), t, std::move(variant)};
}

} // namespace

TEST(TileCache, StoresGzipOnceWithAnEtagNamingTheBytes) {
    std::string body(5000, 'a');
    body += "tessera";
    auto t = make_cached_tile(body);
    EXPECT_EQ(t->body, body);
    EXPECT_LT(t->gzip.size(), body.size() / 10);
    EXPECT_EQ(gunzip(t->gzip), body);
    EXPECT_EQ(t->etag, make_cached_tile(body)->etag);
    EXPECT_NE(t->etag, make_cached_tile(body + "!")->etag);
    EXPECT_EQ(t->etag.front(), '"');
    EXPECT_EQ(t->etag.back(), '"');
    // An empty tile is still a valid gzip stream of nothing.
    EXPECT_EQ(gunzip(make_cached_tile("")->gzip), "");
}

TEST(TileCache, FindsWhatItStoredPerLayerAndVariant) {
    TileCache cache(1 << 20);
    auto k = key("grids", {12, 3345, 1636});
    EXPECT_EQ(cache.find(k), nullptr);
    auto t = cache.put(k, make_cached_tile("grid tile"), cache.begin());
    EXPECT_EQ(cache.find(k), t);
    EXPECT_EQ(cache.find(key("grids", {12, 3345, 1636}, "officer")), nullptr);
    EXPECT_EQ(cache.find(key("events", {12, 3345, 1636})), nullptr);
    auto s = cache.stats();
    EXPECT_EQ(s.hits, 1u);
    EXPECT_EQ(s.misses, 3u);
    EXPECT_EQ(s.entries, 1u);
    EXPECT_GT(s.bytes, 0u);
}

TEST(TileCache, EvictsTheLeastRecentlyUsedToStayWithinItsBytes) {
    // Tiles of ~2 kB of incompressible-enough text; room for about four.
    auto tile = [](int i) {
        std::string s;
        for (int j = 0; j < 400; ++j)
            s += std::to_string(i * 7919 + j * 104729 % 9973);
        return make_cached_tile(s);
    };
    // Room for exactly the first four, as the cache counts them.
    TileCache sizing(1 << 20);
    for (std::uint32_t i = 0; i < 4; ++i)
        sizing.put(key("grids", {10, i, 0}), tile(static_cast<int>(i)), sizing.begin());
    TileCache cache(sizing.stats().bytes + 100);
    for (std::uint32_t i = 0; i < 4; ++i)
        cache.put(key("grids", {10, i, 0}), tile(static_cast<int>(i)), cache.begin());
    ASSERT_NE(cache.find(key("grids", {10, 0, 0})), nullptr); // 0 is now the most recent
    for (std::uint32_t i = 4; i < 6; ++i)
        cache.put(key("grids", {10, i, 0}), tile(static_cast<int>(i)), cache.begin());
    auto s = cache.stats();
    EXPECT_LE(s.bytes, s.max_bytes);
    EXPECT_GT(s.evicted, 0u);
    EXPECT_NE(cache.find(key("grids", {10, 0, 0})), nullptr);
    EXPECT_EQ(cache.find(key("grids", {10, 1, 0})), nullptr);
    EXPECT_NE(cache.find(key("grids", {10, 5, 0})), nullptr);
    // A tile larger than the whole cache is served but not kept.
    TileCache tiny(100);
    auto big = tiny.put(key("grids", {0, 0, 0}), tile(9), tiny.begin());
    EXPECT_NE(big, nullptr);
    EXPECT_EQ(tiny.find(key("grids", {0, 0, 0})), nullptr);
}

// At every zoom, the tiles around a changed spot are dropped exactly when their buffered area
// (what the encoder reads for them, TileFrame::query_box) meets the change.
TEST(TileCache, InvalidationDropsExactlyTheTilesTheChangeReaches) {
    TileCache cache(64 << 20);
    geo::LonLat spot{114.01652, 33.58093};
    geo::BBox change;
    change.extend(spot);
    change.extend(geo::LonLat{spot.lon + 0.004, spot.lat + 0.003}); // a grid-sized change
    std::vector<TileKey> keys;
    for (std::uint32_t z = 0; z <= 18; ++z) {
        TileId c = tile_at(spot, z);
        for (int dx = -3; dx <= 3; ++dx)
            for (int dy = -3; dy <= 3; ++dy) {
                TileId t{z, c.x + static_cast<std::uint32_t>(dx),
                         c.y + static_cast<std::uint32_t>(dy)};
                if (!is_valid(t))
                    continue;
                for (const char* variant : {"", "officer-7"}) {
                    keys.push_back(key("grids", t, variant));
                    cache.put(keys.back(), make_cached_tile("x"), cache.begin());
                }
                cache.put(key("events", t), make_cached_tile("y"), cache.begin());
            }
    }
    std::size_t expected = 0;
    for (const auto& k : keys)
        expected += TileFrame(k.tile).query_box().intersects(change);
    ASSERT_GT(expected, 0u);
    ASSERT_LT(expected, keys.size());

    EXPECT_EQ(cache.invalidate("grids", change), expected);
    for (const auto& k : keys) {
        bool reached = TileFrame(k.tile).query_box().intersects(change);
        EXPECT_EQ(cache.find(k) == nullptr, reached)
            << k.tile.z << "/" << k.tile.x << "/" << k.tile.y << " " << k.variant;
        EXPECT_NE(cache.find(key("events", k.tile)), nullptr) << "another layer is untouched";
    }
    EXPECT_EQ(cache.invalidate("grids", geo::BBox{}), 0u) << "an empty box reaches nothing";
}

// A tile built while a change happened may hold the old data: it must not be kept.
TEST(TileCache, RefusesATileBuiltAcrossAnInvalidationThatReachesIt) {
    TileCache cache(1 << 20);
    geo::LonLat spot{114.0165, 33.5809};
    auto here = key("events", tile_at(spot, 14));
    auto far = key("events", tile_at({113.0, 33.0}, 14));

    auto ticket = cache.begin();
    geo::BBox change;
    change.extend(spot);
    cache.invalidate("events", change);
    cache.put(here, make_cached_tile("old"), ticket);
    cache.put(far, make_cached_tile("far"), ticket);
    EXPECT_EQ(cache.find(here), nullptr);
    EXPECT_NE(cache.find(far), nullptr) << "a change elsewhere does not block the tile";

    cache.put(here, make_cached_tile("new"), cache.begin());
    ASSERT_NE(cache.find(here), nullptr);
    EXPECT_EQ(cache.find(here)->body, "new");
    EXPECT_EQ(cache.stats().refused, 1u);
}
