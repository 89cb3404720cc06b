#include "data/validation.hpp"
#include "geo/error.hpp"
#include "geo/measure.hpp"
#include "tests/support/shapes.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <set>

using namespace tessera;
using namespace tessera::data;
using tessera::testing::rect;

namespace {

// Communities A = [114.00, 114.02] and B = [114.02, 114.04] x [33.50, 33.52], to be tiled by
// grids.
class ValidationTest : public ::testing::Test {
protected:
    tessera::testing::TempDir dir;
    std::unique_ptr<Store> store = open_spatialite_store(dir / "v.db");
    ChangesetInfo cs{"test", "fixture", parse_time("2026-01-01")};

    void SetUp() override {
        store->create_layer({"community", LayerKind::community, "", std::nullopt, 0, "EPSG:4326"});
        store->create_layer({"grid", LayerKind::grid, "", "community", 1, "EPSG:4326"});
        store->replace_features(
            "community", cs,
            std::vector<FeatureInput>{
                {"A", "甲社区", std::nullopt, {}, rect(114.00, 33.50, 114.02, 33.52)},
                {"B", "乙村", std::nullopt, {}, rect(114.02, 33.50, 114.04, 33.52)}});
    }

    static Properties grid_type(const char* type, std::int64_t households) {
        return {{"type", std::string(type)}, {"households", households}};
    }
};

} // namespace

TEST_F(ValidationTest, AnExactTilingWithinTheRulesIsClean) {
    store->replace_features(
        "grid", cs,
        std::vector<FeatureInput>{
            {"A1", "甲一", "A", grid_type("urban", 400), rect(114.00, 33.50, 114.01, 33.52)},
            {"A2", "甲二", "A", grid_type("urban", 450), rect(114.01, 33.50, 114.02, 33.52)},
            {"B1", "乙一", "B", grid_type("rural", 80), rect(114.02, 33.50, 114.04, 33.52)}});
    ValidationReport r = validate_layer(*store, "grid");
    EXPECT_EQ(r.features, 3u);
    EXPECT_TRUE(r.findings.empty()) << r.findings.front().message;
    EXPECT_EQ(r.errors(), 0u);
}

TEST_F(ValidationTest, FindsInjectedGapsOverlapsContainmentAndHouseholdBreaches) {
    store->replace_features(
        "grid", cs,
        std::vector<FeatureInput>{
            // A1 reaches 0.001 degrees into A2, and has too many households for an urban grid.
            {"A1", "甲一", "A", grid_type("urban", 520), rect(114.00, 33.50, 114.011, 33.52)},
            {"A2", "甲二", "A", grid_type("urban", 400), rect(114.01, 33.50, 114.02, 33.52)},
            // B1 covers B's southern half only and pokes 0.001 degrees out of B to the east;
            // too few households for a rural grid.
            {"B1", "乙一", "B", grid_type("rural", 20), rect(114.02, 33.50, 114.041, 33.51)},
            // A grid some 10 m across in B's empty half: too small.
            {"B2", "乙二", "B", grid_type("rural", 40), rect(114.03, 33.515, 114.0301, 33.5151)},
            // A grid whose community does not exist.
            {"X1", "无主", "X", {}, rect(114.05, 33.50, 114.06, 33.51)}});
    ValidationReport r = validate_layer(*store, "grid");
    std::multiset<std::string> codes;
    for (const auto& f : r.findings)
        codes.insert(f.code);
    EXPECT_EQ(codes, (std::multiset<std::string>{"gap", "overlap", "outside_parent",
                                                 "unknown_parent", "households_out_of_range",
                                                 "households_out_of_range", "too_small"}));
    EXPECT_EQ(r.errors(), 6u);
    EXPECT_EQ(r.findings.back().code, "too_small") << "warnings after errors";
    EXPECT_EQ(r.findings.back().severity, Finding::Severity::warning);

    for (const auto& f : r.findings) {
        if (f.code == "overlap") {
            EXPECT_EQ(f.features, (std::vector<std::string>{"A1", "A2"}));
            ASSERT_TRUE(f.area);
            const double expected = geo::area_m2(rect(114.01, 33.50, 114.011, 33.52));
            EXPECT_NEAR(geo::area_m2(geo::Geometry{*f.area}), expected, expected * 1e-6);
        } else if (f.code == "gap") {
            // B's northern half less the small grid in it.
            const double expected = geo::area_m2(rect(114.02, 33.51, 114.04, 33.52)) -
                                    geo::area_m2(rect(114.03, 33.515, 114.0301, 33.5151));
            ASSERT_TRUE(f.area);
            EXPECT_NEAR(geo::area_m2(geo::Geometry{*f.area}), expected, expected * 1e-6);
            EXPECT_GE(f.location.lat, 33.51);
        } else if (f.code == "outside_parent") {
            EXPECT_EQ(f.features, (std::vector<std::string>{"B1"}));
        } else if (f.code == "unknown_parent") {
            EXPECT_EQ(f.features, (std::vector<std::string>{"X1"}));
        } else if (f.code == "households_out_of_range") {
            EXPECT_TRUE(f.features == std::vector<std::string>{"A1"} ||
                        f.features == std::vector<std::string>{"B1"});
        }
    }

    // Rules are configurable: with rural grids of 10-50 households allowed, B1 passes.
    ValidationRules lenient;
    lenient.households["rural"] = {10, 50};
    std::size_t breaches = 0;
    for (const auto& f : validate_layer(*store, "grid", lenient).findings)
        breaches += f.code == "households_out_of_range";
    EXPECT_EQ(breaches, 1u);
    EXPECT_THROW(validate_layer(*store, "nothing"), Error);
}

