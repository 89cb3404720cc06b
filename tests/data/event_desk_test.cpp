// The closed loop's facade on a real SpatiaLite store with a hand-driven clock: intake from every
// channel, tiered handling, duplicates, actions under the policy, escalation through four
// levels, reopening on a bad rating, and jurisdiction.
#include "data/auth.hpp"
#include "data/event_desk.hpp"
#include "data/figures.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"
#include "geo/measure.hpp"
#include "tests/support/errors.hpp"
#include "tests/support/event_city.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace tessera;
using namespace tessera::data;
using namespace std::chrono_literals;
using tessera::testing::code_of;
using tessera::testing::TempDir;
using S = EventStatus;
using A = EventAction;
using L = ResponseLevel;

namespace {

// A stored user (events refer to their reporter's user id) and its principal.
Principal principal(Store& store, const char* name, Role role, Jurisdiction j,
                    std::optional<std::string> department = {}) {
    User u;
    u.username = name;
    u.display_name = name;
    u.role = role;
    u.jurisdiction = j;
    u.password_hash = "not used: these users never log in";
    u.department_code = department;
    std::int64_t id = store.add_user(u);
    return {id, name, name, role, std::move(j), std::move(department), {}};
}

class EventDeskTest : public ::testing::Test {
protected:
    TempDir dir;
    std::unique_ptr<Store> store = open_spatialite_store(dir / "e.db");
    Assigner assigner{*store};
    Time now = *parse_time("2026-03-02T08:00:00Z");
    EventDesk desk{*store, assigner, DeskConfig{}, [this] { return now; }};

    // Seeded before the users below (the department user refers to a department).
    bool seeded = (tessera::testing::seed_event_city(*store), true);

    using K = Jurisdiction::Kind;
    Principal admin = principal(*store, "admin", Role::admin, {K::everything, "", {}});
    Principal officer_g1 =
        principal(*store, "officer1", Role::grid_officer, {K::grids, "", {"G1"}});
    Principal officer_g3 =
        principal(*store, "officer3", Role::grid_officer, {K::grids, "", {"G3"}});
    Principal chief_c1 = principal(*store, "chief1", Role::grid_chief, {K::area, "C1", {}});
    Principal city = principal(*store, "city", Role::command_operator, {K::area, "411100", {}});
    Principal citizen = principal(*store, "citizen", Role::reporter, {K::none, "", {}});
    Principal dept =
        principal(*store, "dept", Role::department_staff, {K::area, "411100", {}}, "D02");

    EventReport at(const char* category, double lon, double lat,
                   EventSource source = EventSource::officer) {
        EventReport r;
        r.category = category;
        r.description = "测试";
        r.source = source;
        r.position = geo::LonLat{lon, lat};
        r.reporter = "王芳";
        return r;
    }

    Event act(const Event& e, A action, const Principal& who, std::string note = "",
              std::optional<bool> satisfied = {}, std::vector<std::string> photos = {}) {
        ActionRequest r;
        r.action = action;
        r.note = std::move(note);
        r.satisfied = satisfied;
        r.photos = std::move(photos);
        return desk.act(e.id, r, who);
    }

    std::int64_t stored_events() { return store->events(EventQuery{}).total; }
};

} // namespace

TEST_F(EventDeskTest, IntakeAssignsTheGridChainAndTheDeadline) {
    Intake in = desk.report(at("garbage", 114.01, 33.52), &officer_g1, "officer1");
    const Event& e = in.event;
    EXPECT_GT(e.id, 0);
    EXPECT_EQ(e.grid_code, "G1");
    EXPECT_EQ(e.community_code, "C1");
    EXPECT_EQ(e.township_code, "T1");
    EXPECT_EQ(e.county_code, "411102");
    EXPECT_EQ(e.city_code, "411100");
    EXPECT_EQ(e.layer_version, store->find_layer("grid")->version);
    EXPECT_EQ(e.severity, Severity::blue); // the category's default
    EXPECT_EQ(e.deadline_at, now + 72h);
    EXPECT_EQ(e.reporter_user_id, officer_g1.user_id);
    // garbage is "general": dispatched to the grid by rule, in the same write as the intake.
    EXPECT_EQ(e.status, S::dispatched);
    auto timeline = store->timeline(e.id);
    ASSERT_EQ(timeline.size(), 2u);
    EXPECT_EQ(timeline[0].action, A::report);
    EXPECT_EQ(timeline[0].actor, "officer1");
    EXPECT_FALSE(timeline[0].from);
    EXPECT_EQ(timeline[1].action, A::dispatch);
    EXPECT_EQ(timeline[1].actor, "system");
    EXPECT_EQ(store->event(e.id)->status, S::dispatched);
}

