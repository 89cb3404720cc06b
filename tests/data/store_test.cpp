#include "data/store.hpp"
#include "geo/error.hpp"
#include "tests/support/shapes.hpp"
#include "tests/support/temp_dir.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <sqlite3.h>

using namespace tessera;
using namespace tessera::data;
using tessera::testing::TempDir;

using tessera::testing::square;

namespace {

Time at(const char* iso) {
    return *parse_time(iso);
}

class StoreTest : public ::testing::Test {
protected:
    TempDir dir;
    std::unique_ptr<Store> store = open_spatialite_store(dir / "t.db");

    void make_grid_layer() {
        store->create_layer({"county", LayerKind::county, "县", std::nullopt, 0, "gcj02"});
        store->create_layer({"grid", LayerKind::grid, "网格", "county", 1, "EPSG:4326"});
    }
    std::vector<FeatureInput> two_grids(double shift = 0) {
        return {
            {"G1",
             "一网格",
             "C1",
             {{"households", std::int64_t{420}}, {"urban", true}},
             square(114.0 + shift, 33.5, 0.01)},
            {"G2",
             "二网格",
             "C1",
             {{"households", std::int64_t{380}}, {"density", 2.5}, {"note", std::monostate{}}},
             square(114.01 + shift, 33.5, 0.01)},
        };
    }
};

} // namespace

PathQuery of_person(std::int64_t person_id) {
    PathQuery q;
    q.person_id = person_id;
    return q;
}

TEST_F(StoreTest, FreshStoreHasCurrentSchemaInWalMode) {
    EXPECT_EQ(store->stats().schema_version, current_schema_version());
    EXPECT_GT(store->stats().size_bytes, 0);
    EXPECT_TRUE(store->layers().empty());
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "t.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

TEST_F(StoreTest, LayersWithParentsAndErrors) {
    make_grid_layer();
    auto layers = store->layers();
    ASSERT_EQ(layers.size(), 2u);
    EXPECT_EQ(layers[1].name, "grid");
    EXPECT_EQ(layers[1].parent_layer, "county");
    EXPECT_EQ(layers[1].precedence, 1);
    EXPECT_EQ(layers[0].source_crs, "gcj02");
    EXPECT_EQ(layers[1].version, 0);
    EXPECT_FALSE(layers[1].extent);

    auto code_of = [&](const LayerSpec& spec) {
        try {
            store->create_layer(spec);
        } catch (const Error& e) {
            return e.code();
        }
        return ErrorCode::internal;
    };
    EXPECT_EQ(code_of({"grid", LayerKind::grid, "", std::nullopt, 0, "EPSG:4326"}),
              ErrorCode::conflict);
    EXPECT_EQ(code_of({"x", LayerKind::grid, "", "nope", 0, "EPSG:4326"}), ErrorCode::not_found);
    EXPECT_EQ(code_of({"Bad Name", LayerKind::grid, "", std::nullopt, 0, "EPSG:4326"}),
              ErrorCode::invalid_argument);
    EXPECT_EQ(store->layers().size(), 2u);
}

TEST_F(StoreTest, FeaturesRoundTripWithPropertiesAndGeometry) {
    make_grid_layer();
    auto input = two_grids();
    Changeset cs = store->replace_features("grid", {"alice", "initial import", {}}, input);
    EXPECT_EQ(cs.version, 1);
    EXPECT_EQ(cs.features_added, 2);
    auto page = store->features("grid", {});
    ASSERT_EQ(page.total, 2);
    ASSERT_EQ(page.features.size(), 2u);
    const Feature& g2 = page.features[1];
    EXPECT_EQ(g2.code, "G2");
    EXPECT_EQ(g2.name, "二网格");
    EXPECT_EQ(g2.parent_code, "C1");
    EXPECT_EQ(g2.properties, input[1].properties);
    EXPECT_EQ(g2.geometry, input[1].geometry);
    EXPECT_EQ(g2.version, 1);
    EXPECT_FALSE(g2.valid_to);
    auto layer = store->find_layer("grid");
    EXPECT_EQ(layer->version, 1);
    EXPECT_EQ(layer->feature_count, 2);
    ASSERT_TRUE(layer->extent);
    EXPECT_DOUBLE_EQ(layer->extent->max_x, 114.02);
}

TEST_F(StoreTest, VersionsAndAtQueries) {
    make_grid_layer();
    store->replace_features("grid", {"alice", "v1", at("2026-01-01")}, two_grids());
    store->replace_features("grid", {"bob", "redraw", at("2026-06-01")}, two_grids(0.5));
    auto now = store->features("grid", {});
    ASSERT_EQ(now.features.size(), 2u);
    EXPECT_DOUBLE_EQ(geo::bbox_of(now.features[0].geometry).min_x, 114.5);
    EXPECT_EQ(now.features[0].version, 2);

    FeatureQuery past;
    past.at = at("2026-03-15T12:00:00+08:00");
    auto then = store->features("grid", past);
    ASSERT_EQ(then.features.size(), 2u);
    EXPECT_DOUBLE_EQ(geo::bbox_of(then.features[0].geometry).min_x, 114.0);
    ASSERT_TRUE(then.features[0].valid_to);
    EXPECT_EQ(*then.features[0].valid_to, at("2026-06-01"));

    FeatureQuery before;
    before.at = at("2025-12-31");
    EXPECT_EQ(store->features("grid", before).total, 0);

    auto history = store->changesets("grid");
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history[1].author, "bob");
    EXPECT_EQ(history[1].features_removed, 2);
    // A changeset may not be back-dated before the latest one.
    EXPECT_THROW(store->replace_features("grid", {"eve", "old", at("2026-02-01")}, two_grids()),
                 Error);
    EXPECT_EQ(store->find_layer("grid")->version, 2);
}

