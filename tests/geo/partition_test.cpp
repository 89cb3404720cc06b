#include "geo/error.hpp"
#include "geo/ops.hpp"
#include "geo/partition.hpp"
#include "geo/validate.hpp"
#include "tests/support/shapes.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

using namespace tessera;
using namespace tessera::geo;

using tessera::testing::multi;
using tessera::testing::rect;

namespace {

// ---- fixtures ----

// A "C" open to the east: x 0..3, y 0..3 without the notch x 1..3, y 1..2.
MultiPolygon c_shape() {
    return multi(
        Polygon{{{{0, 0}, {3, 0}, {3, 1}, {1, 1}, {1, 2}, {3, 2}, {3, 3}, {0, 3}, {0, 0}}}});
}

// A square 0..10 with a square hole 4..6.
MultiPolygon holed_square() {
    Polygon p = rect(0, 0, 10, 10);
    p.rings.push_back(rect(4, 4, 6, 6).rings[0]);
    return multi(p);
}

// ---- independent planar measures (no GEOS) ----

double area(const MultiPolygon& mp) {
    return planar_area(mp);
}

double distance(LonLat a, LonLat b) {
    return std::hypot(a.lon - b.lon, a.lat - b.lat);
}

double perimeter(const MultiPolygon& mp) {
    double length = 0;
    for (const auto& p : mp.polygons)
        for (const auto& r : p.rings)
            for (std::size_t i = 0; i + 1 < r.size(); ++i)
                length += distance(r[i], r[i + 1]);
    return length;
}

// ---- exactness checks ----

// A segment with its end points in a canonical order, compared bit-for-bit (as doubles).
using Segment = std::array<double, 4>;

Segment segment(LonLat a, LonLat b) {
    if (std::tie(b.lon, b.lat) < std::tie(a.lon, a.lat))
        std::swap(a, b);
    return {a.lon, a.lat, b.lon, b.lat};
}

double length(const Segment& s) {
    return std::hypot(s[2] - s[0], s[3] - s[1]);
}

// For every segment of every part, the parts (indices) that have it.
std::map<Segment, std::vector<std::size_t>> segments_of(const std::vector<MultiPolygon>& parts) {
    std::map<Segment, std::vector<std::size_t>> owners;
    for (std::size_t i = 0; i < parts.size(); ++i)
        for (const auto& p : parts[i].polygons)
            for (const auto& r : p.rings)
                for (std::size_t k = 0; k + 1 < r.size(); ++k)
                    owners[segment(r[k], r[k + 1])].push_back(i);
    return owners;
}

std::set<std::pair<double, double>> vertices_of(const MultiPolygon& mp) {
    std::set<std::pair<double, double>> v;
    for (const auto& p : mp.polygons)
        for (const auto& r : p.rings)
            for (const auto& c : r)
                v.insert({c.lon, c.lat});
    return v;
}

// `parts` tile `region` exactly: every segment is used by at most two parts, never twice by the
// same one; the segments used once (the outline) add up to the region's perimeter, so no
// neighbours fail to match (an unmatched shared edge would add its length twice); the areas add
// up to the region's area; GEOS's coverage union accepts the parts and has the region's area.
void expect_exact_coverage(const std::vector<MultiPolygon>& parts, const MultiPolygon& region) {
    auto owners = segments_of(parts);
    ASSERT_FALSE(owners.empty());
    double outline = 0;
    std::size_t shared = 0;
    for (const auto& [s, who] : owners) {
        ASSERT_GT(length(s), 0) << "repeated vertex";
        ASSERT_LE(who.size(), 2u) << "segment (" << s[0] << ", " << s[1] << ")-(" << s[2] << ", "
                                  << s[3] << ") is used by " << who.size() << " parts";
        if (who.size() == 2) {
            ASSERT_NE(who[0], who[1]) << "part " << who[0] << " uses a segment twice";
            ++shared;
        } else {
            outline += length(s);
        }
    }
    if (parts.size() > 1) {
        EXPECT_GT(shared, 0u);
    }
    double region_perimeter = perimeter(region);
    EXPECT_NEAR(outline, region_perimeter, 1e-9 * region_perimeter);

    double region_area = area(region);
    double sum = 0;
    for (const auto& p : parts)
        sum += area(p);
    EXPECT_NEAR(sum, region_area, 1e-9 * region_area);

    MultiPolygon all = coverage_union(parts); // throws if GEOS finds overlaps
    EXPECT_NEAR(area(all), region_area, 1e-12 * region_area);
    EXPECT_NEAR(perimeter(all), region_perimeter, 1e-9 * region_perimeter);
}

// The brief's direct check: for every pair of parts whose bounding boxes meet, the common boundary
// (GEOS intersection of their rings) consists only of coordinates that are vertices of both
// parts, and its length is that of the segments both parts have. O(n^2): small inputs only.
void expect_shared_edges_match(const std::vector<MultiPolygon>& parts) {
    auto owners = segments_of(parts);
    std::map<std::pair<std::size_t, std::size_t>, double> shared_length;
    for (const auto& [s, who] : owners)
        if (who.size() == 2)
            shared_length[{std::min(who[0], who[1]), std::max(who[0], who[1])}] += length(s);

    std::vector<BBox> boxes;
    std::vector<MultiLineString> rings;
    std::vector<std::set<std::pair<double, double>>> vertices;
    for (const auto& p : parts) {
        boxes.push_back(bbox_of(p));
        MultiLineString ml;
        for (const auto& poly : p.polygons)
            for (const auto& r : poly.rings)
                ml.lines.push_back(LineString{r});
        rings.push_back(std::move(ml));
        vertices.push_back(vertices_of(p));
    }
    std::size_t adjacent = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        for (std::size_t j = i + 1; j < parts.size(); ++j) {
            if (parts[i].polygons.empty() || parts[j].polygons.empty() ||
                !boxes[i].intersects(boxes[j]))
                continue;
            Geometry common = intersection(rings[i], rings[j]);
            double common_length = 0;
            for (const auto& line : std::get<MultiLineString>(common).lines) {
                for (std::size_t k = 0; k < line.points.size(); ++k) {
                    std::pair<double, double> c{line.points[k].lon, line.points[k].lat};
                    ASSERT_TRUE(vertices[i].count(c) && vertices[j].count(c))
                        << "parts " << i << " and " << j << " share the point (" << c.first << ", "
                        << c.second << ") that is not a vertex of both";
                    if (k > 0)
                        common_length += distance(line.points[k - 1], line.points[k]);
                }
            }
            auto it = shared_length.find({i, j});
            double expected = it == shared_length.end() ? 0.0 : it->second;
            EXPECT_NEAR(common_length, expected, 1e-12 * (1 + expected))
                << "parts " << i << " and " << j;
            if (common_length > 0)
                ++adjacent;
        }
    }
    if (parts.size() > 1) {
        EXPECT_GT(adjacent, 0u);
    }
}

