// Cold vector tiles (issue 5): the time to build one tile from nothing, Tessera against PostGIS
// ST_AsMVT on the same features, tile by tile.
//
// Tessera: server::boundary_tile and server::events_tile, what `GET /tiles/...` runs on a cache
// miss: the grids from the assignment engine's in-memory snapshot, the open events from the
// database through the event desk (SQLite R*Tree), then projection, clipping, snapping and the
// encoding. PostGIS (when TESSERA_BENCH_PG names a database with PostGIS; bench/with_postgis.sh
// starts one): the same features copied into tables with their geometry already in EPSG:3857
// and a GiST index, queried with the usual ST_AsMVTGeom / ST_AsMVT statement (prepared, result
// in binary), timed in this process with the transfer over the Unix socket. Both sides use the
// same extent (4096) and buffer (64) and write the same attributes.
//
// Every tile is decoded with tiles::decode_tile and both sides' feature counts are printed; the
// run fails (exit status 1) when Tessera's tile does not decode.
//
// Usage: tile_bench [--db var/demo.db] [--reps N] [--open-events N] [--seed S] [--only TILE]
// The demo database is copied to a temporary directory first: --open-events more open events
// (default 2,000) are reported there inside the z12 tile over central Luohe, so that the event
// tile carries a busy command center's backlog rather than the demo's few hundred open events.
// Figures and how to reproduce them: docs/benchmarks.md.
#include "data/event_desk.hpp"
#include "data/workflow.hpp"
#include "server/tile_layers.hpp"
#include "tiles/mvt.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
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
    int reps = 30;
    int open_events = 2'000;
    std::uint64_t seed = 11;
    std::string only; // run only the tiles whose name contains this (for profiling)
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "tile_bench: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--db")
            o.db = value();
        else if (a == "--reps")
            o.reps = std::stoi(value());
        else if (a == "--open-events")
            o.open_events = std::stoi(value());
        else if (a == "--seed")
            o.seed = std::stoull(value());
        else if (a == "--only")
            o.only = value();
        else {
            std::fprintf(stderr, "usage: tile_bench [--db var/demo.db] [--reps N] "
                                 "[--open-events N] [--seed S] [--only TILE]\n");
            std::exit(2);
        }
    }
    if (o.reps < 1 || o.open_events < 0) {
        std::fprintf(stderr, "tile_bench: --reps must be positive, --open-events not negative\n");
        std::exit(2);
    }
    return o;
}

struct Case {
    std::string layer; // "grid" or data::events_layer
    tiles::TileId tile;
    const char* what;
};

// The tiles over central Luohe (114.0165 E, 33.5809 N) the issue names, and a z14 one.
const Case cases[] = {
    {"grid", {14, 13381, 6567}, "grid z14"},
    {"grid", {12, 3345, 1641}, "grid z12"},
    {"grid", {10, 836, 410}, "grid z10"},
    {std::string(data::events_layer), {12, 3345, 1641}, "events z12"},
};

const Case& events_case = cases[3];

struct Timing {
    double median_ms = 0, best_ms = 0;
    std::size_t bytes = 0, features = 0;
};

