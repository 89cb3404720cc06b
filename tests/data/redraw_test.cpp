#include "data/assignment.hpp"
#include "data/redraw.hpp"
#include "geo/coverage.hpp"
#include "geo/error.hpp"
#include "geo/measure.hpp"
#include "geo/ops.hpp"
#include "geo/partition.hpp"
#include "tests/support/shapes.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <random>

using namespace tessera;
using namespace tessera::data;
using tessera::testing::rect;

namespace {

constexpr double side = 0.01;

// Community A = [114.00, 114.03] x [33.50, 33.53] tiled by nine square grids A<col><row>, and
// community B east of it with one grid B1.
class RedrawTest : public ::testing::Test {
protected:
    tessera::testing::TempDir dir;
    std::unique_ptr<Store> store = open_spatialite_store(dir / "r.db");
    Redraw redraw{*store};

    void SetUp() override {
        const ChangesetInfo cs{"test", "fixture", parse_time("2026-01-01")};
        store->create_layer({"community", LayerKind::community, "", std::nullopt, 0, "EPSG:4326"});
        store->create_layer({"grid", LayerKind::grid, "", "community", 1, "EPSG:4326"});
        store->replace_features(
            "community", cs,
            std::vector<FeatureInput>{
                {"A", "甲社区", std::nullopt, {}, rect(114.00, 33.50, 114.03, 33.53)},
                {"B", "乙社区", std::nullopt, {}, rect(114.03, 33.50, 114.06, 33.53)}});
        std::vector<FeatureInput> grids;
        for (int c = 0; c < 3; ++c)
            for (int r = 0; r < 3; ++r)
                grids.push_back(
                    {code(c, r), "甲" + std::to_string(3 * r + c), "A",
                     Properties{{"type", std::string("urban")}, {"households", std::int64_t{400}}},
                     cell(c, r)});
        grids.push_back({"B1", "乙一", "B", {}, rect(114.03, 33.50, 114.06, 33.53)});
        store->replace_features("grid", cs, grids);
    }

    static std::string code(int c, int r) { return "A" + std::to_string(c) + std::to_string(r); }
    static geo::Polygon cell(int c, int r) {
        return rect(114 + c * side, 33.5 + r * side, 114 + (c + 1) * side, 33.5 + (r + 1) * side);
    }

    Draft draft(const char* title = "test") {
        return store->create_draft("grid", {"editor", title, *parse_time("2026-02-01")});
    }

    geo::Geometry shape(const std::string& code) {
        FeatureQuery q;
        q.code = code;
        return store->features("grid", q).features.at(0).geometry;
    }

    // Everything in community A, as the draft has it, is an exact tiling of A.
    void expect_clean(std::int64_t d) {
        ValidationReport r = redraw.validate(d);
        for (const auto& f : r.findings) // merged grids may have too many households, and the
                                         // fixture's grids have no one responsible
            EXPECT_TRUE(f.code == "households_out_of_range" || f.code == "unowned") << f.message;
        std::vector<geo::MultiPolygon> parts;
        for (const auto& f : redraw.features(d))
            if (f.parent_code == "A")
                parts.push_back(geo::as_multi_polygon(f.geometry));
        std::vector<geo::MultiPolygon> cells;
        for (int c = 0; c < 3; ++c)
            for (int row = 0; row < 3; ++row)
                cells.push_back(geo::MultiPolygon{{cell(c, row)}});
        // A's outline with the cells' vertices on it, as edge-for-edge tiling needs.
        EXPECT_TRUE(geo::tiles_exactly(parts, geo::coverage_union(cells)))
            << "not noded edge for edge";
    }

    std::int64_t open_event(geo::LonLat at, const std::string& grid, EventStatus status) {
        Event e;
        e.category = "garbage";
        e.description = "test";
        e.position = at;
        e.grid_code = grid;
        e.outside_grid = grid.empty();
        e.community_code = "A";
        e.status = status;
        e.reported_at = e.updated_at = e.deadline_at = *parse_time("2026-01-15");
        TimelineEntry entry;
        entry.at = e.reported_at;
        entry.actor = "citizen";
        entry.action = EventAction::report;
        entry.to = status;
        return store->add_event(e, {entry}).id;
    }
};

const geo::LineString across_a11{{{114.005, 33.515}, {114.035, 33.515}}}; // through A01..B1

} // namespace