// Which generators should have a cell (the contract, checked by brute force): covered by the
// region, and not within 1e-9 of the region's bbox diagonal + 1e-12 of its largest coordinate
// of an earlier generator that has one.
std::vector<bool> expected_kept(const std::vector<LonLat>& generators, const MultiPolygon& region) {
    PreparedArea area{Geometry{region}};
    BBox box = bbox_of(region);
    double tolerance = 1e-9 * std::hypot(box.max_x - box.min_x, box.max_y - box.min_y) +
                       1e-12 * std::max({std::abs(box.min_x), std::abs(box.max_x),
                                         std::abs(box.min_y), std::abs(box.max_y)});
    std::vector<bool> kept(generators.size());
    for (std::size_t i = 0; i < generators.size(); ++i) {
        kept[i] = area.covers(generators[i]);
        for (std::size_t j = 0; j < i && kept[i]; ++j)
            if (kept[j] && distance(generators[i], generators[j]) <= tolerance)
                kept[i] = false;
    }
    return kept;
}

// Cells of kept generators are valid, non-empty and cover their generator; the others are empty.
void expect_cells_belong(const std::vector<LonLat>& generators, const VoronoiPartition& partition,
                         const std::vector<bool>& kept) {
    ASSERT_EQ(partition.cells.size(), generators.size());
    for (std::size_t i = 0; i < generators.size(); ++i) {
        const MultiPolygon& cell = partition.cells[i];
        if (!kept[i]) {
            EXPECT_TRUE(cell.polygons.empty()) << "generator " << i << " should have no cell";
            continue;
        }
        ASSERT_FALSE(cell.polygons.empty()) << "generator " << i << " has no cell";
        EXPECT_TRUE(covers(cell, generators[i])) << "cell " << i << " misses its generator";
        auto problem = find_problem(cell, /*lonlat=*/false);
        EXPECT_FALSE(problem) << "cell " << i << ": " << problem->message;
    }
}

