// The handlers, called directly (no sockets) with Services on a temporary SpatiaLite store.
#include "data/auth.hpp"
#include "data/store.hpp"
#include "geo/crs.hpp"
#include "geo/measure.hpp"
#include "server/http.hpp"
#include "server/json_writer.hpp"
#include "server/router.hpp"
#include "server/server.hpp"
#include "server/static_files.hpp"
#include "tests/support/shapes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tiles/mvt.hpp"
#include "tiles/tile_geometry.hpp"
#include "tiles/tile_math.hpp"

#include <cstring>
#include <fstream>
#include <gdal.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <numbers>
#include <ogr_api.h>
#include <set>

using namespace tessera;
using namespace tessera::server;
using tessera::testing::TempDir;
using json = nlohmann::json;

using tessera::testing::square;

namespace {

// The same square, clockwise.
geo::Polygon square_cw(double x, double y, double s) {
    return geo::Polygon{{{{x, y}, {x, y + s}, {x + s, y + s}, {x + s, y}, {x, y}}}};
}

void write_file(const std::filesystem::path& p, const std::string& content) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
}

class HandlersTest : public ::testing::Test {
protected:
    TempDir dir;
    std::unique_ptr<data::Store> store = data::open_spatialite_store(dir / "t.db");
    data::Auth auth{*store};
    data::Assigner assigner{*store}; // builds its indexes on first use, after SetUp
    data::EventDesk desk{*store, assigner};
    Metrics metrics;
    tiles::TileCache tile_cache{16 << 20};
    Services services{*store, auth, assigner, desk, metrics, tile_cache, dir / "web"};

    void SetUp() override {
        store->create_layer({"county", data::LayerKind::county, "县区", std::nullopt, 0, "gcj02"});
        store->create_layer({"grid", data::LayerKind::grid, "网格", "county", 1, "EPSG:4326"});
        store->create_layer(
            {"exclusive", data::LayerKind::exclusive_grid, "专属网格", "grid", 10, "EPSG:4326"});
        store->replace_features(
            "county", {"test", "county", data::parse_time("2025-01-01")},
            std::vector<data::FeatureInput>{
                {"411102", "源汇区", std::nullopt, {}, square(114.0, 33.5, 0.1)}});
        // Five grids in a row, G1 at x=114.00 ... G5 at x=114.04; G3 drawn clockwise.
        std::vector<data::FeatureInput> grids;
        for (int i = 1; i <= 5; ++i) {
            double x = 114.0 + (i - 1) * 0.01;
            grids.push_back({"G" + std::to_string(i),
                             "第" + std::to_string(i) + "网格",
                             "411102",
                             {{"households", std::int64_t{400 + i}},
                              {"urban", i % 2 == 0},
                              {"density", 1.5 * i},
                              {"note", std::monostate{}},
                              {"code", std::string("shadowed")}},
                             i == 3 ? geo::Geometry(square_cw(x, 33.5, 0.01))
                                    : geo::Geometry(square(x, 33.5, 0.01))});
        }
        store->replace_features("grid", {"test", "v1", data::parse_time("2025-01-01")}, grids);
        auth.create_user({"chief1",
                          "张网格长",
                          data::Role::grid_chief,
                          {data::Jurisdiction::Kind::area, "411102", {}},
                          "correct horse",
                          std::nullopt,
                          std::nullopt});
        connect_tile_cache(services);
        write_file(dir / "web/index.html", "<!doctype html><title>Tessera</title>");
        write_file(dir / "web/app.js", "console.log('tessera');");
        write_file(dir / "web/style.css", "body{}");
        write_file(dir / "web/docs/index.html", "<p>docs</p>");
        write_file(dir / "web/.env", "SECRET=1");
        write_file(dir / "secret.txt", "TOP-SECRET");
    }

    Response call(const std::string& method, const std::string& target,
                  const std::string& body = {}, Headers headers = {}) {
        Request req;
        req.method = method;
        req.target = target;
        req.body = body;
        req.headers = std::move(headers);
        return handle(req, services);
    }
    Response get(const std::string& target, Headers headers = {}) {
        return call("GET", target, {}, std::move(headers));
    }
    static json body_of(const Response& r) { return json::parse(r.body); }

    // Asserts the JSON error shape and returns the message.
    static std::string expect_error(const Response& r, int status, const std::string& code) {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json");
        json j = json::parse(r.body, nullptr, false);
        EXPECT_TRUE(j.is_object()) << r.body;
        if (!j.is_object())
            return {};
        EXPECT_EQ(j.size(), 2u) << r.body;
        EXPECT_EQ(j.value("code", ""), code) << r.body;
        EXPECT_FALSE(j.value("message", "").empty()) << r.body;
        return j.value("message", "");
    }

    // An officer's report in G2 (dispatched at intake), and "officer5" who covers G5 only.
    // P-WALK, responsible for G2, walked its middle (33.505 N from 114.011 to 114.019) west to
    // east yesterday: 21 fixes 30 s apart, 10 minutes. Returns when the walk started.
    data::Time walk_middle_of_g2() {
        const std::int64_t walker = store->add_person(
            {0, "P-WALK", "走访员", data::PersonRole::full_time_officer, "135", {"G2"}, {}});
        const data::Time start =
            std::chrono::floor<std::chrono::minutes>(desk.now()) - std::chrono::hours(24);
        data::TimedPath path;
        for (int k = 0; k <= 20; ++k) {
            path.points.push_back({114.011 + 0.0004 * k, 33.505});
            path.times.push_back(start + std::chrono::seconds(30 * k));
        }
        store->add_patrol_track({0, walker, path});
        return start;
    }

    data::Event report_in_g2() {
        auth.create_user({"officer5",
                          "网格员五",
                          data::Role::grid_officer,
                          {data::Jurisdiction::Kind::grids, "", {"G5"}},
                          "correct horse",
                          std::nullopt,
                          std::nullopt});
        data::EventReport report;
        report.category = "garbage";
        report.source = data::EventSource::officer;
        report.position = geo::LonLat{114.015, 33.505};
        return desk.report(report, nullptr, "officer").event;
    }
    std::string officer5_token() {
        Response r =
            call("POST", "/api/v1/login", R"({"username":"officer5","password":"correct horse"})");
        EXPECT_EQ(r.status, 200) << r.body;
        return body_of(r).value("token", "");
    }

    std::string login_token() {
        Response r =
            call("POST", "/api/v1/login", R"({"username":"chief1","password":"correct horse"})");
        EXPECT_EQ(r.status, 200) << r.body;
        return body_of(r).value("token", "");
    }
};

// ---- vector tiles ----

namespace {

// The z12 tile over the five grids (114.00-114.05, 33.50-33.51).
const tiles::TileId grid_tile = tiles::tile_at({114.025, 33.505}, 12);

std::string tile_path(const std::string& layer, tiles::TileId t) {
    return "/tiles/" + layer + "/" + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" +
           std::to_string(t.y) + ".mvt";
}

std::string text_of(const std::vector<tiles::Property>& props, const std::string& key) {
    for (const auto& [k, v] : props)
        if (k == key)
            return v.string;
    return "(missing)";
}

} // namespace

TEST_F(HandlersTest, GridTilesAreValidMvtWithTheMapsAttributesAndPublic) {
    Response r = get(tile_path("grid", grid_tile)); // anonymous: grid boundaries are public
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type").value_or(""), "application/vnd.mapbox-vector-tile");
    auto layers = tiles::decode_tile(r.body);
    ASSERT_EQ(layers.size(), 1u);
    EXPECT_EQ(layers[0].name, "grid");
    EXPECT_EQ(layers[0].extent, 4096u);
    ASSERT_EQ(layers[0].features.size(), 5u);
    std::set<std::string> codes;
    for (const auto& f : layers[0].features) {
        codes.insert(text_of(f.properties, "code"));
        EXPECT_EQ(text_of(f.properties, "kind"), "grid");
        EXPECT_EQ(text_of(f.properties, "parent_code"), "411102");
        EXPECT_EQ(f.type, tiles::GeomType::polygon);
        auto g = tiles::decode_geometry(f.type, f.geometry);
        ASSERT_EQ(g.parts.size(), 1u);
        EXPECT_GT(tiles::ring_area2(g.parts[0]), 0) << "exterior rings are positive, G3 too";
    }
    EXPECT_EQ(codes, (std::set<std::string>{"G1", "G2", "G3", "G4", "G5"}));
    EXPECT_EQ(text_of(layers[0].features[0].properties, "name").rfind("第", 0), 0u);

    // Far from the city: a valid empty tile.
    Response empty = get(tile_path("grid", tiles::tile_at({100.0, 20.0}, 12)));
    ASSERT_EQ(empty.status, 200);
    EXPECT_TRUE(empty.body.empty());
    EXPECT_TRUE(tiles::decode_tile(empty.body).empty());
}

TEST_F(HandlersTest, GdalsMvtDriverReadsOurTile) {
    // An independent decoder: GDAL's MVT driver, told where the tile sits, gives back the five
    // grids as polygons in EPSG:3857 with their codes.
    Response r = get(tile_path("grid", grid_tile));
    ASSERT_EQ(r.status, 200);
    auto file = dir / "grid.mvt";
    write_file(file, r.body);
    GDALAllRegister();
    std::string x = "X=" + std::to_string(grid_tile.x), y = "Y=" + std::to_string(grid_tile.y),
                z = "Z=" + std::to_string(grid_tile.z);
    const char* drivers[] = {"MVT", nullptr};
    const char* options[] = {x.c_str(), y.c_str(), z.c_str(), nullptr};
    GDALDatasetH ds = GDALOpenEx(file.c_str(), GDAL_OF_VECTOR, drivers, options, nullptr);
    ASSERT_NE(ds, nullptr) << CPLGetLastErrorMsg();
    OGRLayerH layer = GDALDatasetGetLayerByName(ds, "grid");
    ASSERT_NE(layer, nullptr);
    std::set<std::string> codes;
    auto west = tiles::to_mercator({114.0, 33.5}), east = tiles::to_mercator({114.05, 33.51});
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(layer)) != nullptr) {
        codes.insert(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "code")));
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        EXPECT_EQ(wkbFlatten(OGR_G_GetGeometryType(g)), wkbPolygon);
        OGREnvelope env;
        OGR_G_GetEnvelope(g, &env);
        double unit = (east.x - west.x) / 5 / 4096 * 24; // a z12 tile unit is ~ 1/24 of a grid
        EXPECT_GE(env.MinX, west.x - unit);
        EXPECT_LE(env.MaxX, east.x + unit);
        EXPECT_GE(env.MinY, west.y - unit);
        EXPECT_LE(env.MaxY, east.y + unit);
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    EXPECT_EQ(codes, (std::set<std::string>{"G1", "G2", "G3", "G4", "G5"}));
}

TEST_F(HandlersTest, TileErrorsAndTileJson) {
    for (const std::string bad :
         {"/tiles/grid/12/4096/1.mvt", "/tiles/grid/12/1/abc.mvt", "/tiles/grid/25/0/0.mvt",
          "/tiles/grid/3/1/1.png", "/tiles/nothing/3/1/1.mvt", "/tiles/grid/-1/0/0.mvt",
          "/tiles/grid.xml", "/tiles/nothing.json"})
        expect_error(get(bad), 404, "not_found");
    expect_error(get(tile_path("grid", grid_tile) + "?format=pbf"), 400, "invalid_argument");

    Response r = get("/tiles/grid.json", {{"Host", "tessera.example:8080"}});
    ASSERT_EQ(r.status, 200) << r.body;
    json j = body_of(r);
    EXPECT_EQ(j["tilejson"], "3.0.0");
    EXPECT_EQ(j["tiles"][0], "http://tessera.example:8080/tiles/grid/{z}/{x}/{y}.mvt");
    EXPECT_EQ(j["vector_layers"][0]["id"], "grid");
    EXPECT_EQ(j["vector_layers"][0]["fields"]["code"], "String");
    ASSERT_EQ(j["bounds"].size(), 4u);
    EXPECT_NEAR(j["bounds"][0].get<double>(), 114.0, 1e-9);
    EXPECT_NEAR(j["bounds"][2].get<double>(), 114.05, 1e-9);
    // A Host header that is not a host name gives relative URLs rather than echoing it.
    json rel = body_of(get("/tiles/grid.json", {{"Host", "evil\"><script>"}}));
    EXPECT_EQ(rel["tiles"][0], "/tiles/grid/{z}/{x}/{y}.mvt");
}