TEST_F(RedrawTest, SplitValidateAndCommitMakeOneNewVersion) {
    Draft d = draft("split A11");
    edit::Split split{"A11", geo::LineString{{{114.008, 33.515}, {114.022, 33.516}}}, {"A11N"}};
    auto op = redraw.apply(d.id, split, "editor");
    EXPECT_EQ(op.kind, "split");
    // The cell, its new piece and the neighbours west and east that got the cut points.
    EXPECT_EQ(std::set<std::string>(op.codes.begin(), op.codes.end()),
              (std::set<std::string>{"A01", "A11", "A11N", "A21"}));
    expect_clean(d.id);

    Changeset cs =
        redraw.commit(d.id, {"editor", "new compound", parse_time("2026-02-02")}).changeset;
    EXPECT_EQ(cs.version, 2);
    EXPECT_EQ(store->find_layer("grid")->feature_count, 11);
    ValidationReport whole = validate_layer(*store, "grid");
    EXPECT_EQ(whole.errors(), 0u);
    EXPECT_NEAR(geo::area_m2(shape("A11")) + geo::area_m2(shape("A11N")),
                geo::area_m2(geo::Geometry{cell(1, 1)}), 1e-3);
}

TEST_F(RedrawTest, EveryOperationKeepsTheTilingExact) {
    Draft d = draft();
    // The centre cell takes a strip of its east neighbour; then its south-west corner moves.
    redraw.apply(d.id,
                 edit::Reshape{"A11", geo::MultiPolygon{{rect(114.01, 33.51, 114.023, 33.52)}}},
                 "editor");
    expect_clean(d.id);
    const geo::LonLat centre{114.01, 33.51};
    redraw.apply(d.id, edit::MoveVertex{centre, {114.012, 33.511}}, "editor");
    expect_clean(d.id);
    redraw.apply(
        d.id,
        edit::MoveBoundary{"A01", "A02",
                           geo::LineString{{{114.00, 33.52}, {114.005, 33.523}, {114.01, 33.52}}}},
        "editor");
    expect_clean(d.id);
    redraw.apply(d.id, edit::Merge{{"A02", "A12"}}, "editor");
    expect_clean(d.id);
    redraw.apply(d.id, edit::Remove{"A20", "A21"}, "editor");
    expect_clean(d.id);
    FeatureInput created{"A99", "新网格", "A", {}, rect(114.004, 33.504, 114.008, 33.508)};
    redraw.apply(d.id, edit::Create{created}, "editor");
    expect_clean(d.id);
    redraw.apply(d.id,
                 edit::SetAttributes{"A99", "幸福小区网格", {{"households", std::int64_t{350}}}},
                 "editor");
    expect_clean(d.id);

    auto features = redraw.features(d.id);
    auto find = [&](const char* c) {
        for (const auto& f : features)
            if (f.code == c)
                return f;
        ADD_FAILURE() << c << " missing";
        return FeatureInput{};
    };
    EXPECT_EQ(features.size(), 9u) << "9 + 1 new - 2 merged away";
    EXPECT_EQ(find("A99").name, "幸福小区网格");
    EXPECT_EQ(find("A02").properties.at(1).second, PropertyValue{std::int64_t{800}})
        << "merged households add up";
    EXPECT_EQ(find("A21").properties.at(1).second, PropertyValue{std::int64_t{800}});
    EXPECT_EQ(store->draft_operations(d.id).size(), 7u);

    // Re-parenting a grid of A into B leaves it outside its parent: validation says so.
    redraw.apply(d.id, edit::Reparent{"A99", "B"}, "editor");
    ValidationReport r = redraw.validate(d.id);
    EXPECT_GT(r.errors(), 0u);
    EXPECT_THROW(redraw.apply(d.id, edit::Reparent{"A99", "Z"}, "editor"), Error);
}

