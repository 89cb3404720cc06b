#include "data/patrol_audit.hpp"
#include "geo/error.hpp"
#include "geo/measure.hpp"
#include "tests/support/shapes.hpp"
#include "tests/support/temp_dir.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <numbers>

using namespace tessera;
using namespace tessera::data;

namespace {

// A local frame in metres east and north of (114.0, 33.5).
constexpr auto& at = tessera::testing::at_m;
using tessera::testing::rect_m;

constexpr std::int64_t t0 = 1'793'491'200'000; // 2026-11-01T00:00:00Z
constexpr std::int64_t second = 1000, minute = 60 * second;

// Grids A = [0, 400] x [0, 400] m and B = [400, 800] x [0, 400] m; officers' walks:
// - officer 0 along y = 200 from x = 50 to 350, 15 m every 30 s for 10 minutes (a visit of A);
// - officer 1 an hour later along y = 100 from x = 300 to 700, 40 m every 30 s: a minute in A
//   and four in B, too short a stay for a visit of either;
// - officer 0 again, two fixes in B 20 minutes apart: a gap, so nothing walked between them.
struct Walks {
    std::vector<std::uint32_t> officer;
    std::vector<std::int64_t> time_ms;
    std::vector<geo::LonLat> position;

    void add(std::uint32_t o, std::int64_t t, geo::LonLat p) {
        officer.push_back(o);
        time_ms.push_back(t);
        position.push_back(p);
    }

    Walks() {
        for (int k = 0; k <= 20; ++k)
            add(0, t0 + k * 30 * second, at(50 + 15 * k, 200));
        add(0, t0 + 3 * 60 * minute, at(600, 300));
        add(0, t0 + 3 * 60 * minute + 20 * minute, at(650, 300));
        for (int k = 0; k <= 10; ++k)
            add(1, t0 + 60 * minute + k * 30 * second, at(300 + 40 * k, 100));
    }

    FixColumns columns() const { return {officer, time_ms, position}; }
};

class PatrolAuditTest : public ::testing::Test {
protected:
    std::vector<geo::MultiPolygon> grids{rect_m(0, 0, 400, 400), rect_m(400, 0, 800, 400)};
    // 10 households 20 m from officer 0's walk, 30 households 150 m away, 5 on officer 1's.
    std::vector<HouseholdPoint> households{
        {at(200, 220), 10}, {at(200, 350), 30}, {at(600, 100), 5}};
    Walks walks;
    PatrolAudit audit{grids, households, AuditRules{}};
};

} // namespace

TEST_F(PatrolAuditTest, VisitsDistancesAndTheLastVisitFollowTheDwellAndGapRules) {
    const auto r = audit.run(walks.columns(), t0, t0 + 24 * 60 * minute);
    ASSERT_EQ(r.size(), 2u);
    const GridPatrol& a = r[0];
    EXPECT_TRUE(a.visited);
    EXPECT_EQ(a.visits, 1);
    EXPECT_EQ(a.fixes, 21 + 3);
    // 300 m by officer 0, and officer 1's 100 m from x = 300 to the border at 400.
    EXPECT_NEAR(a.distance_m, 400, 1);
    ASSERT_TRUE(a.last_visit_ms);
    EXPECT_EQ(*a.last_visit_ms, t0 + 10 * minute);
    EXPECT_EQ(a.last_officer, 0u);

    const GridPatrol& b = r[1];
    EXPECT_FALSE(b.visited);
    EXPECT_EQ(b.visits, 0);
    EXPECT_EQ(b.fixes, 8 + 2);
    EXPECT_NEAR(b.distance_m, 300, 1); // officer 1 from the border to x = 700; not the gap
    EXPECT_FALSE(b.last_visit_ms);
    EXPECT_EQ(b.last_officer, no_officer);

    // Households: the 10 near officer 0's walk of the 40 in A; all 5 in B.
    EXPECT_EQ(a.households, 40);
    EXPECT_EQ(a.households_covered, 10);
    EXPECT_DOUBLE_EQ(a.coverage_share(), 0.25);
    EXPECT_EQ(b.households, 5);
    EXPECT_DOUBLE_EQ(b.coverage_share(), 1.0);

    // A stay of four minutes counts with a dwell rule of three.
    AuditRules short_dwell;
    short_dwell.min_dwell = std::chrono::minutes(3);
    const auto r3 =
        PatrolAudit(grids, households, short_dwell).run(walks.columns(), t0, t0 + 24 * 60 * minute);
    EXPECT_TRUE(r3[1].visited);
    EXPECT_EQ(*r3[1].last_visit_ms, t0 + 65 * minute);
    EXPECT_EQ(r3[1].last_officer, 1u);
}