// The cache answers repeats with the same bytes, revalidates by ETag and sends gzip to clients
// that take it.
TEST_F(HandlersTest, TilesAreCachedWithEtagsAndGzip) {
    Response first = get(tile_path("grid", grid_tile));
    ASSERT_EQ(first.status, 200);
    auto etag = first.header("ETag");
    ASSERT_TRUE(etag);
    EXPECT_EQ(first.header("Cache-Control").value_or(""), "no-cache");
    EXPECT_FALSE(first.header("Content-Encoding"));
    auto before = tile_cache.stats();
    Response again = get(tile_path("grid", grid_tile));
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(again.header("ETag"), etag);
    EXPECT_EQ(tile_cache.stats().hits, before.hits + 1);

    Response not_modified =
        get(tile_path("grid", grid_tile), {{"If-None-Match", "\"other\", " + std::string(*etag)}});
    EXPECT_EQ(not_modified.status, 304);
    EXPECT_TRUE(not_modified.body.empty());

    Response zipped = get(tile_path("grid", grid_tile), {{"Accept-Encoding", "br, gzip"}});
    ASSERT_EQ(zipped.status, 200);
    EXPECT_EQ(zipped.header("Content-Encoding").value_or(""), "gzip");
    EXPECT_EQ(zipped.header("Vary").value_or(""), "Accept-Encoding");
    EXPECT_EQ(zipped.header("ETag"), etag);
    EXPECT_NE(zipped.body, first.body);
    EXPECT_EQ(zipped.body.substr(0, 2), std::string("\x1f\x8b", 2)) << "a gzip member";
    EXPECT_FALSE(get(tile_path("grid", grid_tile), {{"Accept-Encoding", "gzip;q=0"}})
                     .header("Content-Encoding"));
}

// A grid edit drops exactly the tiles the grid's old or new shape reaches, at every zoom: those
// come back with the new shape, the others stay cached.
TEST_F(HandlersTest, AGridEditInvalidatesTheTilesItReachesAtEveryZoom) {
    geo::LonLat in_g3{114.025, 33.505}, in_g1{114.002, 33.505};
    auto g3_width = [&](tiles::TileId t) {
        Response r = get(tile_path("grid", t));
        EXPECT_EQ(r.status, 200);
        auto layers = tiles::decode_tile(r.body);
        if (layers.empty())
            return std::int64_t{0}; // at low zooms the grids snap to nothing
        for (const auto& f : layers[0].features)
            if (text_of(f.properties, "code") == "G3") {
                auto g = tiles::decode_geometry(f.type, f.geometry);
                std::int64_t lo = INT64_MAX, hi = INT64_MIN;
                for (const auto& p : g.parts.at(0)) {
                    lo = std::min<std::int64_t>(lo, p.first);
                    hi = std::max<std::int64_t>(hi, p.first);
                }
                return hi - lo;
            }
        return std::int64_t{0};
    };
    std::vector<std::int64_t> widths;
    for (std::uint32_t z = 0; z <= 16; ++z) {
        widths.push_back(g3_width(tiles::tile_at(in_g3, z)));
        get(tile_path("grid", tiles::tile_at(in_g1, z))); // cached too
    }
    ASSERT_GT(widths[16], 0);

    // G3 loses its west half.
    std::vector<data::FeatureInput> grids;
    for (const auto& f : store->features("grid", data::FeatureQuery{}).features) {
        geo::Geometry g = f.geometry;
        if (f.code == "G3")
            g = square(114.025, 33.5, 0.005);
        grids.push_back({f.code, f.name, f.parent_code, f.properties, g});
    }
    store->replace_features("grid", {"editor", "G3 halves", data::parse_time("2026-01-01")}, grids);
    auto before = tile_cache.stats();
    ASSERT_TRUE(assigner.refresh());
    auto after = tile_cache.stats();
    EXPECT_GE(after.invalidated - before.invalidated, 17u) << "at least one tile per zoom";

    for (std::uint32_t z = 0; z <= 16; ++z) {
        auto w = g3_width(tiles::tile_at(in_g3, z));
        if (widths[z] > 4)
            EXPECT_LT(w, widths[z]) << "z" << z << ": the new, narrower G3";
        else
            EXPECT_LE(w, widths[z]) << "z" << z;
    }
    // At z16 G1's tile is far from G3 (a z16 tile is ~600 m wide, G1 is 1.5 km west): still
    // cached, served without being built again.
    auto hits = tile_cache.stats().hits;
    get(tile_path("grid", tiles::tile_at(in_g1, 16)));
    EXPECT_EQ(tile_cache.stats().hits, hits + 1);
}

// The events layer needs a login and holds what the caller may see; an action on an event
// reaches the cached tile at once.
TEST_F(HandlersTest, EventTilesFollowJurisdictionAndChanges) {
    auto event = report_in_g2();
    tiles::TileId t = tiles::tile_at(event.position, 14);

    expect_error(get(tile_path("events", t)), 401, "unauthorized");
    std::string chief = "Bearer " + login_token();
    auto events_in = [&](const std::string& auth_header) {
        Response r = get(tile_path("events", t), {{"Authorization", auth_header}});
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.header("Cache-Control").value_or(""), "private, no-cache");
        auto layers = tiles::decode_tile(r.body);
        return layers.empty() ? std::vector<tiles::FeatureData>{} : layers[0].features;
    };
    auto seen = events_in(chief);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].id, static_cast<std::uint64_t>(event.id));
    EXPECT_EQ(seen[0].type, tiles::GeomType::point);
    EXPECT_EQ(text_of(seen[0].properties, "status"), "dispatched") << "officers' reports are";
    EXPECT_EQ(text_of(seen[0].properties, "grid_code"), "G2");
    EXPECT_EQ(text_of(seen[0].properties, "category"), "garbage");
    EXPECT_FALSE(text_of(seen[0].properties, "severity").empty());

    std::string officer = "Bearer " + officer5_token();
    EXPECT_TRUE(events_in(officer).empty()) << "G2's event is not G5's officer's to see";

    Response act = call("POST", "/api/v1/events/" + std::to_string(event.id) + "/actions",
                        R"({"action":"accept"})", {{"Authorization", chief}});
    ASSERT_EQ(act.status, 200) << act.body;
    seen = events_in(chief);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(text_of(seen[0].properties, "status"), "accepted") << "no stale tile";

    json tj = body_of(get("/tiles/events.json"));
    EXPECT_EQ(tj["vector_layers"][0]["id"], "events");
    EXPECT_EQ(tj["vector_layers"][0]["fields"]["severity"], "String");
}

