// Point location throughput (issue 3): which of 10 k / 100 k grids holds each of 2 M points.
//
// In one process and on the same points it runs
//   - GEOS: an STRtree of the grids' envelopes + one prepared geometry per grid; per point a
//     point geometry is created (GEOSGeom_createPointFromXY_r, as a server answering one request
//     at a time would), the tree is queried and the candidates are tested with
//     GEOSPreparedCovers_r until the first hit. Single-threaded. Reusing one point and moving it
//     is not possible through the C API: GEOSGeom_getCoordSeq_r hands out a const sequence, and
//     writing through it would leave the geometry's cached envelope stale.
//   - PostGIS (when built with libpq and TESSERA_BENCH_PG names a database with PostGIS): the
//     polygon-outer join `points LEFT JOIN grids ON ST_Covers` over temporary tables, one core.
//   - Tessera: geo::LocateIndex, batch locate() on 1 thread and on --threads threads.
// and checks that Tessera agrees with GEOS on every point that is not on a grid's boundary: the
// run fails (exit status 1) on any other disagreement, so a fast wrong answer cannot pass.
//
// The tilings are realistic and exact: clustered generators (towns + countryside) in a lon/lat
// rectangle around Luohe, one geo::voronoi_partition, cells grouped into grids by recursive
// bisection and dissolved with geo::coverage_union, then the edges between grids get extra
// vertices (field boundaries, roads) so grids have tens to hundreds of vertices. The extra
// vertices of an edge are a pure function of the edge, so both grids sharing it get the same
// doubles: edges stay shared exactly. They stay inside the two triangles (generator, edge) of the
// two Voronoi cells on either side, which are disjoint from every other edge's triangles, so no
// grid can become invalid or overlap another (checked anyway).
//
// Usage: locate_bench [--grids N[,N...]] [--points M] [--seed S] [--threads T]
//                     [--cells-per-grid K] [--reps R] [--cells-per-polygon C] [--refine F]
// Figures and how to reproduce them: docs/benchmarks.md.
#include "geo/detail/geos.hpp"
#include "geo/geometry.hpp"
#include "geo/locate_index.hpp"
#include "geo/partition.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#ifdef TESSERA_BENCH_HAVE_LIBPQ
#include "bench/pg.hpp"
#endif

using namespace tessera::geo;

namespace {

constexpr std::uint32_t none = LocateIndex::none;

// ---- options ----

struct Options {
    std::vector<std::size_t> grid_counts{10'000, 100'000};
    std::size_t points = 2'000'000;
    std::uint64_t seed = 1;
    int threads = 2;
    int cells_per_grid = 4;
    int reps = 5; // Tessera runs per figure; the median is reported
    LocateIndex::Options index;
};

// Prints `why` and the usage, then exits with `status` (stdout for --help, else stderr).
[[noreturn]] void usage(const char* why, int status = 2) {
    std::fprintf(status == 0 ? stdout : stderr,
                 "locate_bench: %s\n"
                 "usage: locate_bench [--grids N[,N...]] [--points M] [--seed S] [--threads T]\n"
                 "                    [--cells-per-grid K] [--reps R] [--cells-per-polygon C]\n"
                 "                    [--refine F]\n"
                 "  --grids           grid counts of the tilings to run (default 10000,100000)\n"
                 "  --points          query points per tiling (default 2000000)\n"
                 "  --seed            seed of tilings and points (default 1)\n"
                 "  --threads         threads of the multi-threaded Tessera run (default 2)\n"
                 "  --cells-per-grid  Voronoi cells dissolved into one grid (default 4)\n"
                 "  --reps            Tessera runs per figure, median reported (default 5)\n"
                 "  --cells-per-polygon, --refine  LocateIndex::Options (default: the index's)\n"
                 "environment: TESSERA_BENCH_PG=\"host=... dbname=...\" (libpq conninfo) adds "
                 "PostGIS\n",
                 why);
    std::exit(status);
}

std::uint64_t parse_number(std::string_view s, const char* what) {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size())
        usage((std::string("bad number for ") + what + ": '" + std::string(s) + "'").c_str());
    return v;
}

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h")
            usage("point location benchmark (docs/benchmarks.md)", 0);
        if (i + 1 >= argc)
            usage(("missing value after " + std::string(arg)).c_str());
        std::string_view value = argv[++i];
        if (arg == "--grids") {
            o.grid_counts.clear();
            while (!value.empty()) {
                auto comma = value.find(',');
                o.grid_counts.push_back(parse_number(value.substr(0, comma), "--grids"));
                value = comma == std::string_view::npos ? "" : value.substr(comma + 1);
            }
        } else if (arg == "--points") {
            o.points = parse_number(value, "--points");
        } else if (arg == "--seed") {
            o.seed = parse_number(value, "--seed");
        } else if (arg == "--threads") {
            o.threads = static_cast<int>(parse_number(value, "--threads"));
        } else if (arg == "--cells-per-grid") {
            o.cells_per_grid = static_cast<int>(parse_number(value, "--cells-per-grid"));
        } else if (arg == "--reps") {
            o.reps = static_cast<int>(parse_number(value, "--reps"));
        } else if (arg == "--cells-per-polygon") {
            o.index.cells_per_polygon = std::strtod(std::string(value).c_str(), nullptr);
            if (!(o.index.cells_per_polygon > 0))
                usage("--cells-per-polygon must be a positive number");
        } else if (arg == "--refine") {
            o.index.refine = static_cast<int>(parse_number(value, "--refine"));
        } else {
            usage(("unknown option " + std::string(arg)).c_str());
        }
    }
    if (o.grid_counts.empty() || o.points == 0 || o.threads < 1 || o.cells_per_grid < 1 ||
        o.reps < 1 || o.index.refine < 1)
        usage("--grids, --points, --threads, --cells-per-grid, --reps and --refine must be "
              "positive");
    for (auto n : o.grid_counts)
        if (n == 0 || n > 10'000'000)
            usage("--grids must be in 1..10000000");
    return o;
}

