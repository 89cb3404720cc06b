// Patrol coverage audit (issue 7): 10^8 officers' GPS fixes against the demo city's ~10 k grids,
// from a binary columnar file.
//
// The grids and buildings are the demo city's (var/demo.db, `make demo`). The fixes are made
// up once and kept in a columnar file (--fixes-file, rebuilt when missing or of another size):
// one officer per grid walks it for the month, 30 s between fixes, at about 1.2 m/s with a
// wandering heading, turning back at the edge of the grid's box, in sessions of three hours
// with a day between them. The file is the columns PatrolAudit reads (FixColumns), so loading
// is an mmap:
//
//   "TSFIXES1" | u64 n | u32 officer[n] | pad to 8 | i64 time_ms[n] | f64 lon,lat[n]
//
// Timed: mapping the file and touching its pages (load), building the engine (the grids'
// locate index, the households located), and one audit run over the whole month on --threads
// threads: every fix located, stays by the dwell rule, distances inside grids with the boundary
// crossings split to a metre, the ground within 50 m of the tracks on 5 m cells, and the area
// and household shares of every grid. The median of --reps runs is reported.
//
// Checks, so that a fast wrong answer fails (exit status 1): the fixes counted per grid equal an
// independent count from a separate locate pass; the distance walked inside grids equals, within
// 0.5 %, the length of the joined segments whose ends lie in grids (the rest cross the city's
// edge); a run on one thread gives the same figures as the run on --threads.
//
// PostGIS (with bench/with_postgis.sh, on the first --pg-fixes fixes of the same file): the
// audit as one would write it in SQL: fixes located by ST_Covers, segments by LAG() per officer
// within the gap, the length inside each grid by ST_Intersection on geography, and the covered
// share as the area of the grid's intersection with the union of 50 m buffers of its segments.
// Times are compared per million fixes.
//
// Usage: audit_bench [--db var/demo.db] [--fixes N] [--fixes-file PATH] [--threads T]
//                    [--reps R] [--pg-fixes N]
// Figures and how to reproduce them: docs/benchmarks.md.
#include "data/patrol_audit.hpp"
#include "geo/locate_index.hpp"
#include "geo/measure.hpp"
#include "geo/ops.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

#ifdef TESSERA_BENCH_HAVE_LIBPQ
#include "bench/pg.hpp"
#include "geo/wkb.hpp"
#endif

using namespace tessera;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    std::filesystem::path db = "var/demo.db";
    std::size_t fixes = 100'000'000;
    std::filesystem::path file = "build/bench/audit_fixes.bin";
    int threads = 2;
    int reps = 3;
    std::size_t pg_fixes = 1'000'000;
};

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr,
                 "audit_bench: %s\nusage: audit_bench [--db var/demo.db] [--fixes N] "
                 "[--fixes-file PATH] [--threads T] [--reps R] [--pg-fixes N]\n",
                 why.c_str());
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc)
            usage(a + " needs a value");
        const std::string v = argv[++i];
        const auto count = [&] {
            char* end = nullptr;
            const double d = std::strtod(v.c_str(), &end);
            if (*end || !(d >= 1))
                usage(a + " takes a positive number, got '" + v + "'");
            return static_cast<std::size_t>(d);
        };
        if (a == "--db")
            o.db = v;
        else if (a == "--fixes")
            o.fixes = count();
        else if (a == "--fixes-file")
            o.file = v;
        else if (a == "--threads")
            o.threads = static_cast<int>(count());
        else if (a == "--reps")
            o.reps = static_cast<int>(count());
        else if (a == "--pg-fixes")
            o.pg_fixes = count();
        else
            usage("unknown option " + a);
    }
    return o;
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---- the columnar file ----

constexpr char magic[8] = {'T', 'S', 'F', 'I', 'X', 'E', 'S', '1'};

std::size_t padded(std::size_t bytes) {
    return (bytes + 7) / 8 * 8;
}

