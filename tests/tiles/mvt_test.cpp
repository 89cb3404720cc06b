// The MVT writer and reader against the mapbox/mvt-fixtures suite (tests/fixtures/mvt), and the
// geometry pipeline (projection, clipping, snapping, orientation) on hand-made shapes.
#include "geo/error.hpp"
#include "tiles/mvt.hpp"
#include "tiles/tile_geometry.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace tessera;
using namespace tessera::tiles;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

struct Fixture {
    std::string id;
    json info, tile;
    std::string mvt;
};

std::vector<Fixture> fixtures() {
    std::vector<Fixture> out;
    for (const auto& dir : fs::directory_iterator(fs::path(TESSERA_FIXTURES) / "mvt")) {
        if (!dir.is_directory())
            continue;
        out.push_back({dir.path().filename().string(), json::parse(slurp(dir.path() / "info.json")),
                       json::parse(slurp(dir.path() / "tile.json")),
                       slurp(dir.path() / "tile.mvt")});
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
    return out;
}

Value value_of(const json& v) {
    using K = Value::Kind;
    if (v.contains("string_value")) // fixture 076 writes "613" as a JSON number
        return Value::of(v["string_value"].is_string() ? v["string_value"].get<std::string>()
                                                       : v["string_value"].dump());
    if (v.contains("float_value"))
        return {K::float_, {}, static_cast<double>(v["float_value"].get<float>()), 0, 0, false};
    if (v.contains("double_value"))
        return {K::double_, {}, v["double_value"].get<double>(), 0, 0, false};
    if (v.contains("int_value"))
        return {K::int_, {}, 0, v["int_value"].get<std::int64_t>(), 0, false};
    if (v.contains("uint_value"))
        return {K::uint_, {}, 0, 0, v["uint_value"].get<std::uint64_t>(), false};
    if (v.contains("sint_value"))
        return {K::sint_, {}, 0, v["sint_value"].get<std::int64_t>(), 0, false};
    return {K::bool_, {}, 0, 0, 0, v.at("bool_value").get<bool>()};
}

// The fixture's tile.json, written with our LayerWriter.
std::vector<LayerWriter> layers_of(const json& tile) {
    std::vector<LayerWriter> out;
    for (const auto& l : tile.value("layers", json::array())) {
        LayerWriter w(l["name"].get<std::string>(), l.value("extent", 4096u));
        std::vector<std::string> keys = l.value("keys", std::vector<std::string>{});
        std::vector<Value> values;
        for (const auto& v : l.value("values", json::array()))
            values.push_back(value_of(v));
        for (const auto& f : l.value("features", json::array())) {
            std::vector<PropertyRef> props;
            std::vector<std::uint32_t> tags = f.value("tags", std::vector<std::uint32_t>{});
            for (std::size_t i = 0; i + 1 < tags.size(); i += 2)
                props.push_back({keys.at(tags[i]), values.at(tags[i + 1])});
            std::optional<std::uint64_t> id;
            if (f.contains("id"))
                id = f["id"].get<std::uint64_t>();
            std::vector<std::uint32_t> geometry = f["geometry"];
            w.add(id, static_cast<GeomType>(f["type"].get<std::uint32_t>()), geometry, props);
        }
        out.push_back(std::move(w));
    }
    return out;
}

// What a decoded tile says, in a form two decodings can be compared by.
std::string describe(const std::vector<LayerData>& layers) {
    json out = json::array();
    for (const auto& l : layers) {
        json jl{{"name", l.name}, {"extent", l.extent}, {"features", json::array()}};
        for (const auto& f : l.features) {
            json props = json::array();
            for (const auto& [k, v] : f.properties)
                props.push_back({k, static_cast<int>(v.kind), v.string, v.real, v.integer,
                                 v.uinteger, v.boolean});
            jl["features"].push_back({{"id", f.id ? json(*f.id) : json()},
                                      {"type", static_cast<int>(f.type)},
                                      {"geometry", f.geometry},
                                      {"properties", props}});
        }
        out.push_back(jl);
    }
    return out.dump();
}

// Fixtures the suite marks valid that the reader rejects, with why.
const std::map<std::string, std::string> rejected_though_valid = {
    {"057", "its MoveTo promises 536,870,911 points and carries one; the reader refuses a "
            "command count beyond the geometry rather than read past it"},
};

bool valid_v2(const Fixture& f) {
    return f.info["validity"]["v2"].get<bool>() && !rejected_though_valid.contains(f.id);
}

} // namespace