// ---- small utilities ----

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Heap bytes in use (all malloc arenas + mmapped chunks); 0 where glibc's mallinfo2 is missing.
std::size_t heap_in_use() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
#else
    return 0;
#endif
}

double mib(std::size_t bytes) {
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

void flush() {
    std::fflush(stdout);
}

// Deterministic randomness: the raw engine is specified, std distributions are not.
class Rng {
public:
    explicit Rng(std::uint64_t seed)
        : m_engine(seed) {}
    double uniform() { return static_cast<double>(m_engine() >> 11) * 0x1.0p-53; } // [0, 1)
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    double normal() { // Box-Muller
        double u1 = std::max(uniform(), 1e-300), u2 = uniform();
        return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
    }

private:
    std::mt19937_64 m_engine;
};

// splitmix64 finaliser: derives independent seeds and hashes coordinates.
std::uint64_t mix(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

std::uint64_t mix(std::uint64_t h, double v) {
    return mix(h ^ std::bit_cast<std::uint64_t>(v));
}

// A splitmix64 stream: seeding an mt19937_64 per edge (2.5 KB of state) would dominate the cost
// of a tiling's edge detail.
class SmallRng {
public:
    explicit SmallRng(std::uint64_t seed)
        : m_state(seed) {}
    double uniform() { // [0, 1)
        m_state += 0x9e3779b97f4a7c15ull;
        return static_cast<double>(mix(m_state) >> 11) * 0x1.0p-53;
    }

private:
    std::uint64_t m_state;
};

bool lex_less(LonLat a, LonLat b) {
    return a.lon < b.lon || (a.lon == b.lon && a.lat < b.lat);
}

double cross(LonLat o, LonLat a, LonLat b) {
    return (a.lon - o.lon) * (b.lat - o.lat) - (a.lat - o.lat) * (b.lon - o.lon);
}

// ---- the region and its towns ----

// A lon/lat rectangle around Luohe (Henan): 0.9 x 0.7 degrees, ~83 x 78 km.
constexpr BBox region_box{113.4, 33.3, 114.3, 34.0};

MultiPolygon region_polygon() {
    const BBox& b = region_box;
    return {{Polygon{{Ring{{b.min_x, b.min_y},
                           {b.max_x, b.min_y},
                           {b.max_x, b.max_y},
                           {b.min_x, b.max_y},
                           {b.min_x, b.min_y}}}}}};
}

struct Town {
    LonLat centre;
    double sigma; // degrees of latitude
    double weight;
};

// A city and 29 towns; generators and query points cluster around them.
std::vector<Town> make_towns(std::uint64_t seed) {
    Rng rng(mix(seed ^ 0x746f776e73ull));
    std::vector<Town> towns{{{114.02, 33.58}, 0.04, 8}};
    for (int i = 0; i < 29; ++i)
        towns.push_back({{rng.uniform(region_box.min_x + 0.05, region_box.max_x - 0.05),
                          rng.uniform(region_box.min_y + 0.05, region_box.max_y - 0.05)},
                         rng.uniform(0.006, 0.02),
                         rng.uniform(0.5, 2)});
    return towns;
}

// A point near a town (chosen by weight), inside `box`.
LonLat near_town(Rng& rng, const std::vector<Town>& towns, const BBox& box) {
    double total = 0;
    for (const auto& t : towns)
        total += t.weight;
    double pick = rng.uniform() * total;
    const Town* town = &towns.back();
    for (const auto& t : towns) {
        if (pick < t.weight) {
            town = &t;
            break;
        }
        pick -= t.weight;
    }
    const double lon_scale = 1 / std::cos(town->centre.lat * std::numbers::pi / 180);
    for (;;) {
        LonLat p{town->centre.lon + rng.normal() * town->sigma * lon_scale,
                 town->centre.lat + rng.normal() * town->sigma};
        if (box.contains(p))
            return p;
    }
}

// ---- the tiling ----

// Groups of point indices of (nearly) equal size by recursive bisection along the longer axis
// (degrees of longitude scaled to the latitude), like data/demo_city.cpp does for households.
void bisect(std::vector<std::uint32_t>& idx, std::size_t begin, std::size_t end, std::size_t k,
            std::span<const LonLat> pts, std::vector<std::vector<std::uint32_t>>& out) {
    if (k <= 1) {
        out.emplace_back(idx.begin() + static_cast<std::ptrdiff_t>(begin),
                         idx.begin() + static_cast<std::ptrdiff_t>(end));
        return;
    }
    BBox box;
    for (std::size_t i = begin; i < end; ++i)
        box.extend(pts[idx[i]]);
    const double lon_scale = std::cos((box.min_y + box.max_y) / 2 * std::numbers::pi / 180);
    const bool by_lon = (box.max_x - box.min_x) * lon_scale >= box.max_y - box.min_y;
    const std::size_t k1 = k / 2;
    const std::size_t split = begin + (end - begin) * k1 / k;
    std::nth_element(idx.begin() + static_cast<std::ptrdiff_t>(begin),
                     idx.begin() + static_cast<std::ptrdiff_t>(split),
                     idx.begin() + static_cast<std::ptrdiff_t>(end),
                     [&](std::uint32_t x, std::uint32_t y) {
                         LonLat p = pts[x], q = pts[y];
                         return by_lon ? lex_less(p, q) : lex_less({p.lat, p.lon}, {q.lat, q.lon});
                     });
    bisect(idx, begin, split, k1, pts, out);
    bisect(idx, split, end, k - k1, pts, out);
}

// One side of a cell edge: the segment a-b with a < b (lex_less), and the cell it bounds.
struct CellSide {
    LonLat a, b;
    std::uint32_t cell;
};

bool side_less(const CellSide& x, const CellSide& y) {
    if (x.a != y.a)
        return lex_less(x.a, y.a);
    if (x.b != y.b)
        return lex_less(x.b, y.b);
    return x.cell < y.cell;
}

// Every edge of every cell, sorted, so the cells on both sides of an edge are adjacent entries.
std::vector<CellSide> cell_sides(const std::vector<MultiPolygon>& cells) {
    std::vector<CellSide> sides;
    for (std::uint32_t c = 0; c < cells.size(); ++c)
        for (const auto& poly : cells[c].polygons)
            for (const auto& ring : poly.rings)
                for (std::size_t i = 0; i + 1 < ring.size(); ++i) {
                    LonLat p = ring[i], q = ring[i + 1];
                    if (lex_less(q, p))
                        std::swap(p, q);
                    sides.push_back({p, q, c});
                }
    std::sort(sides.begin(), sides.end(), side_less);
    return sides;
}

// How far (perpendicular, in coordinate units) a point at parameter t of the segment a-b may move
// towards generator g and stay inside the triangle (a, b, g).
double room_towards(LonLat a, LonLat b, LonLat g, double t) {
    const double dx = b.lon - a.lon, dy = b.lat - a.lat, len2 = dx * dx + dy * dy;
    const double h = std::abs(cross(a, b, g)) / std::sqrt(len2);
    const double s = ((g.lon - a.lon) * dx + (g.lat - a.lat) * dy) / len2;
    double room = std::numeric_limits<double>::infinity();
    if (s > 0)
        room = std::min(room, h * t / s);
    if (s < 1)
        room = std::min(room, h * (1 - t) / (1 - s));
    return room;
}

// The extra vertices of the edge a-b (a < b) between the cells of generators `left` (left of
// a->b) and `right`, in order from a to b: about one per `spacing`, displaced sideways by at most
// a third of `spacing` and by at most half the room inside the triangle (a, b, generator) on the
// side it moves to. A pure function of its arguments, so both grids sharing the edge compute the
// same doubles.
void edge_detail(LonLat a, LonLat b, LonLat left, LonLat right, double spacing, std::uint64_t seed,
                 std::vector<LonLat>& out) {
    SmallRng rng(mix(mix(mix(mix(seed, a.lon), a.lat), b.lon), b.lat));
    const double dx = b.lon - a.lon, dy = b.lat - a.lat, len = std::hypot(dx, dy);
    const double nx = -dy / len, ny = dx / len; // unit normal to the left of a->b
    const int m = std::min(400, static_cast<int>(len / spacing + rng.uniform()));
    for (int j = 0; j < m; ++j) {
        const double t = (j + 1 + 0.6 * (rng.uniform() - 0.5)) / (m + 1); // increasing in j
        const bool to_left = rng.uniform() < 0.5;
        const double room = room_towards(a, b, to_left ? left : right, t);
        const double d = rng.uniform() * std::min(spacing / 3, room / 2) * (to_left ? 1 : -1);
        out.push_back({a.lon + t * dx + d * nx, a.lat + t * dy + d * ny});
    }
}

struct TilingStats {
    std::size_t generators = 0;
    std::size_t empty_grids = 0;
    std::size_t multipart_grids = 0;
    std::size_t grids_with_holes = 0;
    std::size_t vertices_min = 0, vertices_max = 0, vertices_total = 0;
    std::size_t vertices_before_detail = 0; // all grids, straight from coverage_union
    std::size_t plain_edges = 0;            // grid edges left straight (the region's boundary)
    double seconds = 0;
};

struct Tiling {
    std::vector<MultiPolygon> grids;
    TilingStats stats;
};

void check_valid(const std::vector<MultiPolygon>& grids) {
    auto* ctx = detail::geos_context();
    std::size_t invalid = 0;
    for (std::size_t i = 0; i < grids.size(); ++i) {
        if (grids[i].polygons.empty())
            continue;
        auto g = detail::to_geos(Geometry{grids[i]});
        if (GEOSisValid_r(ctx, g.get()) != 1) {
            if (invalid < 5) {
                char* reason = GEOSisValidReason_r(ctx, g.get());
                std::printf("  invalid grid %zu: %s\n", i, reason ? reason : "?");
                GEOSFree_r(ctx, reason);
            }
            ++invalid;
        }
    }
    if (invalid)
        throw std::runtime_error("the generated tiling has " + std::to_string(invalid) +
                                 " invalid grids");
}

Tiling build_tiling(std::size_t grid_count, int cells_per_grid, std::uint64_t seed) {
    const auto t_start = Clock::now();
    const std::size_t n = grid_count * static_cast<std::size_t>(cells_per_grid);
    std::printf("building a tiling of %zu grids: %zu generators, %d cells per grid\n", grid_count,
                n, cells_per_grid);
    flush();

    // Generators: 40 % uniform (countryside), 60 % around the towns.
    const auto towns = make_towns(seed);
    Rng rng(mix(seed ^ 0x67656e73ull));
    std::vector<LonLat> generators(n);
    for (auto& g : generators)
        g = rng.uniform() < 0.4 ? LonLat{rng.uniform(region_box.min_x, region_box.max_x),
                                         rng.uniform(region_box.min_y, region_box.max_y)}
                                : near_town(rng, towns, region_box);

    auto t0 = Clock::now();
    VoronoiPartition partition = voronoi_partition(generators, region_polygon());
    std::printf("  voronoi_partition: %.1f s\n", seconds_since(t0));
    flush();

    t0 = Clock::now();
    std::vector<std::uint32_t> idx(n);
    for (std::uint32_t i = 0; i < n; ++i)
        idx[i] = i;
    std::vector<std::vector<std::uint32_t>> groups;
    groups.reserve(grid_count);
    bisect(idx, 0, n, grid_count, generators, groups);
    const std::vector<CellSide> sides = cell_sides(partition.cells);
    std::printf("  grouping and edge table: %.1f s\n", seconds_since(t0));
    flush();

    t0 = Clock::now();
    Tiling tiling;
    tiling.grids.reserve(grid_count);
    std::vector<MultiPolygon> parts;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        parts.clear();
        for (auto c : groups[g])
            parts.push_back(partition.cells[c]);
        tiling.grids.push_back(coverage_union(parts));
        if ((g + 1) % (grid_count / 5 + 1) == 0) {
            std::printf("  coverage_union: %zu / %zu grids (%.1f s)\n", g + 1, grid_count,
                        seconds_since(t0));
            flush();
        }
    }
    std::printf("  coverage_union: %.1f s\n", seconds_since(t0));
    flush();

    // Detail along the edges between grids.
    t0 = Clock::now();
    const double spacing =
        std::sqrt((region_box.max_x - region_box.min_x) * (region_box.max_y - region_box.min_y) /
                  static_cast<double>(grid_count)) /
        12;
    const std::uint64_t detail_seed = mix(seed ^ 0x64657461696cull);
    std::vector<LonLat> extra;
    for (auto& grid : tiling.grids)
        for (auto& poly : grid.polygons)
            for (auto& ring : poly.rings) {
                tiling.stats.vertices_before_detail += ring.size();
                Ring detailed{ring.front()};
                for (std::size_t i = 0; i + 1 < ring.size(); ++i) {
                    const LonLat p = ring[i], q = ring[i + 1];
                    const bool forward = lex_less(p, q);
                    const LonLat a = forward ? p : q, b = forward ? q : p;
                    auto lo =
                        std::lower_bound(sides.begin(), sides.end(), CellSide{a, b, 0}, side_less);
                    // An edge between two grids borders exactly two cells.
                    if (sides.end() - lo >= 2 && lo[0].a == a && lo[0].b == b && lo[1].a == a &&
                        lo[1].b == b && (sides.end() - lo == 2 || lo[2].a != a || lo[2].b != b)) {
                        LonLat g1 = generators[lo[0].cell], g2 = generators[lo[1].cell];
                        const double s1 = cross(a, b, g1), s2 = cross(a, b, g2);
                        if (s1 < 0 && s2 > 0)
                            std::swap(g1, g2);
                        if ((s1 > 0 && s2 < 0) || (s1 < 0 && s2 > 0)) {
                            extra.clear();
                            edge_detail(a, b, g1, g2, spacing, detail_seed, extra);
                            if (!forward)
                                std::reverse(extra.begin(), extra.end());
                            detailed.insert(detailed.end(), extra.begin(), extra.end());
                        } else {
                            ++tiling.stats.plain_edges;
                        }
                    } else {
                        ++tiling.stats.plain_edges;
                    }
                    detailed.push_back(q);
                }
                ring = std::move(detailed);
            }
    std::printf("  edge detail: %.1f s\n", seconds_since(t0));
    flush();

    t0 = Clock::now();
    check_valid(tiling.grids);
    std::printf("  validity check (GEOSisValid per grid): %.1f s\n", seconds_since(t0));

    auto& s = tiling.stats;
    s.generators = n;
    s.vertices_min = std::numeric_limits<std::size_t>::max();
    for (const auto& grid : tiling.grids) {
        if (grid.polygons.empty()) {
            ++s.empty_grids;
            continue;
        }
        const std::size_t v = vertex_count(Geometry{grid});
        s.vertices_min = std::min(s.vertices_min, v);
        s.vertices_max = std::max(s.vertices_max, v);
        s.vertices_total += v;
        if (grid.polygons.size() > 1)
            ++s.multipart_grids;
        for (const auto& poly : grid.polygons)
            if (poly.rings.size() > 1) {
                ++s.grids_with_holes;
                break;
            }
    }
    s.seconds = seconds_since(t_start);
    return tiling;
}

void print_tiling(const Tiling& t) {
    const auto& s = t.stats;
    const std::size_t counted = t.grids.size() - s.empty_grids;
    std::printf("tiling: %zu grids (%zu empty, %zu multi-part, %zu with holes), vertices per grid "
                "min %zu / avg %.1f / max %zu (avg %.1f before edge detail), %.2f M vertices; %zu "
                "straight edges (outer boundary); built in %.1f s\n",
                t.grids.size(), s.empty_grids, s.multipart_grids, s.grids_with_holes,
                s.vertices_min, counted ? static_cast<double>(s.vertices_total) / counted : 0.0,
                s.vertices_max,
                counted ? static_cast<double>(s.vertices_before_detail) / counted : 0.0,
                static_cast<double>(s.vertices_total) / 1e6, s.plain_edges, s.seconds);
}

// ---- query points ----

// 3/4 uniform over the region's bounding box grown by 5 % on each side (a sixth of those fall
// outside the tiling), 1/4 around the towns (where GPS fixes concentrate); in random order.
std::vector<LonLat> make_points(std::size_t count, std::uint64_t seed) {
    const auto towns = make_towns(seed);
    const double mx = 0.05 * (region_box.max_x - region_box.min_x),
                 my = 0.05 * (region_box.max_y - region_box.min_y);
    const BBox extent{region_box.min_x - mx, region_box.min_y - my, region_box.max_x + mx,
                      region_box.max_y + my};
    Rng rng(mix(seed ^ 0x706f696e7473ull));
    std::vector<LonLat> pts(count);
    for (auto& p : pts)
        p = rng.uniform() < 0.75 ? LonLat{rng.uniform(extent.min_x, extent.max_x),
                                          rng.uniform(extent.min_y, extent.max_y)}
                                 : near_town(rng, towns, extent);
    return pts;
}

// ---- the GEOS baseline ----

struct TreeDeleter {
    void operator()(GEOSSTRtree* t) const { GEOSSTRtree_destroy_r(detail::geos_context(), t); }
};

// STRtree of the grids' envelopes + a prepared geometry per grid, on the calling thread's GEOS
// context. Thread-compatible: use it on the thread that built it.
class GeosBaseline {
public:
    explicit GeosBaseline(std::span<const MultiPolygon> grids)
        : m_ctx(detail::geos_context())
        , m_tree(GEOSSTRtree_create_r(m_ctx, 10)) {
        if (!m_tree)
            throw std::runtime_error("GEOSSTRtree_create_r failed");
        m_geoms.reserve(grids.size());
        m_prepared.reserve(grids.size());
        for (std::size_t i = 0; i < grids.size(); ++i) {
            m_geoms.push_back(detail::to_geos(Geometry{grids[i]}));
            m_prepared.emplace_back(GEOSPrepare_r(m_ctx, m_geoms.back().get()));
            if (!m_prepared.back())
                throw std::runtime_error("GEOSPrepare_r failed: " + detail::geos_last_error());
            if (!grids[i].polygons.empty())
                GEOSSTRtree_insert_r(m_ctx, m_tree.get(), m_geoms.back().get(), item_of(i));
        }
        // The tree is built on the first query and each prepared geometry builds its point
        // locator on first use: do both now, as a long-running server would have.
        auto probe = detail::to_geos_point({0, 0});
        GEOSSTRtree_query_r(
            m_ctx, m_tree.get(), probe.get(), [](void*, void*) {}, nullptr);
        for (std::size_t i = 0; i < grids.size(); ++i) {
            if (grids[i].polygons.empty())
                continue;
            const BBox b = bbox_of(Geometry{grids[i]});
            auto centre = detail::to_geos_point({(b.min_x + b.max_x) / 2, (b.min_y + b.max_y) / 2});
            if (GEOSPreparedCovers_r(m_ctx, m_prepared[i].get(), centre.get()) == 2)
                throw std::runtime_error("GEOSPreparedCovers_r: " + detail::geos_last_error());
        }
    }

    // The first grid (in tree order) whose prepared geometry covers p, or `none`.
    std::uint32_t locate(LonLat p) {
        detail::GeomPtr point(GEOSGeom_createPointFromXY_r(m_ctx, p.lon, p.lat));
        if (!point)
            throw std::runtime_error("GEOSGeom_createPointFromXY_r failed");
        Query q{this, point.get(), none};
        GEOSSTRtree_query_r(m_ctx, m_tree.get(), point.get(), &first_covering, &q);
        if (q.error)
            throw std::runtime_error("GEOSPreparedCovers_r: " + detail::geos_last_error());
        return q.hit;
    }

    // GEOS's verdict on p against grid `id`: 0 outside, 1 on the boundary, 2 in the interior.
    int relate(std::uint32_t id, LonLat p) {
        auto point = detail::to_geos_point(p);
        const char covers = GEOSPreparedCovers_r(m_ctx, m_prepared[id].get(), point.get());
        const char contains = GEOSPreparedContains_r(m_ctx, m_prepared[id].get(), point.get());
        if (covers == 2 || contains == 2)
            throw std::runtime_error("GEOS predicate: " + detail::geos_last_error());
        return contains ? 2 : covers ? 1 : 0;
    }

    // Grids whose interior contains p (every candidate tested): more than one means overlap.
    std::size_t count_containing(LonLat p) {
        auto point = detail::to_geos_point(p);
        struct Count {
            GeosBaseline* self;
            const GEOSGeometry* point;
            std::size_t n = 0;
        } count{this, point.get()};
        GEOSSTRtree_query_r(
            m_ctx, m_tree.get(), point.get(),
            [](void* item, void* user) {
                auto* q = static_cast<Count*>(user);
                q->n += GEOSPreparedContains_r(
                            q->self->m_ctx, q->self->m_prepared[id_of(item)].get(), q->point) == 1;
            },
            &count);
        return count.n;
    }

private:
    struct Query {
        GeosBaseline* self;
        const GEOSGeometry* point;
        std::uint32_t hit;
        bool error = false;
    };

    // Items are id + 1: a null item pointer is best avoided.
    static void* item_of(std::size_t id) {
        return reinterpret_cast<void*>(static_cast<std::uintptr_t>(id) + 1);
    }
    static std::uint32_t id_of(void* item) {
        return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(item) - 1);
    }

    // The STRtree visits every candidate; after the first hit the rest are skipped cheaply.
    static void first_covering(void* item, void* user) {
        auto* q = static_cast<Query*>(user);
        if (q->hit != none)
            return;
        const std::uint32_t id = id_of(item);
        const char r =
            GEOSPreparedCovers_r(q->self->m_ctx, q->self->m_prepared[id].get(), q->point);
        if (r == 1)
            q->hit = id;
        else if (r == 2)
            q->error = true;
    }

    GEOSContextHandle_t m_ctx;
    // Destroyed in reverse order: the tree and the prepared geometries before the geometries.
    std::vector<detail::GeomPtr> m_geoms;
    std::vector<detail::PreparedPtr> m_prepared;
    std::unique_ptr<GEOSSTRtree, TreeDeleter> m_tree;
};