TEST_F(EventDeskTest, TieredHandlingAtIntake) {
    // complex: waits for the command center; simple: closed by rule; red overrides the default.
    auto complex = at("illegal_construction", 114.06, 33.52);
    complex.severity = Severity::red;
    Event c = desk.report(complex, &officer_g3, "officer3").event;
    EXPECT_EQ(c.status, S::reported);
    EXPECT_EQ(c.deadline_at, now + 2h);
    Event s = desk.report(at("consultation", 114.06, 33.52), &citizen, "citizen").event;
    EXPECT_EQ(s.status, S::closed);
    ASSERT_TRUE(s.closed_at);
    EXPECT_NE(store->timeline(s.id).back().note.find("closed by rule"), std::string::npos);
    // Outside every grid but inside community C1: kept for the command center, flagged.
    Event o = desk.report(at("garbage", 114.01, 33.58), &city, "city").event;
    EXPECT_TRUE(o.outside_grid);
    EXPECT_EQ(o.grid_code, "");
    EXPECT_EQ(o.community_code, "C1");
    EXPECT_EQ(o.status, S::reported);
}

TEST_F(EventDeskTest, GcjInputLandsInTheSameGridAsWgs84) {
    // A mini-program sends GCJ-02; the stored position is WGS84 and the grid the same.
    auto wgs = at("garbage", 114.01, 33.52);
    Event a = desk.report(wgs, &officer_g1, "officer1").event;
    auto gcj = at("garbage", 0, 0);
    geo::CrsTransform to_gcj(geo::Crs::wgs84(), geo::Crs::parse("gcj02"));
    gcj.position = to_gcj.apply(geo::LonLat{114.0102, 33.5203});
    gcj.crs = "gcj02";
    gcj.category = "noise";
    Event b = desk.report(gcj, &officer_g1, "officer1").event;
    EXPECT_EQ(b.grid_code, "G1");
    EXPECT_LT(geo::distance_m(b.position, {114.0102, 33.5203}), 0.5);
    EXPECT_EQ(a.grid_code, b.grid_code);
}

TEST_F(EventDeskTest, CameraAlertSitsAtTheViewTarget) {
    EventReport r;
    r.category = "street_vendor";
    r.source = EventSource::camera;
    r.camera_code = "CAM1";
    r.alert_type = "占道经营识别";
    Event e = desk.report(r, nullptr, "camera-gateway").event;
    EXPECT_EQ(e.camera_code, "CAM1");
    EXPECT_EQ(e.grid_code, "G1");
    // 40 m range, 60 degrees: the sector's centroid is 4*40*sin(30)/(3*pi/3) = 25.46 m away.
    EXPECT_NEAR(geo::distance_m({114.001, 33.501}, e.position), 25.46, 0.05);
    EXPECT_GT(e.position.lon, 114.001);
    EXPECT_GT(e.position.lat, 33.501);
    EXPECT_EQ(e.description.rfind("[占道经营识别]", 0), 0u);

    auto before = stored_events();
    r.camera_code = "NOPE";
    EXPECT_EQ(code_of([&] { desk.report(r, nullptr, "camera-gateway"); }),
              ErrorCode::invalid_argument);
    r.camera_code = "CAM1";
    r.position = geo::LonLat{114.01, 33.52};
    EXPECT_EQ(code_of([&] { desk.report(r, nullptr, "camera-gateway"); }),
              ErrorCode::invalid_argument);
    EXPECT_EQ(stored_events(), before);
}

TEST_F(EventDeskTest, DroneFindingKeepsItsFootprintAndSitsAtTheCentroid) {
    EventReport r;
    r.category = "illegal_construction";
    r.source = EventSource::drone;
    r.flight_code = "F1";
    r.footprint = tessera::testing::multi(tessera::testing::rect(114.06, 33.52, 114.062, 33.522));
    Event e = desk.report(r, &admin, "admin").event;
    EXPECT_EQ(e.flight_code, "F1");
    ASSERT_TRUE(e.footprint);
    EXPECT_NEAR(e.position.lon, 114.061, 1e-9);
    EXPECT_NEAR(e.position.lat, 33.521, 1e-9);
    EXPECT_EQ(e.grid_code, "G3");
    EXPECT_EQ(store->event(e.id)->footprint, e.footprint);

    auto before = stored_events();
    // A bow-tie is not a footprint; an unknown flight is not a flight; nothing is stored.
    EventReport bad = r;
    bad.footprint = geo::MultiPolygon{{geo::Polygon{{{{114.06, 33.52},
                                                      {114.062, 33.522},
                                                      {114.062, 33.52},
                                                      {114.06, 33.522},
                                                      {114.06, 33.52}}}}}};
    EXPECT_EQ(code_of([&] { desk.report(bad, &admin, "admin"); }), ErrorCode::invalid_geometry);
    bad = r;
    bad.flight_code = "F404";
    EXPECT_EQ(code_of([&] { desk.report(bad, &admin, "admin"); }), ErrorCode::invalid_argument);
    EXPECT_EQ(stored_events(), before);
}

