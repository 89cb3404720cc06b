// The closed loop's rules (data/workflow.hpp) and the storage of events and their timelines.
#include "data/store.hpp"
#include "data/workflow.hpp"
#include "geo/error.hpp"
#include "tests/support/errors.hpp"
#include "tests/support/shapes.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <mutex>
#include <sqlite3.h>
#include <thread>

using namespace tessera;
using namespace tessera::data;
using tessera::testing::code_of;
using tessera::testing::TempDir;

namespace {

using S = EventStatus;
using A = EventAction;
using L = ResponseLevel;

ActionRequest req(A a, std::string note = "done", std::optional<std::string> target = {},
                  std::optional<bool> satisfied = {}) {
    return {a, std::move(note), std::move(target), satisfied, {}};
}

} // namespace

TEST(Workflow, TheHappyPathAndItsSteps) {
    EXPECT_EQ(next_step(S::reported, L::grid, req(A::dispatch)).to, S::dispatched);
    EXPECT_EQ(next_step(S::dispatched, L::grid, req(A::accept)).to, S::accepted);
    EXPECT_EQ(next_step(S::accepted, L::grid, req(A::start)).to, S::in_progress);
    EXPECT_EQ(next_step(S::in_progress, L::grid, req(A::resolve)).to, S::resolved);
    EXPECT_EQ(next_step(S::resolved, L::grid, req(A::close)).to, S::closed);
    EXPECT_EQ(next_step(S::accepted, L::grid, req(A::resolve)).to, S::resolved)
        << "handled on the spot, without a separate start";
}

TEST(Workflow, EveryActionFromEveryStatusIsEitherAStepOrAConflictNamingTheAllowedOnes) {
    const S statuses[] = {S::reported, S::dispatched, S::accepted, S::in_progress,
                          S::resolved, S::closed,     S::rejected};
    const A actions[] = {
        A::dispatch, A::accept,   A::start,  A::resolve, A::close, A::reject,
        A::transfer, A::escalate, A::reopen, A::rate,    A::report}; // report: the intake entry,
                                                                     // never an action
    int allowed_count = 0;
    for (S s : statuses)
        for (A a : actions) {
            auto allowed = allowed_actions(s, L::grid);
            bool allowed_here = std::find(allowed.begin(), allowed.end(), a) != allowed.end();
            ActionRequest r = req(a, "a note", std::string("dept-1"), true);
            if (allowed_here) {
                ++allowed_count;
                EXPECT_NO_THROW(next_step(s, L::grid, r))
                    << to_string(a) << " from " << to_string(s);
                continue;
            }
            try {
                next_step(s, L::grid, r);
                ADD_FAILURE() << to_string(a) << " from " << to_string(s) << " was allowed";
            } catch (const Error& e) {
                EXPECT_EQ(e.code(), ErrorCode::conflict);
                std::string msg = e.what();
                for (A ok : allowed)
                    EXPECT_NE(msg.find(std::string(to_string(ok))), std::string::npos) << msg;
            }
        }
    EXPECT_EQ(allowed_count, 21) << "the transition table changed: update docs/events.md";
}

TEST(Workflow, EscalationClimbsFourLevelsAndStopsAtTheCounty) {
    L level = L::grid;
    S status = S::dispatched;
    for (L want : {L::community, L::township, L::county}) {
        Step step = next_step(status, level, req(A::escalate, "overdue"));
        EXPECT_EQ(step.to, S::dispatched);
        EXPECT_EQ(step.level, want);
        level = step.level;
    }
    EXPECT_EQ(code_of([&] { next_step(status, level, req(A::escalate, "overdue")); }),
              ErrorCode::conflict);
    auto allowed = allowed_actions(status, L::county);
    EXPECT_EQ(std::count(allowed.begin(), allowed.end(), A::escalate), 0);
}