namespace {

FeatureChange changed_to(FeatureInput f) {
    std::string code = f.code;
    return {std::move(code), std::move(f)};
}

DraftOperation operation(std::string kind, std::string author = "carol") {
    DraftOperation op;
    op.kind = std::move(kind);
    op.detail = "{}";
    op.author = std::move(author);
    return op;
}

} // namespace

TEST_F(StoreTest, ADraftCommitsOnlyWhatItChangesAsOneNewVersion) {
    make_grid_layer();
    store->replace_features("grid", {"alice", "v1", at("2026-01-01")}, two_grids());
    Draft d = store->create_draft("grid", {"carol", "G2 grows", at("2026-02-01")});
    EXPECT_EQ(d.base_version, 1);
    EXPECT_EQ(d.status, DraftStatus::open);

    auto grids = two_grids();
    FeatureInput g2 = grids[1];
    g2.geometry = square(114.01, 33.5, 0.02);
    FeatureInput g3{"G3", "三网格", "C1", {}, square(114.03, 33.5, 0.01)};
    auto op = store->add_draft_operation(d.id, operation("reshape"),
                                         std::vector{changed_to(g2), changed_to(g3)});
    EXPECT_EQ(op.seq, 1);
    EXPECT_EQ(op.codes, (std::vector<std::string>{"G2", "G3"}));
    // A later operation replaces what the draft had for a code and keeps the rest.
    g3.name = "新三网格";
    store->add_draft_operation(d.id, operation("attributes"), std::vector{changed_to(g3)});
    auto changes = store->draft_changes(d.id);
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[1].after->name, "新三网格");
    EXPECT_EQ(changes[0].after->geometry, geo::Geometry{square(114.01, 33.5, 0.02)});
    EXPECT_EQ(store->draft(d.id)->operations, 2);
    EXPECT_EQ(store->draft_operations(d.id).at(1).kind, "attributes");
    EXPECT_EQ(store->features("grid", {}).total, 2) << "the layer is untouched until commit";

    Changeset cs = store->commit_draft(d.id, {"carol", "new compound", at("2026-03-01")});
    EXPECT_EQ(cs.version, 2);
    EXPECT_EQ(cs.features_added, 2);
    EXPECT_EQ(cs.features_removed, 1);
    auto now = store->features("grid", {});
    ASSERT_EQ(now.features.size(), 3u);
    EXPECT_EQ(now.features[0].version, 1) << "G1 keeps its row";
    EXPECT_EQ(now.features[1].version, 2);
    EXPECT_EQ(store->draft(d.id)->status, DraftStatus::committed);
    EXPECT_EQ(store->draft(d.id)->changeset_id, cs.id);

    auto history = store->feature_history("grid", "G2");
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history[0].valid_to, at("2026-03-01"));
    EXPECT_EQ(history[1].geometry, geo::Geometry{square(114.01, 33.5, 0.02)});
    EXPECT_TRUE(store->feature_history("grid", "G9").empty());

    // A committed draft takes no more operations and cannot commit twice.
    EXPECT_THROW(store->add_draft_operation(d.id, operation("x"), std::vector{changed_to(g3)}),
                 Error);
    EXPECT_THROW(store->commit_draft(d.id, {"carol", "again", {}}), Error);
}