// Random points of the region lie in exactly one cell, whose generator is a nearest one.
void expect_nearest(const std::vector<LonLat>& generators, const VoronoiPartition& partition,
                    const std::vector<bool>& kept, const MultiPolygon& region, int samples) {
    PreparedArea area{Geometry{region}};
    std::vector<std::optional<PreparedArea>> cells;
    std::vector<BBox> boxes;
    for (const auto& c : partition.cells) {
        boxes.push_back(bbox_of(c));
        cells.emplace_back(c.polygons.empty() ? std::nullopt
                                              : std::optional<PreparedArea>(Geometry{c}));
    }
    BBox box = bbox_of(region);
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> ux(box.min_x, box.max_x), uy(box.min_y, box.max_y);
    int tested = 0;
    while (tested < samples) {
        LonLat p{ux(rng), uy(rng)};
        if (!area.covers(p))
            continue;
        ++tested;
        std::vector<std::size_t> owners;
        for (std::size_t i = 0; i < cells.size(); ++i)
            if (cells[i] && boxes[i].contains(p) && cells[i]->covers(p))
                owners.push_back(i);
        ASSERT_EQ(owners.size(), 1u) << "point (" << p.lon << ", " << p.lat << ")";
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < generators.size(); ++i)
            if (kept[i])
                best = std::min(best, distance(p, generators[i]));
        EXPECT_LE(distance(p, generators[owners[0]]), best + 1e-12)
            << "point (" << p.lon << ", " << p.lat << ") is in the cell of generator " << owners[0]
            << " but another generator is nearer";
    }
}

std::vector<LonLat> random_points_in(const MultiPolygon& region, std::size_t n,
                                     std::uint64_t seed) {
    PreparedArea area{Geometry{region}};
    BBox box = bbox_of(region);
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> ux(box.min_x, box.max_x), uy(box.min_y, box.max_y);
    std::vector<LonLat> points;
    while (points.size() < n) {
        LonLat p{ux(rng), uy(rng)};
        if (area.covers(p))
            points.push_back(p);
    }
    return points;
}

// Households: points scattered around `seats` (normal, sigma in coordinate units), rounded to
// multiples of `step` like real coordinates (which makes duplicates and exactly collinear or
// cocircular points), kept only inside the region.
std::vector<LonLat> clustered_points_in(const MultiPolygon& region,
                                        const std::vector<LonLat>& seats, std::size_t n,
                                        double sigma, double step, std::uint64_t seed) {
    PreparedArea area{Geometry{region}};
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> spread(0, sigma);
    std::uniform_int_distribution<std::size_t> pick(0, seats.size() - 1);
    std::vector<LonLat> points;
    while (points.size() < n) {
        LonLat seat = seats[pick(rng)];
        LonLat p{std::round((seat.lon + spread(rng)) / step) * step,
                 std::round((seat.lat + spread(rng)) / step) * step};
        if (area.covers(p))
            points.push_back(p);
    }
    return points;
}

// Groups cells by the nearest of `seats` to their generator and unions each group.
std::vector<MultiPolygon> group_union(const std::vector<MultiPolygon>& cells,
                                      const std::vector<LonLat>& generators,
                                      const std::vector<LonLat>& seats,
                                      std::vector<std::size_t>* group_of = nullptr) {
    std::vector<std::vector<MultiPolygon>> groups(seats.size());
    std::vector<std::size_t> assignment(cells.size());
    for (std::size_t i = 0; i < cells.size(); ++i) {
        std::size_t g = 0;
        for (std::size_t s = 1; s < seats.size(); ++s)
            if (distance(generators[i], seats[s]) < distance(generators[i], seats[g]))
                g = s;
        assignment[i] = g;
        groups[g].push_back(cells[i]);
    }
    std::vector<MultiPolygon> unions;
    for (const auto& g : groups)
        unions.push_back(coverage_union(g));
    if (group_of)
        *group_of = assignment;
    return unions;
}

