// Officers' fixes into the store (data/positions.hpp): tracks split at gaps, batches joining the
// tracks they continue, duplicates of stored fixes, jumps from the last stored fix, lone fixes
// and the latest position per officer.
#include "data/positions.hpp"
#include "geo/error.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <set>

using namespace tessera;
using namespace tessera::data;

namespace {

class StoreFixesTest : public ::testing::Test {
protected:
    void SetUp() override {
        store = open_spatialite_store(dir / "t.db");
        p1 = store->add_person({0, "P1", "一", PersonRole::full_time_officer, "", {}, {}});
        p2 = store->add_person({0, "P2", "二", PersonRole::full_time_officer, "", {}, {}});
    }

    // A fix of `officer` `minute` minutes after 09:00, `east_m` metres east of the origin.
    static Fix fix(const char* officer, double minute, double east_m,
                   std::optional<double> accuracy = std::nullopt) {
        const Time t0 = parse_time("2026-11-20T09:00:00+08:00").value();
        return {officer,
                t0 + std::chrono::milliseconds(static_cast<std::int64_t>(minute * 60000)),
                {114.0 + east_m / 93000.0, 33.5},
                accuracy};
    }

    // The officer's tracks as their numbers of points, by start.
    std::vector<std::size_t> shape(std::int64_t person) {
        PathQuery q;
        q.person_id = person;
        std::vector<std::size_t> out;
        for (const auto& t : store->patrol_tracks(q))
            out.push_back(t.path.points.size());
        return out;
    }

    OfficerPosition latest(std::int64_t person) {
        PositionQuery q;
        q.person_ids = {person};
        auto found = store->latest_positions(q);
        EXPECT_EQ(found.size(), 1u);
        return found.empty() ? OfficerPosition{} : found.front();
    }