TEST_F(RedrawTest, BadEditsAreRefusedAndChangeNothing) {
    Draft d = draft();
    EXPECT_THROW(
        redraw.apply(
            d.id, edit::Split{"A11", geo::LineString{{{114.012, 33.515}, {114.018, 33.515}}}, {}},
            "editor"),
        Error)
        << "does not cross";
    EXPECT_THROW(redraw.apply(d.id, edit::Merge{{"A00", "A11"}}, "editor"), Error) << "corner only";
    EXPECT_THROW(redraw.apply(d.id, edit::Split{"NOPE", across_a11, {}}, "editor"), Error);
    EXPECT_THROW(redraw.apply(d.id, edit::Split{"A11", across_a11, {"A00"}}, "editor"), Error)
        << "the new code exists";
    EXPECT_THROW(redraw.apply(d.id,
                              edit::Create{{"A98", "x", "A", {}, rect(114.1, 33.6, 114.2, 33.7)}},
                              "editor"),
                 Error)
        << "outside its parent";
    EXPECT_EQ(store->draft(d.id)->operations, 0);
    EXPECT_TRUE(store->draft_changes(d.id).empty());
}

TEST_F(RedrawTest, CommitMovesOpenEventsWithATimelineEntryAndKeepsClosedOnes) {
    const std::int64_t north_open = open_event({114.015, 33.518}, "A11", EventStatus::dispatched);
    const std::int64_t south_open = open_event({114.015, 33.512}, "A11", EventStatus::reported);
    const std::int64_t north_closed = open_event({114.016, 33.518}, "A11", EventStatus::closed);
    Draft d = draft("split A11");
    redraw.apply(d.id, edit::Split{"A11", across_a11, {"A11N"}}, "editor");
    auto result = redraw.commit(d.id, {"editor", "new compound", parse_time("2026-02-02")});

    ASSERT_EQ(result.moved_events.size(), 1u);
    EXPECT_EQ(result.moved_events[0].event_id, north_open);
    EXPECT_EQ(store->event(north_open)->grid_code, "A11N");
    EXPECT_EQ(store->event(north_open)->layer_version, 2);
    EXPECT_EQ(store->event(north_open)->status, EventStatus::dispatched);
    auto timeline = store->timeline(north_open);
    ASSERT_EQ(timeline.size(), 2u);
    EXPECT_EQ(timeline[1].action, EventAction::reassign);
    EXPECT_NE(timeline[1].note.find("A11 → A11N"), std::string::npos) << timeline[1].note;
    EXPECT_EQ(store->event(south_open)->grid_code, "A11") << "still in the piece that kept A11";
    EXPECT_EQ(store->event(north_closed)->grid_code, "A11") << "closed events keep their grid";
}

TEST_F(RedrawTest, AnOpenEventInNoGridMovesIntoTheGridDrawnThere) {
    // A22 removed without a neighbour taking it (an import that leaves it out): a hole.
    std::vector<FeatureInput> without;
    for (auto& f : redraw.features(draft("leave A22 out").id))
        if (f.code != "A22")
            without.push_back(f);
    Draft hole = draft("leave A22 out");
    redraw.import_layer(hole.id, without, "editor");
    redraw.commit(hole.id, {"editor", "hole", parse_time("2026-02-02")});
    const std::int64_t stray = open_event({114.025, 33.525}, "", EventStatus::reported);
    ASSERT_TRUE(store->event(stray)->outside_grid);

    Draft back = draft("A22 again");
    redraw.restore(back.id, *parse_time("2026-01-15"), "editor");
    auto result = redraw.commit(back.id, {"editor", "A22 again", parse_time("2026-02-03")});
    ASSERT_EQ(result.moved_events.size(), 1u);
    const Event moved = *store->event(stray);
    EXPECT_EQ(moved.grid_code, "A22");
    EXPECT_FALSE(moved.outside_grid);
    EXPECT_NE(store->timeline(stray).back().note.find("(none) → A22"), std::string::npos)
        << store->timeline(stray).back().note;
}

