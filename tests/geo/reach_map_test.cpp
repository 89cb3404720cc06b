#include "geo/error.hpp"
#include "geo/measure.hpp"
#include "geo/reach_map.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <numbers>
#include <random>
#include <thread>

using namespace tessera::geo;
namespace {

Polygon rect(double x0, double y0, double x1, double y1) {
    return Polygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}};
}

MultiPolygon multi(Polygon p) {
    return MultiPolygon{{std::move(p)}};
}

// About 2 km x 2 km near Luohe, with room around it.
BBox luohe_box() {
    BBox b;
    b.extend(LonLat{114.00, 33.50});
    b.extend(LonLat{114.03, 33.53});
    return b;
}

constexpr double cell = 5;
constexpr double reach = 50;
const double diagonal = cell * std::numbers::sqrt2;

// Distance from p to the segment a-b that runs along a parallel (a.lat == b.lat) or a meridian
// (a.lon == b.lon): to the foot of the perpendicular when it falls on the segment, else to the
// nearer end. Geodesic, by geo::distance_m.
double distance_to_axis_segment(LonLat p, LonLat a, LonLat b) {
    if (a.lat == b.lat && p.lon >= std::min(a.lon, b.lon) && p.lon <= std::max(a.lon, b.lon))
        return distance_m(p, {p.lon, a.lat});
    if (a.lon == b.lon && p.lat >= std::min(a.lat, b.lat) && p.lat <= std::max(a.lat, b.lat))
        return distance_m(p, {a.lon, p.lat});
    return std::min(distance_m(p, a), distance_m(p, b));
}

// Checks covered() at random points of `box` against the exact distance to the track: within
// reach minus a cell's diagonal it must be covered, beyond reach plus a diagonal it must not.
void expect_reach_holds(const ReachMap& map, const std::vector<std::pair<LonLat, LonLat>>& track,
                        const BBox& box, int samples) {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> x(box.min_x, box.max_x), y(box.min_y, box.max_y);
    int inside = 0, outside = 0;
    for (int k = 0; k < samples; ++k) {
        const LonLat p{x(rng), y(rng)};
        double d = std::numeric_limits<double>::infinity();
        for (const auto& [a, b] : track)
            d = std::min(d, distance_to_axis_segment(p, a, b));
        if (d < reach - diagonal - 0.01) {
            ++inside;
            EXPECT_TRUE(map.covered(p)) << p.lon << "," << p.lat << " at " << d << " m";
        } else if (d > reach + diagonal + 0.01) {
            ++outside;
            EXPECT_FALSE(map.covered(p)) << p.lon << "," << p.lat << " at " << d << " m";
        }
    }
    // The samples must exercise both sides.
    EXPECT_GT(inside, samples / 50);
    EXPECT_GT(outside, samples / 50);
}

} // namespace

TEST(ReachMap, AFixCoversADiscOfTheReach) {
    ReachMap map(luohe_box(), {cell, reach});
    const LonLat fix{114.0123, 33.5171};
    map.mark(fix);
    map.spread();
    EXPECT_EQ(map.marked_cells(), 1);
    EXPECT_TRUE(map.covered(fix));
    EXPECT_TRUE(map.covered(destination(fix, 30, reach - diagonal - 0.5)));
    EXPECT_FALSE(map.covered(destination(fix, 210, reach + diagonal + 0.5)));

    BBox around;
    around.extend(destination(fix, 225, 120));
    around.extend(destination(fix, 45, 120));
    expect_reach_holds(map, {{fix, fix}}, around, 4000);

    // The disc's area in cells: pi r^2 give or take the ring of cells along its edge.
    const auto share =
        map.measure(multi(rect(around.min_x, around.min_y, around.max_x, around.max_y)));
    const double disc_cells = std::numbers::pi * reach * reach / (cell * cell);
    EXPECT_NEAR(static_cast<double>(share.covered), disc_cells,
                2 * std::numbers::pi * reach * diagonal / (cell * cell));
}

