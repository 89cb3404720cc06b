// The redrawing endpoints (docs/redrawing.md) through handle(): drafts, operations, validation,
// commit and the caller's rights.
#include "data/assignment.hpp"
#include "data/auth.hpp"
#include "data/event_desk.hpp"
#include "server/router.hpp"
#include "tests/support/shapes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tiles/tile_math.hpp"

#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>

using namespace tessera;
using namespace tessera::server;
using json = nlohmann::json;
using tessera::testing::rect;

namespace {

// County 411102 = [114.00, 114.05] x [33.50, 33.51], tiled by grids G1..G5 from the west.
class RedrawApiTest : public ::testing::Test {
protected:
    tessera::testing::TempDir dir;
    std::unique_ptr<data::Store> store = data::open_spatialite_store(dir / "t.db");
    data::Auth auth{*store};
    data::Assigner assigner{*store};
    data::EventDesk desk{*store, assigner};
    Metrics metrics;
    tiles::TileCache tile_cache{16 << 20};
    Services services{*store, auth, assigner, desk, metrics, tile_cache, std::nullopt};

    void SetUp() override {
        store->create_layer(
            {"county", data::LayerKind::county, "县区", std::nullopt, 0, "EPSG:4326"});
        store->create_layer({"grid", data::LayerKind::grid, "网格", "county", 1, "EPSG:4326"});
        const data::ChangesetInfo cs{"test", "seed", data::parse_time("2025-01-01")};
        store->replace_features(
            "county", cs,
            std::vector<data::FeatureInput>{
                {"411102", "源汇区", std::nullopt, {}, rect(114.0, 33.5, 114.05, 33.51)}});
        std::vector<data::FeatureInput> grids;
        for (int i = 1; i <= 5; ++i) {
            const double x = 114.0 + (i - 1) * 0.01;
            grids.push_back({"G" + std::to_string(i),
                             "第" + std::to_string(i) + "网格",
                             "411102",
                             {},
                             rect(x, 33.5, x + 0.01, 33.51)});
        }
        store->replace_features("grid", cs, grids);
        add_user("operator", data::Role::command_operator, "411102");
        add_user("stranger", data::Role::command_operator, "419999");
        add_user("chief", data::Role::grid_chief, "411102");
        connect_tile_cache(services);
        assigner.refresh();
    }

    void add_user(const char* name, data::Role role, const char* area) {
        auth.create_user({name,
                          name,
                          role,
                          {data::Jurisdiction::Kind::area, area, {}},
                          "correct horse",
                          std::nullopt,
                          std::nullopt});
    }

    Response call(const std::string& method, const std::string& target, const std::string& who,
                  const std::string& body = {}) {
        Headers headers;
        if (!who.empty()) {
            Request login;
            login.method = "POST";
            login.target = "/api/v1/login";
            login.body = R"({"username":")" + who + R"(","password":"correct horse"})";
            auto token = json::parse(handle(login, services).body).value("token", "");
            headers.emplace_back("Authorization", "Bearer " + token);
        }
        Request req;
        req.method = method;
        req.target = target;
        req.body = body;
        req.headers = std::move(headers);
        return handle(req, services);
    }

    std::int64_t new_draft(const std::string& who = "operator") {
        Response r = call("POST", "/api/v1/layers/grid/changesets", who, R"({"title":"test"})");
        EXPECT_EQ(r.status, 201) << r.body;
        return json::parse(r.body).value("id", std::int64_t{0});
    }

    std::string draft_path(std::int64_t id, const char* what = "") {
        return "/api/v1/layers/grid/changesets/" + std::to_string(id) + what;
    }
};

// Across G3 from west to east, a little north of its middle: G3 keeps the larger south part.
const char* split_g3 = R"({"op":"split","code":"G3","line":{"type":"LineString",
    "coordinates":[[114.019,33.506],[114.031,33.506]]}})";

} // namespace