TEST_F(StoreTest, ADraftConflictsWithChangesMadeSinceItBegan) {
    make_grid_layer();
    store->replace_features("grid", {"alice", "v1", at("2026-01-01")}, two_grids());
    Draft first = store->create_draft("grid", {"carol", "G1", at("2026-02-01")});
    Draft second = store->create_draft("grid", {"dave", "G1 and G2", at("2026-02-01")});
    Draft third = store->create_draft("grid", {"erin", "remove G2", at("2026-02-01")});
    Draft late = store->create_draft("grid", {"gus", "G2 grows", at("2026-02-01")});
    auto grids = two_grids();
    grids[0].name = "甲";
    store->add_draft_operation(first.id, operation("attributes"),
                               std::vector{changed_to(grids[0])});
    grids[0].name = "乙";
    store->add_draft_operation(second.id, operation("attributes", "dave"),
                               std::vector{changed_to(grids[0])});
    store->add_draft_operation(third.id, operation("remove", "erin"),
                               std::vector{FeatureChange{"G2", std::nullopt}});

    store->add_draft_operation(late.id, operation("reshape", "gus"),
                               std::vector{changed_to(grids[1])});

    store->commit_draft(third.id, {"erin", "G2 goes", at("2026-02-02")});
    store->commit_draft(first.id, {"carol", "rename", at("2026-02-03")});
    // A feature retired since the draft began is a conflict too.
    EXPECT_THROW(store->commit_draft(late.id, {"gus", "grow", at("2026-02-04")}), Error);
    try {
        store->commit_draft(second.id, {"dave", "rename", at("2026-02-04")});
        FAIL() << "expected a conflict";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::conflict);
        EXPECT_NE(std::string(e.what()).find("G1 was changed by version 3 (carol)"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_EQ(store->draft(second.id)->status, DraftStatus::open) << "nothing changed";
    auto now = store->features("grid", {});
    ASSERT_EQ(now.features.size(), 1u);
    EXPECT_EQ(now.features[0].name, "甲");

    Draft fourth = store->create_draft("grid", {"fay", "old G2", at("2026-01-15")});
    EXPECT_EQ(fourth.base_version, 3);
    store->discard_draft(fourth.id);
    EXPECT_EQ(store->draft(fourth.id)->status, DraftStatus::discarded);
    EXPECT_THROW(store->discard_draft(fourth.id), Error);
    EXPECT_EQ(store->drafts("grid").size(), 5u);
    EXPECT_THROW(store->create_draft("nope", {"fay", "x", {}}), Error);
    EXPECT_THROW(store->commit_draft(999, {"fay", "x", {}}), Error);
}

TEST_F(StoreTest, BboxAndPaging) {
    make_grid_layer();
    std::vector<FeatureInput> many;
    for (int i = 0; i < 25; ++i)
        many.push_back({"G" + std::to_string(100 + i),
                        "g",
                        std::nullopt,
                        {},
                        square(114 + i * 0.01, 33.5, 0.01)});
    store->replace_features("grid", {"a", "r", {}}, many);
    FeatureQuery q;
    q.bbox = geo::BBox{114.015, 33.0, 114.035, 34.0}; // touches G101, G102, G103
    auto hit = store->features("grid", q);
    ASSERT_EQ(hit.total, 3);
    EXPECT_EQ(hit.features[0].code, "G101");
    EXPECT_EQ(hit.features[2].code, "G103");

    FeatureQuery page;
    page.limit = 10;
    page.offset = 20;
    auto last = store->features("grid", page);
    EXPECT_EQ(last.total, 25);
    ASSERT_EQ(last.features.size(), 5u);
    EXPECT_EQ(last.features[0].code, "G120");
    FeatureQuery by_code;
    by_code.code = "G107";
    EXPECT_EQ(store->features("grid", by_code).features.at(0).code, "G107");
}

TEST_F(StoreTest, RejectedImportWritesNothing) {
    make_grid_layer();
    store->replace_features("grid", {"a", "v1", {}}, two_grids());
    auto dup = two_grids();
    dup[1].code = "G1";
    EXPECT_THROW(store->replace_features("grid", {"a", "dup", {}}, dup), Error);
    auto out_of_range = two_grids();
    out_of_range[0].geometry = square(200, 33, 1);
    EXPECT_THROW(store->replace_features("grid", {"a", "bad", {}}, out_of_range), Error);
    EXPECT_THROW(store->replace_features("grid", {"", "no author", {}}, two_grids()), Error);
    auto empty = two_grids();
    empty[1].geometry = geo::MultiPolygon{};
    EXPECT_THROW(store->replace_features("grid", {"a", "empty", {}}, empty), Error);
    EXPECT_THROW(store->replace_features("nope", {"a", "r", {}}, two_grids()), Error);
    EXPECT_EQ(store->find_layer("grid")->version, 1);
    EXPECT_EQ(store->changesets("grid").size(), 1u);
    EXPECT_EQ(store->features("grid", {}).total, 2);
}

TEST_F(StoreTest, TransactionRollsBackWithoutCommit) {
    {
        auto tx = store->begin();
        store->add_camera({0, "CAM1", "东门", {114, 33.5}, 90, 60, 50, true});
    }
    EXPECT_TRUE(store->cameras().empty());
    {
        auto tx = store->begin();
        store->add_camera({0, "CAM1", "东门", {114, 33.5}, 90, 60, 50, true});
        store->add_camera({0, "CAM2", "西门", {114.1, 33.5}, 270, 90, 80, false});
        tx->commit();
    }
    EXPECT_EQ(store->cameras().size(), 2u);
    // A failing call inside an open transaction undoes only itself.
    {
        auto tx = store->begin();
        store->add_camera({0, "CAM3", "南门", {114.2, 33.5}, 0, 60, 50, true});
        EXPECT_THROW(store->add_camera({0, "CAM1", "dup", {114, 33.5}, 0, 60, 50, true}), Error);
        tx->commit();
    }
    EXPECT_EQ(store->cameras().size(), 3u);
}

TEST_F(StoreTest, ThingsOnTheGround) {
    store->add_department({0, "D01", "城管局", {"garbage", "road_damage"}, "411102"});
    std::int64_t officer = store->add_person({0,
                                              "P001",
                                              "王芳",
                                              PersonRole::full_time_officer,
                                              "13800000001",
                                              {"G1", "G2"},
                                              std::nullopt});
    store->add_person(
        {0, "P002", "李强", PersonRole::grid_chief, "13800000002", {"C1"}, std::nullopt});
    EXPECT_EQ(store->people().size(), 2u);
    auto in_g2 = store->people("G2");
    ASSERT_EQ(in_g2.size(), 1u);
    EXPECT_EQ(in_g2[0].grid_codes, (std::vector<std::string>{"G1", "G2"}));
    EXPECT_EQ(store->departments().at(0).categories,
              (std::vector<std::string>{"garbage", "road_damage"}));

    store->add_building({0, "B1", {114.001, 33.501}, 48, "1号楼", "C1"});
    store->add_building({0, "B2", {114.101, 33.601}, 12, "2号楼", "C1"});
    EXPECT_EQ(store->buildings(geo::BBox{114.0, 33.5, 114.01, 33.51}).size(), 1u);
    EXPECT_EQ(store->buildings().size(), 2u);

    Time t0 = at("2026-11-01T08:00:00Z");
    TimedPath path{{{114, 33.5}, {114.001, 33.5005}, {114.002, 33.501}},
                   {t0, t0 + std::chrono::seconds(30), t0 + std::chrono::seconds(61)}};
    store->add_patrol_track({0, officer, path});
    auto tracks = store->patrol_tracks(of_person(officer));
    ASSERT_EQ(tracks.size(), 1u);
    EXPECT_EQ(tracks[0].path.points, path.points);
    EXPECT_EQ(tracks[0].path.times, path.times);
    EXPECT_TRUE(store->patrol_tracks(of_person(officer + 1)).empty());
    // Foreign keys are on: a track of a nobody is refused.
    EXPECT_THROW(store->add_patrol_track({0, 9999, path}), Error);
    // A path with mismatched times is refused before it reaches SQL.
    TimedPath bad = path;
    bad.times.pop_back();
    EXPECT_THROW(store->add_drone_flight({0, "F1", "巡查", bad, 80}), Error);
    store->add_drone_flight({0, "F1", "违建巡查", path, 80});
    EXPECT_EQ(store->drone_flights().at(0).path.times, path.times);
    EXPECT_EQ(store->people_with_ids(std::vector<std::int64_t>{officer, 9999}).size(), 1u);

    auto counts = store->counts();
    auto count = [&](const std::string& k) {
        for (auto& [name, n] : counts)
            if (name == k)
                return n;
        return std::int64_t{-1};
    };
    EXPECT_EQ(count("households"), 60);
    EXPECT_EQ(count("people"), 2);
    EXPECT_EQ(count("drone_flights"), 1);
}

TEST_F(StoreTest, PathQueriesPickByPlaceOfficerAndTime) {
    std::int64_t a = store->add_person(
        {0, "P001", "王芳", PersonRole::full_time_officer, "", {"G1"}, std::nullopt});
    std::int64_t b = store->add_person(
        {0, "P002", "李强", PersonRole::full_time_officer, "", {"G2"}, std::nullopt});
    Time t0 = at("2026-11-01T08:00:00Z");
    auto walk = [&](double x0, Time start) {
        return TimedPath{{{x0, 33.5}, {x0 + 0.002, 33.501}},
                         {start, start + std::chrono::minutes(20)}};
    };
    // a walks near 114.00 on day 0 and day 2; b near 114.10 on day 1. Stored out of order:
    // day 2 first, so that the order of ids is not the order of start times.
    std::int64_t a2 = store->add_patrol_track({0, a, walk(114.00, t0 + std::chrono::days(2))});
    std::int64_t a0 = store->add_patrol_track({0, a, walk(114.00, t0)});
    std::int64_t b1 = store->add_patrol_track({0, b, walk(114.10, t0 + std::chrono::days(1))});
    auto ids = [](const std::vector<PatrolTrack>& tracks) {
        std::vector<std::int64_t> out;
        for (const auto& t : tracks)
            out.push_back(t.id);
        return out;
    };
    using Ids = std::vector<std::int64_t>;
    auto in_box = [](geo::BBox box) {
        PathQuery q;
        q.bbox = box;
        return q;
    };
    EXPECT_EQ(ids(store->patrol_tracks()), (Ids{a0, b1, a2})); // by start time
    EXPECT_EQ(ids(store->patrol_tracks(in_box({113.99, 33.49, 114.01, 33.51}))), (Ids{a0, a2}));
    // A box inside the track's bounding box but off the line itself (the line crosses
    // x = 114.1015 at y = 33.50075) still finds it: the look-up is by bounding box.
    EXPECT_EQ(ids(store->patrol_tracks(in_box({114.1015, 33.5000, 114.1019, 33.5002}))), (Ids{b1}));
    EXPECT_TRUE(store->patrol_tracks(in_box({115, 34, 115.1, 34.1})).empty());
    EXPECT_EQ(ids(store->patrol_tracks(of_person(b))), (Ids{b1}));
    PathQuery recent;
    recent.ended_after = t0 + std::chrono::days(1);
    EXPECT_EQ(ids(store->patrol_tracks(recent)), (Ids{b1, a2}));
    // A limit keeps the latest-starting ones, still in start order.
    PathQuery latest;
    latest.limit = 2;
    EXPECT_EQ(ids(store->patrol_tracks(latest)), (Ids{b1, a2}));
    PathQuery latest_of_a = of_person(a);
    latest_of_a.limit = 1;
    EXPECT_EQ(ids(store->patrol_tracks(latest_of_a)), (Ids{a2}));

    store->add_drone_flight({0, "F1", "违建巡查", walk(114.00, t0), 80});
    store->add_drone_flight({0, "F2", "秸秆禁烧", walk(114.10, t0), 60});
    auto flights = store->drone_flights(in_box({114.09, 33.49, 114.2, 33.6}));
    ASSERT_EQ(flights.size(), 1u);
    EXPECT_EQ(flights[0].code, "F2");
    // Flights have no officer: asking for one finds none.
    EXPECT_TRUE(store->drone_flights(of_person(a)).empty());
}

TEST_F(StoreTest, UsersAndSessions) {
    User u;
    u.username = "officer1";
    u.display_name = "网格员一";
    u.role = Role::grid_officer;
    u.jurisdiction = {Jurisdiction::Kind::grids, "", {"G2", "G1"}};
    u.password_hash = "$argon2id$fake";
    std::int64_t id = store->add_user(u);
    auto back = store->find_user("officer1");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->id, id);
    EXPECT_EQ(back->role, Role::grid_officer);
    EXPECT_EQ(back->jurisdiction.kind, Jurisdiction::Kind::grids);
    EXPECT_EQ(back->jurisdiction.grid_codes, (std::vector<std::string>{"G1", "G2"}));
    EXPECT_THROW(store->add_user(u), Error);
    EXPECT_FALSE(store->find_user("nobody"));

    store->add_session("h1", {id, at("2026-11-22T10:00:00Z")});
    store->add_session("h2", {id, at("2026-11-22T12:00:00Z")});
    EXPECT_EQ(store->find_session("h1")->user_id, id);
    EXPECT_EQ(store->remove_expired_sessions(at("2026-11-22T11:00:00Z")), 1);
    EXPECT_FALSE(store->find_session("h1"));
    store->remove_session("h2");
    EXPECT_FALSE(store->find_session("h2"));
}

TEST(StoreFiles, SurvivesReopen) {
    TempDir dir;
    {
        auto s = open_spatialite_store(dir / "a.db");
        s->create_layer({"grid", LayerKind::grid, "网格", std::nullopt, 0, "EPSG:4326"});
    }
    auto s = open_spatialite_store(dir / "a.db");
    EXPECT_TRUE(s->find_layer("grid"));
    EXPECT_EQ(s->stats().schema_version, current_schema_version());
}

TEST(StoreFiles, RefusesFilesThatAreNotTesseraStores) {
    TempDir dir;
    {
        std::ofstream f(dir / "text.db");
        f << "this is not a database, just some text that is long enough to fill a header "
             "page.....";
    }
    EXPECT_THROW(open_spatialite_store(dir / "text.db"), Error);

    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "other.db").c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    try {
        open_spatialite_store(dir / "other.db");
        ADD_FAILURE() << "opened a foreign database";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("not a Tessera store"), std::string::npos);
    }
    EXPECT_THROW(open_spatialite_store(dir / "missing-dir" / "x.db"), Error);
}

TEST(Time, FormatsAndParsesIso8601) {
    Time t = *parse_time("2026-11-22T08:30:15.250+08:00");
    EXPECT_EQ(format_time(t), "2026-11-22T00:30:15.250Z");
    EXPECT_EQ(format_time(*parse_time("2026-02-28")), "2026-02-28T00:00:00.000Z");
    for (const char* bad : {"", "2026-13-01", "2026-02-30", "2026-11-22T25:00", "yesterday",
                            "2026-11-22T10:00:00Q", "2026-11-22T10:00:00."})
        EXPECT_FALSE(parse_time(bad)) << bad;
}