// The cameras layer: each camera's view cone, for logged-in callers within whose jurisdiction
// the camera stands.
TEST_F(HandlersTest, CameraTilesDrawViewConesWithinJurisdiction) {
    // In G1, 40 m range, 60 degrees wide, looking north-east.
    const geo::LonLat cam1{114.001, 33.501};
    store->add_camera({0, "CAM1", "滨西路口", cam1, 45, 60, 40, true});
    report_in_g2(); // and officer5, who covers G5 only
    tiles::TileId t = tiles::tile_at(cam1, 17);
    expect_error(get(tile_path("cameras", t)), 401, "unauthorized");

    std::string chief = "Bearer " + login_token();
    Response r = get(tile_path("cameras", t), {{"Authorization", chief}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control").value_or(""), "private, no-cache");
    auto layers = tiles::decode_tile(r.body);
    ASSERT_EQ(layers.size(), 1u);
    EXPECT_EQ(layers[0].name, "cameras");
    ASSERT_EQ(layers[0].features.size(), 1u);
    const auto& f = layers[0].features[0];
    EXPECT_EQ(f.type, tiles::GeomType::polygon);
    EXPECT_EQ(text_of(f.properties, "code"), "CAM1");
    // One vertex of the cone is the camera; the others lie north-east of it (x right, y down).
    auto rings = tiles::decode_geometry(f.type, f.geometry).parts;
    ASSERT_EQ(rings.size(), 1u);
    auto projected = tiles::TileFrame(t).project(cam1);
    const std::pair<std::int64_t, std::int64_t> apex{std::llround(projected.x),
                                                     std::llround(projected.y)};
    ASSERT_GE(std::count(rings[0].begin(), rings[0].end(), apex), 1) << "the camera is a vertex";
    for (const auto& p : rings[0]) {
        if (p == apex)
            continue;
        EXPECT_GT(p.first, apex.first);
        EXPECT_LT(p.second, apex.second);
    }
    EXPECT_GT(tiles::ring_area2(rings[0]), 0) << "an exterior ring";

    // G5's officer may not see a camera in G1.
    Response other =
        get(tile_path("cameras", t), {{"Authorization", "Bearer " + officer5_token()}});
    ASSERT_EQ(other.status, 200);
    EXPECT_TRUE(tiles::decode_tile(other.body).empty());

    json tj = body_of(get("/tiles/cameras.json"));
    EXPECT_EQ(tj["vector_layers"][0]["fields"]["online"], "Boolean");
}

TEST_F(HandlersTest, TrackAndDroneTilesDrawPathsWithinJurisdiction) {
    report_in_g2(); // and officer5, who covers G5 only
    std::int64_t p1 = store->add_person(
        {0, "P1", "网格员甲", data::PersonRole::full_time_officer, "", {"G1"}, std::nullopt});
    const data::Time t0 = *data::parse_time("2026-11-20T08:00:00Z");
    auto path = [&](double x0) {
        return data::TimedPath{{{x0, 33.501}, {x0 + 0.003, 33.502}, {x0 + 0.006, 33.501}},
                               {t0, t0 + std::chrono::minutes(5), t0 + std::chrono::minutes(12)}};
    };
    std::int64_t in_g1 = store->add_patrol_track({0, p1, path(114.001)});
    std::int64_t in_g5 = store->add_patrol_track({0, p1, path(114.041)});
    store->add_drone_flight({0, "F1", "违建巡查", path(114.002), 80});
    tiles::TileId t = tiles::tile_at({114.02, 33.5}, 12);
    for (const char* layer : {"tracks", "drones"})
        expect_error(get(tile_path(layer, t)), 401, "unauthorized");

    auto features = [&](const std::string& layer, const std::string& token) {
        Response r = get(tile_path(layer, t), {{"Authorization", "Bearer " + token}});
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.header("Cache-Control").value_or(""), "private, no-cache");
        auto layers = tiles::decode_tile(r.body);
        if (!layers.empty()) {
            EXPECT_EQ(layers[0].name, layer);
        }
        return layers.empty() ? std::vector<tiles::FeatureData>{} : layers[0].features;
    };
    const std::string chief = login_token(), officer = officer5_token();
    auto tracks = features("tracks", chief);
    ASSERT_EQ(tracks.size(), 2u);
    for (const auto& f : tracks) {
        EXPECT_EQ(f.type, tiles::GeomType::linestring);
        EXPECT_EQ(text_of(f.properties, "officer_name"), "网格员甲");
        EXPECT_EQ(text_of(f.properties, "started_at"), "2026-11-20T08:00:00.000Z");
        auto parts = tiles::decode_geometry(f.type, f.geometry).parts;
        ASSERT_EQ(parts.size(), 1u);
        EXPECT_EQ(parts[0].size(), 3u);
    }
    // A track belongs where it starts: G5's officer sees the one starting in G5 only.
    auto officers_tracks = features("tracks", officer);
    ASSERT_EQ(officers_tracks.size(), 1u);
    EXPECT_EQ(officers_tracks[0].id, std::optional<std::uint64_t>(in_g5));
    std::set<std::optional<std::uint64_t>> ids{tracks[0].id, tracks[1].id};
    EXPECT_TRUE(ids.contains(in_g1) && ids.contains(in_g5));

    auto flights = features("drones", chief);
    ASSERT_EQ(flights.size(), 1u);
    EXPECT_EQ(text_of(flights[0].properties, "code"), "F1");
    EXPECT_EQ(text_of(flights[0].properties, "purpose"), "违建巡查");
    EXPECT_TRUE(features("drones", officer).empty()) << "the flight took off in G1";
    // Beside the path, in a second layer, the strip the flight imaged.
    auto drone_layers = tiles::decode_tile(
        get(tile_path("drones", t), {{"Authorization", "Bearer " + chief}}).body);
    ASSERT_EQ(drone_layers.size(), 2u);
    EXPECT_EQ(drone_layers[1].name, "drone_footprints");
    ASSERT_EQ(drone_layers[1].features.size(), 1u);
    EXPECT_EQ(drone_layers[1].features[0].type, tiles::GeomType::polygon);
    EXPECT_EQ(text_of(drone_layers[1].features[0].properties, "code"), "F1");

    // G5 shrinks to its east half: the track now starts outside G5, and officer5's cached
    // tracks tile is dropped, not served stale.
    std::vector<data::FeatureInput> grids;
    for (const auto& f : store->features("grid", data::FeatureQuery{}).features)
        grids.push_back(
            {f.code, f.name, f.parent_code, f.properties,
             f.code == "G5" ? geo::Geometry(square(114.045, 33.5, 0.005)) : f.geometry});
    store->replace_features("grid", {"editor", "G5 halves", data::parse_time("2026-01-01")}, grids);
    ASSERT_TRUE(assigner.refresh());
    EXPECT_TRUE(features("tracks", officer).empty()) << "no stale tile";
    EXPECT_EQ(features("tracks", chief).size(), 2u);

    json tj = body_of(get("/tiles/tracks.json"));
    EXPECT_EQ(tj["vector_layers"][0]["fields"]["officer_name"], "String");
    EXPECT_EQ(body_of(get("/tiles/drones.json"))["vector_layers"][0]["id"], "drones");
}

TEST_F(HandlersTest, AroundAnEventAreOfficersByLatestPositionAndCamerasThatSeeIt) {
    const data::Event event = report_in_g2(); // at 114.015, 33.505; and officer5 (G5 only)
    const geo::LonLat at = event.position;
    // Cameras 30 m south of it: one looking north at it, one looking south away from it.
    const geo::LonLat south = geo::destination(at, 180, 30);
    store->add_camera({0, "CAM-N", "看向事件", south, 0, 60, 50, true});
    store->add_camera({0, "CAM-S", "背对事件", south, 180, 60, 50, true});
    store->add_camera({0, "CAM-FAR", "太远", geo::destination(at, 180, 80), 0, 60, 50, false});

    // This morning: four hours ago, to the minute.
    const data::Time t0 =
        std::chrono::floor<std::chrono::minutes>(desk.now()) - std::chrono::hours(4);
    auto walk_to = [&](geo::LonLat from, geo::LonLat to, data::Time start) {
        return data::TimedPath{{from, to}, {start, start + std::chrono::minutes(10)}};
    };
    // P-STALE was right there, two days ago: too long ago to say where they are now.
    std::int64_t stale = store->add_person(
        {0, "P-STALE", "两天前", data::PersonRole::full_time_officer, "137", {"G2"}, {}});
    store->add_patrol_track({0, stale,
                             walk_to(geo::destination(at, 0, 100), geo::destination(at, 0, 20),
                                     t0 - std::chrono::hours(48))});
    std::int64_t near = store->add_person(
        {0, "P-NEAR", "就在附近", data::PersonRole::full_time_officer, "138", {"G2"}, {}});
    std::int64_t gone = store->add_person(
        {0, "P-GONE", "已经走远", data::PersonRole::full_time_officer, "139", {"G2"}, {}});
    // P-NEAR ends 100 m east of the event; P-GONE walked by, then later walked off 2 km east
    // (still in the county: a position outside it is nobody's but an admin's to see).
    store->add_patrol_track(
        {0, near, walk_to(geo::destination(at, 90, 400), geo::destination(at, 90, 100), t0)});
    store->add_patrol_track(
        {0, gone, walk_to(geo::destination(at, 0, 300), geo::destination(at, 0, 50), t0)});
    store->add_patrol_track({0, gone,
                             walk_to(geo::destination(at, 90, 1500), geo::destination(at, 90, 2000),
                                     t0 + std::chrono::hours(2))});

    const std::string path = "/api/v1/events/" + std::to_string(event.id) + "/nearby";
    expect_error(get(path), 401, "unauthorized");
    Headers chief = {{"Authorization", "Bearer " + login_token()}};
    json around = body_of(get(path, chief));
    ASSERT_EQ(around["officers"].size(), 1u) << around.dump();
    EXPECT_EQ(around["officers"][0]["code"], "P-NEAR");
    EXPECT_NEAR(around["officers"][0]["distance_m"].get<double>(), 100, 0.1);
    EXPECT_EQ(around["officers"][0]["at"], data::format_time(t0 + std::chrono::minutes(10)));
    ASSERT_EQ(around["cameras"].size(), 1u) << around.dump();
    EXPECT_EQ(around["cameras"][0]["code"], "CAM-N");
    EXPECT_NEAR(around["cameras"][0]["distance_m"].get<double>(), 30, 0.1);
    // A wider circle finds P-GONE where they are now, 2 km away.
    json wide = body_of(get(path + "?radius=2500", chief));
    ASSERT_EQ(wide["officers"].size(), 2u);
    EXPECT_EQ(wide["officers"][1]["code"], "P-GONE");
    EXPECT_NEAR(wide["officers"][1]["distance_m"].get<double>(), 2000, 0.1);
    EXPECT_EQ(body_of(get(path + "?radius=2500&limit=1", chief))["officers"].size(), 1u);

    expect_error(get(path + "?radius=6000", chief), 400, "invalid_argument");
    expect_error(get(path + "?radius=-1", chief), 400, "invalid_argument");
    expect_error(get(path + "?near=1", chief), 400, "invalid_argument");
    // G5's officer may not see G2's event, let alone what is around it.
    expect_error(get(path, {{"Authorization", "Bearer " + officer5_token()}}), 404, "not_found");

    // G2's officer sees the event, but not a camera or an officer standing in G1: a camera in G1
    // looking east at the event, and P-WEST, now in G1 600 m west of it.
    auth.create_user({"officer2",
                      "网格员二",
                      data::Role::grid_officer,
                      {data::Jurisdiction::Kind::grids, "", {"G2"}},
                      "correct horse",
                      std::nullopt,
                      std::nullopt});
    store->add_camera(
        {0, "CAM-G1", "一网格东望", geo::destination(at, 270, 600), 90, 30, 700, true});
    std::int64_t west = store->add_person(
        {0, "P-WEST", "在一网格", data::PersonRole::full_time_officer, "136", {"G1"}, {}});
    store->add_patrol_track(
        {0, west, walk_to(geo::destination(at, 270, 900), geo::destination(at, 270, 600), t0)});
    Response login =
        call("POST", "/api/v1/login", R"({"username":"officer2","password":"correct horse"})");
    ASSERT_EQ(login.status, 200);
    Headers officer2 = {{"Authorization", "Bearer " + body_of(login).value("token", "")}};
    auto codes = [](const json& list) {
        std::set<std::string> out;
        for (const auto& x : list)
            out.insert(x["code"].get<std::string>());
        return out;
    };
    json seen_by_chief = body_of(get(path, chief));
    EXPECT_EQ(codes(seen_by_chief["cameras"]), (std::set<std::string>{"CAM-N", "CAM-G1"}));
    EXPECT_EQ(codes(seen_by_chief["officers"]), (std::set<std::string>{"P-NEAR", "P-WEST"}));
    json seen_by_officer2 = body_of(get(path, officer2));
    EXPECT_EQ(codes(seen_by_officer2["cameras"]), (std::set<std::string>{"CAM-N"}));
    EXPECT_EQ(codes(seen_by_officer2["officers"]), (std::set<std::string>{"P-NEAR"}));
}

// ---- officers' positions ----

TEST_F(HandlersTest, OfficersPostTheirPositionsAndDispatchSeesTheLatestWithinJurisdiction) {
    report_in_g2(); // and officer5, who covers G5 only
    const std::int64_t walker = store->add_person(
        {0, "P-WALK", "走访员", data::PersonRole::full_time_officer, "135", {"G2"}, {}});
    store->add_person({0, "P-OTHER", "别人", data::PersonRole::full_time_officer, "", {"G2"}, {}});
    auth.create_user({"walker",
                      "走访员",
                      data::Role::grid_officer,
                      {data::Jurisdiction::Kind::grids, "", {"G2"}},
                      "correct horse",
                      walker,
                      std::nullopt});
    auth.create_user({"root",
                      "管理员",
                      data::Role::admin,
                      {data::Jurisdiction::Kind::everything, "", {}},
                      "correct horse",
                      std::nullopt,
                      std::nullopt});
    auto token_of = [&](const std::string& user) {
        Response r = call("POST", "/api/v1/login",
                          json{{"username", user}, {"password", "correct horse"}}.dump());
        EXPECT_EQ(r.status, 200) << r.body;
        return Headers{{"Authorization", "Bearer " + body_of(r).value("token", "")}};
    };
    const Headers as_walker = token_of("walker"), as_chief = token_of("chief1"),
                  as_officer5 = token_of("officer5"), as_root = token_of("root");
    auto post = [&](const json& body, const Headers& who) {
        return call("POST", "/api/v1/positions", body.dump(), who);
    };
    // Ten minutes ago, a fix a minute, walking east through G2 at about 1.5 m/s.
    const data::Time t0 =
        std::chrono::floor<std::chrono::minutes>(desk.now()) - std::chrono::minutes(10);
    auto fix = [&](int minute, double lon, std::optional<double> accuracy = {}) {
        json f = {{"time", data::format_time(t0 + std::chrono::minutes(minute))},
                  {"lon", lon},
                  {"lat", 33.505}};
        if (accuracy)
            f["accuracy"] = *accuracy;
        return f;
    };

    // The tracks tile is cached before anything is posted.
    const tiles::TileId t = tiles::tile_at({114.015, 33.505}, 14);
    auto track_count = [&] {
        Response r = get(tile_path("tracks", t), as_chief);
        EXPECT_EQ(r.status, 200);
        auto layers = tiles::decode_tile(r.body);
        return layers.empty() ? std::size_t{0} : layers[0].features.size();
    };
    EXPECT_EQ(track_count(), 0u);

    expect_error(call("POST", "/api/v1/positions", json{{"positions", json::array()}}.dump()), 401,
                 "unauthorized");
    Response r =
        post({{"positions",
               {fix(0, 114.011), fix(1, 114.012, 10.0), fix(2, 114.013, 300.0), fix(3, 114.014)}}},
             as_walker);
    ASSERT_EQ(r.status, 200) << r.body;
    json receipt = body_of(r);
    EXPECT_EQ(receipt["received"], 4);
    EXPECT_EQ(receipt["stored"], 3);
    EXPECT_EQ(receipt["dropped"]["inaccurate"], 1);
    EXPECT_EQ(receipt["tracks"]["started"], 1);
    EXPECT_EQ(track_count(), 1u) << "the cached tile was dropped";

    // The next minute's fix, sent in GCJ-02 as a mini-program does: it extends the track.
    const geo::LonLat gcj =
        geo::CrsTransform(geo::Crs::wgs84(), geo::Crs::parse("gcj02")).apply({114.015, 33.505});
    r = post({{"crs", "gcj02"},
              {"positions",
               {{{"time", data::format_time(t0 + std::chrono::minutes(4))},
                 {"lon", gcj.lon},
                 {"lat", gcj.lat},
                 {"accuracy", 6},
                 {"speed", 1.4}}}}},
             as_walker);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body_of(r)["tracks"]["extended"], 1);
    const auto tracks = store->patrol_tracks();
    ASSERT_EQ(tracks.size(), 1u);
    EXPECT_EQ(tracks[0].path.points.size(), 4u);

    // Dispatch: the chief sees where P-WALK is now (the WGS84 point the GCJ-02 fix stands for).
    Response latest = get("/api/v1/positions", as_chief);
    ASSERT_EQ(latest.status, 200) << latest.body;
    EXPECT_EQ(latest.header("Content-Type").value_or(""), "application/geo+json");
    json fc = body_of(latest);
    ASSERT_EQ(fc["features"].size(), 1u) << fc.dump();
    const json& walking = fc["features"][0];
    EXPECT_EQ(walking["properties"]["code"], "P-WALK");
    EXPECT_EQ(walking["properties"]["phone"], "135");
    EXPECT_EQ(walking["properties"]["accuracy_m"], 6.0);
    EXPECT_EQ(walking["properties"]["at"], data::format_time(t0 + std::chrono::minutes(4)));
    EXPECT_LT(geo::distance_m({walking["geometry"]["coordinates"][0].get<double>(),
                               walking["geometry"]["coordinates"][1].get<double>()},
                              {114.015, 33.505}),
              0.5);
    EXPECT_TRUE(body_of(get("/api/v1/positions", as_officer5))["features"].empty())
        << "G5's officer does not see a person standing in G2";
    EXPECT_EQ(body_of(get("/api/v1/positions?bbox=114.04,33.5,114.05,33.51", as_chief))["features"]
                  .size(),
              0u);
    EXPECT_EQ(body_of(get("/api/v1/positions?officer=P-WALK", as_chief))["features"].size(), 1u);
    expect_error(get("/api/v1/positions?officer=NOBODY", as_chief), 404, "not_found");
    expect_error(get("/api/v1/positions?since=yesterday", as_chief), 400, "invalid_argument");
    expect_error(get("/api/v1/positions"), 401, "unauthorized");

    // Nobody reports a colleague's positions; the chief is not a gateway; an admin is.
    expect_error(post({{"officer", "P-OTHER"}, {"positions", {fix(5, 114.016)}}}, as_walker), 403,
                 "forbidden");
    expect_error(post({{"officer", "P-WALK"}, {"positions", {fix(5, 114.016)}}}, as_chief), 403,
                 "forbidden");
    // An admin is no officer: the batch must say whose fixes they are.
    expect_error(post({{"positions", {fix(5, 114.016)}}}, as_root), 400, "invalid_argument");
    expect_error(post({{"officer", "P-NOBODY"}, {"positions", {fix(5, 114.016)}}}, as_root), 404,
                 "not_found");
    // Bad batches change nothing.
    for (const std::string& bad :
         {std::string("{"), std::string("[]"), json{{"positions", 3}}.dump(),
          json{{"positions", {fix(5, 214.0)}}}.dump(),
          json{{"positions", {{{"time", "soon"}, {"lon", 114.0}, {"lat", 33.5}}}}}.dump(),
          json{{"positions", {{{"time", 5}, {"lon", 114.0}, {"lat", 33.5}}}}}.dump(),
          json{{"positions", {{{"time", data::format_time(t0)}, {"lon", "114"}, {"lat", 33.5}}}}}
              .dump(),
          json{{"positions", {fix(5, 114.016, -1.0)}}}.dump(),
          json{{"positions", {fix(5, 114.016)}}, {"extra", 1}}.dump(),
          json{{"crs", "EPSG:999999"}, {"positions", {fix(5, 114.016)}}}.dump()}) {
        Response bad_r = call("POST", "/api/v1/positions", bad, as_walker);
        EXPECT_EQ(bad_r.status, 400) << bad << " -> " << bad_r.body;
    }
    EXPECT_EQ(store->patrol_tracks().front().path.points.size(), 4u);
    EXPECT_EQ(body_of(get("/api/v1/positions", as_chief))["features"][0]["properties"]["at"],
              data::format_time(t0 + std::chrono::minutes(4)));

    // An admin (a gateway) posts P-OTHER's lone fix: no track, but a latest position.
    r = post({{"officer", "P-OTHER"}, {"positions", {fix(5, 114.012)}}}, as_root);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body_of(r)["lone"], 1);
    EXPECT_EQ(store->patrol_tracks().size(), 1u);
    EXPECT_EQ(body_of(get("/api/v1/positions", as_chief))["features"].size(), 2u);
}