TEST_F(RedrawApiTest, SplitValidateCommitAndTheMapFollows) {
    const std::int64_t id = new_draft();
    Response op = call("POST", draft_path(id, "/operations"), "operator", split_g3);
    ASSERT_EQ(op.status, 200) << op.body;
    json done = json::parse(op.body);
    EXPECT_EQ(done["operation"]["kind"], "split");
    std::set<std::string> codes;
    for (const auto& f : done["features"]["features"])
        codes.insert(f["id"].get<std::string>());
    EXPECT_EQ(codes, (std::set<std::string>{"G2", "G3", "G3-2", "G4"}));

    // Buildings north and south of the cut: the northern one moves to the new grid.
    store->add_building({0, "B-N", {114.025, 33.508}, 120, "北楼", "411102"});
    store->add_building({0, "B-S", {114.025, 33.502}, 80, "南楼", "411102"});
    Response impact = call("GET", draft_path(id, "/impact"), "operator");
    ASSERT_EQ(impact.status, 200) << impact.body;
    json im = json::parse(impact.body);
    EXPECT_EQ(im["moved"]["buildings"], 1);
    EXPECT_EQ(im["moved"]["households"], 120);
    for (const auto& g : im["grids"])
        if (g["code"] == "G3") {
            EXPECT_EQ(g["before"]["households"], 200);
            EXPECT_EQ(g["after"]["households"], 80);
        } else if (g["code"] == "G3-2") {
            EXPECT_EQ(g["change"], "created");
            EXPECT_EQ(g["after"]["households"], 120);
        }
    EXPECT_EQ(call("GET", draft_path(id, "/impact"), "chief").status, 403);

    Response v = call("POST", draft_path(id, "/validate"), "operator");
    ASSERT_EQ(v.status, 200) << v.body;
    EXPECT_EQ(json::parse(v.body)["errors"], 0);

    // Before the commit, locate still answers with the old grid.
    EXPECT_EQ(
        json::parse(call("GET", "/api/v1/locate?lon=114.025&lat=33.508", "").body)["grid"]["code"],
        "G3");
    Response c =
        call("POST", draft_path(id, "/commit"), "operator", R"({"reason":"new compound"})");
    ASSERT_EQ(c.status, 200) << c.body;
    EXPECT_EQ(json::parse(c.body)["changeset"]["version"], 2);
    EXPECT_EQ(
        json::parse(call("GET", "/api/v1/locate?lon=114.025&lat=33.508", "").body)["grid"]["code"],
        "G3-2");
    EXPECT_EQ(
        json::parse(call("GET", "/api/v1/locate?lon=114.025&lat=33.502", "").body)["grid"]["code"],
        "G3");

    // The diff between the versions: G3 lost ground to the new G3-2; its neighbours only got
    // the cut points as vertices.
    Response diff = call("GET", "/api/v1/layers/grid/diff?from=1&to=2", "");
    ASSERT_EQ(diff.status, 200) << diff.body;
    std::map<std::string, std::string> change;
    const json diff_json = json::parse(diff.body);
    for (const auto& f : diff_json["features"])
        change[f["id"].get<std::string>()] = f["properties"]["change"].get<std::string>();
    EXPECT_EQ(
        change,
        (std::map<std::string, std::string>{
            {"G2", "vertices"}, {"G3", "reshaped"}, {"G3-2", "created"}, {"G4", "vertices"}}));
    EXPECT_EQ(call("GET", "/api/v1/layers/grid/diff?from=1&to=9", "").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/layers/grid/diff?from=x", "").status, 400);

    // Tiles now show the new grid; at= shows the layer as it was.
    const std::string tile = "/tiles/grid/12/" +
                             std::to_string(tiles::tile_at({114.025, 33.505}, 12).x) + "/" +
                             std::to_string(tiles::tile_at({114.025, 33.505}, 12).y) + ".mvt";
    Response now_tile = call("GET", tile, "");
    ASSERT_EQ(now_tile.status, 200) << now_tile.body;
    EXPECT_NE(now_tile.body.find("G3-2"), std::string::npos);
    Response then_tile = call("GET", tile + "?at=2025-06-01", "");
    ASSERT_EQ(then_tile.status, 200) << then_tile.body;
    EXPECT_EQ(then_tile.body.find("G3-2"), std::string::npos);
    EXPECT_NE(then_tile.body.find("G3"), std::string::npos);
    EXPECT_EQ(call("GET", tile + "?at=yesterday", "").status, 400);

    Response h = call("GET", "/api/v1/layers/grid/features/G3/history", "");
    ASSERT_EQ(h.status, 200) << h.body;
    EXPECT_EQ(json::parse(h.body)["features"].size(), 2u);
    EXPECT_EQ(call("GET", "/api/v1/layers/grid/features/G9/history", "").status, 404);

    Response list = call("GET", "/api/v1/layers/grid/changesets", "operator");
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_EQ(json::parse(list.body)["drafts"][0]["status"], "committed");
    EXPECT_EQ(json::parse(list.body)["changesets"].size(), 2u);
    EXPECT_EQ(call("POST", draft_path(id, "/operations"), "operator", split_g3).status, 409)
        << "a committed draft takes no more operations";
}

TEST_F(RedrawApiTest, OnlyEditorsWithinTheirJurisdictionMayRedraw) {
    EXPECT_EQ(call("POST", "/api/v1/layers/grid/changesets", "", R"({"title":"x"})").status, 401);
    EXPECT_EQ(call("POST", "/api/v1/layers/grid/changesets", "chief", R"({"title":"x"})").status,
              403);
    const std::int64_t mine = new_draft("stranger"); // an operator of another county may start one
    Response op = call("POST", draft_path(mine, "/operations"), "stranger", split_g3);
    EXPECT_EQ(op.status, 403) << op.body;
    EXPECT_EQ(store->draft_changes(mine).size(), 0u) << "nothing recorded";

    const std::int64_t id = new_draft();
    ASSERT_EQ(call("POST", draft_path(id, "/operations"), "operator", split_g3).status, 200);
    EXPECT_EQ(call("POST", draft_path(id, "/commit"), "stranger", R"({"reason":"x"})").status, 403);
    EXPECT_EQ(store->find_layer("grid")->version, 1);
}

TEST_F(RedrawApiTest, BadRequestsChangeNothing) {
    const std::int64_t id = new_draft();
    EXPECT_EQ(call("POST", draft_path(id, "/operations"), "operator", "{").status, 400);
    EXPECT_EQ(call("POST", draft_path(id, "/operations"), "operator", R"({"op":"explode"})").status,
              400);
    EXPECT_EQ(call("POST", draft_path(id, "/operations"), "operator",
                   R"({"op":"move_vertex","from":[114.0,33.5],"to":[114.0,"x"]})")
                  .status,
              400);
    EXPECT_EQ(call("POST", draft_path(id, "/operations"), "operator",
                   R"({"op":"move_vertex","from":[114.0,33.5],"to":[500,33.5]})")
                  .status,
              400);
    EXPECT_EQ(
        call(
            "POST", draft_path(id, "/operations"), "operator",
            R"({"op":"reshape","code":"G1","geometry":{"type":"Polygon","coordinates":[[[114,33.5],[114.01,33.5],[114,33.51]]]}})")
            .status,
        400)
        << "an unclosed ring";
    EXPECT_EQ(call("POST", draft_path(id, "/operations"), "operator",
                   R"({"op":"merge","codes":["G1","G9"]})")
                  .status,
              404);
    EXPECT_EQ(call("POST", draft_path(id, "/commit"), "operator", R"({"reason":"x"})").status, 400)
        << "nothing to commit";
    EXPECT_EQ(call("POST", draft_path(id, "/commit"), "operator", R"({})").status, 400);
    EXPECT_EQ(call("POST", draft_path(999, "/validate"), "operator").status, 404);
    EXPECT_EQ(call("POST", "/api/v1/layers/county/changesets/" + std::to_string(id) + "/validate",
                   "operator")
                  .status,
              404)
        << "a draft belongs to its layer";
    EXPECT_TRUE(store->draft_changes(id).empty());
}

TEST_F(RedrawApiTest, ACommitWithValidationErrorsIsRefused) {
    const std::int64_t id = new_draft();
    // The county's south-west corner pulled into G1 leaves a gap inside the county.
    Response op = call("POST", draft_path(id, "/operations"), "operator",
                       R"({"op":"move_vertex","from":[114.0,33.5],"to":[114.002,33.502]})");
    ASSERT_EQ(op.status, 200) << op.body;
    Response c = call("POST", draft_path(id, "/commit"), "operator", R"({"reason":"oops"})");
    EXPECT_EQ(c.status, 422) << c.body;
    json j = json::parse(c.body);
    EXPECT_EQ(j["code"], "validation_failed");
    EXPECT_EQ(j["report"]["findings"]["features"][0]["properties"]["code"], "gap");
    EXPECT_EQ(store->find_layer("grid")->version, 1);
    Response discard = call("POST", draft_path(id, "/discard"), "operator");
    EXPECT_EQ(discard.status, 200) << discard.body;
    EXPECT_EQ(json::parse(discard.body)["status"], "discarded");
}

TEST_F(RedrawApiTest, OwnersChangeInADraftAndFollowTheCommit) {
    store->add_person({0, "P1", "张一", data::PersonRole::full_time_officer, "1", {"G1"}, {}});
    store->add_person({0, "P2", "李二", data::PersonRole::full_time_officer, "2", {"G2"}, {}});
    // Who is responsible now: for editors who may see people there.
    const std::string g1_people = "/api/v1/layers/grid/features/G1/people";
    Response now = call("GET", g1_people, "operator");
    ASSERT_EQ(now.status, 200) << now.body;
    EXPECT_EQ(json::parse(now.body)["people"][0]["name"], "张一");
    EXPECT_EQ(call("GET", g1_people, "stranger").status, 403);
    EXPECT_EQ(call("GET", g1_people, "chief").status, 403);
    EXPECT_EQ(call("GET", g1_people, "").status, 401);
    EXPECT_EQ(call("GET", "/api/v1/layers/grid/features/G9/people", "operator").status, 404);

    const std::string set_g1 = R"({"op":"set_owners","code":"G1","people":["P2","P1"]})";
    const std::int64_t theirs = new_draft("stranger");
    EXPECT_EQ(call("POST", draft_path(theirs, "/operations"), "stranger", set_g1).status, 403)
        << "G1 is outside the stranger's county";
    EXPECT_TRUE(store->draft_owners(theirs).empty());

    const std::int64_t id = new_draft();
    auto op = [&](const std::string& body) {
        return call("POST", draft_path(id, "/operations"), "operator", body);
    };
    EXPECT_EQ(op(R"({"op":"set_owners","code":"G1"})").status, 400) << "people missing";
    EXPECT_EQ(op(R"({"op":"set_owners","code":"G1","people":"P2"})").status, 400);
    EXPECT_EQ(op(R"({"op":"set_owners","code":"G1","people":["P9"]})").status, 404);
    EXPECT_EQ(op(R"({"op":"set_owners","code":"G9","people":[]})").status, 404);
    Response set = op(set_g1);
    ASSERT_EQ(set.status, 200) << set.body;
    EXPECT_EQ(json::parse(set.body)["owners"],
              json::parse(R"([{"code":"G1","people":["P2","P1"]}])"));
    // Merging G2 into G1 hands P2 over (already there) and leaves G2 without anyone.
    ASSERT_EQ(op(R"({"op":"merge","codes":["G1","G2"]})").status, 200);
    json draft = json::parse(call("GET", draft_path(id), "operator").body);
    EXPECT_EQ(draft["owners"],
              json::parse(R"([{"code":"G1","people":["P2","P1"]},{"code":"G2","people":[]}])"));

    json impact = json::parse(call("GET", draft_path(id, "/impact"), "operator").body);
    for (const auto& g : impact["grids"])
        if (g["code"] == "G1") {
            ASSERT_EQ(g["people"].size(), 1u);
            ASSERT_EQ(g["people_after"].size(), 2u);
            EXPECT_EQ(g["people_after"][0]["name"], "李二");
        }

    EXPECT_EQ(call("POST", draft_path(id, "/commit"), "stranger", R"({"reason":"x"})").status, 403);
    Response c = call("POST", draft_path(id, "/commit"), "operator", R"({"reason":"merge"})");
    ASSERT_EQ(c.status, 200) << c.body;
    Response located = call("GET", "/api/v1/locate?lon=114.015&lat=33.505", "operator");
    ASSERT_EQ(located.status, 200) << located.body;
    json where = json::parse(located.body);
    EXPECT_EQ(where["grid"]["code"], "G1");
    std::vector<std::string> names;
    for (const auto& o : where["owners"])
        names.push_back(o["name"].get<std::string>());
    EXPECT_EQ(names, (std::vector<std::string>{"张一", "李二"}));
}
