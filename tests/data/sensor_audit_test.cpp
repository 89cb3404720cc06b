#include "data/sensor_audit.hpp"
#include "geo/error.hpp"
#include "geo/measure.hpp"
#include "geo/ops.hpp"
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

// The area of view_cone's polygon: a fan of triangles, one per 5 degrees of arc (or less).
double cone_polygon_m2(double fov_deg, double range_m) {
    const int steps = static_cast<int>(std::ceil(fov_deg / 5));
    return 0.5 * steps * range_m * range_m * std::sin(fov_deg / steps * std::numbers::pi / 180);
}

// Grids A = [0, 400] x [0, 400] m and B = [400, 800] x [0, 400] m.
class SensorAuditTest : public ::testing::Test {
protected:
    tessera::testing::TempDir dir;
    std::unique_ptr<Store> store = open_spatialite_store(dir / "s.db");
    Time end = parse_time("2026-11-22T00:00:00+08:00").value();

    void SetUp() override {
        store->create_layer({"grid", LayerKind::grid, "", std::nullopt, 0, "EPSG:4326"});
        store->replace_features("grid", {"test", "fixture", parse_time("2026-01-01")},
                                std::vector<FeatureInput>{{"A",
                                                           "甲网格",
                                                           std::nullopt,
                                                           {{"type", std::string("urban")}},
                                                           rect_m(0, 0, 400, 400)},
                                                          {"B",
                                                           "乙网格",
                                                           std::nullopt,
                                                           {{"type", std::string("rural")}},
                                                           rect_m(400, 0, 800, 400)}});
    }

    // A straight flight along y from x0 to x1 at 10 m/s, starting `start`.
    void fly(const std::string& code, double y, double x0, double x1, double swath, Time start) {
        TimedPath path;
        for (double x = x0; x <= x1 + 1e-9; x += 100) {
            path.points.push_back(at(x, y));
            path.times.push_back(start + std::chrono::seconds(static_cast<int>((x - x0) / 10)));
        }
        store->add_drone_flight({0, code, "违建巡查", path, swath});
    }

    Event closed_event(geo::LonLat where, Time closed, EventStatus status = EventStatus::closed) {
        Event e;
        e.category = "illegal_building";
        e.description = "违建";
        e.source = EventSource::officer;
        e.position = where;
        e.grid_code = "A";
        e.reported_at = closed - std::chrono::days(2);
        e.updated_at = closed;
        e.deadline_at = closed + std::chrono::days(3);
        e.status = status;
        if (status == EventStatus::closed)
            e.closed_at = closed;
        return store->add_event(
            e,
            {{0, 0, e.reported_at, "officer1", EventAction::report, std::nullopt, status, "", {}}});
    }
};

} // namespace