TEST_F(EventDeskTest, BadReportsStoreNothing) {
    auto before = stored_events();
    auto r = at("no_such_category", 114.01, 33.52);
    EXPECT_EQ(code_of([&] { desk.report(r, &citizen, "c"); }), ErrorCode::invalid_argument);
    r = at("garbage", std::nan(""), 33.52);
    EXPECT_EQ(code_of([&] { desk.report(r, &citizen, "c"); }), ErrorCode::invalid_argument);
    r = at("garbage", 114.01, 95);
    EXPECT_EQ(code_of([&] { desk.report(r, &citizen, "c"); }), ErrorCode::invalid_argument);
    r = at("garbage", 114.01, 33.52);
    r.crs = "EPSG:999999";
    EXPECT_EQ(code_of([&] { desk.report(r, &citizen, "c"); }), ErrorCode::unknown_crs);
    r = at("garbage", 114.01, 33.52);
    r.photos = {"javascript:alert(1)"};
    EXPECT_EQ(code_of([&] { desk.report(r, &citizen, "c"); }), ErrorCode::invalid_argument);
    r = at("garbage", 114.01, 33.52);
    r.position.reset();
    EXPECT_EQ(code_of([&] { desk.report(r, &citizen, "c"); }), ErrorCode::invalid_argument);
    r = at("garbage", 114.01, 33.52);
    r.description.assign(5000, 'x');
    EXPECT_EQ(code_of([&] { desk.report(r, &citizen, "c"); }), ErrorCode::invalid_argument);
    EXPECT_EQ(stored_events(), before);
}

TEST_F(EventDeskTest, DuplicatesAreLinkedNotReopened) {
    Event first = desk.report(at("garbage", 114.01, 33.52), &citizen, "citizen").event;
    now += 30min;
    // ~22 m east: same category within 50 m and 24 h -> a duplicate of the first.
    Intake dup = desk.report(at("garbage", 114.01024, 33.52), &citizen, "citizen");
    EXPECT_TRUE(dup.duplicate);
    EXPECT_EQ(dup.event.duplicate_of, first.id);
    EXPECT_EQ(dup.event.status, S::closed);
    EXPECT_NE(dup.timeline.back().note.find("duplicate of event " + std::to_string(first.id)),
              std::string::npos);
    // Another category at the same spot, or the same category 100 m away, is a new ticket.
    EXPECT_FALSE(desk.report(at("noise", 114.01, 33.52), &citizen, "citizen").duplicate);
    EXPECT_FALSE(desk.report(at("garbage", 114.01108, 33.52), &citizen, "citizen").duplicate);
    // After the window it is new again.
    now += 25h;
    EXPECT_FALSE(desk.report(at("garbage", 114.01, 33.52), &citizen, "citizen").duplicate);
}

TEST_F(EventDeskTest, TheWholeLoopWithARatingThatReopens) {
    Event e = desk.report(at("road_damage", 114.01, 33.52), &citizen, "citizen").event;
    ASSERT_EQ(e.status, S::dispatched);
    e = act(e, A::accept, officer_g1);
    EXPECT_EQ(e.status, S::accepted);
    e = act(e, A::start, officer_g1);
    EXPECT_EQ(e.status, S::in_progress);
    // road_damage needs a photo of the result, and every resolution a note.
    EXPECT_EQ(code_of([&] { act(e, A::resolve, officer_g1, "补好了"); }),
              ErrorCode::invalid_argument);
    EXPECT_EQ(code_of([&] { act(e, A::resolve, officer_g1, "", {}, {"https://x.org/a.jpg"}); }),
              ErrorCode::invalid_argument);
    now += 3h;
    e = act(e, A::resolve, officer_g1, "补好了", {}, {"https://x.org/after.jpg"});
    EXPECT_EQ(e.status, S::resolved);
    EXPECT_EQ(e.photos.back(), "https://x.org/after.jpg");
    // The officer cannot rate; the citizen can, and "unsatisfied" re-dispatches with a new clock.
    EXPECT_EQ(code_of([&] { act(e, A::rate, officer_g1, "", true); }), ErrorCode::forbidden);
    now += 1h;
    e = act(e, A::rate, citizen, "", false);
    EXPECT_EQ(e.status, S::dispatched);
    EXPECT_EQ(e.satisfied, false);
    EXPECT_EQ(e.deadline_at, now + 24h); // road_damage is yellow
    e = act(e, A::accept, officer_g1);
    e = act(e, A::resolve, officer_g1, "重新铺设", {}, {"https://x.org/again.jpg"});
    e = act(e, A::rate, citizen, "", true);
    EXPECT_EQ(e.status, S::closed);
    EXPECT_EQ(e.closed_at, now);
    EXPECT_LE(*e.closed_at, e.deadline_at);

    std::vector<A> actions;
    for (const auto& t : store->timeline(e.id))
        actions.push_back(t.action);
    EXPECT_EQ(actions, (std::vector<A>{A::report, A::dispatch, A::accept, A::start, A::resolve,
                                       A::rate, A::accept, A::resolve, A::rate}));
}