TEST(ReachMap, ATrackCoversABandAlongItWithRoundEnds) {
    ReachMap map(luohe_box(), {cell, reach});
    // An east-west street, then a north-south one from its east end.
    const LonLat a{114.005, 33.515}, b{114.020, 33.515}, c{114.020, 33.525};
    map.mark(a, b);
    map.mark(b, c);
    map.spread();
    BBox box;
    box.extend(LonLat{114.003, 33.513});
    box.extend(LonLat{114.022, 33.527});
    expect_reach_holds(map, {{a, b}, {b, c}}, box, 6000);
}

TEST(ReachMap, MeasureGivesTheShareOfAPolygonWithinReach) {
    ReachMap map(luohe_box(), {cell, reach});
    // A 1 km x 0.5 km block with a street along its middle, end to end: a band 100 m wide.
    const LonLat sw{114.01, 33.51};
    const LonLat se = destination(sw, 90, 1000);
    const LonLat nw = destination(sw, 0, 500);
    const auto block = multi(rect(sw.lon, sw.lat, se.lon, nw.lat));
    const double mid = (sw.lat + nw.lat) / 2;
    map.mark({sw.lon - 0.01, mid}, {se.lon + 0.01, mid});
    map.spread();
    const auto share = map.measure(block);
    // Cells: the block's area in cells, give or take a row along its edge.
    const double block_cells = area_m2(Geometry{block}) / (cell * cell);
    EXPECT_NEAR(static_cast<double>(share.cells), block_cells, 3000 / cell + 4);
    EXPECT_NEAR(share.fraction(), 100.0 / 500.0, 2 * diagonal / 500.0);
}

TEST(ReachMap, ATrackOutsideAPolygonCoversTheEdgeWithinReachAndHolesAreLeftOut) {
    ReachMap map(luohe_box(), {cell, reach});
    const LonLat sw{114.01, 33.51};
    const LonLat ne = destination(destination(sw, 90, 400), 0, 400);
    const LonLat hole_sw = destination(destination(sw, 90, 100), 0, 100);
    const LonLat hole_ne = destination(destination(sw, 90, 300), 0, 300);
    MultiPolygon ring_block = multi(rect(sw.lon, sw.lat, ne.lon, ne.lat));
    const auto hole = rect(hole_sw.lon, hole_sw.lat, hole_ne.lon, hole_ne.lat).rings[0];
    ring_block.polygons[0].rings.push_back({hole.rbegin(), hole.rend()});

    // A street 20 m south of the block, along all of it: 30 m of the block are within reach.
    const double street = destination(sw, 180, 20).lat;
    map.mark({sw.lon - 0.01, street}, {ne.lon + 0.01, street});
    map.spread();
    const auto share = map.measure(ring_block);
    const double ring_area = 400.0 * 400 - 200.0 * 200;
    EXPECT_NEAR(static_cast<double>(share.cells), ring_area / (cell * cell),
                (1600.0 + 800) / cell + 8);
    EXPECT_NEAR(static_cast<double>(share.covered), 400.0 * 30 / (cell * cell),
                400.0 * diagonal / (cell * cell));
    // The hole is beyond reach of the street, and not counted.
    EXPECT_EQ(map.measure(multi(rect(hole_sw.lon, hole_sw.lat, hole_ne.lon, hole_ne.lat))).covered,
              0);
}

TEST(ReachMap, MarksFromSeveralThreadsEqualMarksFromOne) {
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> x(114.001, 114.029), y(33.501, 33.529);
    std::vector<std::pair<LonLat, LonLat>> segments;
    for (int k = 0; k < 2000; ++k) {
        const LonLat a{x(rng), y(rng)};
        segments.push_back({a, destination(a, k * 7.0, 40)});
    }
    ReachMap one(luohe_box(), {cell, reach}), two(luohe_box(), {cell, reach});
    for (const auto& [a, b] : segments)
        one.mark(a, b);
    std::thread t1([&] {
        for (std::size_t k = 0; k < segments.size(); k += 2)
            two.mark(segments[k].first, segments[k].second);
    });
    std::thread t2([&] {
        for (std::size_t k = 1; k < segments.size(); k += 2)
            two.mark(segments[k].first, segments[k].second);
    });
    t1.join();
    t2.join();
    one.spread();
    two.spread();
    EXPECT_EQ(one.marked_cells(), two.marked_cells());
    EXPECT_GT(one.marked_cells(), 2000 * 8);
    const auto all = multi(rect(114.0, 33.5, 114.03, 33.53));
    EXPECT_EQ(one.measure(all).covered, two.measure(all).covered);
}