// ---- PostGIS ----

struct PostgisResult {
    double seconds = 0;
    std::vector<std::uint32_t> ids; // smallest covering grid id per point, or `none`
    std::size_t extra_rows = 0;     // points covered by more than one grid (boundary points)
};

#ifdef TESSERA_BENCH_HAVE_LIBPQ
using namespace tessera::bench;

void append_ewkt(std::string& s, const MultiPolygon& mp) {
    s += "SRID=4326;MULTIPOLYGON(";
    for (std::size_t i = 0; i < mp.polygons.size(); ++i) {
        s += i ? ",(" : "(";
        for (std::size_t j = 0; j < mp.polygons[i].rings.size(); ++j) {
            s += j ? ",(" : "(";
            const Ring& ring = mp.polygons[i].rings[j];
            for (std::size_t k = 0; k < ring.size(); ++k) {
                if (k)
                    s += ',';
                append_double(s, ring[k].lon);
                s += ' ';
                append_double(s, ring[k].lat);
            }
            s += ')';
        }
        s += ')';
    }
    s += ')';
}

// The polygon-outer join on one core (parallel workers off), timed with the transfer of the
// results; loading and indexing are not timed. Temporary tables vanish with the session.
std::optional<PostgisResult> run_postgis(const char* conninfo, std::span<const MultiPolygon> grids,
                                         std::span<const LonLat> points) {
    PgConn conn = pg_connect(conninfo); // throws: skipped, saying why
    PGconn* c = conn.get();
    PgResult version = pg_exec(c, "SELECT postgis_full_version()", PGRES_TUPLES_OK);
    std::printf("PostGIS: %s\n", PQgetvalue(version.get(), 0, 0));
    flush();

    auto t0 = Clock::now();
    pg_exec(c, "SET max_parallel_workers_per_gather = 0");
    pg_exec(c, "CREATE TEMP TABLE tessera_bench_grid (id integer PRIMARY KEY, "
               "geom geometry(MultiPolygon, 4326) NOT NULL)");
    std::size_t next = 0;
    pg_copy_in(c, "COPY tessera_bench_grid (id, geom) FROM STDIN", [&](std::string& s) {
        while (next < grids.size() && grids[next].polygons.empty())
            ++next;
        if (next == grids.size())
            return false;
        s += std::to_string(next) + '\t';
        append_ewkt(s, grids[next]);
        s += '\n';
        ++next;
        return true;
    });
    pg_exec(c, "CREATE INDEX ON tessera_bench_grid USING gist (geom)");
    pg_exec(c, "CREATE TEMP TABLE tessera_bench_point (id integer PRIMARY KEY, "
               "geom geometry(Point, 4326) NOT NULL)");
    next = 0;
    pg_copy_in(c, "COPY tessera_bench_point (id, geom) FROM STDIN", [&](std::string& s) {
        if (next == points.size())
            return false;
        s += std::to_string(next) + "\tSRID=4326;POINT(";
        append_double(s, points[next].lon);
        s += ' ';
        append_double(s, points[next].lat);
        s += ")\n";
        ++next;
        return true;
    });
    pg_exec(c, "ANALYZE tessera_bench_grid");
    pg_exec(c, "ANALYZE tessera_bench_point");
    std::printf("PostGIS: loaded and indexed in %.1f s (not timed)\n", seconds_since(t0));
    flush();

    PostgisResult out;
    t0 = Clock::now();
    PgResult rows = pg_exec(c,
                            "SELECT p.id, g.id FROM tessera_bench_point p "
                            "LEFT JOIN tessera_bench_grid g ON ST_Covers(g.geom, p.geom)",
                            PGRES_TUPLES_OK);
    out.ids.assign(points.size(), none);
    std::vector<bool> seen(points.size(), false);
    const int n = PQntuples(rows.get());
    for (int i = 0; i < n; ++i) {
        const auto p = std::strtoul(PQgetvalue(rows.get(), i, 0), nullptr, 10);
        if (p >= points.size())
            throw std::runtime_error("PostGIS returned an unknown point id");
        if (seen[p])
            ++out.extra_rows;
        seen[p] = true;
        if (!PQgetisnull(rows.get(), i, 1))
            out.ids[p] = std::min(out.ids[p], static_cast<std::uint32_t>(std::strtoul(
                                                  PQgetvalue(rows.get(), i, 1), nullptr, 10)));
    }
    out.seconds = seconds_since(t0);
    return out;
}
#endif

