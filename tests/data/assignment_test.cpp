#include "data/assignment.hpp"
#include "data/gdal_io.hpp"
#include "geo/error.hpp"
#include "geo/measure.hpp"
#include "geo/offset_frames.hpp"
#include "geo/ops.hpp"
#include "tests/support/shapes.hpp"
#include "tests/support/temp_dir.hpp"

#include <cmath>
#include <filesystem>
#include <gtest/gtest.h>
#include <random>

using namespace tessera;
using namespace tessera::data;

using tessera::testing::rect;

namespace {

// County C = township T = [114.00, 114.04] x [33.50, 33.52]; communities A (west) and B (east);
// A is tiled by grids A1 | A2, B has one grid B1 over its southern half only.
class AssignmentTest : public ::testing::Test {
protected:
    tessera::testing::TempDir dir;
    std::unique_ptr<Store> store = open_spatialite_store(dir / "a.db");
    ChangesetInfo cs{"test", "fixture", parse_time("2026-01-01")};

    void SetUp() override {
        store->create_layer({"county", LayerKind::county, "", std::nullopt, 0, "EPSG:4326"});
        store->create_layer({"township", LayerKind::township, "", "county", 0, "EPSG:4326"});
        store->create_layer({"community", LayerKind::community, "", "township", 0, "EPSG:4326"});
        store->create_layer({"grid", LayerKind::grid, "", "community", 1, "EPSG:4326"});
        store->create_layer(
            {"exclusive_grid", LayerKind::exclusive_grid, "", "county", 10, "EPSG:4326"});
        store->create_layer({"micro_grid", LayerKind::micro_grid, "", "grid", 2, "EPSG:4326"});
        std::vector<FeatureInput> c = {
            {"C", "县", std::nullopt, {}, rect(114.00, 33.50, 114.04, 33.52)}};
        std::vector<FeatureInput> t = {{"T", "镇", "C", {}, rect(114.00, 33.50, 114.04, 33.52)}};
        std::vector<FeatureInput> m = {{"A", "甲社区", "T", {}, rect(114.00, 33.50, 114.02, 33.52)},
                                       {"B", "乙村", "T", {}, rect(114.02, 33.50, 114.04, 33.52)}};
        std::vector<FeatureInput> g = {
            {"A1", "甲一网格", "A", {}, rect(114.00, 33.50, 114.01, 33.52)},
            {"A2", "甲二网格", "A", {}, rect(114.01, 33.50, 114.02, 33.52)},
            {"B1", "乙一网格", "B", {}, rect(114.02, 33.50, 114.04, 33.51)}};
        std::vector<FeatureInput> e = {
            {"E1", "中学", "C", {}, rect(114.002, 33.502, 114.004, 33.504)}};
        std::vector<FeatureInput> u = {
            {"A1001", "1号楼", "A1", {}, rect(114.00, 33.50, 114.005, 33.505)}};
        store->replace_features("county", cs, c);
        store->replace_features("township", cs, t);
        store->replace_features("community", cs, m);
        store->replace_features("grid", cs, g);
        store->replace_features("exclusive_grid", cs, e);
        store->replace_features("micro_grid", cs, u);
        store->add_person(
            {0, "P1", "王芳", PersonRole::full_time_officer, "13800000001", {"A1"}, {}});
        store->add_person(
            {0, "P2", "李强", PersonRole::grid_chief, "13800000002", {"A1", "A2"}, {}});
        store->add_person(
            {0, "P3", "张伟", PersonRole::township_operator, "13800000003", {"T"}, {}});
        store->add_person(
            {0, "P4", "刘洋", PersonRole::part_time_officer, "13800000004", {"A1"}, {}});
    }

    Assignment at(double lon, double lat, std::string crs = "wgs84") {
        Assigner a(*store);
        LocateQuery q;
        q.position = {lon, lat};
        q.crs = std::move(crs);
        return a.locate(q);
    }
};

} // namespace

