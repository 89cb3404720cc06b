// tessera audit: the patrol coverage of a grid layer in a time window (data/patrol_audit.hpp),
// or with --of cameras / drones what the cameras see now and what the drones imaged in the window
// (data/sensor_audit.hpp); one CSV row per grid on stdout or into --out, a summary on stderr
// (docs/coverage.md).
#include "cli/commands.hpp"
#include "data/patrol_audit.hpp"
#include "data/point_csv.hpp"
#include "data/sensor_audit.hpp"
#include "geo/error.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace tessera::cli {
namespace {

// --from and --to: a day alone is a day in Beijing (data::parse_window_time).
data::Time window_time(const std::string& option, const std::string& text, bool end) {
    auto t = data::parse_window_time(text, end);
    if (!t)
        throw Error(ErrorCode::invalid_argument, "--" + option +
                                                     " takes an ISO 8601 date or time (2026-11-01, "
                                                     "2026-11-01T08:00:00+08:00), got '" +
                                                     text + "'");
    return *t;
}

// "rural=30,urban=45"
std::map<std::string, int, std::less<>> parse_stale_rules(const std::string& text) {
    std::map<std::string, int, std::less<>> out;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = text.find(',', start);
        const std::string item = text.substr(start, end == std::string::npos ? end : end - start);
        const std::size_t eq = item.find('=');
        auto days =
            eq == std::string::npos ? std::nullopt : data::parse_finite_number(item.substr(eq + 1));
        if (eq == 0 || !days || *days < 1 || *days > 3660 || std::floor(*days) != *days)
            throw Error(ErrorCode::invalid_argument,
                        "--stale takes TYPE=DAYS[,TYPE=DAYS...], e.g. rural=30,urban=45; got '" +
                            item + "'");
        out[item.substr(0, eq)] = static_cast<int>(*days);
        if (end == std::string::npos)
            return out;
        start = end + 1;
    }
}

void write_csv(const std::filesystem::path& out, const std::string& csv) {
    if (out.empty()) {
        std::fwrite(csv.data(), 1, csv.size(), stdout);
    } else {
        // A BOM first, so Excel and WPS read the names as UTF-8.
        write_file_atomically(out, "\xEF\xBB\xBF" + csv);
    }
}

int threads_option(const Options& opts) {
    return static_cast<int>(
        opts.get_int("threads", std::max(1u, std::thread::hardware_concurrency())));
}

double seconds_since(std::chrono::steady_clock::time_point started) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

const char* written_to(const std::filesystem::path& out) {
    return out.empty() ? "" : "; written to ";
}

int audit_cameras(const Options& opts) {
    data::CameraAuditQuery q;
    q.layer = opts.get("layer", "grid");
    q.threads = threads_option(opts);
    const std::filesystem::path out = output_option(opts);
    auto store = data::open_spatialite_store(opts.database());
    const auto started = std::chrono::steady_clock::now();
    const data::CameraReport report = data::audit_cameras(*store, q);
    write_csv(out, data::camera_audit_csv(report));
    double covered = 0, area = 0;
    std::int64_t unseen = 0;
    for (const auto& g : report.grids) {
        covered += g.covered_m2;
        area += g.area_m2;
        unseen += g.households_unseen;
    }
    std::fprintf(stderr,
                 "tessera audit: cameras over layer %s, %zu grids: %lld online, %lld offline; "
                 "%.1f %% of the ground in view; %lld households seen by none (%.2f s)%s%s\n",
                 report.layer.c_str(), report.grids.size(), static_cast<long long>(report.online),
                 static_cast<long long>(report.offline), area > 0 ? 100 * covered / area : 0.0,
                 static_cast<long long>(unseen), seconds_since(started), written_to(out),
                 out.string().c_str());
    return 0;
}