// Every segment of each union is a segment of one of its members: nothing was re-noded.
void expect_nested(const std::vector<MultiPolygon>& members,
                   const std::vector<std::size_t>& group_of,
                   const std::vector<MultiPolygon>& unions) {
    auto member_segments = segments_of(members);
    auto union_segments = segments_of(unions);
    for (const auto& [s, who] : union_segments) {
        auto it = member_segments.find(s);
        ASSERT_NE(it, member_segments.end()) << "union " << who[0] << " has a new segment";
        bool from_member = std::any_of(it->second.begin(), it->second.end(),
                                       [&](std::size_t m) { return group_of[m] == who[0]; });
        EXPECT_TRUE(from_member);
    }
}

// ---- a tiny reader for the county file (not a GeoJSON parser) ----

class Cursor {
public:
    Cursor(const std::string& text, std::size_t pos)
        : m_text(text)
        , m_pos(pos) {}
    bool eat(char c) {
        while (m_pos < m_text.size() && std::isspace(static_cast<unsigned char>(m_text[m_pos])))
            ++m_pos;
        if (m_pos < m_text.size() && m_text[m_pos] == c) {
            ++m_pos;
            return true;
        }
        return false;
    }
    double number() {
        eat(' ');
        const char* begin = m_text.c_str() + m_pos;
        char* end = nullptr;
        double v = std::strtod(begin, &end);
        if (end == begin)
            throw std::runtime_error("number expected at " + std::to_string(m_pos));
        m_pos += static_cast<std::size_t>(end - begin);
        return v;
    }
    // "[item, item, ...]"
    template <class F>
    void array(F&& item) {
        if (!eat('['))
            throw std::runtime_error("'[' expected at " + std::to_string(m_pos));
        if (eat(']'))
            return;
        do
            item();
        while (eat(','));
        if (!eat(']'))
            throw std::runtime_error("']' expected at " + std::to_string(m_pos));
    }

private:
    const std::string& m_text;
    std::size_t m_pos;
};

Polygon read_polygon(Cursor& c) {
    Polygon p;
    c.array([&] {
        Ring r;
        c.array([&] {
            LonLat pos;
            int k = 0;
            c.array([&] { (k++ == 0 ? pos.lon : pos.lat) = c.number(); });
            r.push_back(pos);
        });
        p.rings.push_back(std::move(r));
    });
    return p;
}

// The county with `adcode` from the shared GCJ-02 county file, or nullopt if the file is absent.
std::optional<MultiPolygon> read_county(const std::string& adcode) {
    std::ifstream in(std::string(TESSERA_SHARED_DATA) +
                     "/admin/adcode-gcj02/411100_counties_gcj02.geojson");
    if (!in)
        return std::nullopt;
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    std::size_t at = text.find("\"adcode\": \"" + adcode + "\"");
    if (at == std::string::npos)
        throw std::runtime_error("no county " + adcode);
    std::size_t type = text.find("\"type\": \"", text.find("\"geometry\"", at)) + 9;
    bool is_multi = text.compare(type, 12, "MultiPolygon") == 0;
    Cursor c(text, text.find('[', text.find("\"coordinates\"", at)));
    MultiPolygon mp;
    if (is_multi)
        c.array([&] { mp.polygons.push_back(read_polygon(c)); });
    else
        mp.polygons.push_back(read_polygon(c));
    return mp;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// All the properties, for inputs small enough for the O(n^2) pair check.
void expect_partition(const std::vector<LonLat>& generators, const MultiPolygon& region,
                      const VoronoiPartition& partition, int samples = 500) {
    std::vector<bool> kept = expected_kept(generators, region);
    expect_cells_belong(generators, partition, kept);
    expect_exact_coverage(partition.cells, region);
    expect_shared_edges_match(partition.cells);
    expect_nearest(generators, partition, kept, region, samples);
    CoverageCheck check = check_coverage(partition.cells, region);
    double a = area(region);
    EXPECT_LT(check.overlap_area, 1e-12 * a);
    EXPECT_LT(check.gap_area, 1e-12 * a);
    EXPECT_LT(check.outside_area, 1e-12 * a);
}

} // namespace