TEST_F(AssignmentTest, FullChainWithExclusiveAndMicroGrid) {
    auto a = at(114.003, 33.503);
    EXPECT_EQ(a.status, Assignment::Status::assigned);
    ASSERT_TRUE(a.grid);
    EXPECT_EQ(a.grid->code, "A1");
    EXPECT_EQ(a.grid->name, "甲一网格");
    EXPECT_EQ(a.community->code, "A");
    EXPECT_EQ(a.township->code, "T");
    EXPECT_EQ(a.county->code, "C");
    ASSERT_TRUE(a.exclusive_grid);
    EXPECT_EQ(a.exclusive_grid->code, "E1");
    ASSERT_TRUE(a.micro_grid);
    EXPECT_EQ(a.micro_grid->code, "A1001");
    EXPECT_EQ(a.layer_version, 1);
    // Owner chain: grid officers (full-time first), the chief, then the township.
    ASSERT_EQ(a.owners.size(), 4u);
    EXPECT_EQ(a.owners[0].name, "王芳");
    EXPECT_EQ(a.owners[1].role, PersonRole::part_time_officer);
    EXPECT_EQ(a.owners[2].role, PersonRole::grid_chief);
    EXPECT_EQ(a.owners[3].level, "township");
    EXPECT_FALSE(at(114.015, 33.51).exclusive_grid);
    // A caller who may not see people gets the same areas and no owner chain.
    Assigner assigner(*store);
    LocateQuery q;
    q.position = {114.003, 33.503};
    q.with_owners = false;
    auto bare = assigner.locate(q);
    EXPECT_EQ(bare.grid->code, "A1");
    EXPECT_EQ(bare.exclusive_grid->code, "E1");
    EXPECT_TRUE(bare.owners.empty());
}

TEST_F(AssignmentTest, SharedEdgeGoesEastAndOutsideFallsBack) {
    EXPECT_EQ(at(114.01, 33.51).grid->code, "A2") << "vertical shared edge: east wins";
    auto gap = at(114.03, 33.515); // in community B, north of B1
    EXPECT_EQ(gap.status, Assignment::Status::outside_grid);
    EXPECT_FALSE(gap.grid);
    ASSERT_TRUE(gap.community);
    EXPECT_EQ(gap.community->code, "B");
    EXPECT_EQ(gap.county->code, "C");
    auto away = at(113.0, 33.0);
    EXPECT_EQ(away.status, Assignment::Status::unassigned);
    EXPECT_FALSE(away.county);
    EXPECT_TRUE(away.owners.empty());
}

TEST_F(AssignmentTest, Gcj02AndBd09FixesOfTheSameSpotAgree) {
    geo::LonLat wgs{114.0149, 33.5111};
    geo::LonLat gcj = geo::wgs84_to_gcj02(wgs);
    geo::LonLat bd = geo::wgs84_to_bd09(wgs);
    EXPECT_EQ(at(wgs.lon, wgs.lat).grid->code, "A2");
    EXPECT_EQ(at(gcj.lon, gcj.lat, "gcj02").grid->code, "A2");
    EXPECT_EQ(at(bd.lon, bd.lat, "bd09").grid->code, "A2");
    // Read as if it were WGS84, the GCJ-02 fix lands ~550 m east: in another community.
    EXPECT_EQ(at(gcj.lon, gcj.lat).grid->code, "B1");
}

TEST_F(AssignmentTest, AccuracyNearABoundaryIsAmbiguous) {
    Assigner a(*store);
    LocateQuery q;
    q.position = {114.0099, 33.51}; // ~9 m west of the A1|A2 edge
    q.accuracy_m = 20;
    auto r = a.locate(q);
    EXPECT_TRUE(r.ambiguous);
    ASSERT_EQ(r.candidates.size(), 2u);
    EXPECT_EQ(r.grid->code, "A1");
    q.accuracy_m = 5;
    r = a.locate(q);
    EXPECT_FALSE(r.ambiguous);
    EXPECT_TRUE(r.candidates.empty());
}

TEST_F(AssignmentTest, AtAnswersAgainstThePastVersionAndRefreshSwaps) {
    Assigner a(*store);
    LocateQuery q;
    q.position = {114.015, 33.51};
    EXPECT_EQ(a.locate(q).grid->code, "A2");
    // Redraw: A1 grows east to 114.018.
    std::vector<FeatureInput> g = {{"A1", "甲一网格", "A", {}, rect(114.00, 33.50, 114.018, 33.52)},
                                   {"A2", "甲二网格", "A", {}, rect(114.018, 33.50, 114.02, 33.52)},
                                   {"B1", "乙一网格", "B", {}, rect(114.02, 33.50, 114.04, 33.51)}};
    store->replace_features("grid", {"editor", "A1 absorbs a compound", parse_time("2026-06-01")},
                            g);
    EXPECT_EQ(a.locate(q).grid->code, "A2") << "the index changes only on refresh";
    EXPECT_TRUE(a.refresh());
    EXPECT_FALSE(a.refresh());
    auto now = a.locate(q);
    EXPECT_EQ(now.grid->code, "A1");
    EXPECT_EQ(now.layer_version, 2);
    q.at = parse_time("2026-03-01");
    auto then = a.locate(q);
    EXPECT_EQ(then.grid->code, "A2");
    EXPECT_EQ(then.layer_version, 1);
}