TEST_F(EventDeskTest, IllegalTransitionIsAConflictAndChangesNothing) {
    Event e = desk.report(at("illegal_construction", 114.01, 33.52), &admin, "admin").event;
    ASSERT_EQ(e.status, S::reported);
    try {
        act(e, A::resolve, officer_g1, "done");
        FAIL() << "resolve from reported was allowed";
    } catch (const Error& err) {
        EXPECT_EQ(err.code(), ErrorCode::conflict);
        EXPECT_NE(std::string(err.what()).find("allowed: dispatch"), std::string::npos)
            << err.what();
    }
    EXPECT_EQ(store->event(e.id)->status, S::reported);
    EXPECT_EQ(store->timeline(e.id).size(), 1u);
    // The whistle: dispatched to a department (a known one), which reports for duty by
    // accepting.
    ActionRequest whistle;
    whistle.action = A::dispatch;
    whistle.target = "D99";
    EXPECT_EQ(code_of([&] { desk.act(e.id, whistle, city); }), ErrorCode::invalid_argument);
    whistle.target = "D02";
    e = desk.act(e.id, whistle, city);
    EXPECT_EQ(e.department_code, "D02");
    e = act(e, A::accept, dept);
    EXPECT_EQ(e.status, S::accepted);
    EXPECT_EQ(e.department_code, "D02");
}

TEST_F(EventDeskTest, OverdueEventsEscalateThroughAllFourLevels) {
    auto r = at("illegal_construction", 114.01, 33.52);
    r.severity = Severity::red; // 2 h per level
    Event e = desk.report(r, &admin, "admin").event;
    Event calm = desk.report(at("noise", 114.06, 33.52), &admin, "admin").event; // blue: 72 h
    EXPECT_TRUE(desk.escalate_overdue().empty());
    const L expected[] = {L::community, L::township, L::county};
    for (L level : expected) {
        now += 2h + 1min;
        auto escalated = desk.escalate_overdue();
        ASSERT_EQ(escalated.size(), 1u);
        EXPECT_EQ(escalated[0].id, e.id);
        EXPECT_EQ(escalated[0].level, level);
        EXPECT_EQ(escalated[0].status, S::dispatched);
        EXPECT_EQ(escalated[0].deadline_at, now + 2h);
    }
    // Nothing is above the county: the event stays there, overdue and visible as such.
    now += 5h;
    EXPECT_TRUE(desk.escalate_overdue().empty());
    EventQuery overdue;
    overdue.overdue_at = now;
    EXPECT_EQ(desk.list(overdue, &admin).total, 1);
    auto timeline = store->timeline(e.id);
    ASSERT_EQ(timeline.size(), 4u);
    for (std::size_t i = 1; i < 4; ++i) {
        EXPECT_EQ(timeline[i].action, A::escalate);
        EXPECT_EQ(timeline[i].actor, "system");
        EXPECT_NE(timeline[i].note.find("overdue: the"), std::string::npos);
        EXPECT_NE(timeline[i].note.find("red: 2 h"), std::string::npos) << timeline[i].note;
    }
    EXPECT_EQ(store->event(calm.id)->level, L::grid);
}

TEST_F(EventDeskTest, JurisdictionScopesReadsAndActions) {
    Event a = desk.report(at("noise", 114.01, 33.52), &citizen, "citizen").event; // G1
    Event b = desk.report(at("noise", 114.07, 33.52), &admin, "admin").event;     // G3
    // The officer of G1 sees A, not B, and cannot act on B: B does not exist for them.
    EXPECT_EQ(desk.get(a.id, &officer_g1).id, a.id);
    EXPECT_EQ(code_of([&] { desk.get(b.id, &officer_g1); }), ErrorCode::not_found);
    EXPECT_EQ(code_of([&] { act(b, A::accept, officer_g1); }), ErrorCode::not_found);
    EXPECT_EQ(code_of([&] { desk.timeline(b.id, &officer_g1); }), ErrorCode::not_found);
    auto listed = desk.list(EventQuery{}, &officer_g1);
    ASSERT_EQ(listed.total, 1);
    EXPECT_EQ(listed.events[0].id, a.id);
    // The community's chief sees G1 and G2's events; the city everything in it.
    EXPECT_EQ(desk.list(EventQuery{}, &chief_c1).total, 1);
    EXPECT_EQ(desk.list(EventQuery{}, &city).total, 2);
    // A citizen sees their own reports only, and may rate but not dispatch them.
    EXPECT_EQ(desk.list(EventQuery{}, &citizen).total, 1);
    EXPECT_EQ(code_of([&] { desk.get(b.id, &citizen); }), ErrorCode::not_found);
    EXPECT_EQ(code_of([&] { act(a, A::accept, citizen); }), ErrorCode::forbidden);
    EXPECT_EQ(code_of([&] { desk.list(EventQuery{}, nullptr); }), ErrorCode::unauthorized);
    // The caller's filters narrow further, never widen.
    EventQuery g3;
    g3.area_codes = {"G3"};
    EXPECT_EQ(desk.list(g3, &officer_g1).total, 0);
    EXPECT_EQ(desk.list(g3, &officer_g3).total, 1);
}