TEST(MvtFixtures, EveryValidFixtureDecodesToItsJson) {
    auto all = fixtures();
    ASSERT_EQ(all.size(), 74u) << "tests/fixtures/mvt holds the 74 fixtures";
    int checked = 0;
    for (const auto& f : all) {
        if (!valid_v2(f))
            continue;
        SCOPED_TRACE("fixture " + f.id + ": " + f.info["description"].get<std::string>());
        std::vector<LayerData> decoded;
        ASSERT_NO_THROW(decoded = decode_tile(f.mvt));
        ASSERT_EQ(decoded.size(), f.tile.value("layers", json::array()).size());
        for (std::size_t i = 0; i < decoded.size(); ++i) {
            const json want = f.tile.value("layers", json::array())[i];
            const json want_features = want.value("features", json::array());
            EXPECT_EQ(decoded[i].name, want["name"].get<std::string>());
            EXPECT_EQ(decoded[i].extent, want.value("extent", 4096u));
            ASSERT_EQ(decoded[i].features.size(), want_features.size());
            for (std::size_t k = 0; k < decoded[i].features.size(); ++k) {
                const json& wf = want_features[k];
                EXPECT_EQ(decoded[i].features[k].geometry,
                          wf["geometry"].get<std::vector<std::uint32_t>>());
                EXPECT_EQ(static_cast<std::uint32_t>(decoded[i].features[k].type),
                          wf["type"].get<std::uint32_t>());
                if (wf.contains("id")) {
                    EXPECT_EQ(decoded[i].features[k].id, wf["id"].get<std::uint64_t>());
                }
                EXPECT_EQ(decoded[i].features[k].properties.size(),
                          wf.value("tags", json::array()).size() / 2);
            }
        }
        ++checked;
    }
    EXPECT_EQ(checked, 45);
}

TEST(MvtFixtures, EveryInvalidFixtureIsRejected) {
    // The reader is a validator: a fixture the suite marks invalid for version 2 fails to decode,
    // whether the suite calls its error fatal or recoverable. The exceptions, with why:
    const std::map<std::string, std::string> lenient = {
        {"003", "the same bytes as 016, which the suite calls valid: a feature without a type "
                "field has the field's default, UNKNOWN"},
        {"046", "a line with two points in the same place is encodable; the spec only says "
                "encoders SHOULD NOT write it"},
    };
    int checked = 0;
    for (const auto& f : fixtures()) {
        if ((valid_v2(f) && !rejected_though_valid.contains(f.id)) || lenient.contains(f.id))
            continue;
        SCOPED_TRACE("fixture " + f.id + ": " + f.info["description"].get<std::string>());
        EXPECT_THROW(decode_tile(f.mvt), Error);
        ++checked;
    }
    EXPECT_EQ(checked, 27);
}

TEST(MvtFixtures, TheWriterEncodesEveryValidFixtureToTheSameTile) {
    // Built from tile.json with LayerWriter, decoded again: the same layers, features, ids,
    // geometry and properties as the fixture's own bytes. (Not byte-for-byte: the writer always
    // writes the extent, and lays out keys and values in order of first use.)
    int checked = 0;
    for (const auto& f : fixtures()) {
        if (!valid_v2(f))
            continue;
        SCOPED_TRACE("fixture " + f.id);
        auto layers = layers_of(f.tile);
        std::string ours = encode_tile(layers);
        auto theirs = decode_tile(f.mvt);
        // Layers without features are not written (fixture 025 has one; decoders must read it).
        std::erase_if(theirs, [](const LayerData& l) { return l.features.empty(); });
        EXPECT_EQ(describe(decode_tile(ours)), describe(theirs));
        ++checked;
    }
    EXPECT_EQ(checked, 45);
}