TEST(Workflow, WhatActionsNeed) {
    EXPECT_EQ(code_of([] { next_step(S::in_progress, L::grid, req(A::resolve, "  ")); }),
              ErrorCode::invalid_argument);
    EXPECT_EQ(code_of([] { next_step(S::dispatched, L::grid, req(A::reject, "")); }),
              ErrorCode::invalid_argument);
    EXPECT_EQ(code_of([] { next_step(S::dispatched, L::grid, req(A::transfer)); }),
              ErrorCode::invalid_argument);
    EXPECT_EQ(code_of([] { next_step(S::reported, L::grid, req(A::close, "")); }),
              ErrorCode::invalid_argument)
        << "closing without dispatch names its rule";
    EXPECT_EQ(next_step(S::resolved, L::grid, req(A::close, "")).to, S::closed);
    EXPECT_EQ(code_of([] { next_step(S::resolved, L::grid, req(A::rate)); }),
              ErrorCode::invalid_argument);
    EXPECT_EQ(next_step(S::resolved, L::grid, req(A::rate, "", {}, true)).to, S::closed);
    EXPECT_EQ(next_step(S::closed, L::township, req(A::rate, "", {}, false)).to, S::dispatched)
        << "unsatisfied reopens and re-dispatches";
    EXPECT_EQ(next_step(S::closed, L::township, req(A::rate, "", {}, false)).level, L::township);
    EXPECT_TRUE(is_open(S::rejected));
    EXPECT_FALSE(is_open(S::closed));
    DeadlinePolicy d;
    EXPECT_EQ(d.for_severity(Severity::red), std::chrono::hours(2));
    EXPECT_EQ(d.for_severity(Severity::blue), std::chrono::hours(72));
}

namespace {

Time t(const char* iso) {
    return *parse_time(iso);
}

Event sample_event(const char* grid, const char* reported_at, Severity sev = Severity::yellow) {
    Event e;
    e.category = "garbage";
    e.description = "垃圾堆放";
    e.source = EventSource::officer;
    e.severity = sev;
    e.position = {114.015, 33.505};
    e.accuracy_m = 8;
    e.reporter = "王芳";
    e.photos = {"https://example.org/a.jpg", "https://example.org/b.jpg"};
    e.grid_code = grid;
    e.community_code = "C1";
    e.township_code = "T1";
    e.county_code = "411102";
    e.layer_version = 3;
    e.reported_at = e.updated_at = t(reported_at);
    e.deadline_at = e.reported_at + std::chrono::hours(24);
    return e;
}

TimelineEntry intake_entry(const Event& e) {
    return {0, 0, e.reported_at, "officer1", A::report, std::nullopt, S::reported, "", {}};
}

} // namespace

TEST(EventStore, AddReadUpdateAndTimelineSurviveReopen) {
    TempDir dir;
    std::int64_t id = 0;
    {
        auto store = open_spatialite_store(dir / "e.db");
        Event e = sample_event("G1", "2026-05-01T08:00:00Z");
        e.footprint = geo::MultiPolygon{{tessera::testing::square(114.01, 33.50, 0.002)}};
        e.flight_code = "F1";
        Event stored = store->add_event(e, {intake_entry(e)});
        id = stored.id;
        EXPECT_GT(id, 0);

        Event next = stored;
        next.status = S::dispatched;
        next.updated_at = t("2026-05-01T08:05:00Z");
        store->update_event(next, S::reported,
                            {0, 0, next.updated_at, "township1", A::dispatch, S::reported,
                             S::dispatched, "to the grid", std::nullopt});
        // Someone acting on a stale status changes nothing.
        Event stale = next;
        stale.status = S::accepted;
        EXPECT_EQ(code_of([&] {
                      store->update_event(stale, S::reported,
                                          {0, 0, next.updated_at, "x", A::accept, S::reported,
                                           S::accepted, "", std::nullopt});
                  }),
                  ErrorCode::conflict);
        Event ghost = next;
        ghost.id = 999;
        EXPECT_EQ(code_of([&] {
                      store->update_event(ghost, S::reported,
                                          {0, 0, next.updated_at, "x", A::accept, S::reported,
                                           S::accepted, "", std::nullopt});
                  }),
                  ErrorCode::not_found);
    }
    auto store = open_spatialite_store(dir / "e.db");
    auto e = store->event(id);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->status, S::dispatched);
    EXPECT_EQ(e->description, "垃圾堆放");
    EXPECT_EQ(e->severity, Severity::yellow);
    EXPECT_EQ(e->photos.size(), 2u);
    EXPECT_EQ(e->photos[1], "https://example.org/b.jpg");
    EXPECT_EQ(e->position.lon, 114.015);
    EXPECT_EQ(e->position.lat, 33.505);
    EXPECT_EQ(e->accuracy_m, 8);
    ASSERT_TRUE(e->footprint);
    EXPECT_EQ(e->footprint->polygons.size(), 1u);
    EXPECT_EQ(e->flight_code, "F1");
    EXPECT_EQ(e->layer_version, 3);
    EXPECT_EQ(e->updated_at, t("2026-05-01T08:05:00Z"));
    EXPECT_FALSE(e->closed_at);
    EXPECT_FALSE(store->event(id + 1));

    auto tl = store->timeline(id);
    ASSERT_EQ(tl.size(), 2u);
    EXPECT_FALSE(tl[0].from);
    EXPECT_EQ(tl[0].to, S::reported);
    EXPECT_EQ(tl[1].from, S::reported);
    EXPECT_EQ(tl[1].to, S::dispatched);
    EXPECT_EQ(tl[1].actor, "township1");
    EXPECT_EQ(tl[1].note, "to the grid");
}