int audit_drones(const Options& opts, data::Time from, data::Time to) {
    data::DroneAuditQuery q;
    q.layer = opts.get("layer", "grid");
    q.from = from;
    q.to = to;
    q.threads = threads_option(opts);
    const std::filesystem::path out = output_option(opts);
    auto store = data::open_spatialite_store(opts.database());
    if (opts.has("plan")) {
        auto area = data::area_feature(*store, opts.get("plan"));
        if (!area)
            throw Error(ErrorCode::not_found,
                        "--plan: no layer has an area with the code '" + opts.get("plan") + "'");
        q.plan = geo::as_multi_polygon(area->geometry);
    }
    const auto started = std::chrono::steady_clock::now();
    data::DroneReport report = data::audit_drones(*store, q);
    write_csv(out, data::drone_audit_csv(report));
    std::size_t flown = 0;
    for (const auto& g : report.grids)
        flown += g.flights.empty() ? 0 : 1;
    std::fprintf(stderr,
                 "tessera audit: drones over layer %s, %zu grids, %s to %s: %zu flights, %zu "
                 "grids flown over; %zu closed events seen again (%.2f s)%s%s\n",
                 report.layer.c_str(), report.grids.size(), data::format_time(from).c_str(),
                 data::format_time(to).c_str(), report.flights.size(), flown,
                 report.reinspected.size(), seconds_since(started), written_to(out),
                 out.string().c_str());
    if (report.plan)
        std::fprintf(stderr,
                     "tessera audit: plan %s: %.1f %% of %.0f m2 covered, %zu gaps to re-fly\n",
                     opts.get("plan").c_str(), 100 * report.plan->covered_share(),
                     report.plan->planned_m2, report.plan->gaps.polygons.size());
    if (opts.has("mark-reinspected")) {
        const std::size_t marked = data::mark_reinspections(
            *store, report.reinspected, "audit",
            std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()));
        std::fprintf(stderr, "tessera audit: marked %zu events re-inspected\n", marked);
    }
    return 0;
}

} // namespace

int audit_command(Args args) {
    Options opts(args,
                 {"db", "of", "layer", "from", "to", "out", "threads", "dwell", "gap", "reach",
                  "cell", "full-share", "stale", "plan"},
                 {"force", "mark-reinspected"});
    opts.refuse_positional();
    const std::string db = opts.database();
    const std::string of = opts.get("of", "patrols");
    if (of != "patrols" && of != "cameras" && of != "drones")
        throw Error(ErrorCode::invalid_argument,
                    "--of takes patrols, cameras or drones, got '" + of + "'");
    if (of == "cameras")
        return audit_cameras(opts);
    data::AuditQuery q;
    q.layer = opts.get("layer", "grid");
    q.from = window_time("from", opts.require("from"), false);
    q.to = window_time("to", opts.require("to"), true);
    if (q.from >= q.to)
        throw Error(ErrorCode::invalid_argument, "--to must come after --from");
    if (of == "drones")
        return audit_drones(opts, q.from, q.to);
    q.threads = threads_option(opts);
    data::AuditRules& r = q.rules;
    r.min_dwell = std::chrono::seconds(static_cast<std::int64_t>(
        60 * opts.get_number("dwell", static_cast<double>(r.min_dwell.count()) / 60, 0, 1440)));
    r.max_gap = std::chrono::seconds(static_cast<std::int64_t>(
        60 * opts.get_number("gap", static_cast<double>(r.max_gap.count()) / 60, 0, 1440)));
    r.reach_m = opts.get_number("reach", r.reach_m, 1, 10'000);
    r.cell_m = opts.get_number("cell", r.cell_m, 0.5, 1'000);
    r.full_share = opts.get_number("full-share", r.full_share, 0, 1);
    if (opts.has("stale"))
        for (auto& [type, days] : parse_stale_rules(opts.get("stale")))
            r.stale_days[type] = days;
    const std::filesystem::path out = output_option(opts);

    auto store = data::open_spatialite_store(db);
    const auto started = std::chrono::steady_clock::now();
    const data::AuditReport report = data::audit_patrols(*store, q);
    const double took = seconds_since(started);
    write_csv(out, data::audit_csv(report));
    std::size_t visited = 0, stale = 0;
    for (const auto& g : report.grids) {
        visited += g.patrol.visited ? 1 : 0;
        stale += g.stale ? 1 : 0;
    }
    std::fprintf(stderr,
                 "tessera audit: layer %s, %zu grids, %s to %s: %lld tracks, %lld fixes; "
                 "%zu visited, %zu stale (%.2f s)%s%s\n",
                 report.layer.c_str(), report.grids.size(), data::format_time(q.from).c_str(),
                 data::format_time(q.to).c_str(), static_cast<long long>(report.tracks),
                 static_cast<long long>(report.fixes), visited, stale, took, written_to(out),
                 out.string().c_str());
    return 0;
}

} // namespace tessera::cli