TEST(MvtWriter, KeysAndValuesAreStoredOnce) {
    LayerWriter w("grids");
    std::vector<std::uint32_t> pt = {command(move_to, 1), zigzag(10), zigzag(20)};
    for (int i = 0; i < 3; ++i) {
        std::string code = "G" + std::to_string(i);
        const PropertyRef props[] = {{"type", ValueRef::of("grid")}, {"code", ValueRef::of(code)}};
        w.add(static_cast<std::uint64_t>(i + 1), GeomType::point, pt, props);
    }
    auto layers = decode_tile(encode_tile(std::span(&w, 1)));
    ASSERT_EQ(layers.size(), 1u);
    EXPECT_EQ(layers[0].version, 2u);
    ASSERT_EQ(layers[0].features.size(), 3u);
    EXPECT_EQ(layers[0].features[2].properties[1].second, Value::of("G2"));
    // 2 keys and 4 values ("grid" once): the tile is smaller than with repeats.
    std::string bytes = w.serialize();
    EXPECT_EQ(std::count(bytes.begin(), bytes.end(), 'd'), 3) << "\"grid\" appears once";
}

TEST(MvtWriter, PreNumberedTagsWriteTheSameLayer) {
    std::vector<std::uint32_t> pt = {command(move_to, 1), zigzag(10), zigzag(20)};
    LayerWriter by_name("events"), by_number("events");
    const std::uint32_t status = by_number.key_index("status"), id_key = by_number.key_index("n");
    for (int i = 0; i < 3; ++i) {
        const char* s = i == 1 ? "closed" : "open";
        const PropertyRef props[] = {{"status", ValueRef::of(s)},
                                     {"n", ValueRef::of(std::int64_t{i})}};
        by_name.add(static_cast<std::uint64_t>(i), GeomType::point, pt, props);
        const std::uint32_t tags[] = {status, by_number.value_index(ValueRef::of(s)), id_key,
                                      by_number.value_index(ValueRef::of(std::int64_t{i}))};
        by_number.add_tagged(static_cast<std::uint64_t>(i), GeomType::point, pt, tags);
    }
    EXPECT_EQ(by_name.serialize(), by_number.serialize());
    // Tags that refer to nothing, or a key without its value, are refused.
    const std::uint32_t dangling[] = {status, 99}, odd[] = {status};
    EXPECT_THROW(by_number.add_tagged(9, GeomType::point, pt, dangling), Error);
    EXPECT_THROW(by_number.add_tagged(9, GeomType::point, pt, odd), Error);
    EXPECT_EQ(by_number.size(), 3u);
}

namespace {

// A tile over Luohe at zoom 14, and squares in lon/lat around a point of it.
const TileId luohe14 = tile_at({114.02, 33.58}, 14);

geo::Polygon square(double lon, double lat, double half) {
    return {{{{lon - half, lat - half},
              {lon + half, lat - half},
              {lon + half, lat + half},
              {lon - half, lat + half},
              {lon - half, lat - half}}}};
}

DecodedGeometry decoded(const EncodedGeometry& g) {
    return decode_geometry(g.type, g.commands);
}

} // namespace