    tessera::testing::TempDir dir;
    std::unique_ptr<Store> store;
    std::int64_t p1 = 0, p2 = 0;
};

TEST_F(StoreFixesTest, RunsSplitAtGapsBecomeTracksAndUnknownOfficersStoreNothing) {
    // P1: three fixes, a 30-minute gap, two more, then a lone one after another gap. P2: two.
    std::vector<Fix> fixes = {fix("P1", 0, 0),    fix("P1", 1, 60),   fix("P1", 2, 120),
                              fix("P1", 32, 180), fix("P1", 33, 240), fix("P1", 60, 300),
                              fix("P2", 0, 1000), fix("P2", 5, 1100)};

    std::vector<Fix> with_stranger = fixes;
    with_stranger.push_back(fix("P9", 0, 0));
    try {
        store_fixes(*store, with_stranger);
        ADD_FAILURE() << "an unknown officer was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::not_found);
        EXPECT_NE(std::string(e.what()).find("'P9'"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(store->patrol_tracks().empty());
    EXPECT_TRUE(store->latest_positions().empty());

    const FixReceipt r = store_fixes(*store, fixes);
    EXPECT_EQ(r.received, 8u);
    EXPECT_EQ(r.officers, 2u);
    EXPECT_EQ(r.tracks_started, 3u);
    EXPECT_EQ(r.tracks_extended, 0u);
    EXPECT_EQ(r.stored, 7u);
    EXPECT_EQ(r.lone, 1u);
    EXPECT_EQ(shape(p1), (std::vector<std::size_t>{3, 2}));
    EXPECT_EQ(shape(p2), (std::vector<std::size_t>{2}));
    // The lone fix is P1's latest position all the same.
    EXPECT_EQ(latest(p1).at, fix("P1", 60, 300).at);
    EXPECT_EQ(latest(p2).at, fix("P2", 5, 0).at);
}

TEST_F(StoreFixesTest, ABatchWithinTheGapExtendsTheTrackAndARepeatStoresNothing) {
    const std::vector<Fix> first = {fix("P1", 0, 0), fix("P1", 1, 60), fix("P1", 2, 120)};
    store_fixes(*store, first);

    // The app's next batch, three minutes on (within the 10-minute gap).
    const FixReceipt r = store_fixes(*store, {fix("P1", 5, 180), fix("P1", 6, 240, 8.0)});
    EXPECT_EQ(r.tracks_extended, 1u);
    EXPECT_EQ(r.tracks_started, 0u);
    EXPECT_EQ(r.stored, 2u);
    EXPECT_EQ(shape(p1), (std::vector<std::size_t>{5}));
    const OfficerPosition now = latest(p1);
    EXPECT_EQ(now.at, fix("P1", 6, 0).at);
    EXPECT_EQ(now.accuracy_m, std::optional<double>(8.0));

    // The same file imported again: every fix is a duplicate of a stored one.
    const std::vector<std::int64_t> before = {store->patrol_tracks().front().id};
    const FixReceipt again = store_fixes(*store, first);
    EXPECT_EQ(again.duplicates, 3u);
    EXPECT_EQ(again.stored, 0u);
    EXPECT_EQ(shape(p1), (std::vector<std::size_t>{5}));
    EXPECT_EQ(store->patrol_tracks().front().id, before.front()) << "nothing was rewritten";
}

TEST_F(StoreFixesTest, LoneFixesFromALiveAppJoinTheNextOne) {
    // An app that posts every fix on its own.
    FixReceipt r = store_fixes(*store, {fix("P1", 0, 0, 5.0)});
    EXPECT_EQ(r.lone, 1u);
    EXPECT_TRUE(store->patrol_tracks().empty());
    EXPECT_EQ(latest(p1).accuracy_m, std::optional<double>(5.0));

    r = store_fixes(*store, {fix("P1", 1, 60)});
    EXPECT_EQ(r.lone, 0u);
    EXPECT_EQ(r.tracks_extended, 1u) << "the lone fix and this one make a track";
    EXPECT_EQ(shape(p1), (std::vector<std::size_t>{2}));

    r = store_fixes(*store, {fix("P1", 2, 120)});
    EXPECT_EQ(r.tracks_extended, 1u);
    EXPECT_EQ(shape(p1), (std::vector<std::size_t>{3}));

    // Half an hour later: a lone fix again, the track stays as it was.
    r = store_fixes(*store, {fix("P1", 32, 180)});
    EXPECT_EQ(r.lone, 1u);
    EXPECT_EQ(shape(p1), (std::vector<std::size_t>{3}));
    EXPECT_EQ(latest(p1).at, fix("P1", 32, 0).at);
}

TEST_F(StoreFixesTest, AJumpFromWhereTheOfficerWasLastStoredIsDropped) {
    store_fixes(*store, {fix("P1", 0, 0), fix("P1", 1, 60)});
    // 20 km in a minute from the stored end of the track: a jump, though the batch alone is
    // one fix and has nothing to compare with.
    FixReceipt r = store_fixes(*store, {fix("P1", 2, 20000)});
    EXPECT_EQ(r.too_fast, 1u);
    EXPECT_EQ(r.stored + r.lone, 0u);
    EXPECT_EQ(latest(p1).at, fix("P1", 1, 0).at) << "the jump is not the latest position";
    // An inaccurate fix is dropped too.
    r = store_fixes(*store, {fix("P1", 3, 120, 500.0)});
    EXPECT_EQ(r.inaccurate, 1u);
    EXPECT_EQ(shape(p1), (std::vector<std::size_t>{2}));
}

TEST_F(StoreFixesTest, LateFixesFillInAStoredTrackWithoutSplittingIt) {
    // A track stored with a 30-minute gap rule has a 20-minute hole.
    StoreFixOptions loose;
    loose.max_gap = std::chrono::minutes(30);
    store_fixes(*store, {fix("P1", 0, 0), fix("P1", 1, 60), fix("P1", 21, 120), fix("P1", 22, 180)},
                loose);
    ASSERT_EQ(shape(p1), (std::vector<std::size_t>{4}));

    // The phone's offline buffer arrives later, with the default 10-minute gap: it fills the
    // hole; the stored track is not cut in two at the remaining 10-minute holes.
    const FixReceipt r = store_fixes(*store, {fix("P1", 11, 90)});
    EXPECT_EQ(r.tracks_extended, 1u);
    EXPECT_EQ(shape(p1), (std::vector<std::size_t>{5}));
    const auto times = store->patrol_tracks().front().path.times;
    EXPECT_TRUE(std::ranges::is_sorted(times));
    EXPECT_EQ(latest(p1).at, fix("P1", 22, 0).at) << "a late fix does not move the latest position";
}

TEST_F(StoreFixesTest, ACheckThatThrowsRefusesTheWholeBatch) {
    StoreFixOptions options;
    std::set<std::string> asked;
    options.check = [&](const Person& p, std::span<const Fix> fixes) {
        asked.insert(p.code);
        if (p.code == "P2")
            throw Error(ErrorCode::forbidden, "not yours: " + std::to_string(fixes.size()));
    };
    try {
        store_fixes(*store, {fix("P1", 0, 0), fix("P1", 1, 60), fix("P2", 0, 0)}, options);
        ADD_FAILURE() << "the check was not applied";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::forbidden);
        EXPECT_STREQ(e.what(), "not yours: 1");
    }
    EXPECT_EQ(asked, (std::set<std::string>{"P1", "P2"}));
    EXPECT_TRUE(store->patrol_tracks().empty());
    EXPECT_TRUE(store->latest_positions().empty());
}

TEST_F(StoreFixesTest, LatestPositionsAreReadByBoxAgeAndOfficer) {
    store_fixes(*store, {fix("P1", 0, 0), fix("P1", 1, 60), fix("P2", 30, 5000)});
    ASSERT_EQ(store->latest_positions().size(), 2u);

    PositionQuery recent;
    recent.since = fix("P1", 10, 0).at;
    auto found = store->latest_positions(recent);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found.front().person_id, p2);

    PositionQuery near_origin;
    near_origin.bbox = geo::BBox{113.999, 33.499, 114.001, 33.501};
    found = store->latest_positions(near_origin);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found.front().person_id, p1);

    // An older position never replaces a newer one.
    store->note_position({p1, {114.5, 33.5}, fix("P1", -60, 0).at, std::nullopt});
    EXPECT_EQ(latest(p1).at, fix("P1", 1, 0).at);
    EXPECT_THROW(store->note_position({p1, {200, 33.5}, fix("P1", 90, 0).at, std::nullopt}), Error);
}

} // namespace