TEST_F(AssignmentTest, FeaturesInABoxForDrawingSurviveARefresh) {
    Assigner a(*store);
    geo::BBox east{114.021, 33.505, 114.025, 33.506};
    auto grids = a.features_in("grid", east);
    EXPECT_EQ(grids.layer, "grid");
    EXPECT_EQ(grids.version, 1);
    ASSERT_EQ(grids.features.size(), 1u);
    EXPECT_EQ(grids.features[0].code, "B1");
    EXPECT_EQ(grids.features[0].name, "乙一网格");
    EXPECT_EQ(**grids.features[0].parent_code, "B");
    EXPECT_GT(grids.features[0].id, 0);
    EXPECT_EQ(grids.features[0].geometry->polygons.size(), 1u);
    EXPECT_EQ(a.features_in("grid", geo::BBox{114.0, 33.5, 114.04, 33.52}).features.size(), 3u);
    EXPECT_TRUE(a.features_in("grid", geo::BBox{120, 30, 121, 31}).features.empty());

    // B1 is redrawn; the drawing taken before still reads the old version after the refresh.
    std::vector<FeatureInput> g = {{"A1", "甲一网格", "A", {}, rect(114.00, 33.50, 114.01, 33.52)},
                                   {"A2", "甲二网格", "A", {}, rect(114.01, 33.50, 114.02, 33.52)},
                                   {"B1", "乙一网格", "B", {}, rect(114.03, 33.50, 114.04, 33.51)}};
    store->replace_features("grid", {"editor", "B1 shrinks", parse_time("2026-06-01")}, g);
    EXPECT_TRUE(a.refresh());
    EXPECT_EQ(grids.features[0].code, "B1");
    EXPECT_EQ(geo::bbox_of(*grids.features[0].geometry).min_x, 114.02);
    auto after = a.features_in("grid", east);
    EXPECT_EQ(after.version, 2);
    EXPECT_TRUE(after.features.empty()) << "B1 no longer reaches the box";
    EXPECT_THROW(a.features_in("nothing", east), tessera::Error);
}

TEST_F(AssignmentTest, ARefreshReportsTheAreasOfTheFeaturesThatChanged) {
    Assigner a(*store);
    std::vector<Assigner::LayerChange> changes;
    a.subscribe([&](const Assigner::LayerChange& c) { changes.push_back(c); });
    a.features_in("grid", geo::BBox{114.0, 33.5, 114.04, 33.52}); // the first build: no change
    EXPECT_TRUE(changes.empty());

    // Only B1 is redrawn (114.02..114.04 becomes 114.03..114.04): its old and its new shape are
    // reported; A1 and A2, rewritten unchanged by the import, are not.
    std::vector<FeatureInput> g = {{"A1", "甲一网格", "A", {}, rect(114.00, 33.50, 114.01, 33.52)},
                                   {"A2", "甲二网格", "A", {}, rect(114.01, 33.50, 114.02, 33.52)},
                                   {"B1", "乙一网格", "B", {}, rect(114.03, 33.50, 114.04, 33.51)}};
    store->replace_features("grid", {"editor", "B1 shrinks", parse_time("2026-06-01")}, g);
    EXPECT_TRUE(a.refresh());
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].layer, "grid");
    ASSERT_EQ(changes[0].areas.size(), 2u);
    geo::BBox all;
    for (const auto& b : changes[0].areas)
        all.extend(b);
    EXPECT_EQ(all, (geo::BBox{114.02, 33.50, 114.04, 33.51}));
    EXPECT_FALSE(a.refresh()) << "nothing changed since";
    EXPECT_EQ(changes.size(), 1u);
}

TEST_F(AssignmentTest, BadInputIsAClearError) {
    Assigner a(*store);
    auto code = [&](LocateQuery q) {
        try {
            a.locate(q);
        } catch (const Error& e) {
            return e.code();
        }
        return ErrorCode::internal;
    };
    EXPECT_EQ(code({{std::nan(""), 33.5}, "wgs84", {}, {}, {}}), ErrorCode::invalid_argument);
    EXPECT_EQ(code({{200, 33.5}, "wgs84", {}, {}, {}}), ErrorCode::invalid_argument);
    EXPECT_EQ(code({{114, 33.5}, "mars", {}, {}, {}}), ErrorCode::unknown_crs);
    EXPECT_EQ(code({{114, 33.5}, "wgs84", -1.0, {}, {}}), ErrorCode::invalid_argument);
    EXPECT_EQ(code({{114, 33.5}, "wgs84", {}, {}, std::string("county")}), ErrorCode::not_found);
}