TEST(TileGeometry, PolygonsAreClippedSnappedAndOriented) {
    TileFrame frame(luohe14);
    auto box = tile_bounds(luohe14);
    double cx = (box.min_x + box.max_x) / 2, cy = (box.min_y + box.max_y) / 2;

    // Inside: four corners, exterior ring with positive area (clockwise on screen).
    auto inner = encode_geometry(frame, square(cx, cy, 0.001));
    ASSERT_EQ(inner.type, GeomType::polygon);
    auto g = decoded(inner);
    ASSERT_EQ(g.parts.size(), 1u);
    EXPECT_EQ(g.parts[0].size(), 5u);
    EXPECT_GT(ring_area2(g.parts[0]), 0);

    // Larger than the tile: clipped to the buffered square, exactly.
    auto big = decoded(encode_geometry(frame, square(cx, cy, 1.0)));
    ASSERT_EQ(big.parts.size(), 1u);
    for (auto [x, y] : big.parts[0]) {
        EXPECT_TRUE(x == -64 || x == 4096 + 64) << x;
        EXPECT_TRUE(y == -64 || y == 4096 + 64) << y;
    }
    EXPECT_EQ(ring_area2(big.parts[0]), 2LL * (4096 + 128) * (4096 + 128));

    // With a hole: the hole comes out negative.
    geo::Polygon holed = square(cx, cy, 0.002);
    holed.rings.push_back(square(cx, cy, 0.001).rings[0]);
    auto h = decoded(encode_geometry(frame, holed));
    ASSERT_EQ(h.parts.size(), 2u);
    EXPECT_GT(ring_area2(h.parts[0]), 0);
    EXPECT_LT(ring_area2(h.parts[1]), 0);

    // Far away, or smaller than a tile unit: nothing.
    EXPECT_TRUE(encode_geometry(frame, square(cx + 1, cy, 0.001)).commands.empty());
    EXPECT_TRUE(encode_geometry(frame, square(cx, cy, 1e-7)).commands.empty());
}

TEST(TileGeometry, NeighboursShareTheirEdgeExactly) {
    // Two grids sharing an edge with many vertices, at several zooms: the shared vertices come
    // out identical in both features (no gap, no sliver), including where the tile cuts them.
    std::vector<geo::LonLat> edge;
    for (int i = 0; i <= 40; ++i)
        edge.push_back({114.02 + 0.0003 * std::sin(i * 0.7), 33.57 + i * 0.0005});
    geo::Polygon west, east;
    geo::Ring w{{114.0, 33.57}}, e{edge.front()};
    for (const auto& p : edge)
        w.push_back(p);
    w.push_back({114.0, 33.59});
    w.push_back({114.0, 33.57});
    e.push_back({114.04, 33.57});
    e.push_back({114.04, 33.59});
    for (auto it = edge.rbegin(); it != edge.rend(); ++it)
        e.push_back(*it);
    west.rings = {w};
    east.rings = {e};
    for (std::uint32_t z : {10u, 13u, 15u, 17u}) {
        TileFrame frame(tile_at({114.02, 33.58}, z));
        auto a = decoded(encode_geometry(frame, west)), b = decoded(encode_geometry(frame, east));
        ASSERT_EQ(a.parts.size(), 1u);
        ASSERT_EQ(b.parts.size(), 1u);
        std::set<std::pair<std::int64_t, std::int64_t>> pa(a.parts[0].begin(), a.parts[0].end());
        int shared = 0;
        for (const auto& p : edge) {
            auto q = frame.project(p);
            std::pair<std::int64_t, std::int64_t> s{std::llround(q.x), std::llround(q.y)};
            bool in_tile = q.y >= -64 && q.y <= 4096 + 64;
            if (!in_tile)
                continue;
            bool in_b = std::find(b.parts[0].begin(), b.parts[0].end(), s) != b.parts[0].end();
            EXPECT_EQ(pa.contains(s), in_b) << "zoom " << z;
            shared += in_b;
        }
        EXPECT_GT(shared, 0) << "zoom " << z;
    }
}