std::optional<PostgisResult> maybe_postgis([[maybe_unused]] std::span<const MultiPolygon> grids,
                                           [[maybe_unused]] std::span<const LonLat> points) {
    const char* conninfo = std::getenv("TESSERA_BENCH_PG");
    if (!conninfo || !*conninfo) {
        std::printf("PostGIS: skipped (no server: set TESSERA_BENCH_PG)\n");
        return std::nullopt;
    }
#ifdef TESSERA_BENCH_HAVE_LIBPQ
    try {
        return run_postgis(conninfo, grids, points);
    } catch (const std::exception& e) {
        std::printf("PostGIS: skipped (%s)\n", e.what());
        return std::nullopt;
    }
#else
    std::printf("PostGIS: skipped (built without libpq; install libpq-dev and reconfigure)\n");
    return std::nullopt;
#endif
}

// ---- Tessera ----

// Seconds for locate() over all points split into `threads` contiguous ranges.
double run_tessera(const LocateIndex& index, std::span<const LonLat> points,
                   std::span<std::uint32_t> out, int threads) {
    const auto t0 = Clock::now();
    if (threads == 1) {
        index.locate(points, out);
    } else {
        std::vector<std::thread> workers;
        const std::size_t chunk = (points.size() + threads - 1) / threads;
        for (std::size_t begin = 0; begin < points.size(); begin += chunk) {
            const std::size_t len = std::min(chunk, points.size() - begin);
            workers.emplace_back([&, begin, len] {
                index.locate(points.subspan(begin, len), out.subspan(begin, len));
            });
        }
        for (auto& w : workers)
            w.join();
    }
    return seconds_since(t0);
}