TEST_F(AssignmentTest, BatchFastPath) {
    Assigner a(*store);
    std::vector<geo::LonLat> pts = {
        {114.003, 33.503}, {114.03, 33.515}, {113, 33}, {114.01, 33.51}};
    auto b = a.locate_batch(pts);
    ASSERT_EQ(b.grid.size(), 4u);
    EXPECT_EQ((*b.codes)[static_cast<std::size_t>(b.grid[0])], "A1");
    EXPECT_EQ(b.grid[1], -1);
    EXPECT_EQ(b.outside_grid[1], 1);
    EXPECT_EQ(b.grid[2], -1);
    EXPECT_EQ(b.outside_grid[2], 0);
    EXPECT_EQ((*b.codes)[static_cast<std::size_t>(b.grid[3])], "A2");
}

// The real Luohe county boundaries (DataV, GCJ-02; test data only, not shipped): a WGS84 fix and
// the GCJ-02 fix of the same spot land in the same county near every boundary, while reading
// the GCJ-02 fix as WGS84 misassigns some of them.
TEST(AssignmentRealBoundaries, Gcj02VersusWgs84OnLuoheCounties) {
    std::filesystem::path file = TESSERA_SHARED_DATA "/admin/datav-gcj02/411100_full.json";
    if (!std::filesystem::exists(file))
        GTEST_SKIP() << "needs ../shared/data (DataV Luohe boundaries): " << file;
    tessera::testing::TempDir dir;
    auto store = open_spatialite_store(dir / "l.db");
    ImportOptions o;
    o.layer = "county";
    o.kind = LayerKind::county;
    o.read.crs = "gcj02";
    import_file(*store, file, o);
    auto counties = store->features("county", {}).features;
    ASSERT_EQ(counties.size(), 5u);
    Assigner a(*store);

    std::vector<geo::MultiPolygon> shapes;
    for (const auto& c : counties)
        shapes.push_back(geo::as_multi_polygon(c.geometry));
    std::mt19937_64 rng(11);
    geo::BBox box;
    for (const auto& s : shapes)
        box.extend(geo::bbox_of(s));
    std::uniform_real_distribution<double> ux(box.min_x, box.max_x), uy(box.min_y, box.max_y);
    int near_boundary = 0, naive_wrong = 0;
    for (int tries = 0; tries < 200000 && near_boundary < 300; ++tries) {
        geo::LonLat p{ux(rng), uy(rng)};
        // Points 50-400 m from a boundary vertex, where the ~550 m GCJ-02 offset matters.
        int owner = -1;
        double d = INFINITY;
        for (std::size_t i = 0; i < shapes.size(); ++i) {
            if (geo::covers(shapes[i], p))
                owner = static_cast<int>(i);
        }
        if (owner < 0)
            continue;
        geo::MultiLineString border;
        for (const auto& poly : shapes[static_cast<std::size_t>(owner)].polygons)
            for (const auto& r : poly.rings)
                border.lines.push_back(geo::LineString{r});
        for (const auto& l : border.lines)
            for (std::size_t k = 0; k + 1 < l.points.size(); ++k) {
                d = std::min(d, geo::distance_m(p, l.points[k]));
            }
        if (d < 50 || d > 400)
            continue;
        ++near_boundary;
        LocateQuery q;
        q.position = p;
        auto w = a.locate(q);
        ASSERT_TRUE(w.county);
        EXPECT_EQ(w.county->code, counties[static_cast<std::size_t>(owner)].code);
        geo::LonLat gcj = geo::wgs84_to_gcj02(p);
        q.position = gcj;
        q.crs = "gcj02";
        auto g = a.locate(q);
        ASSERT_TRUE(g.county);
        EXPECT_EQ(g.county->code, w.county->code)
            << "GCJ-02 fix of (" << p.lon << ", " << p.lat << ")";
        q.crs = "wgs84";
        auto naive = a.locate(q);
        if (!naive.county || naive.county->code != w.county->code)
            ++naive_wrong;
    }
    EXPECT_GT(near_boundary, 100);
    EXPECT_GT(naive_wrong, 0) << "ignoring GCJ-02 should misassign some points near boundaries";
}