TEST_F(EventDeskTest, ListVisibilityAgreesWithThePolicyForEveryone) {
    // Events in each grid, outside the grids, and by the citizen; every principal's list must
    // hold exactly the events `may` lets them view.
    std::vector<Event> events;
    for (auto [lon, lat] : {std::pair{114.01, 33.52},
                            {114.03, 33.52},
                            {114.07, 33.52},
                            {114.01, 33.58},
                            {114.07, 33.58}})
        events.push_back(desk.report(at("noise", lon, lat), &admin, "admin").event);
    events.push_back(desk.report(at("pollution", 114.03, 33.53), &citizen, "citizen").event);
    for (const Principal* who :
         {&admin, &officer_g1, &officer_g3, &chief_c1, &city, &citizen, &dept}) {
        EventQuery all;
        all.limit = 100;
        std::set<std::int64_t> listed;
        for (const auto& e : desk.list(all, who).events)
            listed.insert(e.id);
        for (const auto& e : events)
            EXPECT_EQ(listed.count(e.id) == 1, may(who, Action::view, Resource::event, scope_of(e)))
                << who->username << " event " << e.id;
    }
}

TEST_F(EventDeskTest, ListenersHearEveryChange) {
    std::vector<std::pair<std::int64_t, A>> heard;
    desk.subscribe([&](const EventChange& c) { heard.emplace_back(c.event.id, c.entry.action); });
    Event e = desk.report(at("illegal_construction", 114.01, 33.52), &admin, "admin").event;
    act(e, A::dispatch, city);
    ASSERT_EQ(heard.size(), 2u);
    EXPECT_EQ(heard[0], std::make_pair(e.id, A::report));
    EXPECT_EQ(heard[1], std::make_pair(e.id, A::dispatch));
}

// ---- address-only reports and the manual-location queue ----

EventReport by_address(const char* address, EventSource source = EventSource::hotline) {
    EventReport r;
    r.category = "garbage";
    r.description = "12345 来电：垃圾堆放";
    r.source = source;
    r.address = address;
    r.reporter = "138****0000";
    return r;
}

TEST(NormalizeAddress, DropsSpacesAndMakesFullWidthAscii) {
    EXPECT_EQ(normalize_address(" 滨西社区\u3000１２号楼 A座 "), "滨西社区12号楼A座");
    EXPECT_EQ(normalize_address("幸福路８号"), "幸福路8号");
    EXPECT_EQ(normalize_address("\u3000 \t"), "");
}

TEST_F(EventDeskTest, AnAddressOnlyHotlineTicketIsPlacedAtItsBuilding) {
    // Spaces and full-width digits as a hotline operator types them, after the county's name.
    Intake in = desk.report(by_address("源汇区 滨西社区１号楼"), nullptr, "hotline");
    ASSERT_FALSE(in.pending);
    EXPECT_EQ(in.event.grid_code, "G1");
    EXPECT_DOUBLE_EQ(in.event.position.lon, 114.01);
    EXPECT_EQ(in.event.address, "源汇区 滨西社区１号楼");
    EXPECT_NE(in.timeline.front().note.find("building B1 (滨西社区1号楼)"), std::string::npos)
        << in.timeline.front().note;
    EXPECT_EQ(in.event.status, S::dispatched); // general: to its grid by rule, as any report
}

TEST_F(EventDeskTest, ASharedAddressIsPlacedWhenTheCallNamesTheCommunity) {
    Intake in = desk.report(by_address("老街街道滨东社区幸福路8号"), nullptr, "hotline");
    ASSERT_FALSE(in.pending);
    EXPECT_EQ(in.event.grid_code, "G3");
    EXPECT_NE(in.timeline.front().note.find("B4"), std::string::npos);
    // Naming only the township both are in leaves it ambiguous.
    Intake both = desk.report(by_address("老街街道幸福路8号"), nullptr, "hotline");
    ASSERT_TRUE(both.pending);
    EXPECT_EQ(both.pending->candidates, (std::vector<std::string>{"B3", "B4"}));
}