TEST(RedrawAcrossAreas, AMovedEventTakesTheAreasAboveItsNewGrid) {
    // Two townships of one county, a community and a grid in each; T2's grid G2 goes to G1.
    tessera::testing::TempDir dir;
    auto store = open_spatialite_store(dir / "a.db");
    const ChangesetInfo cs{"test", "fixture", parse_time("2026-01-01")};
    store->create_layer({"county", LayerKind::county, "", std::nullopt, 0, "EPSG:4326"});
    store->create_layer({"township", LayerKind::township, "", "county", 1, "EPSG:4326"});
    store->create_layer({"community", LayerKind::community, "", "township", 2, "EPSG:4326"});
    store->create_layer({"grid", LayerKind::grid, "", "community", 3, "EPSG:4326"});
    auto two = [&](const char* layer, const char* a, const char* b, std::optional<std::string> pa,
                   std::optional<std::string> pb) {
        store->replace_features(
            layer, cs,
            std::vector<FeatureInput>{{a, a, pa, {}, rect(114.00, 33.50, 114.01, 33.51)},
                                      {b, b, pb, {}, rect(114.01, 33.50, 114.02, 33.51)}});
    };
    store->replace_features("county", cs,
                            std::vector<FeatureInput>{
                                {"K", "K", std::nullopt, {}, rect(114.00, 33.50, 114.02, 33.51)}});
    two("township", "T1", "T2", "K", "K");
    two("community", "C1", "C2", "T1", "T2");
    two("grid", "G1", "G2", "C1", "C2");
    Event e;
    e.category = "garbage";
    e.description = "in G2";
    e.position = {114.015, 33.505};
    e.grid_code = "G2";
    e.community_code = "C2";
    e.township_code = "T2";
    e.county_code = "K";
    e.reported_at = e.updated_at = e.deadline_at = *parse_time("2026-01-15");
    TimelineEntry intake;
    intake.at = e.reported_at;
    intake.actor = "citizen";
    intake.action = EventAction::report;
    const std::int64_t id = store->add_event(e, {intake}).id;

    Redraw redraw(*store);
    Draft d = store->create_draft("grid", {"editor", "G2 joins G1", std::nullopt});
    redraw.apply(d.id, edit::Merge{{"G1", "G2"}}, "editor");
    ASSERT_EQ(redraw.commit(d.id, {"editor", "merge", std::nullopt}).moved_events.size(), 1u);
    const Event moved = *store->event(id);
    EXPECT_EQ(moved.grid_code, "G1");
    EXPECT_EQ(moved.community_code, "C1");
    EXPECT_EQ(moved.township_code, "T1");
    EXPECT_EQ(moved.county_code, "K");
}

TEST_F(RedrawTest, RestoringThePreviousVersionRollsBackExactly) {
    Draft d = draft("split A11");
    redraw.apply(d.id, edit::Split{"A11", across_a11, {"A11N"}}, "editor");
    redraw.commit(d.id, {"editor", "split", parse_time("2026-02-02")});

    FeatureQuery before;
    before.at = parse_time("2026-01-15");
    before.limit = 1000;
    std::vector<FeatureInput> old;
    for (auto& f : store->features("grid", before).features)
        old.push_back({f.code, f.name, f.parent_code, f.properties, f.geometry});
    Draft back = draft("roll back");
    auto op = redraw.restore(back.id, *parse_time("2026-01-15"), "editor");
    EXPECT_EQ(op.kind, "restore");
    EXPECT_EQ(op.codes.size(), 4u) << "A01, A11, A21 restored and A11N removed";
    redraw.commit(back.id, {"editor", "roll back the split", parse_time("2026-02-03")});
    for (const auto& f : old)
        EXPECT_EQ(shape(f.code), f.geometry) << f.code;
    EXPECT_EQ(store->find_layer("grid")->feature_count, 10);
    EXPECT_EQ(store->find_layer("grid")->version, 3) << "a rollback is a new version";
    Draft empty = draft("before anything");
    EXPECT_THROW(redraw.restore(empty.id, *parse_time("2025-01-01"), "editor"), Error);
}

