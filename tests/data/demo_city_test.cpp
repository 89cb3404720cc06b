// The demo city is checked with GEOS: every level tiles its parent with no gaps and no overlaps,
// micro-grids tile their grid, exclusive grids lie inside their host grid, and the same seed
// gives the same city.
#include "data/auth.hpp"
#include "data/demo_city.hpp"
#include "geo/error.hpp"
#include "geo/ops.hpp"
#include "geo/wkb.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <map>

using namespace tessera;
using namespace tessera::data;

namespace {

constexpr int test_grids = 1400; // the smallest city with more grids than villages (1296)

DemoOptions options(std::uint64_t seed, int patrol_days) {
    DemoOptions o;
    o.samples_dir = TESSERA_SOURCE_DIR "/data/samples";
    o.grids = test_grids;
    o.seed = seed;
    o.patrol_days = patrol_days;
    o.now = parse_time("2026-11-22T08:00:00Z");
    o.events_per_day = 12; // a tenth of the demo's, to keep the test quick
    return o;
}

std::vector<Feature> all(Store& s, const char* layer) {
    FeatureQuery q;
    q.limit = 1'000'000;
    return s.features(layer, q).features;
}

std::int64_t int_property(const Feature& f, const std::string& name) {
    for (const auto& [n, v] : f.properties)
        if (n == name)
            return std::get<std::int64_t>(v);
    return -1;
}

// Checks that the children of each parent tile it: overlap, gap and spill-over below 1e-9 of
// the parent's area (the partition is exact, so these are rounding-level).
void expect_tiles(const std::vector<Feature>& parents, const std::vector<Feature>& children,
                  const char* what) {
    std::map<std::string, std::vector<geo::MultiPolygon>> by_parent;
    for (const auto& c : children) {
        ASSERT_TRUE(c.parent_code) << what << " " << c.code << " has no parent";
        by_parent[*c.parent_code].push_back(geo::as_multi_polygon(c.geometry));
    }
    int checked = 0;
    for (const auto& p : parents) {
        auto it = by_parent.find(p.code);
        if (it == by_parent.end())
            continue;
        geo::MultiPolygon region = geo::as_multi_polygon(p.geometry);
        double area = 0;
        for (const auto& poly : region.polygons)
            area += std::abs(geo::signed_area(poly.rings[0]));
        auto check = geo::check_coverage(it->second, region);
        EXPECT_LE(check.overlap_area, area * 1e-9) << what << " overlap in " << p.code;
        EXPECT_LE(check.gap_area, area * 1e-9) << what << " gap in " << p.code;
        EXPECT_LE(check.outside_area, area * 1e-9) << what << " outside " << p.code;
        ++checked;
    }
    EXPECT_EQ(checked, static_cast<int>(by_parent.size()))
        << what << ": children of unknown parents";
    EXPECT_GT(checked, 0) << what;
}

class DemoCity : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir = new tessera::testing::TempDir();
        store = open_spatialite_store(*dir / "demo.db").release();
        summary = new DemoSummary(build_demo_city(*store, options(7, 1)));
    }
    static void TearDownTestSuite() {
        delete summary;
        delete store;
        delete dir;
    }
    static tessera::testing::TempDir* dir;
    static Store* store;
    static DemoSummary* summary;
};
tessera::testing::TempDir* DemoCity::dir = nullptr;
Store* DemoCity::store = nullptr;
DemoSummary* DemoCity::summary = nullptr;

} // namespace