std::size_t file_size_for(std::size_t n) {
    return 16 + padded(4 * n) + 8 * n + 16 * n;
}

// Writes `n` fixes of officers walking their grids (see the header) into `path`.
void write_fixes(const std::filesystem::path& path, std::size_t n,
                 const std::vector<geo::MultiPolygon>& grids) {
    const auto start = Clock::now();
    const std::size_t officers = grids.size();
    const std::size_t per_officer = (n + officers - 1) / officers;
    constexpr std::int64_t step_ms = 30'000;
    constexpr std::size_t session = 360;                // three hours
    const std::int64_t month_start = 1'793'462'400'000; // 2026-11-01T00:00:00+08:00

    std::vector<std::uint32_t> officer(n);
    std::vector<std::int64_t> time_ms(n);
    std::vector<geo::LonLat> position(n);
    std::mt19937_64 rng(7);
    std::normal_distribution<double> turn(0, 0.35), pace(1.2, 0.2);
    std::size_t k = 0;
    for (std::size_t o = 0; o < officers && k < n; ++o) {
        const geo::BBox box = geo::bbox_of(geo::Geometry{grids[o]});
        geo::LonLat p = geo::point_on_surface(geo::Geometry{grids[o]});
        const geo::MetresPerDegree scale = geo::metres_per_degree(p.lat);
        double heading = std::uniform_real_distribution<double>(0, 2 * std::numbers::pi)(rng);
        for (std::size_t i = 0; i < per_officer && k < n; ++i, ++k) {
            const std::size_t day = i / session;
            officer[k] = static_cast<std::uint32_t>(o);
            time_ms[k] = month_start + static_cast<std::int64_t>(day) * 86'400'000 +
                         static_cast<std::int64_t>(o % 600) * 60'000 +
                         static_cast<std::int64_t>(i % session) * step_ms;
            position[k] = p;
            heading += turn(rng);
            const double metres = std::max(0.0, pace(rng)) * 30;
            geo::LonLat next{p.lon + std::sin(heading) * metres / scale.lon,
                             p.lat + std::cos(heading) * metres / scale.lat};
            if (!box.contains(next)) {
                heading += std::numbers::pi;
                next = p;
            }
            p = next;
        }
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(magic, 8);
    const std::uint64_t count = n;
    out.write(reinterpret_cast<const char*>(&count), 8);
    out.write(reinterpret_cast<const char*>(officer.data()), static_cast<std::streamsize>(4 * n));
    const char zeros[8] = {};
    out.write(zeros, static_cast<std::streamsize>(padded(4 * n) - 4 * n));
    out.write(reinterpret_cast<const char*>(time_ms.data()), static_cast<std::streamsize>(8 * n));
    out.write(reinterpret_cast<const char*>(position.data()), static_cast<std::streamsize>(16 * n));
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
    std::printf("wrote %zu fixes of %zu officers to %s (%.1f GB) in %.1f s\n", n, officers,
                path.c_str(), static_cast<double>(file_size_for(n)) / 1e9, seconds_since(start));
}

// The file mapped into memory, read as columns.
class MappedFixes {
public:
    explicit MappedFixes(const std::filesystem::path& path) {
        const int fd = ::open(path.c_str(), O_RDONLY);
        if (fd < 0)
            throw std::runtime_error("cannot open " + path.string());
        struct stat st {};
        ::fstat(fd, &st);
        m_size = static_cast<std::size_t>(st.st_size);
        m_data = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        ::close(fd);
        if (m_data == MAP_FAILED)
            throw std::runtime_error("cannot map " + path.string());
        const auto* bytes = static_cast<const char*>(m_data);
        std::uint64_t n = 0;
        if (m_size < 16 || std::memcmp(bytes, magic, 8) != 0)
            throw std::runtime_error(path.string() + " is not a fixes file");
        std::memcpy(&n, bytes + 8, 8);
        if (file_size_for(n) != m_size)
            throw std::runtime_error(path.string() + " is truncated");
        const auto* officer = reinterpret_cast<const std::uint32_t*>(bytes + 16);
        const auto* time = reinterpret_cast<const std::int64_t*>(bytes + 16 + padded(4 * n));
        const auto* position =
            reinterpret_cast<const geo::LonLat*>(bytes + 16 + padded(4 * n) + 8 * n);
        m_columns = {{officer, n}, {time, n}, {position, n}};
    }
    ~MappedFixes() { ::munmap(m_data, m_size); }
    MappedFixes(const MappedFixes&) = delete;
    MappedFixes& operator=(const MappedFixes&) = delete;

    const data::FixColumns& columns() const { return m_columns; }
    std::size_t bytes() const { return m_size; }

private:
    void* m_data = nullptr;
    std::size_t m_size = 0;
    data::FixColumns m_columns;
};

std::size_t existing_count(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    char head[8];
    std::uint64_t n = 0;
    if (!in.read(head, 8) || std::memcmp(head, magic, 8) != 0 ||
        !in.read(reinterpret_cast<char*>(&n), 8))
        return 0;
    std::error_code ec;
    return std::filesystem::file_size(path, ec) == file_size_for(n) ? n : 0;
}

// ---- checks ----

int check(const data::FixColumns& fixes, const std::vector<geo::MultiPolygon>& grids,
          const std::vector<data::GridPatrol>& result, const std::vector<data::GridPatrol>& single,
          const data::AuditRules& rules) {
    int failures = 0;
    // An independent locate pass and a count per grid.
    const geo::LocateIndex index(grids);
    const std::size_t n = fixes.officer.size();
    std::vector<std::uint32_t> where(n);
    index.locate(fixes.position, where);
    std::vector<std::int64_t> count(grids.size());
    double inside_length = 0;
    const std::int64_t gap_ms = rules.max_gap.count() * 1000;
    for (std::size_t k = 0; k < n; ++k) {
        if (where[k] != geo::LocateIndex::none)
            ++count[where[k]];
        if (k > 0 && fixes.officer[k] == fixes.officer[k - 1] &&
            fixes.time_ms[k] - fixes.time_ms[k - 1] <= gap_ms &&
            where[k] != geo::LocateIndex::none && where[k - 1] != geo::LocateIndex::none)
            inside_length += geo::distance_m(fixes.position[k - 1], fixes.position[k]);
    }
    double walked = 0;
    for (std::size_t g = 0; g < grids.size(); ++g) {
        walked += result[g].distance_m;
        if (result[g].fixes != count[g] && ++failures <= 5)
            std::printf("CHECK FAILED: grid %zu has %lld fixes, the independent count %lld\n", g,
                        static_cast<long long>(result[g].fixes), static_cast<long long>(count[g]));
        const data::GridPatrol& a = result[g];
        const data::GridPatrol& b = single[g];
        if ((a.visits != b.visits || a.covered_cells != b.covered_cells ||
             a.households_covered != b.households_covered || a.last_visit_ms != b.last_visit_ms ||
             std::abs(a.distance_m - b.distance_m) > 1e-6 * (1 + b.distance_m)) &&
            ++failures <= 5)
            std::printf("CHECK FAILED: grid %zu differs between 1 thread and more\n", g);
    }
    const double ratio = walked / inside_length;
    std::printf("check: fixes per grid match an independent count; walked inside grids %.0f km, "
                "joined segments between fixes in grids %.0f km (ratio %.4f)\n",
                walked / 1000, inside_length / 1000, ratio);
    if (!(std::abs(ratio - 1) < 0.005)) {
        std::printf("CHECK FAILED: the distance inside grids is off by more than 0.5 %%\n");
        ++failures;
    }
    return failures;
}

#ifdef TESSERA_BENCH_HAVE_LIBPQ
// The same audit in PostGIS on the first `n` fixes; seconds, or a negative number when skipped.
double postgis_audit(const data::FixColumns& all, std::size_t n,
                     const std::vector<geo::MultiPolygon>& grids) {
    const char* conninfo = std::getenv("TESSERA_BENCH_PG");
    if (!conninfo) {
        std::printf("PostGIS: skipped (no server: set TESSERA_BENCH_PG)\n");
        return -1;
    }
    bench::PgConn conn = bench::pg_connect(conninfo);
    PGconn* c = conn.get();
    n = std::min(n, all.officer.size());
    bench::pg_exec(c, "SET max_parallel_workers_per_gather = 0");
    bench::pg_exec(c, "DROP TABLE IF EXISTS audit_grids, audit_fixes, audit_result");
    bench::pg_exec(c, "CREATE TABLE audit_grids (id integer PRIMARY KEY, geom geometry)");
    bench::pg_exec(c, "CREATE TABLE audit_fixes (officer integer, t bigint, geom geometry)");
    std::size_t next = 0;
    bench::pg_copy_in(c, "COPY audit_grids FROM STDIN", [&](std::string& s) {
        if (next == grids.size())
            return false;
        s += std::to_string(next) + '\t';
        bench::append_hex(s, geo::to_wkb(geo::Geometry{grids[next++]}));
        s += '\n';
        return true;
    });
    next = 0;
    bench::pg_copy_in(c, "COPY audit_fixes FROM STDIN", [&](std::string& s) {
        if (next == n)
            return false;
        s += std::to_string(all.officer[next]) + '\t' + std::to_string(all.time_ms[next]) + '\t';
        bench::append_hex(s, geo::to_wkb(geo::Point{all.position[next++]}));
        s += '\n';
        return true;
    });
    bench::pg_exec(c, "UPDATE audit_grids SET geom = ST_SetSRID(geom, 4326)");
    bench::pg_exec(c, "UPDATE audit_fixes SET geom = ST_SetSRID(geom, 4326)");
    bench::pg_exec(c, "CREATE INDEX ON audit_grids USING gist (geom)");
    bench::pg_exec(c, "ANALYZE audit_grids");
    bench::pg_exec(c, "ANALYZE audit_fixes");
    const auto start = Clock::now();
    // Located fixes, joined segments within the gap, the length inside each grid, and the
    // covered share of each grid: its intersection with the union of the 50 m buffers of the
    // segments that meet it.
    bench::pg_exec(c, R"sql(
CREATE TABLE audit_result AS
WITH located AS (
    SELECT f.officer, f.t, f.geom, g.id AS grid
    FROM audit_fixes f LEFT JOIN audit_grids g ON ST_Covers(g.geom, f.geom)),
segments AS (
    SELECT officer, grid, ST_MakeLine(LAG(geom) OVER w, geom) AS seg, t - LAG(t) OVER w AS dt
    FROM located WINDOW w AS (PARTITION BY officer ORDER BY t)),
joined AS (SELECT seg FROM segments WHERE dt <= 600000),
lengths AS (
    SELECT g.id, SUM(ST_Length(ST_Intersection(g.geom, j.seg)::geography)) AS distance_m
    FROM joined j JOIN audit_grids g ON ST_Intersects(g.geom, j.seg) GROUP BY g.id),
reach AS (
    SELECT g.id, ST_Union(ST_Buffer(j.seg::geography, 50)::geometry) AS covered
    FROM joined j JOIN audit_grids g
      ON ST_DWithin(g.geom, j.seg, 0.001) -- degrees, over 90 m here: lets the index choose
         AND ST_DWithin(g.geom::geography, j.seg::geography, 50)
    GROUP BY g.id)
SELECT g.id, l.distance_m,
       ST_Area(ST_Intersection(g.geom, r.covered)::geography) / ST_Area(g.geom::geography) AS share
FROM audit_grids g LEFT JOIN lengths l ON l.id = g.id LEFT JOIN reach r ON r.id = g.id
)sql");
    const double s = seconds_since(start);
    std::printf("PostGIS: %zu fixes audited in %.2f s (%.2f s per million fixes)\n", n, s,
                s / (static_cast<double>(n) / 1e6));
    bench::pg_exec(c, "DROP TABLE audit_grids, audit_fixes, audit_result");
    return s;
}
#endif

} // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0); // each figure as it comes, also into a file
    const Options o = parse(argc, argv);
    if (!std::filesystem::exists(o.db))
        usage("no " + o.db.string() + " (make demo builds it)");
    auto store = data::open_spatialite_store(o.db);
    data::FeatureQuery all;
    all.limit = std::numeric_limits<std::size_t>::max();
    std::vector<geo::MultiPolygon> grids;
    for (const auto& f : store->features("grid", all).features)
        grids.push_back(geo::as_multi_polygon(f.geometry));
    std::vector<data::HouseholdPoint> households;
    for (const auto& b : store->buildings())
        households.push_back({b.position, b.households});
    std::printf("demo city: %zu grids, %zu buildings\n", grids.size(), households.size());

    if (existing_count(o.file) != o.fixes) {
        std::filesystem::create_directories(o.file.parent_path());
        write_fixes(o.file, o.fixes, grids);
    }
    auto start = Clock::now();
    const MappedFixes mapped(o.file);
    const double load_s = seconds_since(start);
    const data::FixColumns& fixes = mapped.columns();
    const std::size_t n = fixes.officer.size();
    std::printf("load: %zu fixes (%.1f GB) mapped in %.2f s\n", n,
                static_cast<double>(mapped.bytes()) / 1e9, load_s);

    const data::AuditRules rules;
    start = Clock::now();
    const data::PatrolAudit audit(grids, households, rules);
    const double build_s = seconds_since(start);
    const std::int64_t from = fixes.time_ms.front() - 1, to = INT64_MAX;
    std::vector<double> runs;
    std::vector<data::GridPatrol> result;
    for (int r = 0; r < o.reps; ++r) {
        start = Clock::now();
        result = audit.run(fixes, from, to, o.threads);
        runs.push_back(seconds_since(start));
        std::printf("run %d: %.2f s on %d threads\n", r + 1, runs.back(), o.threads);
    }
    std::ranges::sort(runs);
    const double run_s = runs[runs.size() / 2];
    std::size_t visited = 0;
    for (const auto& g : result)
        visited += g.visited ? 1 : 0;
    std::printf("Tessera: %zu fixes x %zu grids: engine built in %.2f s, audit %.2f s on %d "
                "threads (median of %d), %.1f ns per fix; load + build + audit %.2f s; "
                "%zu grids visited\n",
                n, grids.size(), build_s, run_s, o.threads, o.reps,
                run_s * 1e9 / static_cast<double>(n), load_s + build_s + run_s, visited);

    start = Clock::now();
    const auto single = audit.run(fixes, from, to, 1);
    std::printf("Tessera on 1 thread: %.2f s\n", seconds_since(start));
    const int failures = check(fixes, grids, result, single, rules);
#ifdef TESSERA_BENCH_HAVE_LIBPQ
    const double pg_s = postgis_audit(fixes, o.pg_fixes, grids);
    if (pg_s > 0) {
        const double per_million_pg = pg_s / (static_cast<double>(std::min(o.pg_fixes, n)) / 1e6);
        const double per_million = run_s / (static_cast<double>(n) / 1e6);
        std::printf("per million fixes: PostGIS %.2f s, Tessera %.3f s (%d threads): %.0fx\n",
                    per_million_pg, per_million, o.threads, per_million_pg / per_million);
    }
#else
    std::printf("PostGIS: skipped (built without libpq)\n");
#endif
    return failures > 0 ? 1 : 0;
}