TEST_F(HandlersTest, CoverageAuditsTheGridsTheCallerMaySeeAsJsonCsvAndGeoJson) {
    report_in_g2(); // and officer5, who covers G5 only
    // Yesterday P-WALK walked the middle of G2 (114.01-114.02) west to east, 10 minutes.
    const data::Time start = walk_middle_of_g2();
    const Headers chief = {{"Authorization", "Bearer " + login_token()}};
    const Headers officer5 = {{"Authorization", "Bearer " + officer5_token()}};

    expect_error(get("/api/v1/coverage"), 401, "unauthorized");
    Response r = get("/api/v1/coverage", chief);
    ASSERT_EQ(r.status, 200) << r.body;
    json audit = body_of(r);
    ASSERT_EQ(audit["grids"].size(), 5u) << audit.dump();
    EXPECT_EQ(audit["audit"]["grids"], 5);
    EXPECT_EQ(audit["audit"]["visited"], 1);
    EXPECT_EQ(audit["audit"]["stale"], 5) << "G2 too: one walk covers a small part of it";
    const json& g2 = audit["grids"][1];
    EXPECT_EQ(g2["code"], "G2");
    EXPECT_EQ(g2["visited"], true);
    EXPECT_EQ(g2["visits"], 1);
    // 0.008° of longitude at 33.505° N: about 742 m.
    EXPECT_NEAR(g2["distance_m"].get<double>(),
                geo::distance_m({114.011, 33.505}, {114.019, 33.505}), 1.0);
    // Within 50 m of the walk: a 100 m band along it and two half discs, of G2's area.
    const double walked = geo::distance_m({114.011, 33.505}, {114.019, 33.505});
    const double g2_area = geo::distance_m({114.01, 33.505}, {114.02, 33.505}) *
                           geo::distance_m({114.015, 33.5}, {114.015, 33.51});
    EXPECT_NEAR(g2["coverage_share"].get<double>(),
                (walked * 100 + std::numbers::pi * 50 * 50) / g2_area, 0.005);
    EXPECT_EQ(g2["stale"], true);
    EXPECT_EQ(g2["officer"]["code"], "P-WALK");
    EXPECT_EQ(g2["responsible"][0]["code"], "P-WALK");
    EXPECT_EQ(g2["last_visit"], data::format_time(start + std::chrono::minutes(10)));
    EXPECT_EQ(audit["grids"][0]["visited"], false);
    EXPECT_EQ(audit["grids"][0]["stale"], true);

    // officer5 sees G5 only; a window before the walk sees no visit.
    json g5_only = body_of(get("/api/v1/coverage", officer5));
    ASSERT_EQ(g5_only["grids"].size(), 1u);
    EXPECT_EQ(g5_only["grids"][0]["code"], "G5");
    const std::string day_before = data::format_time(start - std::chrono::hours(48)).substr(0, 10);
    json earlier = body_of(get("/api/v1/coverage?from=" + day_before + "&to=" + day_before, chief));
    EXPECT_EQ(earlier["audit"]["visited"], 0);

    // Per officer: the grids they answer for, with their status.
    json mine = body_of(get("/api/v1/coverage?officer=P-WALK", chief));
    ASSERT_EQ(mine["grids"].size(), 1u);
    EXPECT_EQ(mine["grids"][0]["code"], "G2");
    EXPECT_EQ(mine["officer"]["name"], "走访员");
    expect_error(get("/api/v1/coverage?officer=P-WALK", officer5), 404, "not_found");
    expect_error(get("/api/v1/coverage?officer=NOBODY", chief), 404, "not_found");
    EXPECT_EQ(body_of(get("/api/v1/coverage?area=G3", chief))["grids"].size(), 1u);
    EXPECT_EQ(body_of(get("/api/v1/coverage?area=411102", chief))["grids"].size(), 5u);

    Response csv = get("/api/v1/coverage?format=csv", chief);
    ASSERT_EQ(csv.status, 200);
    EXPECT_EQ(csv.header("Content-Type").value_or(""), "text/csv; charset=utf-8");
    ASSERT_TRUE(csv.body.starts_with("\xEF\xBB\xBF"
                                     "code,name,type,visited,"));
    EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 6);
    EXPECT_NE(csv.body.find("\nG2,第2网格,,true,1,"), std::string::npos) << csv.body;

    Response gj = get("/api/v1/coverage?format=geojson", officer5);
    ASSERT_EQ(gj.status, 200);
    EXPECT_EQ(gj.header("Content-Type").value_or(""), "application/geo+json");
    json fc = body_of(gj);
    EXPECT_EQ(fc["type"], "FeatureCollection");
    ASSERT_EQ(fc["features"].size(), 1u);
    EXPECT_EQ(fc["features"][0]["geometry"]["type"], "MultiPolygon");
    EXPECT_EQ(fc["features"][0]["properties"]["stale"], true);

    for (const char* bad : {"?format=xml", "?from=yesterday", "?from=2026-11-10&to=2026-11-01",
                            "?layer=nope", "?window=7"}) {
        Response b = get(std::string("/api/v1/coverage") + bad, chief);
        EXPECT_TRUE(b.status == 400 || b.status == 404) << bad << " -> " << b.status << b.body;
    }
}

