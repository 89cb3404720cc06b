// Durable event ingest (issue 4): events per second acknowledged by EventDesk::report — checks,
// assignment (grid, community, township, county), the duplicate look-up, the event row with its
// geometry and R*Tree entry, its timeline rows, and a commit in WAL mode with synchronous=FULL
// shared by whichever reports arrive together (group commit) — from C concurrent clients.
//
// Side by side, in the same process and on the same disk:
//   - plain SQLite, one durable commit per event: the same kind of row (no geometry, no
//     assignment, no timeline) inserted in autocommit mode, WAL + synchronous=FULL, by the same C
//     clients taking turns on one connection: what "committed before the reply" costs without
//     group commit;
//   - plain SQLite, 1000 rows per transaction, one client: the ceiling of the disk and SQLite
//     for rows of that size, not durable per event.
// The run checks that every acknowledged event is in the database afterwards (exit status 1
// otherwise).
//
// Usage: ingest_bench [--db var/demo.db] [--events N] [--clients C] [--seed S]
// The demo database (make demo) is copied to a temporary directory first; it is not changed.
// Figures and how to reproduce them: docs/benchmarks.md.
#include "data/event_desk.hpp"
#include "geo/error.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <sqlite3.h>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

using namespace tessera;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    std::filesystem::path db = "var/demo.db";
    int events = 20'000;
    int clients = 32;
    std::uint64_t seed = 7;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "ingest_bench: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--db")
            o.db = value();
        else if (a == "--events")
            o.events = std::stoi(value());
        else if (a == "--clients")
            o.clients = std::stoi(value());
        else if (a == "--seed")
            o.seed = std::stoull(value());
        else {
            std::fprintf(stderr,
                         "usage: ingest_bench [--db var/demo.db] [--events N] [--clients C] "
                         "[--seed S]\n");
            std::exit(2);
        }
    }
    if (o.events < 1 || o.clients < 1) {
        std::fprintf(stderr, "ingest_bench: --events and --clients must be positive\n");
        std::exit(2);
    }
    return o;
}

// Random points in the demo city's extent (Luohe), most of them inside a grid.
std::vector<geo::LonLat> points(int n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> lon(113.75, 114.25), lat(33.45, 33.75);
    std::vector<geo::LonLat> out;
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        out.push_back({lon(rng), lat(rng)});
    return out;
}

// Runs fn(i) for i in [0, n) on `clients` threads; returns the seconds it took.
template <class F>
double run_clients(int n, int clients, F&& fn) {
    std::atomic<int> next{0};
    auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c)
        threads.emplace_back([&] {
            for (int i = next++; i < n; i = next++)
                fn(i);
        });
    for (auto& t : threads)
        t.join();
    return std::chrono::duration<double>(Clock::now() - start).count();
}

void check(int rc, sqlite3* db, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        std::fprintf(stderr, "ingest_bench: %s: %s\n", what, sqlite3_errmsg(db));
        std::exit(1);
    }
}

struct Plain {
    sqlite3* db = nullptr;
    sqlite3_stmt* insert = nullptr;

    explicit Plain(const std::filesystem::path& file) {
        check(sqlite3_open(file.c_str(), &db), db, "open");
        for (const char* sql : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL",
                                "CREATE TABLE events (id INTEGER PRIMARY KEY, category TEXT, "
                                "description TEXT, source TEXT, lon REAL, lat REAL, "
                                "reported_at INTEGER, status TEXT)"})
            check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db, sql);
        check(sqlite3_prepare_v2(db,
                                 "INSERT INTO events(category, description, source, lon, lat, "
                                 "reported_at, status) VALUES ('garbage', 'bench', 'officer', "
                                 "?, ?, ?, 'dispatched')",
                                 -1, &insert, nullptr),
              db, "prepare");
    }
    ~Plain() {
        sqlite3_finalize(insert);
        sqlite3_close(db);
    }
    void add(geo::LonLat p, std::int64_t t) {
        sqlite3_bind_double(insert, 1, p.lon);
        sqlite3_bind_double(insert, 2, p.lat);
        sqlite3_bind_int64(insert, 3, t);
        check(sqlite3_step(insert), db, "insert");
        sqlite3_reset(insert);
    }
    std::int64_t count() {
        sqlite3_stmt* q = nullptr;
        sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM events", -1, &q, nullptr);
        sqlite3_step(q);
        std::int64_t n = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
        return n;
    }
};