TEST_F(SensorAuditTest, OnlineConesCoverTheirShareAndSeeTheHouseholdsInThem) {
    // A full circle of 100 m in A; an offline camera in A; a 90-degree cone standing in B looking
    // west, whose part beyond 50 m lies in A.
    store->add_camera({0, "CAM1", "甲中心", at(200, 200), 0, 360, 100, true});
    store->add_camera({0, "CAM2", "甲西南", at(100, 100), 0, 60, 50, false});
    store->add_camera({0, "CAM3", "乙西", at(450, 200), 270, 90, 100, true});
    store->add_building({0, "b1", at(200, 220), 10, "甲1号", ""}); // in CAM1's circle
    store->add_building({0, "b2", at(200, 350), 30, "甲2号", ""}); // seen by none
    store->add_building({0, "b3", at(600, 100), 5, "乙1号", ""});

    const CameraReport r = audit_cameras(*store, {});
    ASSERT_EQ(r.grids.size(), 2u);
    const GridCameras& a = r.grids[0];
    const GridCameras& b = r.grids[1];
    EXPECT_EQ(a.code, "A");
    // The cone's triangle within 50 m of its apex (50 x 50 m) lies in B, the rest of it in A.
    const double circle = cone_polygon_m2(360, 100);
    const double quarter = cone_polygon_m2(90, 100);
    EXPECT_NEAR(a.area_m2, 160'000, 160);
    EXPECT_NEAR(a.covered_m2, circle + quarter - 2'500, 50);
    EXPECT_NEAR(b.covered_m2, 2'500, 5);
    EXPECT_NEAR(a.covered_share(), (circle + quarter - 2'500) / 160'000, 1e-3);
    EXPECT_NEAR(geo::area_m2(a.blind_spots), 160'000 - (circle + quarter - 2'500), 100);
    EXPECT_TRUE(geo::covers(a.blind_spots, at(200, 350)));
    EXPECT_FALSE(geo::covers(a.blind_spots, at(200, 250)));
    EXPECT_EQ(a.online, 1);
    EXPECT_EQ(a.offline, 1);
    EXPECT_EQ(a.cones, 2);
    EXPECT_EQ(b.online, 1);
    EXPECT_EQ(b.cones, 1);
    EXPECT_EQ(r.online, 2);
    EXPECT_EQ(r.offline, 1);
    EXPECT_EQ(a.households, 40);
    EXPECT_EQ(a.households_unseen, 30);
    EXPECT_EQ(a.buildings_unseen, 1);
    EXPECT_EQ(b.households_unseen, 5);

    const std::string csv = camera_audit_csv(r);
    EXPECT_EQ(csv.substr(0, csv.find('\n')),
              "code,name,type,covered_share,covered_m2,area_m2,blind_spots,blind_spot_m2,"
              "cameras_online,cameras_offline,cones,households,households_unseen,buildings_unseen");
    EXPECT_NE(csv.find("\nB,乙网格,rural,0.016,"), std::string::npos) << csv;

    // Only the grids a caller may see.
    CameraAuditQuery only_b;
    only_b.include = [](const Feature& f) { return f.code == "B"; };
    const CameraReport rb = audit_cameras(*store, only_b);
    ASSERT_EQ(rb.grids.size(), 1u);
    EXPECT_EQ(rb.grids[0].cones, 1);
    EXPECT_EQ(rb.offline, 0);
    EXPECT_THROW(audit_cameras(*store, {"nope", {}, 1, 1}), Error);
}

TEST_F(SensorAuditTest, FlightsOfTheWindowCoverTheirStripsAndLeaveThePlanGaps) {
    // F1 flies y = 200 across both grids with a 100 m swath a day before the end; F2 the same
    // line at y = 50 after the window.
    fly("F1", 200, -100, 900, 100, end - std::chrono::days(1));
    fly("F2", 50, -100, 900, 100, end + std::chrono::hours(1));
    DroneAuditQuery q;
    q.from = end - std::chrono::days(30);
    q.to = end;
    q.plan = rect_m(0, 100, 800, 300);
    const DroneReport r = audit_drones(*store, q);
    ASSERT_EQ(r.flights.size(), 1u);
    EXPECT_EQ(r.flights[0].code, "F1");
    EXPECT_NEAR(r.flights[0].length_m, 1000, 1);
    EXPECT_NEAR(r.flights[0].footprint_m2, 100'000, 200);
    ASSERT_EQ(r.grids.size(), 2u);
    for (const auto& g : r.grids) {
        EXPECT_NEAR(g.covered_m2, 40'000, 80) << g.code;
        EXPECT_NEAR(g.covered_share(), 0.25, 1e-3) << g.code;
        EXPECT_EQ(g.unflown.polygons.size(), 2u) << "above and below the strip";
        EXPECT_NEAR(geo::area_m2(g.unflown), 120'000, 240);
        EXPECT_EQ(g.flights, std::vector<std::string>{"F1"});
        ASSERT_TRUE(g.last_flown);
    }
    ASSERT_TRUE(r.plan);
    EXPECT_NEAR(r.plan->planned_m2, 160'000, 320);
    EXPECT_NEAR(r.plan->covered_share(), 0.5, 1e-3);
    EXPECT_EQ(r.plan->gaps.polygons.size(), 2u);
    EXPECT_TRUE(geo::covers(r.plan->gaps, at(400, 125)));

    const std::string csv = drone_audit_csv(r);
    EXPECT_NE(csv.find("\nA,甲网格,urban,0.250,"), std::string::npos) << csv;

    EXPECT_THROW(audit_drones(*store, {"grid", end, end, {}, {}, {}, 1, 1}), Error);
}

TEST_F(SensorAuditTest, ClosedEventsALaterFlightSawAreReinspectedOnce) {
    fly("F1", 200, -100, 900, 100, end - std::chrono::days(1));
    const Event seen = closed_event(at(300, 210), end - std::chrono::days(2));
    closed_event(at(310, 210), end - std::chrono::hours(1)); // closed after the flight
    closed_event(at(300, 350), end - std::chrono::days(2));  // outside the strip
    closed_event(at(320, 210), end - std::chrono::days(2), EventStatus::in_progress);

    DroneAuditQuery q;
    q.from = end - std::chrono::days(30);
    q.to = end;
    DroneReport r = audit_drones(*store, q);
    ASSERT_EQ(r.reinspected.size(), 1u);
    EXPECT_EQ(r.reinspected[0].event_id, seen.id);
    EXPECT_EQ(r.reinspected[0].flight_code, "F1");
    EXPECT_FALSE(r.reinspected[0].marked);

    EXPECT_EQ(mark_reinspections(*store, r.reinspected, "auditor", end), 1u);
    const auto timeline = store->timeline(seen.id);
    ASSERT_EQ(timeline.size(), 2u);
    EXPECT_EQ(timeline[1].action, EventAction::reinspect);
    EXPECT_EQ(timeline[1].to, EventStatus::closed);
    EXPECT_EQ(timeline[1].target, std::optional<std::string>("F1"));
    EXPECT_EQ(store->event(seen.id)->status, EventStatus::closed);

    // The next audit knows it is marked, and marking again adds nothing.
    r = audit_drones(*store, q);
    ASSERT_EQ(r.reinspected.size(), 1u);
    EXPECT_TRUE(r.reinspected[0].marked);
    EXPECT_EQ(mark_reinspections(*store, r.reinspected, "auditor", end), 0u);
    EXPECT_EQ(store->timeline(seen.id).size(), 2u);

    // Events the caller may not see are not looked at.
    q.events_visible_to = EventQuery::Visibility{{"B"}, std::nullopt};
    EXPECT_TRUE(audit_drones(*store, q).reinspected.empty());
}