TEST_F(ValidationTest, SliversAndMicroAndExclusiveGridsOutsideTheirParent) {
    // A2 is a strip about 2.8 m wide between A1 and A3: a sliver, a warning only.
    store->replace_features(
        "grid", cs,
        std::vector<FeatureInput>{{"A1", "甲一", "A", {}, rect(114.00, 33.50, 114.01, 33.52)},
                                  {"A2", "甲二", "A", {}, rect(114.01, 33.50, 114.01003, 33.52)},
                                  {"A3", "甲三", "A", {}, rect(114.01003, 33.50, 114.02, 33.52)},
                                  {"B1", "乙一", "B", {}, rect(114.02, 33.50, 114.04, 33.52)}});
    ValidationReport grids = validate_layer(*store, "grid");
    EXPECT_EQ(grids.errors(), 0u);
    ASSERT_EQ(grids.findings.size(), 1u);
    EXPECT_EQ(grids.findings[0].code, "sliver");
    EXPECT_EQ(grids.findings[0].features, std::vector<std::string>{"A2"});
    EXPECT_NE(grids.findings[0].message.find("2.8 m wide"), std::string::npos)
        << grids.findings[0].message;

    // A micro-grid must lie in the one grid it names, an exclusive grid in its parent area.
    store->create_layer({"micro", LayerKind::micro_grid, "", "grid", 2, "EPSG:4326"});
    store->create_layer({"exclusive", LayerKind::exclusive_grid, "", "community", 10, "EPSG:4326"});
    store->replace_features(
        "micro", cs,
        std::vector<FeatureInput>{
            {"M1", "楼栋一", "A1", {}, rect(114.002, 33.502, 114.004, 33.504)},
            // Across A1's east edge into A2 and A3.
            {"M2", "楼栋二", "A1", {}, rect(114.009, 33.505, 114.011, 33.507)}});
    ValidationReport micro = validate_layer(*store, "micro");
    ASSERT_EQ(micro.errors(), 1u);
    EXPECT_EQ(micro.findings[0].code, "outside_parent");
    store->replace_features(
        "exclusive", cs,
        std::vector<FeatureInput>{// A school compound reaching out of B to the east.
                                  {"E1", "学校", "B", {}, rect(114.035, 33.505, 114.045, 33.51)}});
    ValidationReport exclusive = validate_layer(*store, "exclusive");
    ASSERT_EQ(exclusive.errors(), 1u);
    EXPECT_EQ(exclusive.findings[0].code, "outside_parent");
    EXPECT_EQ(exclusive.findings[0].features, std::vector<std::string>{"E1"});
}
