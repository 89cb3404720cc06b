// OGC API – Features with a real client: GDAL's OAPIF driver reads every collection of the real
// `tessera serve` over HTTP, following the `next` links page by page.
#include "data/assignment.hpp"
#include "data/auth.hpp"
#include "data/event_desk.hpp"
#include "data/store.hpp"
#include "tests/support/event_city.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <cpl_conv.h>
#include <gdal.h>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <ogr_api.h>

using namespace tessera;
using tessera::testing::HttpClient;
using tessera::testing::ServerProcess;
using tessera::testing::TempDir;
using json = nlohmann::json;
namespace http = boost::beast::http;

namespace {

constexpr const char* password = "e2e-password";

// Every layer's features as GDAL reads them: code (or id) per layer.
std::map<std::string, std::vector<std::string>> read_all(const std::string& url) {
    std::map<std::string, std::vector<std::string>> out;
    const char* drivers[] = {"OAPIF", nullptr};
    const char* open_options[] = {"PAGE_SIZE=2", nullptr}; // several pages per collection
    GDALDatasetH ds =
        GDALOpenEx(("OAPIF:" + url).c_str(), GDAL_OF_VECTOR, drivers, open_options, nullptr);
    EXPECT_NE(ds, nullptr) << CPLGetLastErrorMsg();
    if (!ds)
        return out;
    for (int i = 0; i < GDALDatasetGetLayerCount(ds); ++i) {
        OGRLayerH layer = GDALDatasetGetLayer(ds, i);
        auto& codes = out[OGR_L_GetName(layer)];
        OGR_L_ResetReading(layer);
        OGRFeatureH f;
        while ((f = OGR_L_GetNextFeature(layer)) != nullptr) {
            int code = OGR_F_GetFieldIndex(f, "code");
            int category = OGR_F_GetFieldIndex(f, "category");
            if (code >= 0)
                codes.push_back(OGR_F_GetFieldAsString(f, code));
            else if (category >= 0)
                codes.push_back(OGR_F_GetFieldAsString(f, category));
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            EXPECT_NE(g, nullptr);
            if (g) {
                OGREnvelope env;
                OGR_G_GetEnvelope(g, &env);
                EXPECT_GE(env.MinX, 113.9) << "lon/lat as CRS84 orders them";
                EXPECT_LE(env.MaxY, 33.7);
            }
            OGR_F_Destroy(f);
        }
    }
    GDALClose(ds);
    return out;
}

} // namespace

TEST(OgcApiE2E, GdalsOapifDriverReadsEveryCollection) {
    TempDir dir;
    {
        auto store = data::open_spatialite_store(dir / "e2e.db");
        tessera::testing::seed_event_city(*store);
        data::Auth auth(*store);
        using K = data::Jurisdiction::Kind;
        auth.create_user({"city",
                          "city",
                          data::Role::command_operator,
                          {K::area, "411100", {}},
                          password,
                          {},
                          {}});
        data::Assigner assigner(*store);
        data::EventDesk desk(*store, assigner);
        for (auto [lon, lat, category] :
             {std::tuple{114.01, 33.52, "garbage"}, std::tuple{114.03, 33.52, "road_damage"},
              std::tuple{114.07, 33.52, "garbage"}}) {
            data::EventReport r;
            r.category = category;
            r.source = data::EventSource::officer;
            r.position = geo::LonLat{lon, lat};
            desk.report(r, nullptr, "officer");
        }
    }
    ServerProcess server(dir);
    ASSERT_NE(server.port(), 0);
    std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/ogcapi";
    GDALAllRegister();

    // Anonymous: the boundary layers, all of them, in full.
    auto anon = read_all(url);
    EXPECT_EQ(anon.size(), 4u);
    EXPECT_EQ(anon["county"], (std::vector<std::string>{"411102"}));
    EXPECT_EQ(anon["community"], (std::vector<std::string>{"C1", "C2"}));
    EXPECT_EQ(anon["grid"], (std::vector<std::string>{"G1", "G2", "G3"}));
    EXPECT_FALSE(anon.contains("events"));

    // Logged in (the token sent as GDAL sends extra headers): the events collection too.
    HttpClient client(server.port());
    auto login = client.request(http::verb::post, "/api/v1/login",
                                json{{"username", "city"}, {"password", password}}.dump(),
                                {{"Content-Type", "application/json"}});
    ASSERT_EQ(login.status, 200) << login.body;
    std::string header =
        "Authorization: Bearer " + json::parse(login.body)["token"].get<std::string>();
    CPLSetConfigOption("GDAL_HTTP_HEADERS", header.c_str());
    auto logged = read_all(url);
    CPLSetConfigOption("GDAL_HTTP_HEADERS", nullptr);
    EXPECT_EQ(logged.size(), 5u);
    EXPECT_EQ(logged["grid"], (std::vector<std::string>{"G1", "G2", "G3"}));
    auto events = logged["events"];
    std::sort(events.begin(), events.end());
    EXPECT_EQ(events, (std::vector<std::string>{"garbage", "garbage", "road_damage"}));
}