TEST_F(EventDeskTest, AnAmbiguousAddressWaitsForAnOperatorAndIsNeverGuessed) {
    Intake in = desk.report(by_address("幸福路8号"), &citizen, "citizen");
    ASSERT_TRUE(in.pending);
    EXPECT_EQ(in.event.id, 0);
    EXPECT_EQ(store->events({}).total, 0);
    const PendingReport& p = *in.pending;
    EXPECT_EQ(p.status, PendingStatus::waiting);
    EXPECT_EQ(p.candidates, (std::vector<std::string>{"B3", "B4"}));
    EXPECT_NE(p.reason.find("2 buildings"), std::string::npos) << p.reason;
    EXPECT_EQ(std::set<std::string>(p.area_codes.begin(), p.area_codes.end()),
              (std::set<std::string>{"C1", "C2", "T1", "411102", "411100"}));

    // Who sees it: the areas it could be in and its reporter; not a grid officer.
    EXPECT_EQ(desk.pending({}, &city).total, 1);
    EXPECT_EQ(desk.pending({}, &chief_c1).total, 1);
    EXPECT_EQ(desk.pending({}, &citizen).total, 1);
    EXPECT_EQ(desk.pending({}, &officer_g1).total, 0);
    EXPECT_EQ(code_of([&] { desk.pending_report(p.id, &officer_g1); }), ErrorCode::not_found);
    // Only the command center locates it.
    LocateRequest where{{114.03, 33.52}, "wgs84", "caller confirmed: the west one"};
    EXPECT_EQ(code_of([&] { desk.locate_pending(p.id, where, chief_c1); }), ErrorCode::forbidden);
    EXPECT_EQ(code_of([&] { desk.locate_pending(p.id, where, citizen); }), ErrorCode::forbidden);

    now += 30min;
    Intake located = desk.locate_pending(p.id, where, city);
    EXPECT_EQ(located.event.grid_code, "G2");
    EXPECT_EQ(located.event.reporter_user_id, citizen.user_id); // still the citizen's report
    EXPECT_EQ(located.event.reported_at, now - 30min);          // when the call came in
    EXPECT_EQ(located.event.deadline_at,                        // the clock runs from placing
              now + desk.config().deadlines.for_severity(located.event.severity));
    EXPECT_NE(located.timeline.front().note.find("located by city"), std::string::npos);
    PendingReport after = *store->pending_report(p.id);
    EXPECT_EQ(after.status, PendingStatus::located);
    EXPECT_EQ(after.event_id, located.event.id);
    EXPECT_EQ(after.handled_by, "city");
    EXPECT_EQ(desk.pending({}, &city).total, 0); // the queue shows waiting reports by default
    PendingQuery all;
    all.status.reset();
    EXPECT_EQ(desk.pending(all, &city).total, 1);
    // Once only.
    EXPECT_EQ(code_of([&] { desk.locate_pending(p.id, where, city); }), ErrorCode::conflict);
    EXPECT_EQ(code_of([&] { desk.discard_pending(p.id, "prank", city); }), ErrorCode::conflict);
    EXPECT_EQ(store->events({}).total, 1);
}

TEST_F(EventDeskTest, AnUnknownAddressIsSeenByTheAreasItNamesOrElseByTheCity) {
    Intake named = desk.report(by_address("老街街道人民路100号"), nullptr, "hotline");
    ASSERT_TRUE(named.pending);
    EXPECT_EQ(named.pending->reason, "no building has this address");
    EXPECT_TRUE(named.pending->candidates.empty());
    EXPECT_EQ(
        std::set<std::string>(named.pending->area_codes.begin(), named.pending->area_codes.end()),
        (std::set<std::string>{"T1", "411102", "411100"}));

    Intake unnamed = desk.report(by_address("人民路100号"), nullptr, "hotline");
    ASSERT_TRUE(unnamed.pending);
    EXPECT_EQ(unnamed.pending->area_codes, std::vector<std::string>{"411100"});
    EXPECT_NE(unnamed.pending->reason.find("names no county"), std::string::npos);
    EXPECT_EQ(desk.pending({}, &chief_c1).total, 0);
    EXPECT_EQ(desk.pending({}, &city).total, 2);

    // Discarding needs a reason and leaves no event.
    EXPECT_EQ(code_of([&] { desk.discard_pending(unnamed.pending->id, "", city); }),
              ErrorCode::invalid_argument);
    PendingReport dropped =
        desk.discard_pending(unnamed.pending->id, "外地地址，已告知来电人", city);
    EXPECT_EQ(dropped.status, PendingStatus::discarded);
    EXPECT_EQ(store->pending_report(unnamed.pending->id)->note, "外地地址，已告知来电人");
    EXPECT_EQ(store->events({}).total, 0);
    // A bad placing changes nothing.
    EXPECT_EQ(code_of([&] {
                  desk.locate_pending(named.pending->id, {{200, 33.5}, "wgs84", ""}, city);
              }),
              ErrorCode::invalid_argument);
    EXPECT_EQ(store->pending_report(named.pending->id)->status, PendingStatus::waiting);
}

TEST_F(EventDeskTest, OnlyHotlineAndCitizenReportsMayComeWithJustAnAddress) {
    EXPECT_EQ(code_of([&] {
                  desk.report(by_address("滨西社区1号楼", EventSource::officer), &officer_g1,
                              "officer1");
              }),
              ErrorCode::invalid_argument);
    EXPECT_EQ(code_of([&] { desk.report(by_address("  "), nullptr, "hotline"); }),
              ErrorCode::invalid_argument);
    EXPECT_EQ(store->pending_reports({}).total, 0);
}

