#include "geo/coverage.hpp"
#include "geo/edit.hpp"
#include "geo/error.hpp"
#include "geo/measure.hpp"
#include "geo/ops.hpp"
#include "geo/partition.hpp"

#include <gtest/gtest.h>

using namespace tessera::geo;
using tessera::Error;
using tessera::ErrorCode;

namespace {

constexpr double side = 0.01; // degrees, about 1 km

MultiPolygon rect(double x0, double y0, double x1, double y1) {
    return MultiPolygon{{Polygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}}};
}

// A 3 x 3 block of square grids, row by row from the south-west; cell(c, r) is at index 3r + c.
std::vector<MultiPolygon> block() {
    std::vector<MultiPolygon> cells;
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c)
            cells.push_back(
                rect(114 + c * side, 33.5 + r * side, 114 + (c + 1) * side, 33.5 + (r + 1) * side));
    return cells;
}

LonLat corner(int c, int r) {
    return {114 + c * side, 33.5 + r * side};
}

// The polygons after an edit: changed ones replaced, removed ones dropped, created ones added.
std::vector<MultiPolygon> applied(std::vector<MultiPolygon> before, const Edit& edit) {
    for (const auto& [i, shape] : edit.changed)
        before[i] = shape;
    for (auto it = edit.removed.rbegin(); it != edit.removed.rend(); ++it)
        before.erase(before.begin() + static_cast<std::ptrdiff_t>(*it));
    before.insert(before.end(), edit.created.begin(), edit.created.end());
    return before;
}

// The block's outline with every vertex the cells have on it, as the region they must tile.
MultiPolygon region() {
    return coverage_union(block());
}

// The tiling is exact edge for edge (proved without overlay) and GEOS finds no fault either.
void expect_tiles(const std::vector<MultiPolygon>& parts) {
    const MultiPolygon outline = region();
    EXPECT_TRUE(tiles_exactly(parts, outline)) << "not noded edge for edge";
    EXPECT_TRUE(find_coverage_faults(parts, outline, 1e-6).empty());
}

double area(const MultiPolygon& mp) {
    return planar_area(Geometry{mp});
}

std::vector<std::size_t> changed_indexes(const Edit& e) {
    std::vector<std::size_t> out;
    for (const auto& c : e.changed)
        out.push_back(c.first);
    return out;
}

} // namespace

TEST(Edit, MovingASharedVertexMovesItInEveryPolygonThatHasIt) {
    const auto cells = block();
    const LonLat from = corner(1, 1), to{from.lon + 0.002, from.lat + 0.001};
    Edit e = move_vertex(cells, from, to);
    EXPECT_EQ(changed_indexes(e), (std::vector<std::size_t>{0, 1, 3, 4}));
    const auto after = applied(cells, e);
    expect_tiles(after);
    EXPECT_GT(area(after[0]), area(cells[0]));
    EXPECT_LT(area(after[4]), area(cells[4]));
}

TEST(Edit, AVertexDraggedAcrossAnEdgeIsRefused) {
    const auto cells = block();
    // Corner (1,1) dragged past the north edge of cell 4 makes its ring cross itself.
    const LonLat from = corner(1, 1);
    EXPECT_THROW(
        {
            try {
                move_vertex(cells, from, {from.lon + 0.5 * side, from.lat + 1.5 * side});
            } catch (const Error& e) {
                EXPECT_EQ(e.code(), ErrorCode::invalid_geometry);
                throw;
            }
        },
        Error);
    EXPECT_THROW(move_vertex(cells, {113, 33}, {113.1, 33}), Error) << "no vertex there";
}

TEST(Edit, ReshapeTakesAreaFromNeighboursAndGivesWhatItReleasesToTheLongestBorder) {
    const auto cells = block();
    // The centre cell takes a strip of its east neighbour (5) and gives up a strip on its west
    // side, which goes to cell 3.
    const MultiPolygon shape = rect(114 + 1.2 * side, 33.51, 114 + 2.3 * side, 33.52);
    Edit e = reshape(cells, 4, shape, 0);
    const auto after = applied(cells, e);
    expect_tiles(after);
    EXPECT_NEAR(area(after[4]), area(shape), 1e-15);
    EXPECT_NEAR(area(after[5]), 0.7 * area(cells[5]), 1e-12);
    EXPECT_NEAR(area(after[3]), 1.2 * area(cells[3]), 1e-12);
    EXPECT_TRUE(e.removed.empty());
}

TEST(Edit, ReshapeSnapsNearMissesToTheNeighbours) {
    const auto cells = block();
    // The centre cell's east edge drawn 1e-7 degrees (about 1 cm) short of the neighbour's.
    const double miss = 1e-7;
    const MultiPolygon shape = rect(114 + side, 33.51, 114 + 2 * side - miss, 33.52);
    const auto after = applied(cells, reshape(cells, 4, shape, 1e-6));
    expect_tiles(after);
    EXPECT_EQ(after[4], cells[4]) << "snapped back onto the unchanged block";
    // Without snapping, the near miss stays and is a sliver given to the neighbour.
    const auto unsnapped = applied(cells, reshape(cells, 4, shape, 0));
    EXPECT_GT(area(unsnapped[5]), area(cells[5]));
}