TEST(VoronoiPartition, FourSymmetricGeneratorsGiveQuadrants) {
    // Four cocircular generators: the Voronoi vertex at (1, 1) has degree 4.
    MultiPolygon region = multi(rect(0, 0, 2, 2));
    std::vector<LonLat> generators{{0.5, 0.5}, {1.5, 0.5}, {0.5, 1.5}, {1.5, 1.5}};
    VoronoiPartition partition = voronoi_partition(generators, region);
    expect_partition(generators, region, partition);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_NEAR(area(partition.cells[i]), 1.0, 1e-12) << i;
        BBox b = bbox_of(partition.cells[i]);
        EXPECT_NEAR(b.min_x, generators[i].lon - 0.5, 1e-12) << i;
        EXPECT_NEAR(b.max_y, generators[i].lat + 0.5, 1e-12) << i;
    }
}

TEST(VoronoiPartition, CollinearGenerators) {
    MultiPolygon region = multi(rect(0, 0, 5, 1));
    std::vector<LonLat> generators{{0.5, 0.5}, {1.5, 0.5}, {2.5, 0.5}, {3.5, 0.5}, {4.5, 0.5}};
    VoronoiPartition partition = voronoi_partition(generators, region);
    expect_partition(generators, region, partition);
    for (const auto& cell : partition.cells)
        EXPECT_NEAR(area(cell), 1.0, 1e-12);
}

TEST(VoronoiPartition, LatticeOfCocircularGenerators) {
    // A 12 x 12 lattice: every Voronoi vertex is shared by four cells.
    MultiPolygon region = multi(rect(0, 0, 12, 12));
    std::vector<LonLat> generators;
    for (int i = 0; i < 12; ++i)
        for (int j = 0; j < 12; ++j)
            generators.push_back({i + 0.5, j + 0.5});
    VoronoiPartition partition = voronoi_partition(generators, region);
    expect_partition(generators, region, partition);
    for (const auto& cell : partition.cells)
        EXPECT_NEAR(area(cell), 1.0, 1e-9);
}

TEST(VoronoiPartition, NonConvexRegion) {
    MultiPolygon region = c_shape();
    std::vector<LonLat> generators = random_points_in(region, 300, 1);
    VoronoiPartition partition = voronoi_partition(generators, region);
    expect_partition(generators, region, partition);
}

TEST(VoronoiPartition, ConcavityCutsACellInTwo) {
    // Points of the lower arm's tip are nearer to the generator in the upper arm than to the one
    // in the spine, but the notch separates them: that cell has two parts.
    MultiPolygon region = c_shape();
    std::vector<LonLat> generators{{0.5, 1.5}, {2.5, 2.5}};
    VoronoiPartition partition = voronoi_partition(generators, region);
    expect_partition(generators, region, partition);
    EXPECT_EQ(partition.cells[0].polygons.size(), 1u);
    ASSERT_EQ(partition.cells[1].polygons.size(), 2u);
    EXPECT_TRUE(covers(partition.cells[1], {2.9, 0.1}));
    EXPECT_FALSE(covers(partition.cells[1], {1.1, 0.1}));
}

TEST(VoronoiPartition, RegionWithHole) {
    MultiPolygon region = holed_square();
    std::vector<LonLat> generators = random_points_in(multi(rect(0, 0, 10, 10)), 200, 2);
    generators.push_back({5, 5}); // in the hole: outside the region
    generators.push_back({4, 5}); // on the hole's ring: inside (the boundary counts)
    VoronoiPartition partition = voronoi_partition(generators, region);
    expect_partition(generators, region, partition);
    EXPECT_TRUE(partition.cells[200].polygons.empty());
    EXPECT_FALSE(partition.cells[201].polygons.empty());
    std::size_t in_hole = 0;
    for (const auto& g : generators)
        in_hole += g.lon > 4 && g.lon < 6 && g.lat > 4 && g.lat < 6;
    EXPECT_GT(in_hole, 1u); // the random ones include some in the hole, too
}