TEST(ReachMap, TracksBeyondTheExtentMarkOnlyWhatIsInsideAndBadOptionsAreRefused) {
    ReachMap map(luohe_box(), {cell, reach});
    map.mark({113.0, 33.0}, {113.5, 33.2}); // wholly outside
    map.mark({std::nan(""), 33.51}, {114.01, 33.51});
    EXPECT_EQ(map.marked_cells(), 0);
    // From far outside to inside: only the cells inside, up to the fix.
    map.mark({113.9, 33.515}, {114.01, 33.515});
    const double inside_m = distance_m({114.00, 33.515}, {114.01, 33.515});
    EXPECT_NEAR(static_cast<double>(map.marked_cells()), inside_m / cell, 2);

    EXPECT_THROW(ReachMap(BBox{}, {}), tessera::Error);
    EXPECT_THROW(ReachMap(luohe_box(), {0, 50}), tessera::Error);
    EXPECT_THROW(ReachMap(luohe_box(), {5, std::nan("")}), tessera::Error);
    BBox world;
    world.extend(LonLat{-180, -80});
    world.extend(LonLat{180, 80});
    EXPECT_THROW(ReachMap(world, {0.01, 50}), tessera::Error);
}

TEST(ReachMap, GroundWalkedDenselyIsCoveredInsideAndWithinReachAround) {
    // Back and forth across a 400 m x 300 m block every 3 m (denser than the cells): every cell
    // inside is marked, and only the cells on its edge spread their reach.
    ReachMap map(luohe_box(), {cell, reach}), on_three(luohe_box(), {cell, reach});
    const LonLat sw{114.010, 33.510};
    const MetresPerDegree scale = metres_per_degree(sw.lat);
    const double east = 400 / scale.lon, north = 300 / scale.lat;
    std::vector<std::pair<LonLat, LonLat>> track;
    for (double y = 0; y <= 300; y += 3) {
        const LonLat a{sw.lon, sw.lat + y / scale.lat}, b{sw.lon + east, a.lat};
        map.mark(a, b);
        on_three.mark(a, b);
        track.emplace_back(a, b);
    }
    map.spread();
    on_three.spread(3);
    const auto whole = multi(rect(114.0, 33.5, 114.03, 33.53));
    EXPECT_EQ(on_three.measure(whole).covered, map.measure(whole).covered)
        << "three threads spread as one does";
    EXPECT_GT(map.marked_cells(), 4000);
    BBox around;
    around.extend(LonLat{sw.lon - 0.0015, sw.lat - 0.0015});
    around.extend(LonLat{sw.lon + east + 0.0015, sw.lat + north + 0.0015});
    expect_reach_holds(map, track, around, 4000);
    // Deep inside, far from every edge, too.
    const auto share = map.measure(multi(rect(sw.lon + 100 / scale.lon, sw.lat + 100 / scale.lat,
                                              sw.lon + 300 / scale.lon, sw.lat + 200 / scale.lat)));
    EXPECT_GT(share.cells, 700);
    EXPECT_EQ(share.covered, share.cells);
}

TEST(ReachMap, AReachOfManyWordsOfCellsIsWidenedExactly) {
    // 0.5 m cells and a 50 m reach: a row is widened by up to 100 cells, across block words.
    constexpr double fine = 0.5;
    ReachMap map(luohe_box(), {fine, reach});
    const LonLat fix{114.0123, 33.5171};
    map.mark(fix);
    map.spread(2);
    const double diag = fine * std::numbers::sqrt2;
    for (double bearing = 0; bearing < 360; bearing += 7.5) {
        EXPECT_TRUE(map.covered(destination(fix, bearing, reach - diag - 0.05))) << bearing;
        EXPECT_FALSE(map.covered(destination(fix, bearing, reach + diag + 0.05))) << bearing;
    }
}
