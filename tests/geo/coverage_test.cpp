#include "geo/coverage.hpp"
#include "geo/measure.hpp"
#include "geo/ops.hpp"

#include <gtest/gtest.h>

using namespace tessera::geo;

namespace {

MultiPolygon rect(double x0, double y0, double x1, double y1) {
    return MultiPolygon{{Polygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}}};
}

double area(const MultiPolygon& mp) {
    return area_m2(Geometry{mp});
}

} // namespace

TEST(CoverageFaults, AnExactTilingHasNone) {
    std::vector<MultiPolygon> parts{rect(114.00, 33.5, 114.01, 33.51),
                                    rect(114.01, 33.5, 114.02, 33.51),
                                    rect(114.02, 33.5, 114.03, 33.51)};
    EXPECT_TRUE(find_coverage_faults(parts, rect(114.00, 33.5, 114.03, 33.51), 1.0).empty());
}

TEST(CoverageFaults, GapsOverlapsAndPiecesOutsideComeWithTheirAreaAndParts) {
    // The middle part is moved 0.001 degrees east: a gap west of it, an overlap with the east
    // part; the east part reaches 0.001 degrees past the region.
    std::vector<MultiPolygon> parts{rect(114.00, 33.5, 114.01, 33.51),
                                    rect(114.011, 33.5, 114.021, 33.51),
                                    rect(114.02, 33.5, 114.031, 33.51)};
    auto faults = find_coverage_faults(parts, rect(114.00, 33.5, 114.03, 33.51), 1.0);
    ASSERT_EQ(faults.size(), 3u);

    const auto& gap = faults[0];
    EXPECT_EQ(gap.kind, CoverageFault::Kind::gap);
    const double strip = area(rect(114.01, 33.5, 114.011, 33.51)); // about 93 m x 1.1 km
    EXPECT_NEAR(gap.area_m2, strip, strip * 1e-6);
    EXPECT_EQ(gap.parts, (std::vector<std::size_t>{0, 1}));
    EXPECT_TRUE(covers(Geometry{gap.area}, gap.location));

    const auto& overlap = faults[1];
    EXPECT_EQ(overlap.kind, CoverageFault::Kind::overlap);
    const double shared = area(rect(114.02, 33.5, 114.021, 33.51));
    EXPECT_NEAR(overlap.area_m2, shared, shared * 1e-6);
    EXPECT_EQ(overlap.parts, (std::vector<std::size_t>{1, 2}));
    EXPECT_GE(overlap.location.lon, 114.02);
    EXPECT_LE(overlap.location.lon, 114.021);

    const auto& outside = faults[2];
    EXPECT_EQ(outside.kind, CoverageFault::Kind::outside);
    const double beyond = area(rect(114.03, 33.5, 114.031, 33.51));
    EXPECT_NEAR(outside.area_m2, beyond, beyond * 1e-6);
    EXPECT_EQ(outside.parts, (std::vector<std::size_t>{2}));
}

TEST(CoverageFaults, PiecesBelowTheThresholdAreNoise) {
    // A gap 1e-7 degrees wide (1 cm by 1.1 km: about 10 m2) and one 1e-5 wide (1 m by 1.1 km:
    // about 1,000 m2).
    std::vector<MultiPolygon> parts{rect(114.00, 33.5, 114.01, 33.51),
                                    rect(114.0100001, 33.5, 114.02, 33.51),
                                    rect(114.02001, 33.5, 114.03, 33.51)};
    const MultiPolygon region = rect(114.00, 33.5, 114.03, 33.51);
    auto faults = find_coverage_faults(parts, region, 100.0);
    ASSERT_EQ(faults.size(), 1u);
    EXPECT_EQ(faults[0].parts, (std::vector<std::size_t>{1, 2}));
    EXPECT_EQ(find_coverage_faults(parts, region, 1.0).size(), 2u);
}

TEST(CoverageFaults, AnEdgeForEdgeTilingIsProvedWithoutOverlay) {
    const MultiPolygon region = rect(114.00, 33.5, 114.03, 33.51);
    std::vector<MultiPolygon> exact{rect(114.00, 33.5, 114.01, 33.51),
                                    rect(114.01, 33.5, 114.02, 33.51),
                                    rect(114.02, 33.5, 114.03, 33.51)};
    // The region has only its four corners: the parts' vertices on its boundary are not its.
    EXPECT_FALSE(tiles_exactly(exact, region)) << "not proven: T-junctions on the outline";
    const MultiPolygon outline{{Polygon{{{{114.00, 33.5},
                                          {114.01, 33.5},
                                          {114.02, 33.5},
                                          {114.03, 33.5},
                                          {114.03, 33.51},
                                          {114.02, 33.51},
                                          {114.01, 33.51},
                                          {114.00, 33.51},
                                          {114.00, 33.5}}}}}};
    EXPECT_TRUE(tiles_exactly(exact, outline));
    // Clockwise parts are the same parts.
    std::vector<MultiPolygon> clockwise = exact;
    std::reverse(clockwise[1].polygons[0].rings[0].begin(),
                 clockwise[1].polygons[0].rings[0].end());
    EXPECT_TRUE(tiles_exactly(clockwise, outline));
    // A part twice, a part missing, a part moved: not a tiling.
    std::vector<MultiPolygon> doubled = exact;
    doubled.push_back(exact[1]);
    EXPECT_FALSE(tiles_exactly(doubled, outline));
    EXPECT_FALSE(tiles_exactly(std::span(exact).first(2), outline));
    std::vector<MultiPolygon> moved = exact;
    moved[1] = rect(114.01, 33.5, 114.021, 33.51);
    EXPECT_FALSE(tiles_exactly(moved, outline));
    // The proof and the overlay agree: nothing to report either way.
    EXPECT_TRUE(find_coverage_faults(exact, outline, 1.0).empty());
    EXPECT_TRUE(find_coverage_faults(exact, region, 1.0).empty());
    auto faults = find_coverage_faults(doubled, outline, 1.0);
    ASSERT_FALSE(faults.empty());
    EXPECT_EQ(faults[0].kind, CoverageFault::Kind::overlap);
}
