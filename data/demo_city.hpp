// The demo city: Luohe (漯河), Henan, at its real scale (about 9,660 grids), built
// deterministically from a seed. Real parts: the five county polygons and every township and
// village/community name and code (data/samples/, CC BY 4.0, converted from GCJ-02). Synthetic
// parts: township, village and grid boundaries, buildings with households, micro-grids,
// exclusive grids, people, departments, cameras, drone flights, patrol tracks and demo users.
//
// Every level is cut from one exact Voronoi partition per county (geo/partition.hpp): grids are
// coverage unions of building cells, communities of grids, townships of communities and counties
// of townships, so each level tiles its parent with shared edges, no gaps and no overlaps.
// See docs/demo-city.md for the method and the figures it follows.
#pragma once

#include "data/store.hpp"

#include <filesystem>
#include <functional>

namespace tessera::data {

struct DemoLogin {
    std::string username;
    std::string password;
    std::string role;
    std::string scope; // human-readable jurisdiction
};

// The demo users `tessera demo` creates (same list every time).
std::vector<DemoLogin> demo_logins();
// The Open311 api_key of the demo's citizens' reporting app (user "citizen-app", a reporter).
std::string_view demo_api_key();

struct DemoOptions {
    std::filesystem::path samples_dir; // holds luohe_counties_gcj02.geojson and the codes CSV
    int grids = 9660;                  // target number of basic grids (exact)
    std::uint64_t seed = 1;
    int patrol_days = 30;     // days of officers' patrol tracks, today included, up to `now`
    std::optional<Time> now;  // DEFAULT: the current time (tracks and flights end here)
    int event_days = 365;     // a history of events ending at `now`
    int events_per_day = 120; // on average (weekdays busier than weekends)
    std::function<void(const std::string&)> progress; // one line per stage
};

struct DemoSummary {
    std::vector<std::pair<std::string, std::int64_t>> layer_counts; // layer -> features
    std::int64_t buildings = 0;
    std::int64_t households = 0;
    std::int64_t people = 0;
    std::int64_t cameras = 0;
    std::int64_t drone_flights = 0;
    std::int64_t patrol_tracks = 0;
    std::int64_t patrol_fixes = 0;
    std::int64_t events = 0;
    std::int64_t timeline_entries = 0;
};

// Writes the whole city into an empty store in one transaction. Throws Error(conflict) when the
// store already has layers, Error(io_error) when the samples are missing.
DemoSummary build_demo_city(Store& store, const DemoOptions& options);

} // namespace tessera::data