// ---- one tiling ----

struct Figures {
    std::size_t grids = 0;
    double vertices_avg = 0;
    double geos_rate = 0;
    std::optional<double> postgis_rate;
    double tessera_rate = 0;
    double tessera_rate_mt = 0;
    double build_seconds = 0;
    std::size_t memory_bytes = 0;
    bool failed = false;
};

std::string rate(double points_per_second) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f M", points_per_second / 1e6);
    return buf;
}

const char* verdict(bool met) {
    return met ? "met" : "MISSED";
}

Figures run_tiling(std::size_t grid_count, std::span<const LonLat> points, const Options& o) {
    std::printf("\n=== %zu grids ===\n", grid_count);
    Tiling tiling = build_tiling(grid_count, o.cells_per_grid, o.seed);
    print_tiling(tiling);
    const std::size_t counted = tiling.grids.size() - tiling.stats.empty_grids;
    Figures f;
    f.grids = grid_count;
    f.vertices_avg =
        counted ? static_cast<double>(tiling.stats.vertices_total) / static_cast<double>(counted)
                : 0;
    const double n = static_cast<double>(points.size());
    flush();

    // GEOS
    std::size_t heap0 = heap_in_use();
    auto t0 = Clock::now();
    GeosBaseline geos(tiling.grids);
    const double geos_build = seconds_since(t0);
    const std::size_t geos_heap = heap_in_use() - std::min(heap0, heap_in_use());
    std::printf("GEOS: STRtree + %zu prepared geometries built and warmed in %.2f s (heap +%.0f "
                "MiB)\n",
                tiling.grids.size(), geos_build, mib(geos_heap));
    flush();
    std::vector<std::uint32_t> geos_ids(points.size());
    t0 = Clock::now();
    for (std::size_t i = 0; i < points.size(); ++i)
        geos_ids[i] = geos.locate(points[i]);
    const double geos_seconds = seconds_since(t0);
    f.geos_rate = n / geos_seconds;
    std::printf("GEOS: %zu points in %.2f s\n", points.size(), geos_seconds);
    flush();

    // The tiling itself: no point of a sample lies in the interior of two grids.
    const std::size_t sample = std::min<std::size_t>(points.size(), 100'000);
    std::size_t overlaps = 0;
    for (std::size_t i = 0; i < sample; ++i)
        overlaps += geos.count_containing(points[i]) > 1;
    if (overlaps) {
        std::printf("FAIL: %zu of %zu sample points lie inside two grids: the tiling overlaps\n",
                    overlaps, sample);
        f.failed = true;
    }

    // PostGIS
    std::optional<PostgisResult> pg = maybe_postgis(tiling.grids, points);
    std::size_t pg_disagreements = 0;
    if (pg) {
        f.postgis_rate = n / pg->seconds;
        for (std::size_t i = 0; i < points.size(); ++i)
            if (pg->ids[i] != geos_ids[i] &&
                !((pg->ids[i] != none && geos.relate(pg->ids[i], points[i]) == 1) ||
                  (geos_ids[i] != none && geos.relate(geos_ids[i], points[i]) == 1)))
                ++pg_disagreements;
    }

    // Tessera
    heap0 = heap_in_use();
    t0 = Clock::now();
    LocateIndex index(tiling.grids, o.index);
    f.build_seconds = seconds_since(t0);
    f.memory_bytes = index.memory_bytes();
    const std::size_t tessera_heap = heap_in_use() - std::min(heap0, heap_in_use());
    const LocateIndex::Stats st = index.stats();
    std::printf("Tessera: LocateIndex built in %.3f s, memory_bytes %.1f MiB (heap +%.1f MiB); "
                "cells %zu: %zu interior, %zu empty, %zu boundary -> %zu sub-cells, %zu edge "
                "refs\n",
                f.build_seconds, mib(f.memory_bytes), mib(tessera_heap), st.cells,
                st.interior_cells, st.empty_cells, st.boundary_cells, st.boundary_subcells,
                st.stored_edges);
    flush();
    std::vector<std::uint32_t> ids(points.size()), ids_mt(points.size());
    std::vector<double> times;
    for (int r = 0; r < o.reps; ++r)
        times.push_back(run_tessera(index, points, ids, 1));
    f.tessera_rate = n / median(times);
    times.clear();
    for (int r = 0; r < o.reps; ++r)
        times.push_back(run_tessera(index, points, ids_mt, o.threads));
    f.tessera_rate_mt = n / median(times);

    // Correctness: Tessera against GEOS.
    std::size_t located = 0, outside = 0, on_boundary = 0, wrong = 0, mt_mismatch = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
        (ids[i] == none ? outside : located) += 1;
        mt_mismatch += ids_mt[i] != ids[i];
        if (ids[i] == geos_ids[i])
            continue;
        // Allowed only when the point is on the boundary of one of the two grids.
        if ((ids[i] != none && ids[i] < tiling.grids.size() &&
             geos.relate(ids[i], points[i]) == 1) ||
            (geos_ids[i] != none && geos.relate(geos_ids[i], points[i]) == 1)) {
            ++on_boundary;
            continue;
        }
        if (wrong < 10)
            std::printf("  DISAGREEMENT at (%.17g, %.17g): Tessera %d, GEOS %d\n", points[i].lon,
                        points[i].lat, ids[i] == none ? -1 : static_cast<int>(ids[i]),
                        geos_ids[i] == none ? -1 : static_cast<int>(geos_ids[i]));
        ++wrong;
    }

    std::printf("\nlocate %zu points (%zu located, %zu outside every grid)\n", points.size(),
                located, outside);
    std::printf("  %-40s %14s %10s\n", "method", "points/s", "vs GEOS");
    std::printf("  %-40s %14s %9.2fx\n", "GEOS STRtree + prepared, 1 thread",
                rate(f.geos_rate).c_str(), 1.0);
    if (f.postgis_rate)
        std::printf("  %-40s %14s %9.2fx\n", "PostGIS LEFT JOIN ST_Covers, 1 core",
                    rate(*f.postgis_rate).c_str(), *f.postgis_rate / f.geos_rate);
    else
        std::printf("  %-40s %14s %10s\n", "PostGIS", "skipped", "");
    std::printf("  %-40s %14s %9.1fx\n", "Tessera LocateIndex, 1 thread",
                rate(f.tessera_rate).c_str(), f.tessera_rate / f.geos_rate);
    std::string mt_label = "Tessera LocateIndex, " + std::to_string(o.threads) + " threads";
    std::printf("  %-40s %14s %9.1fx   (%s per thread)\n", mt_label.c_str(),
                rate(f.tessera_rate_mt).c_str(), f.tessera_rate_mt / f.geos_rate,
                rate(f.tessera_rate_mt / o.threads).c_str());
    std::printf("correctness: %zu disagreements with GEOS off the boundary, %zu on a boundary; "
                "%zu differences between 1 and %d threads",
                wrong, on_boundary, mt_mismatch, o.threads);
    if (pg)
        std::printf("; PostGIS: %zu disagreements with GEOS off the boundary, %zu points in two "
                    "grids",
                    pg_disagreements, pg->extra_rows);
    std::printf("\n");
    if (wrong || mt_mismatch)
        f.failed = true;

    std::printf("targets (issue 3): >= 45 M points/s/core: %s (%s); >= 100x GEOS: %s (%.1fx); "
                "build %s 1 s: %s (%.3f s); memory %s 200 MB: %s (%.1f MB)\n",
                rate(f.tessera_rate).c_str(), verdict(f.tessera_rate >= 45e6),
                verdict(f.tessera_rate >= 100 * f.geos_rate), f.tessera_rate / f.geos_rate,
                "<=", verdict(f.build_seconds <= 1), f.build_seconds,
                "<=", verdict(f.memory_bytes <= 200'000'000), f.memory_bytes / 1e6);
    flush();
    return f;
}

} // namespace