TEST_F(PatrolAuditTest, TheAreaShareIsTheGroundWithinReachOfTheWalksInTheWindow) {
    // Officer 0's first walk alone: a capsule 300 m long and 100 m wide, all inside A.
    const auto r = audit.run(walks.columns(), t0, t0 + 30 * minute);
    const double capsule = 300.0 * 100 + std::numbers::pi * 50 * 50;
    const double perimeter = 600 + std::numbers::pi * 100;
    const double diagonal = 5 * std::numbers::sqrt2;
    EXPECT_NEAR(r[0].area_share(), capsule / (400.0 * 400), perimeter * diagonal / (400.0 * 400));
    EXPECT_NEAR(static_cast<double>(r[0].cells), 400.0 * 400 / 25, 1600.0 / 5 + 4);
    EXPECT_EQ(r[1].covered_cells, 0); // the capsule ends 50 m short of B
    EXPECT_EQ(r[0].fixes, 21);
    EXPECT_EQ(r[1].fixes, 0);
}

TEST_F(PatrolAuditTest, TwoThreadsGiveWhatOneGives) {
    const auto one = audit.run(walks.columns(), t0, t0 + 24 * 60 * minute, 1);
    const auto two = audit.run(walks.columns(), t0, t0 + 24 * 60 * minute, 2);
    ASSERT_EQ(one.size(), two.size());
    for (std::size_t i = 0; i < one.size(); ++i) {
        EXPECT_EQ(one[i].visits, two[i].visits);
        EXPECT_EQ(one[i].fixes, two[i].fixes);
        EXPECT_NEAR(one[i].distance_m, two[i].distance_m, 1e-9); // summed in another order
        EXPECT_EQ(one[i].covered_cells, two[i].covered_cells);
        EXPECT_EQ(one[i].last_visit_ms, two[i].last_visit_ms);
        EXPECT_EQ(one[i].last_officer, two[i].last_officer);
        EXPECT_EQ(one[i].households_covered, two[i].households_covered);
    }
}

TEST_F(PatrolAuditTest, BadRulesAreRefused) {
    AuditRules bad;
    bad.reach_m = 0;
    EXPECT_THROW(PatrolAudit(grids, households, bad), Error);
    bad = {};
    bad.full_share = 1.5;
    EXPECT_THROW(PatrolAudit(grids, households, bad), Error);
    bad = {};
    bad.min_dwell = std::chrono::seconds(-1);
    EXPECT_THROW(PatrolAudit(grids, households, bad), Error);
    EXPECT_THROW(PatrolAudit({}, households, AuditRules{}), Error);
}

namespace {

// The same two grids in a store, A rural and B urban, each with its officer and buildings.
class PatrolAuditStoreTest : public ::testing::Test {
protected:
    tessera::testing::TempDir dir;
    std::unique_ptr<Store> store = open_spatialite_store(dir / "a.db");
    std::int64_t p0 = 0, p1 = 0;
    Time end = parse_time("2026-11-22T00:00:00+08:00").value();

    void SetUp() override {
        store->create_layer({"grid", LayerKind::grid, "", std::nullopt, 0, "EPSG:4326"});
        store->replace_features("grid", {"test", "fixture", parse_time("2026-01-01")},
                                std::vector<FeatureInput>{{"A",
                                                           "甲网格",
                                                           std::nullopt,
                                                           {{"type", std::string("rural")}},
                                                           rect_m(0, 0, 400, 400)},
                                                          {"B",
                                                           "乙网格",
                                                           std::nullopt,
                                                           {{"type", std::string("urban")}},
                                                           rect_m(400, 0, 800, 400)}});
        p0 = store->add_person({0, "P0", "张三", PersonRole::full_time_officer, "", {"A"}, {}});
        p1 = store->add_person({0, "P1", "李四", PersonRole::full_time_officer, "", {"B"}, {}});
        store->add_building({0, "b1", at(200, 200), 10, "甲1号", ""});
        store->add_building({0, "b2", at(600, 200), 20, "乙1号", ""});
    }