TEST_F(HandlersTest, CameraAndDroneCoverageOfTheGridsTheCallerMaySee) {
    report_in_g2(); // and officer5, who covers G5 only
    // A camera seeing all around it in the middle of G2, and one off line in G5.
    store->add_camera({0, "CAM-G2", "第2网格中心", {114.015, 33.505}, 0, 360, 100, true});
    store->add_camera({0, "CAM-G5", "第5网格", {114.045, 33.505}, 90, 60, 50, false});
    // Yesterday a drone flew along 33.505 N from G1 to G3 with a 100 m swath.
    const data::Time start =
        std::chrono::floor<std::chrono::minutes>(desk.now()) - std::chrono::hours(24);
    data::TimedPath path;
    for (int k = 0; k <= 20; ++k) {
        path.points.push_back({114.005 + 0.001 * k, 33.505});
        path.times.push_back(start + std::chrono::seconds(10 * k));
    }
    store->add_drone_flight({0, "UAV1", "违建巡查", path, 100});
    const Headers chief = {{"Authorization", "Bearer " + login_token()}};
    const Headers officer5 = {{"Authorization", "Bearer " + officer5_token()}};
    const double g2_area = geo::distance_m({114.01, 33.505}, {114.02, 33.505}) *
                           geo::distance_m({114.015, 33.5}, {114.015, 33.51});
    // view_cone's circle: 72 triangles of 5 degrees.
    const double disc = 36 * 100.0 * 100 * std::sin(5 * std::numbers::pi / 180);

    expect_error(get("/api/v1/coverage/cameras"), 401, "unauthorized");
    json cams = body_of(get("/api/v1/coverage/cameras", chief));
    ASSERT_EQ(cams["grids"].size(), 5u) << cams.dump();
    const json& g2 = cams["grids"][1];
    EXPECT_EQ(g2["code"], "G2");
    EXPECT_NEAR(g2["covered_share"].get<double>(), disc / g2_area, 0.002);
    EXPECT_EQ(g2["cameras_online"], 1);
    EXPECT_EQ(g2["blind_spots"], 1);
    EXPECT_EQ(cams["audit"]["cameras_online"], 1);
    EXPECT_EQ(cams["audit"]["cameras_offline"], 1);
    json g5_cams = body_of(get("/api/v1/coverage/cameras", officer5));
    ASSERT_EQ(g5_cams["grids"].size(), 1u);
    EXPECT_EQ(g5_cams["grids"][0]["cameras_offline"], 1);
    EXPECT_EQ(g5_cams["grids"][0]["covered_share"], 0);
    json spots =
        body_of(get("/api/v1/coverage/cameras?format=geojson&show=blind_spots&area=G2", chief));
    ASSERT_EQ(spots["features"].size(), 1u);
    EXPECT_EQ(spots["features"][0]["properties"]["grid"], "G2");
    EXPECT_NEAR(spots["features"][0]["properties"]["area_m2"].get<double>(), g2_area - disc,
                g2_area * 0.002);
    Response cams_csv = get("/api/v1/coverage/cameras?format=csv", chief);
    EXPECT_TRUE(cams_csv.body.starts_with("\xEF\xBB\xBF"
                                          "code,name,type,covered_share,"))
        << cams_csv.body;

    json flights = body_of(get("/api/v1/coverage/drones?plan=G2", chief));
    ASSERT_EQ(flights["flights"].size(), 1u) << flights.dump();
    EXPECT_EQ(flights["flights"][0]["code"], "UAV1");
    EXPECT_NEAR(flights["flights"][0]["length_m"].get<double>(),
                geo::distance_m({114.005, 33.505}, {114.025, 33.505}), 1);
    EXPECT_EQ(flights["grids"][1]["flights"], json::array({"UAV1"}));
    EXPECT_EQ(flights["grids"][4]["flights"], json::array());
    const double strip = 100 * geo::distance_m({114.01, 33.505}, {114.02, 33.505});
    EXPECT_NEAR(flights["grids"][1]["covered_share"].get<double>(), strip / g2_area, 0.002);
    EXPECT_NEAR(flights["plan"]["covered_share"].get<double>(), strip / g2_area, 0.002);
    EXPECT_EQ(flights["plan"]["gaps"], 2);
    EXPECT_EQ(flights["reinspected"], json::array()) << "no event is closed";
    json gaps = body_of(get("/api/v1/coverage/drones?plan=G2&format=geojson&show=gaps", chief));
    EXPECT_EQ(gaps["features"].size(), 2u);
    json prints = body_of(get("/api/v1/coverage/drones?format=geojson&show=footprints", chief));
    ASSERT_EQ(prints["features"].size(), 1u);
    EXPECT_EQ(prints["features"][0]["geometry"]["type"], "MultiPolygon");
    // officer5's grid is not under the flight: the flight is not theirs to see.
    json g5_flights = body_of(get("/api/v1/coverage/drones", officer5));
    EXPECT_EQ(g5_flights["flights"].size(), 0u);
    EXPECT_EQ(g5_flights["grids"].size(), 1u);
    expect_error(get("/api/v1/coverage/drones?plan=G2", officer5), 404, "not_found");
    expect_error(get("/api/v1/coverage/drones?plan=NOPE", chief), 404, "not_found");
    expect_error(get("/api/v1/coverage/drones?show=gaps", chief), 400, "invalid_argument");
    expect_error(get("/api/v1/coverage/cameras?show=cones", chief), 400, "invalid_argument");
    expect_error(get("/api/v1/coverage/drones?from=2026-11-10&to=2026-11-01", chief), 400,
                 "invalid_argument");
}

TEST_F(HandlersTest, CoverageTilesDrawTheGridsByTheirStandingAudit) {
    report_in_g2(); // and officer5, who covers G5 only
    // Yesterday P-WALK walked the middle of G2: visited, but stale.
    const data::Time start = walk_middle_of_g2();
    const tiles::TileId t = tiles::tile_at({114.02, 33.505}, 12);
    expect_error(get(tile_path("coverage", t)), 401, "unauthorized");
    auto grids = [&](const std::string& token) {
        Response r = get(tile_path("coverage", t), {{"Authorization", "Bearer " + token}});
        EXPECT_EQ(r.status, 200) << r.body;
        auto layers = tiles::decode_tile(r.body);
        std::map<std::string, tiles::FeatureData> out;
        if (!layers.empty()) {
            EXPECT_EQ(layers[0].name, "coverage");
            for (auto& f : layers[0].features)
                out.emplace(text_of(f.properties, "code"), f);
        }
        return out;
    };
    auto all = grids(login_token());
    ASSERT_EQ(all.size(), 5u);
    const auto& g2 = all.at("G2");
    EXPECT_EQ(g2.type, tiles::GeomType::polygon);
    const auto value = [](const tiles::FeatureData& f, const std::string& key) {
        for (const auto& [k, v] : f.properties)
            if (k == key)
                return v;
        ADD_FAILURE() << "no " << key;
        return tiles::Value{};
    };
    EXPECT_TRUE(value(g2, "visited").boolean);
    EXPECT_TRUE(value(g2, "stale").boolean);
    EXPECT_GT(value(g2, "coverage_share").real, 0.05);
    EXPECT_FALSE(value(all.at("G1"), "visited").boolean);
    EXPECT_EQ(text_of(g2.properties, "last_visit"),
              data::format_time(start + std::chrono::minutes(10)));
    // officer5 sees G5 only.
    auto mine = grids(officer5_token());
    ASSERT_EQ(mine.size(), 1u);
    EXPECT_TRUE(mine.contains("G5"));
    json tj = body_of(get("/tiles/coverage.json"));
    EXPECT_EQ(tj["vector_layers"][0]["fields"]["coverage_share"], "Number");
}

// ---- OGC API – Features ----