TEST(VoronoiPartition, HoleInsideOneCell) {
    // The bisector y = 7 misses the hole (y 4..6): the first cell keeps the hole as a ring.
    MultiPolygon region = holed_square();
    std::vector<LonLat> generators{{2, 5}, {2, 9}};
    VoronoiPartition partition = voronoi_partition(generators, region);
    expect_partition(generators, region, partition);
    ASSERT_EQ(partition.cells[0].polygons.size(), 1u);
    EXPECT_EQ(partition.cells[0].polygons[0].rings.size(), 2u);
    EXPECT_NEAR(area(partition.cells[0]), 70 - 4, 1e-9);
    EXPECT_NEAR(area(partition.cells[1]), 30, 1e-9);
}

TEST(VoronoiPartition, MultiPolygonRegionWithEmptyIsland) {
    // Generators only in the west square: the east square goes to the nearest of them, so
    // some cells have a part in each square.
    MultiPolygon region{{rect(0, 0, 1, 1), rect(2, 0, 3, 1)}};
    std::vector<LonLat> generators = random_points_in(multi(rect(0, 0, 1, 1)), 12, 3);
    VoronoiPartition partition = voronoi_partition(generators, region);
    expect_partition(generators, region, partition);
    double east = 0;
    std::size_t two_part = 0;
    for (const auto& cell : partition.cells) {
        two_part += cell.polygons.size() == 2;
        for (const auto& p : cell.polygons)
            if (bbox_of(Polygon{p}).min_x >= 2)
                east += area(MultiPolygon{{p}});
    }
    EXPECT_NEAR(east, 1.0, 1e-12);
    EXPECT_GT(two_part, 0u);
}

TEST(VoronoiPartition, DuplicatesAndOutsideGeneratorsGetEmptyCells) {
    MultiPolygon region = multi(rect(0, 0, 1, 1));
    std::vector<LonLat> generators{
        {0.25, 0.5},     {0.25, 0.5}, // a duplicate
        {5, 5},                       // far outside
        {1 + 1e-9, 0.5},              // just outside: must not claim the east edge
        {0.75, 0.5},     {0.0, 0.2},  // the second one on the boundary
        {-0.0, 0.2},                  // equal to the previous one (-0 == 0)
    };
    VoronoiPartition partition = voronoi_partition(generators, region);
    expect_partition(generators, region, partition);
    EXPECT_TRUE(partition.cells[1].polygons.empty());
    EXPECT_TRUE(partition.cells[2].polygons.empty());
    EXPECT_TRUE(partition.cells[3].polygons.empty());
    EXPECT_TRUE(partition.cells[6].polygons.empty());
    EXPECT_FALSE(partition.cells[5].polygons.empty());
    EXPECT_TRUE(covers(partition.cells[4], {1, 0.5})); // the east edge went to (0.75, 0.5)
}

TEST(VoronoiPartition, NearDuplicatesCountAsDuplicates) {
    // Closer than 1e-9 of the region's diagonal (here 1.4e-9 + 1e-12): the later one is dropped,
    // the cell between them could not be represented. 1e-8 apart is still two cells.
    MultiPolygon region = multi(rect(0, 0, 1, 1));
    std::vector<LonLat> generators{{0.3, 0.4},
                                   {std::nextafter(0.3, 1.0), 0.4},
                                   {0.3 + 1e-10, 0.4},
                                   {0.3 + 1e-8, 0.4},
                                   {0.7, 0.6}};
    VoronoiPartition partition = voronoi_partition(generators, region);
    expect_partition(generators, region, partition);
    EXPECT_TRUE(partition.cells[1].polygons.empty());
    EXPECT_TRUE(partition.cells[2].polygons.empty());
    EXPECT_FALSE(partition.cells[3].polygons.empty());
}

TEST(VoronoiPartition, NoneOrOneGeneratorInside) {
    MultiPolygon region = c_shape();
    std::vector<LonLat> outside{{5, 5}, {2, 1.5}}; // the second one is in the notch
    VoronoiPartition none = voronoi_partition(outside, region);
    ASSERT_EQ(none.cells.size(), 2u);
    EXPECT_TRUE(none.cells[0].polygons.empty());
    EXPECT_TRUE(none.cells[1].polygons.empty());
    EXPECT_TRUE(voronoi_partition({}, region).cells.empty());

    std::vector<LonLat> one{{5, 5}, {0.5, 0.5}, {0.5, 0.5}};
    VoronoiPartition single = voronoi_partition(one, region);
    EXPECT_TRUE(single.cells[0].polygons.empty());
    EXPECT_EQ(single.cells[1], region);
    EXPECT_TRUE(single.cells[2].polygons.empty());
}