    // A ten-minute walk along y = 200 from x0 to x0 + 300, ending `days_before` the end.
    void walk(std::int64_t person, double x0, int days_before) {
        TimedPath path;
        const Time start = end - std::chrono::days(days_before) - std::chrono::minutes(10);
        for (int k = 0; k <= 20; ++k) {
            path.points.push_back(at(x0 + 15 * k, 200));
            path.times.push_back(start + std::chrono::seconds(30 * k));
        }
        store->add_patrol_track({0, person, path});
    }
};

} // namespace

TEST_F(PatrolAuditStoreTest, StaleGridsFollowTheirTypesRule) {
    walk(p0, 50, 35);  // A, rural: 35 days ago is too long ago for 30 days
    walk(p1, 450, 40); // B, urban: 40 days ago is within 45
    AuditQuery q;
    q.from = end - std::chrono::days(7);
    q.to = end;
    auto report = audit_patrols(*store, q);
    ASSERT_EQ(report.grids.size(), 2u);
    const GridAudit& a = report.grids[0];
    const GridAudit& b = report.grids[1];
    EXPECT_EQ(a.code, "A");
    EXPECT_EQ(a.type, "rural");
    EXPECT_EQ(a.stale_days, 30);
    EXPECT_TRUE(a.stale);
    EXPECT_FALSE(a.patrol.visited); // not in the week
    EXPECT_EQ(b.stale_days, 45);
    EXPECT_FALSE(b.stale);
    EXPECT_FALSE(b.patrol.visited);
    ASSERT_EQ(a.responsible.size(), 1u);
    EXPECT_EQ(a.responsible[0].code, "P0");
    EXPECT_EQ(report.tracks, 2);
    EXPECT_EQ(report.fixes, 42);

    // Over 60 days both were visited, each by its officer, and every household reached.
    q.from = end - std::chrono::days(60);
    report = audit_patrols(*store, q);
    ASSERT_TRUE(report.grids[0].last_officer);
    EXPECT_EQ(report.grids[0].last_officer->code, "P0");
    EXPECT_EQ(report.grids[1].last_officer->code, "P1");
    EXPECT_DOUBLE_EQ(report.grids[1].patrol.coverage_share(), 1.0);
    EXPECT_EQ(*report.grids[1].patrol.last_visit_ms,
              (end - std::chrono::days(40)).time_since_epoch().count());

    // A walk of A a day ago makes it fresh.
    walk(p0, 50, 1);
    report = audit_patrols(*store, q);
    EXPECT_FALSE(report.grids[0].stale);

    // B alone (a caller who sees B only): the same figures for B, from the tracks around it.
    walk(p0, -2000, 2); // far west of both
    report = audit_patrols(*store, q);
    AuditQuery only_b = q;
    only_b.include = [](const Feature& f) { return f.code == "B"; };
    const auto b_alone = audit_patrols(*store, only_b);
    ASSERT_EQ(b_alone.grids.size(), 1u);
    const GridAudit& b2 = b_alone.grids[0];
    EXPECT_EQ(b2.code, "B");
    EXPECT_EQ(b2.patrol.visits, report.grids[1].patrol.visits);
    EXPECT_EQ(b2.patrol.covered_cells, report.grids[1].patrol.covered_cells);
    EXPECT_EQ(b2.patrol.distance_m, report.grids[1].patrol.distance_m);
    EXPECT_EQ(b2.stale, report.grids[1].stale);
    EXPECT_EQ(b2.shape.polygons.size(), 1u);
    EXPECT_LT(b_alone.tracks, report.tracks) << "the tracks far from B are not read";
    only_b.include = [](const Feature&) { return false; };
    EXPECT_TRUE(audit_patrols(*store, only_b).grids.empty());

    EXPECT_THROW(audit_patrols(*store, AuditQuery{"nope", q.from, q.to, {}, 1, {}}), Error);
    EXPECT_THROW(audit_patrols(*store, AuditQuery{"grid", q.to, q.from, {}, 1, {}}), Error);
}

TEST(AuditWindow, ADateAloneIsADayInBeijing) {
    EXPECT_EQ(parse_window_time("2026-11-01", false), parse_time("2026-10-31T16:00:00Z"));
    EXPECT_EQ(parse_window_time("2026-11-01", true), parse_time("2026-11-01T16:00:00Z"));
    EXPECT_EQ(parse_window_time("2026-11-01T08:00:00+08:00", true),
              parse_time("2026-11-01T00:00:00Z"));
    EXPECT_FALSE(parse_window_time("yesterday", false));
    EXPECT_FALSE(parse_window_time("2026-13-01", false));
}