// User and system CPU time of the process so far, in seconds.
double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return s(u.ru_utime) + s(u.ru_stime);
}

} // namespace

int main(int argc, char** argv) {
    Options o = parse(argc, argv);
    if (!std::filesystem::exists(o.db)) {
        std::fprintf(stderr, "ingest_bench: no demo database at %s (make demo builds one)\n",
                     o.db.c_str());
        return 2;
    }
    auto tmp = std::filesystem::temp_directory_path() /
               ("tessera-ingest-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(tmp);
    std::filesystem::copy_file(o.db, tmp / "demo.db");
    auto pts = points(o.events, o.seed);
    std::printf("ingest_bench: %d events, %d clients, %u hardware threads\n", o.events, o.clients,
                std::thread::hardware_concurrency());
    int status = 0;

    // Plain SQLite, one durable commit per event.
    double plain_each = 0;
    {
        Plain plain(tmp / "plain-each.db");
        std::mutex m;
        int n = std::min(o.events, 5'000); // an fsync per row: a smaller run says enough
        plain_each = n / run_clients(n, o.clients, [&](int i) {
                         std::lock_guard lock(m);
                         plain.add(pts[static_cast<std::size_t>(i)], i);
                     });
        if (plain.count() != n)
            status = 1;
    }
    // Plain SQLite, 1000 rows per transaction.
    double plain_batched = 0;
    {
        Plain plain(tmp / "plain-batched.db");
        auto start = Clock::now();
        for (int i = 0; i < o.events; ++i) {
            if (i % 1000 == 0)
                check(sqlite3_exec(plain.db, "BEGIN", nullptr, nullptr, nullptr), plain.db,
                      "begin");
            plain.add(pts[static_cast<std::size_t>(i)], i);
            if (i % 1000 == 999 || i + 1 == o.events)
                check(sqlite3_exec(plain.db, "COMMIT", nullptr, nullptr, nullptr), plain.db,
                      "commit");
        }
        plain_batched = o.events / std::chrono::duration<double>(Clock::now() - start).count();
        if (plain.count() != o.events)
            status = 1;
    }
    // Tessera: EventDesk::report with assignment and group commit.
    double tessera_rate = 0, tessera_cpu_us = 0;
    std::int64_t stored = 0;
    {
        auto store = data::open_spatialite_store(tmp / "demo.db");
        data::Assigner assigner(*store);
        assigner.refresh();
        std::int64_t before = store->events({}).total;
        data::EventDesk desk(*store, assigner);
        std::atomic<int> errors{0};
        double cpu0 = cpu_seconds();
        tessera_rate = o.events / run_clients(o.events, o.clients, [&](int i) {
                           data::EventReport r;
                           r.category = i % 3 ? "garbage" : "noise";
                           r.description = "bench";
                           r.source = data::EventSource::officer;
                           r.position = pts[static_cast<std::size_t>(i)];
                           try {
                               desk.report(r, nullptr, "bench");
                           } catch (const std::exception& e) {
                               if (errors++ == 0)
                                   std::fprintf(stderr, "ingest_bench: %s\n", e.what());
                           }
                       });
        tessera_cpu_us = (cpu_seconds() - cpu0) / o.events * 1e6;
        stored = store->events({}).total - before;
        if (errors > 0 || stored != o.events) {
            std::fprintf(stderr, "ingest_bench: %d errors, %lld of %d events stored\n",
                         errors.load(), static_cast<long long>(stored), o.events);
            status = 1;
        }
    }
    std::filesystem::remove_all(tmp);

    std::printf("%-52s %12s %10s\n", "method", "events/s", "vs plain");
    std::printf("%-52s %12.0f %9.2fx\n", "plain SQLite, 1 durable commit per event", plain_each,
                1.0);
    std::printf("%-52s %12.0f %9.2fx\n", "plain SQLite, 1000 per transaction (not durable)",
                plain_batched, plain_batched / plain_each);
    std::printf("%-52s %12.0f %9.2fx\n", "Tessera report: assign + dedupe + group commit",
                tessera_rate, tessera_rate / plain_each);
    std::printf("Tessera CPU time (user + system, all threads): %.0f us per event\n",
                tessera_cpu_us);
    return status;
}