TEST(VoronoiPartition, TwoGeneratorsSplitAlongTheBisector) {
    MultiPolygon region = multi(rect(0, 0, 2, 1));
    std::vector<LonLat> generators{{0.5, 0.5}, {1.5, 0.5}};
    VoronoiPartition partition = voronoi_partition(generators, region);
    expect_partition(generators, region, partition);
    EXPECT_NEAR(area(partition.cells[0]), 1.0, 1e-12);
    EXPECT_NEAR(bbox_of(partition.cells[0]).max_x, 1.0, 1e-12);
    EXPECT_NEAR(bbox_of(partition.cells[1]).min_x, 1.0, 1e-12);
}

TEST(VoronoiPartition, RejectsBadInput) {
    MultiPolygon bowtie = multi(Polygon{{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}});
    std::vector<LonLat> generators{{0.2, 0.5}, {0.8, 0.5}};
    try {
        voronoi_partition(generators, bowtie);
        FAIL() << "expected an exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::invalid_geometry);
    }
    std::vector<LonLat> nan{{0.2, 0.5}, {std::nan(""), 0.5}};
    try {
        voronoi_partition(nan, multi(rect(0, 0, 1, 1)));
        FAIL() << "expected an exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    }
}

TEST(VoronoiPartition, ClusteredHouseholdsNestIntoVillagesAndTownships) {
    // The demo's use: households clustered around village seats, rounded like real data; the
    // grids' cells are unioned into villages and the villages into townships.
    MultiPolygon region = holed_square();
    std::vector<LonLat> seats = random_points_in(region, 12, 4);
    std::vector<LonLat> households = clustered_points_in(region, seats, 3000, 0.3, 0.01, 5);
    VoronoiPartition partition = voronoi_partition(households, region);
    std::vector<bool> kept = expected_kept(households, region);
    EXPECT_LT(std::count(kept.begin(), kept.end(), true), 3000); // rounding made duplicates
    expect_cells_belong(households, partition, kept);
    expect_exact_coverage(partition.cells, region);
    expect_nearest(households, partition, kept, region, 300);

    std::vector<std::size_t> village_of;
    std::vector<MultiPolygon> villages =
        group_union(partition.cells, households, seats, &village_of);
    expect_exact_coverage(villages, region);
    expect_shared_edges_match(villages);
    expect_nested(partition.cells, village_of, villages);

    std::vector<LonLat> township_seats{seats[0], seats[1], seats[2]};
    std::vector<std::size_t> township_of;
    std::vector<MultiPolygon> townships =
        group_union(villages, seats, township_seats, &township_of);
    expect_exact_coverage(townships, region);
    expect_shared_edges_match(townships);
    expect_nested(villages, township_of, townships);
}

TEST(VoronoiPartition, County20000Generators) {
    std::optional<MultiPolygon> county = read_county("411121");
    if (!county)
        GTEST_SKIP() << "needs " << TESSERA_SHARED_DATA
                     << "/admin/adcode-gcj02/411100_counties_gcj02.geojson";
    ASSERT_EQ(county->polygons.size(), 1u);
    ASSERT_GT(county->polygons[0].rings[0].size(), 1000u);
    std::vector<LonLat> generators = random_points_in(*county, 20000, 6);

    auto start = std::chrono::steady_clock::now();
    VoronoiPartition partition = voronoi_partition(generators, *county);
    double elapsed = seconds_since(start);
    std::printf("[   INFO   ] voronoi_partition of 20000 generators in county 411121: %.3f s\n",
                elapsed);

    // Uniform random points: all inside, and no two within the duplicate tolerance (the expected
    // number of such pairs is ~1e-8), so every generator must have a cell.
    std::vector<bool> kept(generators.size(), true);
    expect_cells_belong(generators, partition, kept);
    expect_exact_coverage(partition.cells, *county);
    expect_nearest(generators, partition, kept, *county, 200);

    std::vector<LonLat> seats(generators.begin(), generators.begin() + 40);
    std::vector<std::size_t> village_of;
    std::vector<MultiPolygon> villages =
        group_union(partition.cells, generators, seats, &village_of);
    expect_exact_coverage(villages, *county);
    expect_shared_edges_match(villages);
    expect_nested(partition.cells, village_of, villages);
}

TEST(VoronoiPartition, MultiPolygonCountyClustered) {
    std::optional<MultiPolygon> county = read_county("411122");
    if (!county)
        GTEST_SKIP() << "needs " << TESSERA_SHARED_DATA
                     << "/admin/adcode-gcj02/411100_counties_gcj02.geojson";
    ASSERT_EQ(county->polygons.size(), 3u);
    std::vector<LonLat> seats = random_points_in(*county, 30, 8);
    std::vector<LonLat> households = clustered_points_in(*county, seats, 5000, 0.004, 1e-6, 9);
    VoronoiPartition partition = voronoi_partition(households, *county);
    std::vector<bool> kept = expected_kept(households, *county);
    expect_cells_belong(households, partition, kept);
    expect_exact_coverage(partition.cells, *county);
    expect_nearest(households, partition, kept, *county, 200);
}

TEST(CoverageUnion, DissolvesSharedEdgesKeepingVertices) {
    // The shared edge x = 1 carries an extra vertex (1, 0.5) in both squares.
    Polygon west{{{{0, 0}, {1, 0}, {1, 0.5}, {1, 1}, {0, 1}, {0, 0}}}};
    Polygon east{{{{1, 0}, {2, 0}, {2, 1}, {1, 1}, {1, 0.5}, {1, 0}}}};
    std::vector<MultiPolygon> parts{multi(west), MultiPolygon{}, multi(east)};
    MultiPolygon u = coverage_union(parts);
    ASSERT_EQ(u.polygons.size(), 1u);
    EXPECT_EQ(u.polygons[0].rings.size(), 1u);
    EXPECT_DOUBLE_EQ(area(u), 2.0);
    auto v = vertices_of(u);
    EXPECT_EQ(v.count({1, 0.5}), 0u); // the shared edge is gone
    EXPECT_EQ(v.count({1, 0}), 1u);   // vertices on the outline stay
    EXPECT_EQ(v.size(), 6u);

    EXPECT_TRUE(coverage_union({}).polygons.empty());
    std::vector<MultiPolygon> one{MultiPolygon{}, multi(west)};
    EXPECT_EQ(coverage_union(one), multi(west)); // a single part comes back unchanged
}

TEST(CoverageUnion, DisjointPartsStaySeparate) {
    std::vector<MultiPolygon> parts{multi(rect(0, 0, 1, 1)), multi(rect(3, 0, 4, 1))};
    MultiPolygon u = coverage_union(parts);
    EXPECT_EQ(u.polygons.size(), 2u);
    EXPECT_DOUBLE_EQ(area(u), 2.0);
}

TEST(CoverageUnion, RejectsOverlappingParts) {
    std::vector<MultiPolygon> parts{multi(rect(0, 0, 2, 2)), multi(rect(1, 1, 3, 3))};
    try {
        coverage_union(parts);
        FAIL() << "expected an exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::invalid_geometry);
    }
    std::vector<MultiPolygon> same{multi(rect(0, 0, 1, 1)), multi(rect(0, 0, 1, 1))};
    EXPECT_THROW(coverage_union(same), Error);
}

TEST(CoverageUnion, HolesTouchingAtAPointStayValid) {
    // Lattice cells meet four at a vertex: leaving out diagonal neighbours makes holes (or a
    // hole and a notch) that touch at one point, which must still come out as a valid polygon.
    MultiPolygon region = multi(rect(0, 0, 4, 4));
    std::vector<LonLat> generators;
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j)
            generators.push_back({i + 0.5, j + 0.5});
    VoronoiPartition partition = voronoi_partition(generators, region);
    for (std::vector<std::size_t> left_out : {std::vector<std::size_t>{5, 10}, {0, 5}}) {
        std::vector<MultiPolygon> group;
        for (std::size_t k = 0; k < partition.cells.size(); ++k)
            if (std::find(left_out.begin(), left_out.end(), k) == left_out.end())
                group.push_back(partition.cells[k]);
        MultiPolygon u = coverage_union(group);
        EXPECT_NEAR(area(u), 14.0, 1e-9);
        auto problem = find_problem(u, /*lonlat=*/false);
        EXPECT_FALSE(problem) << problem->message;
    }
}