TEST(EventStore, TimelineIsAppendOnlyInTheDatabaseItself) {
    TempDir dir;
    {
        auto store = open_spatialite_store(dir / "e.db");
        Event e = sample_event("G1", "2026-05-01T08:00:00Z");
        store->add_event(e, {intake_entry(e)});
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "e.db").string().c_str(), &db), SQLITE_OK);
    EXPECT_NE(
        sqlite3_exec(db, "UPDATE event_timeline SET note = 'rewritten'", nullptr, nullptr, nullptr),
        SQLITE_OK);
    EXPECT_NE(sqlite3_exec(db, "DELETE FROM event_timeline", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto store = open_spatialite_store(dir / "e.db");
    EXPECT_EQ(store->timeline(1).size(), 1u);
}

TEST(EventStore, FiltersAndPaging) {
    TempDir dir;
    auto store = open_spatialite_store(dir / "e.db");
    const char* times[] = {"2026-05-01T08:00:00Z", "2026-05-02T08:00:00Z", "2026-05-03T08:00:00Z",
                           "2026-05-04T08:00:00Z"};
    for (int i = 0; i < 4; ++i) {
        Event e =
            sample_event(i % 2 ? "G2" : "G1", times[i], i == 3 ? Severity::red : Severity::yellow);
        if (i == 2) {
            e.position = {114.2, 33.7};
            e.category = "road_damage";
        }
        store->add_event(e, {intake_entry(e)});
    }
    EventQuery all;
    auto page = store->events(all);
    EXPECT_EQ(page.total, 4);
    ASSERT_EQ(page.events.size(), 4u);
    EXPECT_EQ(page.events[0].reported_at, t(times[3])) << "newest first";

    EventQuery grid;
    grid.area_codes = {"G2"};
    EXPECT_EQ(store->events(grid).total, 2);
    grid.area_codes = {"G2", "T9"};
    EXPECT_EQ(store->events(grid).total, 2);
    grid.area_codes = {"T1"};
    EXPECT_EQ(store->events(grid).total, 4) << "a township code matches all its events";
    grid.area_codes = {"G"};
    EXPECT_EQ(store->events(grid).total, 0) << "codes match whole, not as prefixes";

    EventQuery red;
    red.severity = Severity::red;
    EXPECT_EQ(store->events(red).total, 1);
    EventQuery cat;
    cat.category = "road_damage";
    EXPECT_EQ(store->events(cat).total, 1);
    EventQuery box;
    box.bbox = geo::BBox{114.1, 33.6, 114.3, 33.8};
    EXPECT_EQ(store->events(box).total, 1);
    EventQuery window;
    window.reported_from = t(times[1]);
    window.reported_to = t(times[3]);
    EXPECT_EQ(store->events(window).total, 2);
    EventQuery overdue;
    overdue.overdue_at = t("2026-05-03T09:00:00Z"); // deadlines are reported_at + 24 h
    EXPECT_EQ(store->events(overdue).total, 2);
    EventQuery reported;
    reported.status = S::reported;
    EXPECT_EQ(store->events(reported).total, 4);

    EventQuery paged;
    paged.limit = 3;
    paged.offset = 2;
    auto p2 = store->events(paged);
    EXPECT_EQ(p2.total, 4);
    ASSERT_EQ(p2.events.size(), 2u);
    EXPECT_EQ(p2.events[1].reported_at, t(times[0]));
}

TEST(EventStore, TheSpatialIndexFollowsAddsMovesAndRollbacks) {
    // The store keeps idx_events_geom itself (migration 6): a box finds an event where it is,
    // after it moves, and never one whose transaction was rolled back.
    TempDir dir;
    auto store = open_spatialite_store(dir / "e.db");
    auto in_box = [&](double lon, double lat) {
        EventQuery q;
        q.bbox = geo::BBox{lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001};
        std::vector<std::int64_t> ids;
        for (const auto& e : store->events(q).events)
            ids.push_back(e.id);
        return ids;
    };
    Event a = store->add_event(sample_event("G1", "2026-05-01T08:00:00Z"),
                               {intake_entry(sample_event("G1", "2026-05-01T08:00:00Z"))});
    EXPECT_EQ(in_box(114.015, 33.505), std::vector<std::int64_t>{a.id});

    Event moved = a;
    moved.position = {114.2, 33.7};
    moved.status = S::dispatched;
    store->update_event(moved, S::reported,
                        {0, 0, a.reported_at, "township1", A::dispatch, S::reported, S::dispatched,
                         "placed again", std::nullopt});
    EXPECT_TRUE(in_box(114.015, 33.505).empty());
    EXPECT_EQ(in_box(114.2, 33.7), std::vector<std::int64_t>{a.id});

    {
        auto tx = store->begin(); // rolled back: the event and its index entry alike
        Event b = sample_event("G2", "2026-05-01T09:00:00Z");
        b.position = {114.015, 33.505};
        store->add_event(b, {intake_entry(b)});
        EXPECT_EQ(in_box(114.015, 33.505).size(), 1u);
    }
    EXPECT_TRUE(in_box(114.015, 33.505).empty());
    Event c = sample_event("G2", "2026-05-01T10:00:00Z");
    Event stored = store->add_event(c, {intake_entry(c)});
    EXPECT_EQ(in_box(114.015, 33.505), std::vector<std::int64_t>{stored.id})
        << "the next event reuses the rolled-back id and is indexed once";
}

TEST(EventStore, PositionOutOfRangeIsRejectedAndNothingIsStored) {
    TempDir dir;
    auto store = open_spatialite_store(dir / "e.db");
    Event e = sample_event("G1", "2026-05-01T08:00:00Z");
    e.position = {114.0, 95.0};
    EXPECT_EQ(code_of([&] { store->add_event(e, {intake_entry(e)}); }),
              ErrorCode::invalid_geometry);
    EXPECT_EQ(store->events({}).total, 0);
    EXPECT_TRUE(store->timeline(1).empty());
}

TEST(EventStore, ConcurrentWritersShareCommitsAndAFailureStaysWithItsWriter) {
    TempDir dir;
    std::vector<std::int64_t> ids;
    std::mutex m;
    int failures = 0;
    {
        auto store = open_spatialite_store(dir / "g.db");
        std::vector<std::thread> writers;
        for (int w = 0; w < 8; ++w)
            writers.emplace_back([&, w] {
                for (int i = 0; i < 40; ++i) {
                    std::string grid = "G" + std::to_string(w);
                    Event e = sample_event(grid.c_str(), "2026-05-01T08:00:00Z");
                    // Every tenth write names a user that does not exist: a foreign-key error
                    // for that writer alone, in the middle of someone's batch.
                    if (i % 10 == 9)
                        e.reporter_user_id = 999'999;
                    try {
                        Event stored = store->add_event(e, {intake_entry(e)});
                        std::lock_guard lock(m);
                        ids.push_back(stored.id);
                    } catch (const Error&) {
                        std::lock_guard lock(m);
                        ++failures;
                    }
                }
            });
        for (auto& t : writers)
            t.join();
        // A Transaction's own writes join it, not a group commit: rolled back with it.
        {
            auto tx = store->begin();
            Event e = sample_event("G9", "2026-05-01T08:00:00Z");
            store->add_event(e, {intake_entry(e)});
        }
        EventQuery q;
        q.area_codes = {"G9"};
        EXPECT_EQ(store->events(q).total, 0);
    }
    EXPECT_EQ(failures, 8 * 4);
    ASSERT_EQ(ids.size(), 8u * 36);
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end()) << "ids are distinct";
    // Everything acknowledged is there after reopening, with its timeline.
    auto store = open_spatialite_store(dir / "g.db");
    EXPECT_EQ(store->events({}).total, static_cast<std::int64_t>(ids.size()));
    for (std::int64_t id : {ids.front(), ids.back()})
        EXPECT_EQ(store->timeline(id).size(), 1u);
}