TEST_F(HandlersTest, OgcApiLandingConformanceAndCollections) {
    Headers host = {{"Host", "tessera.example:8080"}};
    json landing = body_of(get("/ogcapi", host));
    std::set<std::string> rels;
    for (const auto& l : landing["links"]) {
        rels.insert(l["rel"]);
        EXPECT_EQ(l["href"].get<std::string>().rfind("http://tessera.example:8080/ogcapi", 0), 0u);
    }
    EXPECT_TRUE(rels.contains("conformance") && rels.contains("data") && rels.contains("self"));
    json conf = body_of(get("/ogcapi/conformance"));
    std::set<std::string> classes(conf["conformsTo"].begin(), conf["conformsTo"].end());
    EXPECT_TRUE(classes.contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"));
    EXPECT_TRUE(classes.contains("http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"));

    // Anonymous callers see the boundary layers; the events collection needs a login.
    json anon = body_of(get("/ogcapi/collections"));
    std::vector<std::string> ids;
    for (const auto& c : anon["collections"])
        ids.push_back(c["id"]);
    EXPECT_EQ(ids, (std::vector<std::string>{"county", "grid", "exclusive"}));
    json grid = anon["collections"][1];
    EXPECT_EQ(grid["itemType"], "feature");
    EXPECT_EQ(grid["storageCrs"], "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
    EXPECT_EQ(grid["crs"].size(), 5u);
    EXPECT_NEAR(grid["extent"]["spatial"]["bbox"][0][2].get<double>(), 114.05, 1e-9);
    expect_error(get("/ogcapi/collections/events"), 401, "unauthorized");
    Headers chief = {{"Authorization", "Bearer " + login_token()}};
    json logged = body_of(get("/ogcapi/collections", chief));
    EXPECT_EQ(logged["collections"].back()["id"], "events");
    EXPECT_EQ(body_of(get("/ogcapi/collections/grid"))["id"], "grid");
    expect_error(get("/ogcapi/collections/nothing"), 404, "not_found");
    expect_error(get("/ogcapi/collections?f=html"), 400, "invalid_argument");
}

TEST_F(HandlersTest, OgcApiItemsPageFilterAndTransform) {
    Response r = get("/ogcapi/collections/grid/items?limit=2", {{"Host", "h:1"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type").value_or(""), "application/geo+json");
    EXPECT_EQ(r.header("Content-Crs").value_or(""),
              "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>");
    json page = body_of(r);
    EXPECT_EQ(page["numberMatched"], 5);
    EXPECT_EQ(page["numberReturned"], 2);
    EXPECT_EQ(page["features"][0]["id"], "G1");
    std::string next;
    for (const auto& l : page["links"])
        if (l["rel"] == "next")
            next = l["href"];
    ASSERT_EQ(next, "http://h:1/ogcapi/collections/grid/items?limit=2&offset=2");
    json second = body_of(get(next.substr(std::string("http://h:1").size())));
    EXPECT_EQ(second["features"][0]["id"], "G3");

    // Filters and bbox (CRS84 by default).
    json one = body_of(get("/ogcapi/collections/grid/items?code=G4"));
    ASSERT_EQ(one["numberReturned"], 1);
    EXPECT_EQ(one["features"][0]["properties"]["name"], "第4网格");
    json boxed = body_of(get("/ogcapi/collections/grid/items?bbox=114.021,33.501,114.029,33.509"));
    ASSERT_EQ(boxed["numberReturned"], 1);
    EXPECT_EQ(boxed["features"][0]["id"], "G3");

    // EPSG:4326 is latitude first, both for the bbox and for the output.
    std::string epsg4326 = "http://www.opengis.net/def/crs/EPSG/0/4326";
    Response latlon =
        get("/ogcapi/collections/grid/items?code=G1&crs=" + percent_encode(epsg4326) +
            "&bbox-crs=" + percent_encode(epsg4326) + "&bbox=33.501,114.001,33.509,114.009");
    ASSERT_EQ(latlon.status, 200) << latlon.body;
    EXPECT_EQ(latlon.header("Content-Crs").value_or(""), "<" + epsg4326 + ">");
    json ring = body_of(latlon)["features"][0]["geometry"]["coordinates"][0];
    for (const auto& p : ring) {
        EXPECT_NEAR(p[0].get<double>(), 33.505, 0.006) << "latitude first";
        EXPECT_NEAR(p[1].get<double>(), 114.005, 0.006);
    }
    // Web Mercator metres.
    json merc = body_of(get("/ogcapi/collections/grid/items/G1?crs=" +
                            percent_encode("http://www.opengis.net/def/crs/EPSG/0/3857")));
    double west = INFINITY;
    for (const auto& p : merc["geometry"]["coordinates"][0])
        west = std::min(west, p[0].get<double>());
    EXPECT_NEAR(west, 12690421.95, 0.01); // 114.0 E (cs2cs EPSG:4326 EPSG:3857)
    // GCJ-02 is offset a few hundred metres from WGS84 here.
    json gcj = body_of(get("/ogcapi/collections/grid/items/G1?crs=" +
                           percent_encode("urn:tessera:def:crs:GCJ-02")));
    double gx = gcj["geometry"]["coordinates"][0][0][0];
    EXPECT_GT(std::abs(gx - 114.0), 0.001);
    EXPECT_LT(std::abs(gx - 114.0), 0.01);

    // Bad input is a clear 400 (or 404), never a partial answer.
    expect_error(get("/ogcapi/collections/grid/items?crs=EPSG:9999"), 400, "invalid_argument");
    expect_error(get("/ogcapi/collections/grid/items?bbox=1,2,3"), 400, "invalid_argument");
    expect_error(get("/ogcapi/collections/grid/items?bbox=1,2,nan,4"), 400, "invalid_argument");
    expect_error(get("/ogcapi/collections/grid/items?limit=0"), 400, "invalid_argument");
    expect_error(get("/ogcapi/collections/grid/items?colour=red"), 400, "invalid_argument");
    expect_error(get("/ogcapi/collections/grid/items?datetime=yesterday"), 400, "invalid_argument");
    expect_error(get("/ogcapi/collections/grid/items/G9"), 404, "not_found");
    EXPECT_EQ(body_of(get("/ogcapi/collections/grid/items?limit=100000"))["numberReturned"], 5)
        << "a limit above the maximum is the maximum";
    // datetime on a boundary layer: the version valid then (none before the first import).
    EXPECT_EQ(body_of(get(
                  "/ogcapi/collections/grid/items?datetime=2024-01-01T00:00:00Z"))["numberMatched"],
              0);
    EXPECT_EQ(body_of(get(
                  "/ogcapi/collections/grid/items?datetime=2025-06-01T00:00:00Z"))["numberMatched"],
              5);
}

TEST_F(HandlersTest, OgcApiEventsFollowJurisdiction) {
    auto event = report_in_g2();

    expect_error(get("/ogcapi/collections/events/items"), 401, "unauthorized");
    Headers chief = {{"Authorization", "Bearer " + login_token()}};
    json all = body_of(get("/ogcapi/collections/events/items", chief));
    ASSERT_EQ(all["numberReturned"], 1);
    EXPECT_EQ(all["features"][0]["id"], event.id);
    EXPECT_EQ(all["features"][0]["properties"]["grid_code"], "G2");
    EXPECT_EQ(
        body_of(get("/ogcapi/collections/events/items?status=closed", chief))["numberReturned"], 0);
    EXPECT_EQ(body_of(get("/ogcapi/collections/events/items?datetime=2000-01-01T00:00:00Z/..",
                          chief))["numberReturned"],
              1);
    EXPECT_EQ(body_of(get("/ogcapi/collections/events/items?datetime=../2000-01-01T00:00:00Z",
                          chief))["numberReturned"],
              0);
    EXPECT_EQ(body_of(get("/ogcapi/collections/events/items/" + std::to_string(event.id),
                          chief))["properties"]["category"],
              "garbage");

    Headers officer = {{"Authorization", "Bearer " + officer5_token()}};
    EXPECT_EQ(body_of(get("/ogcapi/collections/events/items", officer))["numberReturned"], 0);
    expect_error(get("/ogcapi/collections/events/items/" + std::to_string(event.id), officer), 404,
                 "not_found");
}

// ---- locate ----

TEST_F(HandlersTest, LocateAnswersGridCountyAndHidesPeopleFromAnonymousCallers) {
    store->add_person(
        {0, "P1", "王芳", data::PersonRole::full_time_officer, "13800000001", {"G2"}, {}});
    Response r = get("/api/v1/locate?lon=114.015&lat=33.505");
    ASSERT_EQ(r.status, 200) << r.body;
    json j = body_of(r);
    EXPECT_EQ(j["status"], "assigned");
    EXPECT_EQ(j["grid"]["code"], "G2");
    EXPECT_EQ(j["grid"]["name"], "第2网格");
    EXPECT_EQ(j["county"]["code"], "411102");
    EXPECT_EQ(j["layer_version"], 1);
    EXPECT_TRUE(j["owners"].is_null());
    EXPECT_EQ(j["owners_hidden"], true);
    // The chief of the county's area sees who is responsible.
    json seen = body_of(get("/api/v1/locate?lon=114.015&lat=33.505",
                            {{"Authorization", "Bearer " + login_token()}}));
    ASSERT_EQ(seen["owners"].size(), 1u);
    EXPECT_EQ(seen["owners"][0]["name"], "王芳");
    EXPECT_EQ(seen["owners"][0]["phone"], "13800000001");
}

TEST_F(HandlersTest, LocateBoundaryRuleFallbackAndErrors) {
    EXPECT_EQ(body_of(get("/api/v1/locate?lon=114.01&lat=33.505"))["grid"]["code"], "G2")
        << "a shared vertical edge belongs to the grid east of it";
    json outside = body_of(get("/api/v1/locate?lon=114.08&lat=33.55")); // county, no grid
    EXPECT_EQ(outside["status"], "outside_grid");
    EXPECT_EQ(outside["outside_grid"], true);
    EXPECT_TRUE(outside["grid"].is_null());
    EXPECT_EQ(outside["county"]["code"], "411102");
    json away = body_of(get("/api/v1/locate?lon=100&lat=30"));
    EXPECT_EQ(away["status"], "unassigned");
    expect_error(get("/api/v1/locate?lon=114"), 400, "invalid_argument");
    expect_error(get("/api/v1/locate?lon=abc&lat=33"), 400, "invalid_argument");
    expect_error(get("/api/v1/locate?lon=114&lat=33&crs=mars"), 400, "unknown_crs");
    expect_error(get("/api/v1/locate?lon=114&lat=95"), 400, "invalid_argument");
    expect_error(get("/api/v1/locate?lon=114&lat=33&accuracy=-3"), 400, "invalid_argument");
    expect_error(get("/api/v1/locate?lon=114&lat=33&layer=county"), 404, "not_found");
    expect_error(get("/api/v1/locate?lon=114&lat=33&foo=1"), 400, "invalid_argument");
}

TEST_F(HandlersTest, LocateAcceptsGcj02AndAccuracy) {
    // GCJ-02 of WGS84 (114.0149, 33.505) is ~550 m east; declared as gcj02 it lands back in G2.
    json j = body_of(get("/api/v1/locate?lon=114.020812987&lat=33.503475408&crs=gcj02"));
    EXPECT_EQ(body_of(get("/api/v1/locate?lon=114.020812987&lat=33.503475408"))["grid"]["code"],
              "G3")
        << "read as WGS84 the same numbers are in another grid";
    EXPECT_EQ(j["grid"]["code"], "G2") << j.dump();
    json near = body_of(get("/api/v1/locate?lon=114.0199&lat=33.505&accuracy=30"));
    EXPECT_EQ(near["ambiguous"], true);
    EXPECT_EQ(near["candidates"].size(), 2u);
}

TEST_F(HandlersTest, LocateBatchJson) {
    Response r = call(
        "POST", "/api/v1/locate",
        R"([{"id": "a", "lon": 114.015, "lat": 33.505}, [114.08, 33.55], {"id": 7, "lon": 100, "lat": 30}])",
        {{"Content-Type", "application/json; charset=utf-8"}});
    ASSERT_EQ(r.status, 200) << r.body;
    json j = body_of(r);
    EXPECT_EQ(j["layer_version"], 1);
    ASSERT_EQ(j["results"].size(), 3u);
    EXPECT_EQ(
        j["results"][0],
        (json{{"id", "a"}, {"status", "assigned"}, {"grid_code", "G2"}, {"grid_name", "第2网格"}}));
    EXPECT_EQ(j["results"][1]["id"], 1);
    EXPECT_EQ(j["results"][1]["status"], "outside_grid");
    EXPECT_EQ(j["results"][2]["id"], 7);
    EXPECT_EQ(j["results"][2]["status"], "unassigned");
    EXPECT_TRUE(j["results"][2]["grid_code"].is_null());
    expect_error(call("POST", "/api/v1/locate", R"([{"lon": "x", "lat": 1}])",
                      {{"Content-Type", "application/json"}}),
                 400, "invalid_argument");
    expect_error(
        call("POST", "/api/v1/locate", R"({"lon": 1})", {{"Content-Type", "application/json"}}),
        400, "invalid_argument");
    std::string msg = expect_error(call("POST", "/api/v1/locate", R"([[114, 33], [114, 95]])",
                                        {{"Content-Type", "application/json"}}),
                                   400, "invalid_argument");
    EXPECT_NE(msg.find("element 1"), std::string::npos) << msg;
}

TEST_F(HandlersTest, LocateBatchCsvRejectsBadRowsByLine) {
    Response r =
        call("POST", "/api/v1/locate?crs=wgs84",
             "id,lon,lat\np1,114.005,33.505\np2,114.01,33.505\n", {{"Content-Type", "text/csv"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body,
              "id,grid_code,grid_name,layer_version,flags\np1,G1,第1网格,1,\np2,G2,第2网格,1,\n");
    std::string msg =
        expect_error(call("POST", "/api/v1/locate", "p1,114.005,33.505\np2,abc,33\np3,1,2,3\n",
                          {{"Content-Type", "text/csv"}}),
                     400, "invalid_argument");
    EXPECT_NE(msg.find("line 2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("2 bad rows"), std::string::npos) << msg;
    expect_error(call("POST", "/api/v1/locate", "a,1,2\n", {{"Content-Type", "text/plain"}}), 400,
                 "invalid_argument");
}

TEST_F(HandlersTest, LocateBatchBinary) {
    auto f64 = [](std::string& out, double d) {
        std::uint64_t u;
        std::memcpy(&u, &d, 8);
        for (int i = 0; i < 8; ++i)
            out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
    };
    std::string body;
    for (auto [x, y] : std::vector<std::pair<double, double>>{
             {114.015, 33.505}, {114.005, 33.505}, {114.015, 33.506}, {100, 30}, {114.08, 33.55}}) {
        f64(body, x);
        f64(body, y);
    }
    Response r =
        call("POST", "/api/v1/locate", body, {{"Content-Type", "application/octet-stream"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string& b = r.body;
    auto u32 = [&](std::size_t at) {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i)
            v |= static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
        return v;
    };
    ASSERT_GE(b.size(), 20u);
    EXPECT_EQ(b.substr(0, 4), "TSR1");
    EXPECT_EQ(u32(4), 5u);  // points
    EXPECT_EQ(u32(8), 1u);  // layer version (low half)
    EXPECT_EQ(u32(12), 0u); // (high half)
    EXPECT_EQ(u32(16), 2u); // two distinct grids: G2, G1 in order of appearance
    EXPECT_EQ(b.substr(20, 2), std::string("\x02\x00", 2));
    EXPECT_EQ(b.substr(22, 2), "G2");
    EXPECT_EQ(b.substr(26, 2), "G1");
    std::size_t idx = 28;
    ASSERT_EQ(b.size(), idx + 5 * 4);
    EXPECT_EQ(static_cast<std::int32_t>(u32(idx)), 0);
    EXPECT_EQ(static_cast<std::int32_t>(u32(idx + 4)), 1);
    EXPECT_EQ(static_cast<std::int32_t>(u32(idx + 8)), 0);
    EXPECT_EQ(static_cast<std::int32_t>(u32(idx + 12)), -1) << "unassigned";
    EXPECT_EQ(static_cast<std::int32_t>(u32(idx + 16)), -2)
        << "outside every grid, inside the county";
    expect_error(call("POST", "/api/v1/locate", body.substr(0, 20),
                      {{"Content-Type", "application/octet-stream"}}),
                 400, "invalid_argument");
}

// ---- errors, routing ----

TEST(ErrorTable, EveryCodeHasItsStatus) {
    EXPECT_EQ(status_for(ErrorCode::invalid_argument), 400);
    EXPECT_EQ(status_for(ErrorCode::invalid_geometry), 400);
    EXPECT_EQ(status_for(ErrorCode::unknown_crs), 400);
    EXPECT_EQ(status_for(ErrorCode::unauthorized), 401);
    EXPECT_EQ(status_for(ErrorCode::forbidden), 403);
    EXPECT_EQ(status_for(ErrorCode::not_found), 404);
    EXPECT_EQ(status_for(ErrorCode::conflict), 409);
    EXPECT_EQ(status_for(ErrorCode::payload_too_large), 413);
    EXPECT_EQ(status_for(ErrorCode::io_error), 500);
    EXPECT_EQ(status_for(ErrorCode::store_error), 500);
    EXPECT_EQ(status_for(ErrorCode::internal), 500);
}

TEST(JsonWriter, WritesValidJsonWithEscapesNestingAndShortestDoubles) {
    std::string out;
    JsonWriter w(out);
    const double lon = 114.01234567890123, third = 1.0 / 3;
    w.begin_object()
        .key("s")
        .value("quote \" backslash \\ newline \n tab \t bell \x07 中文")
        .key("bad_utf8")
        .value(std::string_view("a\xff"
                                "b\xe4\xb8"
                                "c\xed\xa0\x80"
                                "d",
                                10))
        .key("n")
        .value(std::int64_t{-42})
        .key("d")
        .begin_array()
        .value(lon)
        .value(third)
        .value(std::nan(""))
        .value(1e300)
        .end_array()
        .key("empty")
        .begin_object()
        .end_object()
        .key("list")
        .begin_array()
        .begin_object()
        .key("a")
        .null()
        .end_object()
        .value(true)
        .value(false)
        .end_array()
        .end_object();
    json j = json::parse(out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << out;
    EXPECT_EQ(j["s"], "quote \" backslash \\ newline \n tab \t bell \x07 中文");
    EXPECT_NE(out.find("\\u0007"), std::string::npos) << out;
    // Each byte of an invalid sequence becomes U+FFFD; the valid bytes around stay.
    EXPECT_EQ(j["bad_utf8"], "a\xef\xbf\xbd"
                             "b\xef\xbf\xbd\xef\xbf\xbd"
                             "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                             "d");
    EXPECT_EQ(j["n"], -42);
    EXPECT_EQ(j["d"][0].get<double>(), lon) << "doubles read back exactly";
    EXPECT_EQ(j["d"][1].get<double>(), third);
    EXPECT_TRUE(j["d"][2].is_null()) << "NaN is not JSON";
    EXPECT_EQ(j["d"][3].get<double>(), 1e300);
    EXPECT_TRUE(j["empty"].is_object() && j["empty"].empty());
    EXPECT_EQ(j["list"], json::parse(R"([{"a": null}, true, false])"));
}

TEST(ErrorTable, ErrorResponseIsCodeAndMessageJson) {
    Response r = error_response(Error(ErrorCode::conflict, "layer \"grid\" exists"));
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(json::parse(r.body),
              (json{{"code", "conflict"}, {"message", "layer \"grid\" exists"}}));
    EXPECT_FALSE(r.header("WWW-Authenticate"));
    EXPECT_EQ(error_response(401, "unauthorized", "x").header("WWW-Authenticate"), "Bearer");
}

TEST(Targets, QueryIsSplitAndDecoded) {
    Target t = parse_target("/a/b?bbox=1%2C2,3,4&q=a+b&flag&x=%E7%BD%91");
    EXPECT_EQ(t.path, "/a/b");
    ASSERT_EQ(t.query.size(), 4u);
    EXPECT_EQ(query_param(t, "bbox"), "1,2,3,4");
    EXPECT_EQ(query_param(t, "q"), "a b");
    EXPECT_EQ(query_param(t, "flag"), "");
    EXPECT_EQ(query_param(t, "x"), "网");
    EXPECT_FALSE(query_param(t, "missing"));
    EXPECT_THROW(parse_target("/a?x=%zz"), Error);
    EXPECT_THROW(parse_target("http://example.com/"), Error);
    EXPECT_EQ(percent_decode("%4", false), std::nullopt);
    EXPECT_EQ(percent_encode("a b,c", ","), "a%20b,c");
}

TEST_F(HandlersTest, UnknownApiRouteIs404Json) {
    expect_error(get("/api/v1/nothing"), 404, "not_found");
    expect_error(get("/api/v1/layers/"), 404, "not_found");
    expect_error(get("/api/v2/layers"), 404, "not_found");
}

TEST_F(HandlersTest, WrongMethodIs405WithAllow) {
    Response r = call("DELETE", "/api/v1/layers");
    expect_error(r, 405, "method_not_allowed");
    EXPECT_EQ(r.header("Allow"), "GET, HEAD");
    r = get("/api/v1/login");
    expect_error(r, 405, "method_not_allowed");
    EXPECT_EQ(r.header("Allow"), "POST");
    r = call("POST", "/index.html");
    expect_error(r, 405, "method_not_allowed");
    EXPECT_EQ(r.header("Allow"), "GET, HEAD");
}

TEST_F(HandlersTest, HeadAnswersLikeGetWithoutBody) {
    Response r = call("HEAD", "/api/v1/layers");
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.head_only);
    EXPECT_FALSE(get("/api/v1/layers").head_only);
}

TEST_F(HandlersTest, HealthzChecksTheStore) {
    Response r = get("/healthz");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(body_of(r)["status"], "ok");
    EXPECT_EQ(body_of(r)["schema_version"], data::current_schema_version());
}

// ---- layers ----

TEST_F(HandlersTest, LayersListEveryLayerWithCountsVersionAndExtent) {
    Response r = get("/api/v1/layers");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    json layers = body_of(r);
    ASSERT_TRUE(layers.is_array());
    ASSERT_EQ(layers.size(), 3u);
    json grid;
    for (const auto& l : layers)
        if (l["name"] == "grid")
            grid = l;
    ASSERT_TRUE(grid.is_object()) << layers.dump();
    EXPECT_EQ(grid["title"], "网格");
    EXPECT_EQ(grid["kind"], "grid");
    EXPECT_EQ(grid["parent"], "county");
    EXPECT_EQ(grid["precedence"], 1);
    EXPECT_EQ(grid["feature_count"], 5);
    EXPECT_EQ(grid["version"], 1);
    EXPECT_EQ(grid["source_crs"], "EPSG:4326");
    ASSERT_TRUE(grid["extent"].is_array());
    ASSERT_EQ(grid["extent"].size(), 4u);
    EXPECT_NEAR(grid["extent"][0].get<double>(), 114.0, 1e-9);
    EXPECT_NEAR(grid["extent"][1].get<double>(), 33.5, 1e-9);
    EXPECT_NEAR(grid["extent"][2].get<double>(), 114.05, 1e-9);
    EXPECT_NEAR(grid["extent"][3].get<double>(), 33.51, 1e-9);
    for (const auto& l : layers) {
        if (l["name"] == "exclusive") {
            EXPECT_TRUE(l["extent"].is_null());
            EXPECT_EQ(l["feature_count"], 0);
            EXPECT_EQ(l["version"], 0);
        }
        if (l["name"] == "county") {
            EXPECT_TRUE(l["parent"].is_null());
        }
    }
}

TEST_F(HandlersTest, LayersRejectUnknownParameters) {
    expect_error(get("/api/v1/layers?kind=grid"), 400, "invalid_argument");
}

// ---- features ----

TEST_F(HandlersTest, FeaturesAreAnRfc7946FeatureCollection) {
    Response r = get("/api/v1/layers/grid/features");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/geo+json");
    json fc = body_of(r);
    EXPECT_EQ(fc["type"], "FeatureCollection");
    EXPECT_EQ(fc["numberMatched"], 5);
    EXPECT_EQ(fc["numberReturned"], 5);
    ASSERT_EQ(fc["features"].size(), 5u);
    const json& f = fc["features"][0];
    EXPECT_EQ(f["type"], "Feature");
    EXPECT_EQ(f["id"], "G1");
    EXPECT_EQ(f["geometry"]["type"], "Polygon");
    json ring = f["geometry"]["coordinates"][0];
    ASSERT_EQ(ring.size(), 5u);
    EXPECT_EQ(ring[0], json::array({114.0, 33.5}));
    EXPECT_EQ(ring[1], json::array({114.01, 33.5}));
    const json& p = f["properties"];
    EXPECT_EQ(p["code"], "G1");
    EXPECT_EQ(p["name"], "第1网格");
    EXPECT_EQ(p["parent_code"], "411102");
    EXPECT_EQ(p["version"], 1);
    EXPECT_EQ(p["valid_from"], "2025-01-01T00:00:00.000Z");
    EXPECT_EQ(p["households"], 401);
    EXPECT_EQ(p["urban"], false);
    EXPECT_EQ(p["density"], 1.5);
    EXPECT_TRUE(p.contains("note"));
    EXPECT_TRUE(p["note"].is_null());
    EXPECT_FALSE(p.contains("valid_to"));
}

TEST_F(HandlersTest, FeaturePolygonsFollowTheRightHandRule) {
    json fc = body_of(get("/api/v1/layers/grid/features"));
    for (const auto& f : fc["features"]) {
        const json& ring = f["geometry"]["coordinates"][0];
        double area2 = 0;
        for (std::size_t i = 0; i + 1 < ring.size(); ++i)
            area2 += ring[i][0].get<double>() * ring[i + 1][1].get<double>() -
                     ring[i + 1][0].get<double>() * ring[i][1].get<double>();
        EXPECT_GT(area2, 0) << "exterior ring of " << f["id"] << " is clockwise";
    }
}

TEST_F(HandlersTest, StoredAttributesDoNotOverrideReservedProperties) {
    json fc = body_of(get("/api/v1/layers/grid/features?limit=1"));
    EXPECT_EQ(fc["features"][0]["properties"]["code"], "G1");
}

TEST_F(HandlersTest, FeaturesArePagedWithNextLinks) {
    json page = body_of(get("/api/v1/layers/grid/features?limit=2"));
    EXPECT_EQ(page["numberMatched"], 5);
    EXPECT_EQ(page["numberReturned"], 2);
    std::vector<std::string> codes;
    for (int guard = 0; guard < 10; ++guard) {
        for (const auto& f : page["features"])
            codes.push_back(f["id"]);
        std::string next;
        for (const auto& l : page["links"])
            if (l["rel"] == "next")
                next = l["href"];
        if (next.empty())
            break;
        EXPECT_NE(next.find("limit=2"), std::string::npos) << next;
        Response r = get(next);
        ASSERT_EQ(r.status, 200) << next << ": " << r.body;
        page = body_of(r);
    }
    EXPECT_EQ(codes, (std::vector<std::string>{"G1", "G2", "G3", "G4", "G5"}));
    EXPECT_EQ(page["numberReturned"], 1); // the last page holds the fifth grid only
}

TEST_F(HandlersTest, OffsetPastTheEndIsAnEmptyPage) {
    json page = body_of(get("/api/v1/layers/grid/features?offset=10"));
    EXPECT_EQ(page["numberMatched"], 5);
    EXPECT_EQ(page["numberReturned"], 0);
    EXPECT_TRUE(page["features"].empty());
    for (const auto& l : page["links"])
        EXPECT_NE(l["rel"], "next");
}

TEST_F(HandlersTest, LimitAboveTheMaximumIsClamped) {
    json page = body_of(get("/api/v1/layers/grid/features?limit=50000"));
    EXPECT_EQ(page["numberReturned"], 5);
    std::string self = page["links"][0]["href"];
    EXPECT_NE(self.find("limit=10000"), std::string::npos) << self;
}

TEST_F(HandlersTest, BboxSelectsIntersectingFeaturesAndIsKeptInLinks) {
    // Touches G2 and G3 only (G2 spans 114.01..114.02, G3 114.02..114.03).
    Response r = get("/api/v1/layers/grid/features?bbox=114.012,33.501,114.025,33.505&limit=1");
    ASSERT_EQ(r.status, 200) << r.body;
    json page = body_of(r);
    EXPECT_EQ(page["numberMatched"], 2);
    EXPECT_EQ(page["features"][0]["id"], "G2");
    std::string next;
    for (const auto& l : page["links"])
        if (l["rel"] == "next")
            next = l["href"];
    ASSERT_FALSE(next.empty());
    EXPECT_NE(next.find("bbox=114.012,33.501,114.025,33.505"), std::string::npos) << next;
    json second = body_of(get(next));
    ASSERT_EQ(second["features"].size(), 1u);
    EXPECT_EQ(second["features"][0]["id"], "G3");
    // Far away: nothing.
    json none = body_of(get("/api/v1/layers/grid/features?bbox=100,20,100.1,20.1"));
    EXPECT_EQ(none["numberMatched"], 0);
}

TEST_F(HandlersTest, AtReturnsTheVersionValidThen) {
    store->replace_features(
        "grid", {"test", "v2", data::parse_time("2025-06-01")},
        std::vector<data::FeatureInput>{{"G9", "新网格", "411102", {}, square(114.0, 33.5, 0.05)}});
    json now = body_of(get("/api/v1/layers/grid/features"));
    ASSERT_EQ(now["numberMatched"], 1);
    EXPECT_EQ(now["features"][0]["id"], "G9");
    EXPECT_EQ(now["features"][0]["properties"]["version"], 2);
    json before = body_of(get("/api/v1/layers/grid/features?at=2025-03-01"));
    EXPECT_EQ(before["numberMatched"], 5);
    EXPECT_EQ(before["features"][0]["properties"]["valid_to"], "2025-06-01T00:00:00.000Z");
    json with_time = body_of(get("/api/v1/layers/grid/features?at=2025-03-01T08:00:00%2B08:00"));
    EXPECT_EQ(with_time["numberMatched"], 5);
}

TEST_F(HandlersTest, BadFeatureParametersAre400WithAClearMessage) {
    struct Case {
        const char* query;
        const char* mentions;
    };
    const Case cases[] = {
        {"bbox=1,2,3", "4 numbers"},
        {"bbox=1,2,3,4,5,6", "4 numbers"},
        {"bbox=a,b,c,d", "bbox"},
        {"bbox=", "bbox"},
        {"bbox=114.1,33,114.0,34", "minx <= maxx"},
        {"bbox=0,-91,1,1", "outside"},
        {"bbox=nan,1,2,3", "bbox"},
        {"limit=0", "limit"},
        {"limit=ten", "limit"},
        {"limit=-5", "limit"},
        {"offset=-1", "offset"},
        {"offset=1.5", "offset"},
        {"at=yesterday", "at must be"},
        {"at=2025-13-01", "at must be"},
        {"bboxx=1,2,3,4", "unknown query parameter 'bboxx'"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.query);
        std::string message = expect_error(
            get(std::string("/api/v1/layers/grid/features?") + c.query), 400, "invalid_argument");
        EXPECT_NE(message.find(c.mentions), std::string::npos) << message;
    }
}

TEST_F(HandlersTest, UnknownLayerIs404) {
    std::string message = expect_error(get("/api/v1/layers/nope/features"), 404, "not_found");
    EXPECT_NE(message.find("nope"), std::string::npos);
}

// ---- auth ----

TEST_F(HandlersTest, LoginReturnsTokenExpiryAndUser) {
    Response r =
        call("POST", "/api/v1/login", R"({"username":"chief1","password":"correct horse"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    json j = body_of(r);
    EXPECT_FALSE(j["token"].get<std::string>().empty());
    EXPECT_TRUE(data::parse_time(j["expires_at"].get<std::string>()));
    EXPECT_EQ(j["user"]["username"], "chief1");
    EXPECT_EQ(j["user"]["display_name"], "张网格长");
    EXPECT_EQ(j["user"]["role"], "grid_chief");
    EXPECT_EQ(j["user"]["jurisdiction"]["kind"], "area");
    EXPECT_EQ(j["user"]["jurisdiction"]["area_code"], "411102");
}

TEST_F(HandlersTest, LoginWithWrongPasswordOrUnknownUserIs401) {
    expect_error(call("POST", "/api/v1/login", R"({"username":"chief1","password":"wrong!!!"})"),
                 401, "unauthorized");
    expect_error(call("POST", "/api/v1/login", R"({"username":"ghost","password":"whatever"})"),
                 401, "unauthorized");
}

TEST_F(HandlersTest, MalformedLoginBodyIs400) {
    expect_error(call("POST", "/api/v1/login", "{not json"), 400, "invalid_argument");
    expect_error(call("POST", "/api/v1/login", ""), 400, "invalid_argument");
    expect_error(call("POST", "/api/v1/login", R"(["chief1","correct horse"])"), 400,
                 "invalid_argument");
    expect_error(call("POST", "/api/v1/login", R"({"username":"chief1","password":42})"), 400,
                 "invalid_argument");
}

TEST_F(HandlersTest, MeNeedsAValidBearerToken) {
    Response r = get("/api/v1/me");
    expect_error(r, 401, "unauthorized");
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer");
    expect_error(get("/api/v1/me", {{"Authorization", "Bearer " + std::string(64, 'a')}}), 401,
                 "unauthorized");
    expect_error(get("/api/v1/me", {{"Authorization", "Basic Y2hpZWYxOng="}}), 401, "unauthorized");

    std::string token = login_token();
    r = get("/api/v1/me", {{"authorization", "bearer " + token}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body_of(r)["username"], "chief1");
    EXPECT_EQ(body_of(r)["role"], "grid_chief");
}

TEST_F(HandlersTest, LogoutEndsTheSession) {
    std::string token = login_token();
    Headers auth_header = {{"Authorization", "Bearer " + token}};
    ASSERT_EQ(get("/api/v1/me", auth_header).status, 200);
    Response r = call("POST", "/api/v1/logout", {}, auth_header);
    EXPECT_EQ(r.status, 204);
    EXPECT_TRUE(r.body.empty());
    expect_error(get("/api/v1/me", auth_header), 401, "unauthorized");
    expect_error(call("POST", "/api/v1/logout"), 401, "unauthorized");
}

TEST_F(HandlersTest, BoundariesArePublicButAStaleTokenIs401) {
    EXPECT_EQ(get("/api/v1/layers/grid/features").status, 200);
    std::string token = login_token();
    EXPECT_EQ(get("/api/v1/layers/grid/features", {{"Authorization", "Bearer " + token}}).status,
              200);
    expect_error(get("/api/v1/layers", {{"Authorization", "Bearer " + std::string(64, '0')}}), 401,
                 "unauthorized");
}

// ---- metrics ----

TEST_F(HandlersTest, MetricsCountRequestsByRoutePatternAndReportTheStore) {
    get("/api/v1/layers");
    get("/api/v1/layers");
    get("/api/v1/layers/grid/features");
    get("/api/v1/layers/county/features");
    get("/api/v1/layers/grid/features?limit=0");
    get("/api/v1/nothing");
    Response r = get("/metrics");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    const std::string& m = r.body;
    auto has = [&](const std::string& line) {
        return m.find("\n" + line + "\n") != std::string::npos;
    };
    EXPECT_TRUE(
        has(R"(tessera_http_requests_total{route="/api/v1/layers",method="GET",status="200"} 2)"))
        << m;
    EXPECT_TRUE(has(
        R"(tessera_http_requests_total{route="/api/v1/layers/{name}/features",method="GET",status="200"} 2)"))
        << m;
    EXPECT_TRUE(has(
        R"(tessera_http_requests_total{route="/api/v1/layers/{name}/features",method="GET",status="400"} 1)"))
        << m;
    EXPECT_TRUE(
        has(R"(tessera_http_requests_total{route="unmatched",method="GET",status="404"} 1)"))
        << m;
    EXPECT_TRUE(has(R"(tessera_http_request_duration_seconds_count{route="/api/v1/layers"} 2)"))
        << m;
    EXPECT_TRUE(
        has(R"(tessera_http_request_duration_seconds_bucket{route="/api/v1/layers",le="+Inf"} 2)"))
        << m;
    EXPECT_TRUE(has("# TYPE tessera_http_request_duration_seconds histogram")) << m;
    EXPECT_TRUE(has(R"(tessera_layer_features{layer="grid"} 5)")) << m;
    EXPECT_TRUE(has(R"(tessera_layer_features{layer="exclusive"} 0)")) << m;
    auto size_at = m.find("\ntessera_store_size_bytes ");
    ASSERT_NE(size_at, std::string::npos) << m;
    EXPECT_GT(std::stoll(m.substr(size_at + 26)), 0);
    // Raw layer names never become route labels.
    EXPECT_EQ(m.find("route=\"/api/v1/layers/grid"), std::string::npos) << m;
    EXPECT_EQ(metrics.request_count("/api/v1/layers", "GET", 200), 2u);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
    Metrics m;
    m.observe("/x", "GET", 200, 0.0001);
    m.observe("/x", "GET", 200, 0.003);
    m.observe("/x", "GET", 500, 20);
    m.observe("/x", "BREW", 418, 0.003);
    TempDir dir;
    auto store = data::open_spatialite_store(dir / "m.db");
    std::string text = m.render(*store);
    EXPECT_NE(
        text.find("tessera_http_request_duration_seconds_bucket{route=\"/x\",le=\"0.0005\"} 1\n"),
        std::string::npos)
        << text;
    EXPECT_NE(
        text.find("tessera_http_request_duration_seconds_bucket{route=\"/x\",le=\"0.005\"} 3\n"),
        std::string::npos)
        << text;
    EXPECT_NE(text.find("tessera_http_request_duration_seconds_bucket{route=\"/x\",le=\"10\"} 3\n"),
              std::string::npos)
        << text;
    EXPECT_NE(
        text.find("tessera_http_request_duration_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"),
        std::string::npos)
        << text;
    EXPECT_NE(
        text.find("tessera_http_requests_total{route=\"/x\",method=\"OTHER\",status=\"418\"} 1\n"),
        std::string::npos)
        << text;
}

// ---- static files ----

TEST_F(HandlersTest, StaticFilesWithContentTypes) {
    Response r = get("/");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, "<!doctype html><title>Tessera</title>");
    EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
    r = get("/app.js");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(get("/style.css").header("Content-Type"), "text/css; charset=utf-8");
    r = get("/docs/");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "<p>docs</p>");
    expect_error(get("/missing.html"), 404, "not_found");
}

TEST_F(HandlersTest, StaticDirectoryWithoutSlashRedirects) {
    Response r = get("/docs?lang=en");
    EXPECT_EQ(r.status, 301);
    EXPECT_EQ(r.header("Location"), "/docs/?lang=en");
}

TEST_F(HandlersTest, StaticEtagAnswers304) {
    Response r = get("/app.js");
    auto etag = r.header("ETag");
    ASSERT_TRUE(etag);
    Response again = get("/app.js", {{"If-None-Match", std::string(*etag)}});
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(get("/app.js", {{"If-None-Match", "W/\"other\""}}).status, 200);
}

TEST_F(HandlersTest, StaticTraversalIsRejected) {
    const char* attacks[] = {
        "/../secret.txt",
        "/..",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/docs/%2e%2e%2f..%2fsecret.txt",
        "/docs/..%2F..%2Fsecret.txt",
        "/./index.html",
        "//secret.txt",
        "/..%5csecret.txt",
        "/%00index.html",
        "/docs/%2e%2e/../secret.txt",
    };
    for (const char* target : attacks) {
        SCOPED_TRACE(target);
        Response r = get(target);
        EXPECT_GE(r.status, 400);
        EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos);
        if (r.status == 400)
            expect_error(r, 400, "invalid_argument");
    }
    // An absolute path after decoding is just a segment under the root, never the file system
    // root.
    EXPECT_EQ(get("/%2Fetc%2Fpasswd").status, 400);
    EXPECT_THROW(resolve_static_path(dir / "web", "/../x"), Error);
    EXPECT_EQ(resolve_static_path(dir / "web", "/a%20b/c.txt"), dir / "web" / "a b" / "c.txt");
}

TEST_F(HandlersTest, StaticHiddenFilesAre404) {
    Response r = get("/.env");
    expect_error(r, 404, "not_found");
    EXPECT_EQ(r.body.find("SECRET"), std::string::npos);
}

TEST_F(HandlersTest, WithoutWebRootEverythingElseIs404) {
    services.web_root.reset();
    expect_error(get("/"), 404, "not_found");
}

// ---- access log ----

TEST(AccessLog, OneLineWithEveryField) {
    auto t = *data::parse_time("2025-06-01T08:00:00.123Z");
    EXPECT_EQ(access_log_line(t, "127.0.0.1:51234", "GET", "/api/v1/layers?x=1", 200, 1834, 0.7344),
              "2025-06-01T08:00:00.123Z 127.0.0.1:51234 GET /api/v1/layers?x=1 200 1834 0.734");
}

} // namespace