TEST_F(DemoCity, HasTheFullHierarchyAtLuoheScale) {
    std::map<std::string, std::int64_t> counts(summary->layer_counts.begin(),
                                               summary->layer_counts.end());
    EXPECT_EQ(counts["county"], 5);
    EXPECT_EQ(counts["township"], 54);
    EXPECT_EQ(counts["community"], 1296);
    EXPECT_EQ(counts["grid"], test_grids);
    EXPECT_GT(counts["micro_grid"], 20);
    EXPECT_GT(counts["exclusive_grid"], 10);
    std::map<std::string, std::string> parent;
    for (const auto& l : store->layers())
        parent[l.name] = l.parent_layer.value_or("");
    EXPECT_EQ(parent["township"], "county");
    EXPECT_EQ(parent["community"], "township");
    EXPECT_EQ(parent["grid"], "community");
    EXPECT_EQ(parent["micro_grid"], "grid");
    EXPECT_EQ(parent["exclusive_grid"], "county");
    // Real names and codes from the NBS division codes.
    FeatureQuery q;
    q.code = "411102001000";
    EXPECT_EQ(store->features("township", q).features.at(0).name, "老街街道");
}

TEST_F(DemoCity, EveryLevelTilesItsParentWithoutGapsOrOverlaps) {
    auto counties = all(*store, "county");
    auto towns = all(*store, "township");
    auto communities = all(*store, "community");
    auto grids = all(*store, "grid");
    expect_tiles(counties, towns, "township");
    expect_tiles(towns, communities, "community");
    expect_tiles(communities, grids, "grid");
    expect_tiles(grids, all(*store, "micro_grid"), "micro-grid");
}

TEST_F(DemoCity, GridsAreRealisticAndHouseholdsAddUp) {
    std::int64_t households = 0;
    int multipart = 0;
    for (const auto& g : all(*store, "grid")) {
        std::int64_t hh = int_property(g, "households");
        households += hh;
        std::string type = std::get<std::string>(g.properties.at(0).second);
        if (type == "urban") {
            EXPECT_GE(hh, 300) << g.code;
            EXPECT_LE(hh, 500) << g.code;
        } else {
            EXPECT_GE(hh, 30) << g.code;
            EXPECT_LE(hh, 200) << g.code;
        }
        EXPECT_GE(geo::vertex_count(g.geometry), 8u) << g.code;
        if (std::holds_alternative<geo::MultiPolygon>(g.geometry))
            ++multipart;
        EXPECT_EQ(g.code.substr(0, 12), *g.parent_code) << "grid codes extend their community's";
    }
    EXPECT_EQ(households, summary->households);
    // Detached pieces are handed to a neighbouring grid; a few remain where a piece touches
    // only other villages (docs/demo-city.md).
    EXPECT_LE(multipart, test_grids * 5 / 100);
    EXPECT_EQ(store->buildings().size(), static_cast<std::size_t>(summary->buildings));
}

TEST_F(DemoCity, ExclusiveGridsLieInsideTheirHostGrid) {
    std::map<std::string, geo::Geometry> grid_geometry;
    for (auto& g : all(*store, "grid"))
        grid_geometry[g.code] = g.geometry;
    for (const auto& e : all(*store, "exclusive_grid")) {
        std::string host;
        for (const auto& [n, v] : e.properties)
            if (n == "host_grid")
                host = std::get<std::string>(v);
        ASSERT_TRUE(grid_geometry.count(host)) << e.code;
        EXPECT_TRUE(geo::PreparedArea(grid_geometry[host]).contains(e.geometry)) << e.code;
    }
}

TEST_F(DemoCity, PeopleThingsAndLogins) {
    EXPECT_GT(summary->people, test_grids * 2);
    EXPECT_GT(summary->cameras, 100);
    EXPECT_EQ(summary->drone_flights, 40);
    EXPECT_GT(summary->patrol_tracks, 0);
    EXPECT_EQ(store->departments().size(), 24u);
    Auth auth(*store);
    for (const auto& login : demo_logins()) {
        auto r = auth.login(login.username, login.password);
        ASSERT_TRUE(r) << login.username;
        EXPECT_EQ(to_string(r->principal.role), login.role) << login.username;
    }
    // The citizens' app reports through Open311 with the demo key, as a reporter.
    auto app = auth.authenticate_api_key(demo_api_key());
    ASSERT_TRUE(app);
    EXPECT_EQ(app->role, Role::reporter);
    EXPECT_FALSE(auth.authenticate_api_key("tessera-demo-open311-citizen-app-kez"));
    // The officer login is tied to the full-time officer of its grid.
    auto officer = store->find_user("officer");
    ASSERT_TRUE(officer->person_id);
    ASSERT_EQ(officer->jurisdiction.grid_codes.size(), 1u);
    auto in_grid = store->people(officer->jurisdiction.grid_codes[0]);
    EXPECT_TRUE(std::any_of(in_grid.begin(), in_grid.end(),
                            [&](const Person& p) { return p.id == *officer->person_id; }));
}