TEST_F(RedrawTest, TheAssignmentIndexFollowsCommitsIncrementallyAsAFreshBuildWould) {
    Assigner followed(*store);
    followed.refresh();
    auto commit = [&](const EditOperation& op, const char* reason) {
        Draft d = draft(reason);
        redraw.apply(d.id, op, "editor");
        redraw.commit(d.id, {"editor", reason, std::nullopt});
        EXPECT_TRUE(followed.refresh());
    };
    commit(edit::Split{"A11", across_a11, {"A11N"}}, "split");
    commit(edit::MoveVertex{{114.01, 33.51}, {114.012, 33.511}}, "move");
    commit(edit::Merge{{"A02", "A12"}}, "merge");
    commit(edit::Reshape{"A11N",
                         geo::MultiPolygon{{rect(114.01, 33.515142857142855, 114.025, 33.52)}}},
           "reshape");

    Assigner fresh(*store);
    fresh.refresh();
    // Every point of a lattice that runs along the edges too, where the boundary rule decides.
    int compared = 0;
    for (int i = 0; i <= 120; ++i)
        for (int j = 0; j <= 60; ++j) {
            LocateQuery q;
            q.position = {114.0 + i * 0.0005, 33.5 + j * 0.0005};
            auto a = followed.locate(q), b = fresh.locate(q);
            ASSERT_EQ(a.grid.has_value(), b.grid.has_value())
                << q.position.lon << "," << q.position.lat;
            if (a.grid) {
                EXPECT_EQ(a.grid->code, b.grid->code) << q.position.lon << "," << q.position.lat;
                ++compared;
            }
        }
    EXPECT_GT(compared, 7000);
    // The junctions the tiles simplify by are those of a fresh build, feature by feature.
    const geo::BBox all{113.9, 33.4, 114.1, 33.6};
    auto drawn = followed.features_in("grid", all), fresh_drawn = fresh.features_in("grid", all);
    ASSERT_EQ(drawn.features.size(), fresh_drawn.features.size());
    std::map<std::string, std::vector<bool>> expected;
    for (const auto& f : fresh_drawn.features)
        expected[std::string(f.code)] = *f.junctions;
    for (const auto& f : drawn.features)
        EXPECT_EQ(*f.junctions, expected.at(std::string(f.code))) << f.code;
}

TEST_F(RedrawTest, OwnersFollowMergesRemovalsAndSplitsAndCanBeSet) {
    auto officer = [&](const std::string& code, std::vector<std::string> grids) {
        Person p;
        p.code = code;
        p.name = "网格员" + code;
        p.phone = "13800000000";
        p.grid_codes = std::move(grids);
        store->add_person(p);
    };
    officer("O00", {"A00"});
    officer("O01", {"A01"});
    officer("O10", {"A10"});
    officer("O02", {"A02"});
    officer("O12", {"A12"});
    officer("O11", {"A11"});
    officer("O20", {"A20"});
    officer("O21", {"A21"});
    officer("NEW", {});
    auto codes_of = [](const std::vector<Person>& people) {
        std::vector<std::string> out;
        for (const auto& p : people)
            out.push_back(p.code);
        return out;
    };
    auto people = [&](const char* grid) { return codes_of(store->people(grid)); };
    using codes = std::vector<std::string>;
    Assigner assigner(*store);
    LocateQuery in_a02;
    in_a02.position = {114.005, 33.525};
    ASSERT_EQ(assigner.locate(in_a02).owners.size(), 1u);

    Draft d = draft("owners");
    redraw.apply(d.id, edit::Merge{{"A02", "A12"}}, "editor");
    redraw.apply(d.id, edit::Remove{"A20", "A21"}, "editor");
    redraw.apply(d.id, edit::Split{"A11", across_a11, {"A11N"}}, "editor");
    std::map<std::string, codes> owners;
    for (const auto& o : store->draft_owners(d.id))
        owners[o.code] = o.people;
    EXPECT_EQ(owners, (std::map<std::string, codes>{{"A02", {"O02", "O12"}},
                                                    {"A12", {}},
                                                    {"A20", {}},
                                                    {"A21", {"O21", "O20"}},
                                                    {"A11N", {"O11"}}}));
    EXPECT_THROW(redraw.apply(d.id, edit::SetOwners{"A11N", {"NEW", "NOBODY"}}, "editor"), Error)
        << "an unknown person";
    EXPECT_THROW(redraw.apply(d.id, edit::SetOwners{"ZZ", {"NEW"}}, "editor"), Error)
        << "an unknown grid";
    EXPECT_EQ(store->draft(d.id)->operations, 3);
    auto op = redraw.apply(d.id, edit::SetOwners{"A11N", {"NEW", "NEW"}}, "editor");
    EXPECT_EQ(op.codes, codes{"A11N"});
    redraw.apply(d.id, edit::SetOwners{"A00", {"NEW"}}, "editor"); // an unchanged grid
    redraw.apply(d.id,
                 edit::Create{{"A99", "新网格", "A", {}, rect(114.014, 33.504, 114.018, 33.508)}},
                 "editor");

    // Validation names the one grid left without anyone (the new one; A00 changes only people).
    std::vector<std::string> unowned;
    for (const auto& f : redraw.validate(d.id).findings)
        if (f.code == "unowned")
            unowned.insert(unowned.end(), f.features.begin(), f.features.end());
    EXPECT_EQ(unowned, codes{"A99"});

    // The impact shows who is responsible before and after, and counts A00 as it stands.
    store->add_building({0, "b1", {114.002, 33.502}, 12, "A00 1号", "A"});
    std::map<std::string, const GridImpact*> by_code;
    const DraftImpact impact = redraw.impact(d.id, *parse_time("2026-02-01"));
    for (const auto& g : impact.grids)
        by_code[g.code] = &g;
    ASSERT_TRUE(by_code.contains("A00"));
    EXPECT_EQ(by_code["A00"]->change, "owners");
    EXPECT_EQ(codes_of(by_code["A00"]->people_after), codes{"NEW"});
    EXPECT_EQ(by_code["A00"]->before.households, 12);
    EXPECT_EQ(by_code["A00"]->after.households, 12);
    EXPECT_EQ(codes_of(by_code["A02"]->people), codes{"O02"});
    EXPECT_EQ(codes_of(by_code["A02"]->people_after), (codes{"O02", "O12"}));
    EXPECT_TRUE(by_code["A12"]->people_after.empty());
    EXPECT_EQ(codes_of(by_code["A11N"]->people_after), codes{"NEW"});
    EXPECT_EQ(impact.moved.households, 0) << "A99 takes only ground without buildings";

    // The commit hands the grids over, and the assignment engine sees it on its next refresh.
    const std::int64_t revision = store->people_revision();
    redraw.commit(d.id, {"editor", "new grids, new officers", std::nullopt});
    EXPECT_GT(store->people_revision(), revision);
    EXPECT_EQ(people("A02"), (codes{"O02", "O12"}));
    EXPECT_TRUE(people("A12").empty());
    EXPECT_EQ(people("A21"), (codes{"O20", "O21"})); // by id
    EXPECT_EQ(people("A11N"), codes{"NEW"});
    EXPECT_EQ(people("A00"), codes{"NEW"});
    EXPECT_EQ(people("A11"), codes{"O11"}) << "the cut grid keeps its officer";
    EXPECT_TRUE(assigner.refresh());
    auto owners_now = assigner.locate(in_a02).owners;
    ASSERT_EQ(owners_now.size(), 2u);

    // A draft that changes people alone commits too (a new version without feature changes),
    // and people alone changing is enough for a refresh.
    Draft handover = draft("handover");
    redraw.apply(handover.id, edit::SetOwners{"A02", {"O12"}}, "editor");
    auto cs = redraw.commit(handover.id, {"editor", "O02 retires", std::nullopt}).changeset;
    EXPECT_EQ(cs.features_added + cs.features_removed, 0);
    EXPECT_EQ(people("A02"), codes{"O12"});
    EXPECT_TRUE(assigner.refresh());
    owners_now = assigner.locate(in_a02).owners;
    ASSERT_EQ(owners_now.size(), 1u);
    EXPECT_EQ(owners_now[0].name, "网格员O12");
    store->add_person({0, "LATE", "后来者", PersonRole::volunteer, "", {"A02"}, std::nullopt});
    EXPECT_TRUE(assigner.refresh()) << "a person added outside a draft";
    EXPECT_FALSE(assigner.refresh());
}