// A whole tiling at every zoom from 0 to 24: the cells' areas in tile units (exact integers
// after snapping) add up to the area of what they tile, clipped the same way. A gap or a sliver
// between neighbours anywhere in the tile, or a cell that kept a piece its neighbour also
// drew, would break the sum.
TEST(TileGeometry, ATilingStaysSeamlessAtEveryZoom) {
    constexpr int n = 24;
    const double x0 = 113.9, y0 = 33.5, step = 0.2 / n;
    // Corners jittered (except on the outer boundary) so that no edge is axis-aligned.
    auto corner = [&](int i, int j) {
        bool outer = i == 0 || j == 0 || i == n || j == n;
        double jx = outer ? 0 : 0.3 * std::sin(i * 12.9898 + j * 78.233);
        double jy = outer ? 0 : 0.3 * std::cos(i * 39.3467 + j * 11.135);
        return geo::LonLat{x0 + (i + jx) * step, y0 + (j + jy) * step};
    };
    std::vector<geo::Polygon> cells;
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
            cells.push_back(geo::Polygon{{{corner(i, j), corner(i + 1, j), corner(i + 1, j + 1),
                                           corner(i, j + 1), corner(i, j)}}});
    geo::Polygon whole{
        {{{x0, y0}, {x0 + 0.2, y0}, {x0 + 0.2, y0 + 0.2}, {x0, y0 + 0.2}, {x0, y0}}}};
    auto area2 = [](const DecodedGeometry& g) {
        std::int64_t sum = 0;
        for (const auto& part : g.parts)
            sum += ring_area2(part);
        return sum;
    };
    // Where four cells meet near the middle, and at the tiling's south-west corner.
    for (geo::LonLat at : {corner(n / 2, n / 2), geo::LonLat{x0 + 1e-7, y0 + 1e-7}})
        for (std::uint32_t z = 0; z <= max_zoom; ++z) {
            TileFrame frame(tile_at(at, z));
            std::int64_t sum = 0;
            int drawn = 0;
            for (const auto& c : cells) {
                auto g = encode_geometry(frame, c);
                if (g.commands.empty())
                    continue;
                ++drawn;
                sum += area2(decoded(g));
            }
            EXPECT_EQ(sum, area2(decoded(encode_geometry(frame, whole))))
                << "zoom " << z << " at " << at.lon << "," << at.lat << ": " << drawn << " cells";
        }
}

TEST(TileGeometry, LinesAreCutWhereTheyLeaveTheTileAndPointsOutsideDropped) {
    TileFrame frame(luohe14);
    auto box = tile_bounds(luohe14);
    double cy = (box.min_y + box.max_y) / 2, w = box.max_x - box.min_x;
    // In, out to the east and far away, back in: two parts.
    geo::LineString zig{{{box.min_x + w * 0.2, cy},
                         {box.max_x + w, cy},
                         {box.max_x + w, cy + 0.0001},
                         {box.min_x + w * 0.5, cy + 0.0001}}};
    auto l = decoded(encode_geometry(frame, zig));
    ASSERT_EQ(l.parts.size(), 2u);
    EXPECT_EQ(l.parts[0].back().first, 4096 + 64);
    EXPECT_EQ(l.parts[1].front().first, 4096 + 64);

    geo::MultiPoint pts{{{box.min_x + w * 0.5, cy}, {box.max_x + w, cy}}};
    auto p = encode_geometry(frame, pts);
    EXPECT_EQ(p.type, GeomType::point);
    EXPECT_EQ(decoded(p).parts.size(), 1u);
}

TEST(TileGeometry, QueryBoxCoversTheTileAndItsBuffer) {
    TileFrame frame(luohe14, 4096, 64);
    auto q = frame.query_box(), t = tile_bounds(luohe14);
    double margin = (t.max_x - t.min_x) * 64 / 4096;
    EXPECT_NEAR(q.min_x, t.min_x - margin, 1e-9);
    EXPECT_NEAR(q.max_x, t.max_x + margin, 1e-9);
    EXPECT_LT(q.min_y, t.min_y);
    EXPECT_GT(q.max_y, t.max_y);
}