TEST(Edit, CarveMakesANewPolygonFromItsNeighbours) {
    const auto cells = block();
    // A square around the block's centre vertex, in four cells.
    const LonLat c = corner(1, 1);
    const MultiPolygon shape =
        rect(c.lon - 0.3 * side, c.lat - 0.3 * side, c.lon + 0.3 * side, c.lat + 0.3 * side);
    Edit e = carve(cells, shape, 0);
    ASSERT_EQ(e.created.size(), 1u);
    EXPECT_EQ(changed_indexes(e), (std::vector<std::size_t>{0, 1, 3, 4}));
    const auto after = applied(cells, e);
    expect_tiles(after);
    EXPECT_NEAR(area(after[0]), 0.91 * area(cells[0]), 1e-12);
}

TEST(Edit, SplitCutsAcrossAndNodesTheNeighbours) {
    const auto cells = block();
    // A line across the centre cell, crossing its west and east edges, drawn past them.
    const LineString line{
        {{114 + 0.8 * side, 33.514}, {114 + 1.5 * side, 33.516}, {114 + 2.2 * side, 33.5145}}};
    Edit e = split(cells, 4, line, 0);
    ASSERT_EQ(e.created.size(), 1u);
    // The cell itself and the two neighbours that got the cut points as vertices.
    EXPECT_EQ(changed_indexes(e), (std::vector<std::size_t>{3, 4, 5}));
    const auto after = applied(cells, e);
    expect_tiles(after);
    EXPECT_NEAR(area(after[4]) + area(after.back()), area(cells[4]), 1e-15);
    EXPECT_GE(area(after[4]), area(after.back())) << "the larger piece keeps the index";
    EXPECT_EQ(area(after[3]), area(cells[3])) << "a vertex inserted, no area changed";
}

TEST(Edit, SplitByALineThatDoesNotCrossIsRefused) {
    const auto cells = block();
    const LineString dangling{{{114 + 0.8 * side, 33.515}, {114 + 1.5 * side, 33.515}}};
    EXPECT_THROW(split(cells, 4, dangling, 0), Error);
    const LineString outside{{{113, 33}, {113.1, 33.1}}};
    EXPECT_THROW(split(cells, 4, outside, 0), Error);
}

TEST(Edit, MergeDissolvesAdjacentPolygonsOnly) {
    auto cells = block();
    const std::size_t pair[] = {4, 5};
    Edit e = merge(cells, pair);
    EXPECT_EQ(e.removed, (std::vector<std::size_t>{5}));
    const auto after = applied(cells, e);
    expect_tiles(after);
    EXPECT_NEAR(area(after[4]), 2 * area(cells[4]), 1e-15);

    const std::size_t diagonal[] = {0, 4};
    EXPECT_THROW(merge(cells, diagonal), Error) << "they only share a corner";
}

TEST(Edit, RedrawingASharedBoundaryMovesItForBothNeighbours) {
    const auto cells = block();
    // The boundary between cells 4 and 5 (x = 114.02) redrawn as a zigzag between its ends.
    const LineString line{
        {corner(2, 1), {114 + 2.3 * side, 33.515}, {114 + 1.8 * side, 33.518}, corner(2, 2)}};
    Edit e = redraw_boundary(cells, 4, 5, line, 0);
    const auto after = applied(cells, e);
    expect_tiles(after);
    EXPECT_NEAR(area(after[4]) + area(after[5]), 2 * area(cells[4]), 1e-15);
    EXPECT_NE(after[4], cells[4]);
}

TEST(Edit, NodingInsertsVerticesLyingOnEdgesAndSnapsNearMisses) {
    std::vector<MultiPolygon> parts{rect(0, 0, 1, 1), rect(1, 0.5 + 1e-12, 2, 1.5)};
    const std::vector<bool> fixed{true, false};
    auto changed = node_shared_vertices(parts, fixed, 1e-9);
    EXPECT_EQ(changed, (std::vector<bool>{true, true}));
    // Each has the other's corner on its edge as a vertex now.
    EXPECT_EQ(parts[0].polygons[0].rings[0].size(), 6u);
    EXPECT_EQ(parts[1].polygons[0].rings[0].size(), 6u);
    // A near-miss vertex of the movable polygon takes the fixed one's coordinates.
    std::vector<MultiPolygon> near{rect(0, 0, 1, 1), rect(1 + 1e-12, 0, 2, 1)};
    changed = node_shared_vertices(near, fixed, 1e-9);
    EXPECT_EQ(changed, (std::vector<bool>{false, true}));
    EXPECT_EQ(near[1], rect(1, 0, 2, 1));
    // Two fixed polygons are left alone, however they meet.
    std::vector<MultiPolygon> both_fixed{rect(0, 0, 1, 1), rect(1, 0.5, 2, 1.5)};
    EXPECT_EQ(node_shared_vertices(both_fixed, {true, true}, 1e-9),
              (std::vector<bool>{false, false}));
}