TEST_F(RedrawTest, ImpactMatchesABruteForceCount) {
    // Things on the ground at random spots over both communities.
    std::mt19937 rng(6);
    std::uniform_real_distribution<double> lon(114.0, 114.06), lat(33.5, 33.53);
    std::uniform_int_distribution<int> households(1, 40);
    struct Thing {
        geo::LonLat at;
        std::string kind;
        std::int64_t households = 0;
        double km = 0;
    };
    std::vector<Thing> things;
    const data::Time now = *parse_time("2026-02-01T12:00:00Z");
    for (int i = 0; i < 300; ++i) {
        const geo::LonLat p{lon(rng), lat(rng)};
        const int h = households(rng);
        store->add_building({0, "BLD" + std::to_string(i), p, h, "addr " + std::to_string(i), "A"});
        things.push_back({p, "building", h});
    }
    for (int i = 0; i < 40; ++i) {
        const geo::LonLat p{lon(rng), lat(rng)};
        store->add_camera({0, "CAM" + std::to_string(i), "cam", p, 0, 60, 50, true});
        things.push_back({p, "camera"});
    }
    for (int i = 0; i < 120; ++i) {
        const geo::LonLat p{lon(rng), lat(rng)};
        open_event(p, "", i % 3 == 0 ? EventStatus::closed : EventStatus::dispatched);
        things.push_back({p, i % 3 == 0 ? "closed" : "open"});
    }
    const std::int64_t officer = store->add_person(
        {0, "P1", "网格员", PersonRole::full_time_officer, "139", {"A11"}, std::nullopt});
    for (int i = 0; i < 60; ++i) {
        const geo::LonLat p{lon(rng), lat(rng)};
        TimedPath path;
        path.points = {p, {p.lon + 0.001, p.lat}};
        // Half of them too old for the 30-day window.
        const data::Time start = now - std::chrono::days(i % 2 == 0 ? 2 : 45);
        path.times = {start, start + std::chrono::minutes(10)};
        store->add_patrol_track({0, officer, path});
        if (i % 2 == 0)
            things.push_back({p, "patrol", 0,
                              geo::length_m(geo::Geometry{geo::LineString{path.points}}) / 1000});
    }

    Draft d = draft("impact");
    redraw.apply(d.id, edit::Split{"A11", across_a11, {"A11N"}}, "editor");
    redraw.apply(d.id,
                 edit::Reshape{"A22", geo::MultiPolygon{{rect(114.015, 33.52, 114.03, 33.53)}}},
                 "editor");
    redraw.apply(d.id, edit::Remove{"A00", "A10"}, "editor");
    DraftImpact impact = redraw.impact(d.id, now);

    // Brute force: every thing against every feature before and after, by geo::covers.
    FeatureQuery all;
    all.limit = 100;
    auto before = store->features("grid", all).features;
    auto after = redraw.features(d.id);
    std::set<std::string> touched;
    for (const auto& c : store->draft_changes(d.id))
        touched.insert(c.code);
    auto grid_of = [](const auto& features, geo::LonLat p) {
        for (const auto& f : features)
            if (geo::covers(f.geometry, p))
                return f.code;
        return std::string();
    };
    std::map<std::string, GridImpact::Counts> expect_before, expect_after;
    GridImpact::Counts expect_moved;
    auto add = [](GridImpact::Counts& c, const Thing& t) {
        if (t.kind == "building") {
            ++c.buildings;
            c.households += t.households;
        } else if (t.kind == "camera") {
            ++c.cameras;
        } else if (t.kind == "open") {
            ++c.open_events;
        } else if (t.kind == "closed") {
            ++c.closed_events;
        } else {
            ++c.patrols;
            c.patrol_km += t.km;
        }
    };
    for (const auto& t : things) {
        const std::string from = grid_of(before, t.at), to = grid_of(after, t.at);
        if (touched.contains(from))
            add(expect_before[from], t);
        if (touched.contains(to))
            add(expect_after[to], t);
        if (from != to)
            add(expect_moved, t);
    }
    auto same = [](const GridImpact::Counts& a, const GridImpact::Counts& b,
                   const std::string& what) {
        EXPECT_EQ(a.buildings, b.buildings) << what;
        EXPECT_EQ(a.households, b.households) << what;
        EXPECT_EQ(a.open_events, b.open_events) << what;
        EXPECT_EQ(a.closed_events, b.closed_events) << what;
        EXPECT_EQ(a.cameras, b.cameras) << what;
        EXPECT_EQ(a.patrols, b.patrols) << what;
        EXPECT_NEAR(a.patrol_km, b.patrol_km, 1e-9) << what;
    };
    ASSERT_EQ(impact.grids.size(), touched.size());
    for (const auto& g : impact.grids) {
        same(g.before, expect_before[g.code], g.code + " before");
        same(g.after, expect_after[g.code], g.code + " after");
    }
    same(impact.moved, expect_moved, "moved");
    EXPECT_GT(expect_moved.buildings, 10) << "the edits move something";
    EXPECT_GT(expect_moved.households, 0);
    const auto a11 = std::ranges::find(impact.grids, std::string("A11"), &GridImpact::code);
    ASSERT_NE(a11, impact.grids.end());
    ASSERT_EQ(a11->people.size(), 1u);
    EXPECT_EQ(a11->people[0].code, "P1");
    EXPECT_EQ(std::ranges::find(impact.grids, std::string("A00"), &GridImpact::code)->change,
              "removed");
    EXPECT_EQ(std::ranges::find(impact.grids, std::string("A11N"), &GridImpact::code)->change,
              "created");
}