// Runs `build` `reps` times (after one untimed run) and returns the median and best time.
template <class F>
Timing time_tile(int reps, F&& build) {
    std::string tile = build();
    std::vector<double> ms;
    for (int i = 0; i < reps; ++i) {
        auto t0 = Clock::now();
        tile = build();
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    Timing t;
    t.median_ms = ms[ms.size() / 2];
    t.best_ms = ms.front();
    t.bytes = tile.size();
    for (const auto& layer : tiles::decode_tile(tile)) // throws on a tile against the spec
        t.features += layer.features.size();
    return t;
}

// Random points in the tile (not its buffer), for the extra open events.
std::vector<geo::LonLat> points_in(const tiles::TileId& tile, int n, std::uint64_t seed) {
    geo::BBox box = tiles::TileFrame(tile, 4096, 0).query_box();
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> lon(box.min_x, box.max_x), lat(box.min_y, box.max_y);
    std::vector<geo::LonLat> out;
    for (int i = 0; i < n; ++i)
        out.push_back({lon(rng), lat(rng)});
    return out;
}

#ifdef TESSERA_BENCH_HAVE_LIBPQ
using namespace tessera::bench;

// One row of a COPY in text format: values separated by tabs.
struct CopyRow {
    std::string& s;
    bool first = true;
    CopyRow& operator<<(std::string_view v) {
        if (!first)
            s += '\t';
        first = false;
        append_copy_text(s, v);
        return *this;
    }
    CopyRow& wkb(const geo::Geometry& g) {
        s += first ? "" : "\t";
        first = false;
        append_hex(s, geo::to_wkb(g));
        return *this;
    }
    ~CopyRow() { s += '\n'; }
};

// The grid layer and every event (open or not) in PostGIS, geometry in EPSG:3857 with a GiST
// index; then the tile statements, prepared. Loading is not timed.
void load_postgis(PGconn* c, data::Assigner& assigner, data::Store& store) {
    pg_exec(c, "SET max_parallel_workers_per_gather = 0");
    pg_exec(c, "DROP TABLE IF EXISTS tile_grid, tile_events");
    pg_exec(c, "CREATE TABLE tile_grid (id bigint PRIMARY KEY, code text, name text, kind text, "
               "parent_code text, version bigint, geom geometry)");
    auto grids = assigner.features_in("grid", geo::BBox{-180, -90, 180, 90});
    std::size_t next = 0;
    const std::string kind(data::to_string(grids.kind));
    pg_copy_in(c, "COPY tile_grid FROM STDIN", [&](std::string& s) {
        if (next == grids.features.size())
            return false;
        const auto& f = grids.features[next++];
        CopyRow row{s};
        row << std::to_string(f.id) << f.code << f.name << kind << f.parent_code->value_or("")
            << std::to_string(f.version);
        row.wkb(*f.geometry);
        return true;
    });
    pg_exec(c, "UPDATE tile_grid SET geom = ST_Transform(ST_SetSRID(geom, 4326), 3857)");
    pg_exec(c, "CREATE INDEX ON tile_grid USING gist (geom)");

    pg_exec(c, "CREATE TABLE tile_events (id bigint PRIMARY KEY, category text, status text, "
               "severity text, level text, source text, grid_code text, owner_unit text, "
               "reported_at text, deadline_at text, geom geometry)");
    data::EventQuery all;
    all.limit = 10'000'000;
    all.count_total = false;
    auto events = store.events(all).events;
    next = 0;
    pg_copy_in(c, "COPY tile_events FROM STDIN", [&](std::string& s) {
        if (next == events.size())
            return false;
        const auto& e = events[next++];
        CopyRow row{s};
        row << std::to_string(e.id) << e.category << data::to_string(e.status)
            << data::to_string(e.severity) << data::to_string(e.level) << data::to_string(e.source)
            << e.grid_code << data::responsible_unit(e) << data::format_time(e.reported_at)
            << data::format_time(e.deadline_at);
        row.wkb(geo::Point{e.position});
        return true;
    });
    pg_exec(c, "UPDATE tile_events SET geom = ST_Transform(ST_SetSRID(geom, 4326), 3857)");
    // PostGIS's best case for this query: an index of the open events' positions alone.
    pg_exec(c, "CREATE INDEX ON tile_events USING gist (geom) "
               "WHERE status NOT IN ('resolved', 'closed')");
    pg_exec(c, "VACUUM ANALYZE tile_grid");
    pg_exec(c, "VACUUM ANALYZE tile_events");
    std::printf("PostGIS: %zu grids and %zu events loaded (not timed)\n", grids.features.size(),
                events.size());

    // The statement every PostGIS tile server (Martin, pg_tileserv, t-rex) runs in some form.
    pg_exec(c,
            "PREPARE grid_tile(int, int, int) AS SELECT ST_AsMVT(t, 'grid', 4096, 'geom', 'id') "
            "FROM (SELECT id, code, name, kind, parent_code, version, "
            "ST_AsMVTGeom(geom, ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom "
            "FROM tile_grid WHERE geom && ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096)) t");
    pg_exec(c, "PREPARE events_tile(int, int, int) AS "
               "SELECT ST_AsMVT(t, 'events', 4096, 'geom', 'id') "
               "FROM (SELECT id, category, status, severity, level, source, grid_code, owner_unit, "
               "reported_at, deadline_at, "
               "ST_AsMVTGeom(geom, ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom "
               "FROM tile_events WHERE status NOT IN ('resolved', 'closed') "
               "AND geom && ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096) "
               "ORDER BY id LIMIT 20000) t");
}

// One tile from PostGIS: EXECUTE of the prepared statement, the bytea in binary.
std::string postgis_tile(PGconn* c, const Case& k) {
    std::string sql = std::string("EXECUTE ") +
                      (k.layer == data::events_layer ? "events_tile" : "grid_tile") + "(" +
                      std::to_string(k.tile.z) + "," + std::to_string(k.tile.x) + "," +
                      std::to_string(k.tile.y) + ")";
    PgResult r(PQexecParams(c, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1)
        throw std::runtime_error(sql + ": " + pg_message(c));
    return std::string(PQgetvalue(r.get(), 0, 0),
                       static_cast<std::size_t>(PQgetlength(r.get(), 0, 0)));
}
#endif

} // namespace

int main(int argc, char** argv) {
    Options o = parse(argc, argv);
    if (!std::filesystem::exists(o.db)) {
        std::fprintf(stderr, "tile_bench: no demo database at %s (make demo builds one)\n",
                     o.db.c_str());
        return 2;
    }
    auto tmp = std::filesystem::temp_directory_path() /
               ("tessera-tile-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(tmp);
    std::filesystem::copy_file(o.db, tmp / "demo.db");
    {
        auto store = data::open_spatialite_store(tmp / "demo.db");
        data::Assigner assigner(*store);
        assigner.refresh();
        data::EventDesk desk(*store, assigner);

        // The extra open events, through the desk as any report comes in.
        int failed = 0;
        for (const auto& p : points_in(events_case.tile, o.open_events, o.seed)) {
            data::EventReport r;
            r.category = "garbage";
            r.description = "tile bench";
            r.source = data::EventSource::officer;
            r.position = p;
            try {
                desk.report(r, nullptr, "bench");
            } catch (const std::exception&) {
                ++failed;
            }
        }
        std::printf("tile_bench: %d open events reported in the z12 tile (%d refused)\n",
                    o.open_events - failed, failed);

        data::Principal admin;
        admin.username = "bench";
        admin.role = data::Role::admin;

        std::vector<Case> chosen;
        for (const auto& k : cases)
            if (std::string_view(k.what).find(o.only) != std::string_view::npos)
                chosen.push_back(k);
        std::vector<Timing> ours;
        for (const auto& k : chosen) {
            tiles::TileFrame frame(k.tile);
            try {
                ours.push_back(time_tile(o.reps, [&] {
                    return k.layer == data::events_layer
                               ? server::events_tile(desk, admin, frame)
                               : server::boundary_tile(assigner, k.layer, frame);
                }));
            } catch (const std::exception& e) {
                std::fprintf(stderr, "tile_bench: %s: %s\n", k.what, e.what());
                return 1;
            }
        }

        std::vector<std::optional<Timing>> theirs(chosen.size());
        const char* conninfo = std::getenv("TESSERA_BENCH_PG");
        if (!conninfo || !*conninfo) {
            std::printf("PostGIS: skipped (no server: set TESSERA_BENCH_PG, or run this under "
                        "bench/with_postgis.sh)\n");
        } else {
#ifdef TESSERA_BENCH_HAVE_LIBPQ
            try {
                PgConn conn = pg_connect(conninfo);
                PgResult v = pg_exec(conn.get(), "SELECT postgis_full_version()", PGRES_TUPLES_OK);
                std::printf("PostGIS: %s\n", PQgetvalue(v.get(), 0, 0));
                load_postgis(conn.get(), assigner, *store);
                for (std::size_t i = 0; i < chosen.size(); ++i)
                    theirs[i] =
                        time_tile(o.reps, [&] { return postgis_tile(conn.get(), chosen[i]); });
            } catch (const std::exception& e) {
                std::printf("PostGIS: skipped (%s)\n", e.what());
            }
#else
            std::printf("PostGIS: skipped (built without libpq; install libpq-dev, reconfigure)\n");
#endif
        }

        std::printf("\nmedian (best) of %d cold builds, ms; features and bytes of each tile\n",
                    o.reps);
        std::printf("%-11s %-14s | %-20s %9s %8s | %-20s %9s %8s | %s\n", "tile", "z/x/y",
                    "Tessera ms", "features", "bytes", "PostGIS ms", "features", "bytes",
                    "ratio (median)");
        for (std::size_t i = 0; i < chosen.size(); ++i) {
            const auto& k = chosen[i];
            const auto& t = ours[i];
            char zxy[32], a[32], b[32] = "-", ratio[32] = "-";
            std::snprintf(zxy, sizeof zxy, "%u/%u/%u", k.tile.z, k.tile.x, k.tile.y);
            std::snprintf(a, sizeof a, "%.3f (%.3f)", t.median_ms, t.best_ms);
            std::size_t pf = 0, pb = 0;
            if (theirs[i]) {
                std::snprintf(b, sizeof b, "%.3f (%.3f)", theirs[i]->median_ms, theirs[i]->best_ms);
                std::snprintf(ratio, sizeof ratio, "%.1fx", theirs[i]->median_ms / t.median_ms);
                pf = theirs[i]->features;
                pb = theirs[i]->bytes;
            }
            std::printf("%-11s %-14s | %-20s %9zu %8zu | %-20s %9zu %8zu | %s\n", k.what, zxy, a,
                        t.features, t.bytes, b, pf, pb, ratio);
        }
    }
    std::filesystem::remove_all(tmp);
    return 0;
}