TEST(EscalationScheduler, TicksUntilDestroyed) {
    TempDir dir;
    auto store = open_spatialite_store(dir / "s.db");
    tessera::testing::seed_event_city(*store);
    Assigner assigner(*store);
    // A clock running a day per real second.
    EventDesk desk(*store, assigner, DeskConfig{},
                   accelerated_clock(*parse_time("2026-03-02T08:00:00Z"), 86'400));
    EventReport r;
    r.category = "fire_hazard"; // red, complex: stays reported until someone acts
    r.source = EventSource::officer;
    r.position = geo::LonLat{114.01, 33.52};
    std::int64_t id = desk.report(r, nullptr, "officer").event.id;
    std::vector<std::string> lines;
    std::mutex m;
    {
        EscalationScheduler scheduler(desk, 10ms, [&](const std::string& line) {
            std::lock_guard lock(m);
            lines.push_back(line);
        });
        for (int i = 0; i < 1000 && store->event(id)->level != L::county; ++i)
            std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(store->event(id)->level, L::county);
    std::lock_guard lock(m);
    ASSERT_FALSE(lines.empty());
    EXPECT_NE(lines.front().find("escalated 1 overdue event"), std::string::npos) << lines.front();
}

// ---- figures: KPIs and the daily digest ----

TEST_F(EventDeskTest, KpisCountEachUnitsEventsAndTurnThemIntoRates) {
    std::vector<std::string> photo = {"https://example.org/done.jpg"};
    auto close_after = [&](Event e, std::chrono::minutes after) {
        now += after;
        e = act(e, A::accept, admin);
        e = act(e, A::start, admin);
        e = act(e, A::resolve, admin, "已处理", {}, photo);
        return act(e, A::rate, city, "", true);
    };
    Time t0 = now;
    // G1: handled in an hour (on time), and a repeat ten minutes later (a duplicate).
    Event g1 = desk.report(at("garbage", 114.01, 33.52), &officer_g1, "officer1").event;
    now += 10min;
    Event dup = desk.report(at("garbage", 114.0101, 33.5201), &officer_g1, "officer1").event;
    ASSERT_TRUE(dup.duplicate_of);
    close_after(g1, 50min);
    // G2: noise closed after 100 hours, past its 72-hour deadline.
    now = t0;
    Event g2 = desk.report(at("noise", 114.03, 33.52), &admin, "admin").event;
    // G3: a red fire hazard nobody handles: overdue after 2 h, escalated.
    Event g3 = desk.report(at("fire_hazard", 114.07, 33.52), &admin, "admin").event;
    now = t0 + 3h;
    ASSERT_EQ(desk.escalate_overdue().size(), 1u);
    close_after(store->event(g2.id).value(), 97h);

    KpiRequest r;
    r.area = "T1";
    r.from = t0 - 1h;
    r.to = t0 + 1h;
    r.by = StatsUnit::grid;
    KpiReport k = kpis(desk, *store, assigner, r, city);
    ASSERT_TRUE(k.area);
    EXPECT_EQ(k.area->name, "老街街道");
    const EventStats& total = k.total.counts;
    EXPECT_EQ(total.reported, 4);
    EXPECT_EQ(total.duplicates, 1);
    EXPECT_EQ(total.closed, 2);
    EXPECT_EQ(total.on_time, 1);
    EXPECT_EQ(total.escalated, 1);
    EXPECT_EQ(total.open, 1);
    EXPECT_EQ(total.rated, 2);
    EXPECT_EQ(total.repeats, 1); // the duplicate repeats G1's report
    EXPECT_DOUBLE_EQ(*k.total.on_time_rate, 0.5);
    EXPECT_DOUBLE_EQ(*k.total.median_handling_minutes, (60.0 + 100 * 60) / 2);
    EXPECT_DOUBLE_EQ(*k.total.escalation_rate, 1.0 / 3);
    EXPECT_DOUBLE_EQ(*k.total.satisfaction_rate, 1.0);
    EXPECT_DOUBLE_EQ(*k.total.repeat_rate, 0.25);

    ASSERT_EQ(k.units.size(), 3u);
    EXPECT_EQ(k.units[0].counts.unit, "G1");
    EXPECT_EQ(k.units[0].name, "第一网格");
    EXPECT_EQ(k.units[0].counts.reported, 2);
    EXPECT_DOUBLE_EQ(*k.units[0].median_handling_minutes, 60);
    EXPECT_EQ(k.units[1].counts.unit, "G2");
    EXPECT_EQ(k.units[1].counts.on_time, 0);
    EXPECT_EQ(k.units[2].counts.unit, "G3");
    EXPECT_EQ(k.units[2].counts.by_status[static_cast<std::size_t>(S::dispatched)], 1);
    EXPECT_FALSE(k.units[2].on_time_rate); // nothing closed: no rate, not 0 %

    // An officer's figures cover their own grid only, whatever area they ask for.
    EXPECT_EQ(kpis(desk, *store, assigner, r, officer_g1).total.counts.reported, 2);
    // A window with nothing in it: zeros and no rates.
    r.from = t0 + 1h;
    r.to = t0 + 2h;
    KpiReport empty = kpis(desk, *store, assigner, r, city);
    EXPECT_EQ(empty.total.counts.reported, 0);
    EXPECT_FALSE(empty.total.median_handling_minutes);
    EXPECT_TRUE(empty.units.empty());
    r.area = "nowhere";
    EXPECT_EQ(code_of([&] { kpis(desk, *store, assigner, r, city); }), ErrorCode::not_found);
    r.area.reset();
    r.to = r.from;
    EXPECT_EQ(code_of([&] { kpis(desk, *store, assigner, r, city); }), ErrorCode::invalid_argument);
}

TEST_F(EventDeskTest, TheDailyDigestCoversOneChinaDay) {
    // 2026-03-02T08:00Z is 16:00 in China: the digest of 2026-03-02 holds these.
    desk.report(at("garbage", 114.01, 33.52), &officer_g1, "officer1");
    desk.report(at("fire_hazard", 114.07, 33.52), &admin, "admin");
    now = *parse_time("2026-03-02T16:30:00Z"); // 00:30 on 03-03 in China
    desk.report(at("noise", 114.03, 33.52), &admin, "admin");

    Digest d = digest(desk, *store, assigner, std::nullopt, std::string("411102"), city);
    EXPECT_EQ(d.date, "2026-03-02"); // DEFAULT: yesterday, China time
    EXPECT_EQ(d.day.total.counts.reported, 2);
    EXPECT_EQ(d.day.by, StatsUnit::township);
    ASSERT_EQ(d.by_category.size(), 2u);
    EXPECT_EQ(d.backlog.open, 2); // reported by the end of the day and still open
    ASSERT_EQ(d.red_open.size(), 1u);
    EXPECT_EQ(d.red_open[0].category, "fire_hazard");
    ASSERT_FALSE(d.summary.empty());
    EXPECT_NE(d.summary[0].find("源汇区新报事件 2 件"), std::string::npos) << d.summary[0];

    Digest next = digest(desk, *store, assigner, std::string("2026-03-03"), std::nullopt, city);
    EXPECT_EQ(next.day.total.counts.reported, 1);
    EXPECT_EQ(code_of([&] { digest(desk, *store, assigner, std::string("03/03"), {}, city); }),
              ErrorCode::invalid_argument);
}

// The map's board of open events follows every stored change, keeps to the caller's
// jurisdiction, and a desk started later loads the same open events from the store.
TEST_F(EventDeskTest, TheOpenEventsBoardFollowsEveryChange) {
    const geo::BBox everywhere{-180, -90, 180, 90};
    auto on_board = [&](const Principal& who) {
        std::map<std::int64_t, EventStatus> out;
        for (const auto& e : desk.open_events_in(everywhere, who, 1000))
            out[e->id] = e->status;
        return out;
    };
    Event g1 = desk.report(at("road_damage", 114.01, 33.52), &citizen, "citizen").event;
    now += 1min;
    Event g3 = desk.report(at("garbage", 114.06, 33.52), &officer_g3, "officer3").event;
    EXPECT_EQ(on_board(admin),
              (std::map<std::int64_t, EventStatus>{{g1.id, g1.status}, {g3.id, g3.status}}));
    EXPECT_EQ(on_board(officer_g1), (std::map<std::int64_t, EventStatus>{{g1.id, g1.status}}));
    EXPECT_EQ(on_board(officer_g3).count(g1.id), 0u) << "G1's event is not G3's officer's";

    g1 = act(g1, A::accept, officer_g1);
    EXPECT_EQ(on_board(admin).at(g1.id), S::accepted);
    auto entry = desk.open_events_in(everywhere, admin, 1000);
    auto it =
        std::find_if(entry.begin(), entry.end(), [&](const auto& e) { return e->id == g1.id; });
    ASSERT_NE(it, entry.end());
    EXPECT_EQ((*it)->owner_unit, "G1");
    EXPECT_EQ((*it)->deadline_at_text, format_time(g1.deadline_at));
    // Attribute numbers: equal text, equal number, across events and attributes.
    std::map<std::string, std::set<std::uint32_t>> numbers_of;
    std::map<std::uint32_t, std::set<std::string>> texts_of;
    for (const auto& e : entry)
        for (std::size_t k = 0; k < OpenEvent::attribute_names.size(); ++k) {
            numbers_of[std::string(e->attributes()[k])].insert(e->attribute_ids[k]);
            texts_of[e->attribute_ids[k]].insert(std::string(e->attributes()[k]));
        }
    for (const auto& [text, numbers] : numbers_of)
        EXPECT_EQ(numbers.size(), 1u) << text;
    for (const auto& [number, texts] : texts_of)
        EXPECT_EQ(texts.size(), 1u) << number;
    EXPECT_TRUE(numbers_of.contains("G1")) << "a grid code and an owner unit: one number";

    // A box that holds only G3's event; a limit keeps the most recently reported.
    EXPECT_EQ(desk.open_events_in({114.05, 33.51, 114.07, 33.53}, admin, 1000).size(), 1u);
    auto newest = desk.open_events_in(everywhere, admin, 1);
    ASSERT_EQ(newest.size(), 1u);
    EXPECT_EQ(newest[0]->id, g3.id);

    // Resolved is off the board; an unsatisfied rating puts it back (dispatched again).
    g1 = act(g1, A::resolve, officer_g1, "补好了", {}, {"https://x.org/after.jpg"});
    EXPECT_EQ(on_board(admin).count(g1.id), 0u);
    g1 = act(g1, A::rate, citizen, "", false);
    EXPECT_EQ(on_board(admin).at(g1.id), S::dispatched);

    EventDesk later{*store, assigner, DeskConfig{}, [this] { return now; }};
    std::map<std::int64_t, EventStatus> loaded;
    for (const auto& e : later.open_events_in(everywhere, admin, 1000))
        loaded[e->id] = e->status;
    EXPECT_EQ(loaded, on_board(admin));
}