int main(int argc, char** argv) {
    const Options o = parse_options(argc, argv);
    try {
        std::printf("locate_bench: seed %llu, %zu query points, Tessera median of %d runs, "
                    "LocateIndex cells_per_polygon %g refine %d, %u hardware threads\n",
                    static_cast<unsigned long long>(o.seed), o.points, o.reps,
                    o.index.cells_per_polygon, o.index.refine, std::thread::hardware_concurrency());
        const auto t0 = Clock::now();
        const std::vector<LonLat> points = make_points(o.points, o.seed);
        std::printf("query points generated in %.2f s\n", seconds_since(t0));

        std::vector<Figures> all;
        for (auto n : o.grid_counts)
            all.push_back(run_tiling(n, points, o));

        std::printf("\n=== summary (points/s; GEOS and Tessera 1 thread) ===\n");
        std::printf("%8s %9s %10s %10s %10s %8s %10s %9s %10s\n", "grids", "vtx/grid", "GEOS",
                    "PostGIS", "Tessera", "ratio", "Tessera-mt", "build s", "index MB");
        bool failed = false;
        for (const auto& f : all) {
            std::printf("%8zu %9.1f %10s %10s %10s %7.1fx %10s %9.3f %10.1f\n", f.grids,
                        f.vertices_avg, rate(f.geos_rate).c_str(),
                        f.postgis_rate ? rate(*f.postgis_rate).c_str() : "skipped",
                        rate(f.tessera_rate).c_str(), f.tessera_rate / f.geos_rate,
                        rate(f.tessera_rate_mt).c_str(), f.build_seconds, f.memory_bytes / 1e6);
            failed = failed || f.failed;
        }
        if (failed) {
            std::printf("FAILED: see the disagreements above\n");
            return 1;
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "locate_bench: %s\n", e.what());
        return 1;
    }
}