TEST_F(DemoCity, AYearOfEventsInEveryStateWithConsistentTimelines) {
    EXPECT_GT(summary->events, 365 * 12 * 9 / 10);
    EXPECT_GT(summary->timeline_entries, summary->events * 3);
    for (int s = 0; s < 7; ++s) {
        EventQuery q;
        q.status = static_cast<EventStatus>(s);
        q.limit = 1;
        EXPECT_GT(store->events(q).total, 0) << to_string(*q.status);
    }
    for (ResponseLevel level : {ResponseLevel::community, ResponseLevel::township}) {
        EventQuery q;
        q.level = level;
        EXPECT_GT(store->events(q).total, 0) << to_string(level);
    }
    // The year: reports from the first week to the last day, none in the future.
    EventQuery old_ones;
    old_ones.reported_to = *parse_time("2025-11-30T00:00:00Z");
    EXPECT_GT(store->events(old_ones).total, 0);
    EventQuery future;
    future.reported_from = *parse_time("2026-11-22T08:00:00Z");
    EXPECT_EQ(store->events(future).total, 0);
    // Every timeline is a walk the workflow allows, ending in the event's state.
    EventQuery sample;
    sample.limit = 300;
    for (const auto& e : store->events(sample).events) {
        auto tl = store->timeline(e.id);
        ASSERT_FALSE(tl.empty());
        EXPECT_EQ(tl.front().action, EventAction::report);
        EventStatus status = EventStatus::reported;
        for (std::size_t i = 1; i < tl.size(); ++i) {
            EXPECT_EQ(tl[i].from, status) << "event " << e.id << " entry " << i;
            EXPECT_GE(tl[i].at, tl[i - 1].at) << "event " << e.id;
            status = tl[i].to;
        }
        EXPECT_EQ(status, e.status) << "event " << e.id;
        EXPECT_EQ(e.closed_at.has_value(), e.status == EventStatus::closed) << "event " << e.id;
    }
}

TEST_F(DemoCity, SameSeedSameCityOtherSeedOtherCity) {
    auto digest = [](Store& s) {
        std::string all_wkb;
        for (const auto& g : all(s, "grid"))
            all_wkb += g.code + geo::to_wkb(g.geometry);
        return std::hash<std::string>{}(all_wkb);
    };
    tessera::testing::TempDir d;
    auto again = open_spatialite_store(d / "again.db");
    build_demo_city(*again, options(7, 0));
    EXPECT_EQ(digest(*again), digest(*store));
    auto other = open_spatialite_store(d / "other.db");
    build_demo_city(*other, options(8, 0));
    EXPECT_NE(digest(*other), digest(*store));
}

TEST(DemoCityErrors, RefusesNonEmptyStoresAndTooFewGrids) {
    tessera::testing::TempDir d;
    auto s = open_spatialite_store(d / "x.db");
    auto o = options(1, 0);
    o.grids = 1000;
    EXPECT_THROW(build_demo_city(*s, o), Error);
    EXPECT_TRUE(s->layers().empty());
    s->create_layer({"grid", LayerKind::grid, "", std::nullopt, 0, "EPSG:4326"});
    EXPECT_THROW(build_demo_city(*s, options(1, 0)), Error);
    o = options(1, 0);
    o.samples_dir = d.path();
    auto empty = open_spatialite_store(d / "y.db");
    EXPECT_THROW(build_demo_city(*empty, o), Error);
}
