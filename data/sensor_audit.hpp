// Camera and drone coverage audits (docs/coverage.md, "Cameras" and "Drones"): per grid, how much
// of it the cameras' view cones or the drones' imaged strips cover, and the pieces they miss;
// households no camera sees; cameras on and off line; the gaps of a planned survey; and closed
// events whose place a later flight saw again (re-inspected).
#pragma once

#include "data/patrol_audit.hpp"
#include "data/store.hpp"
#include "geo/geometry.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tessera::data {

// Uncovered pieces smaller than this are slivers where a view's edge runs along a boundary.
inline constexpr double default_min_piece_m2 = 1;

// ---- cameras ----

struct CameraAuditQuery {
    std::string layer = "grid";
    // Which of the layer's features to audit (a caller's jurisdiction). DEFAULT: all of them.
    std::function<bool(const Feature&)> include;
    double min_piece_m2 = default_min_piece_m2;
    int threads = 1;
};

struct GridCameras : AuditedGrid {
    double area_m2 = 0;
    double covered_m2 = 0;         // within an online camera's view cone
    geo::MultiPolygon blind_spots; // what no online camera sees, pieces of min_piece_m2 or more
    std::int64_t online = 0;       // cameras standing in the grid
    std::int64_t offline = 0;
    std::int64_t cones = 0; // online cameras whose cone reaches into the grid, wherever they stand
    std::int64_t households = 0; // in the buildings located in the grid
    std::int64_t households_unseen = 0;
    std::int64_t buildings_unseen = 0; // buildings with households that no online camera sees

    double covered_share() const { return area_m2 > 0 ? covered_m2 / area_m2 : 0; }
};

struct CameraReport {
    std::string layer;
    std::vector<GridCameras> grids; // by code
    std::int64_t online = 0;        // cameras standing in the audited grids
    std::int64_t offline = 0;
};

// Cones reach at most max_camera_range_m (data/nearby.hpp). Error(not_found) for an unknown layer.
CameraReport audit_cameras(Store& store, const CameraAuditQuery& query);

// One row per grid with a header line: code,name,type,covered_share,covered_m2,area_m2,
// blind_spots,blind_spot_m2,cameras_online,cameras_offline,cones,households,households_unseen,
// buildings_unseen.
std::string camera_audit_csv(const CameraReport& report);

// ---- drones ----

struct DroneAuditQuery {
    std::string layer = "grid";
    Time from{};
    Time to{}; // exclusive: flights that started before it and ended at or after `from`
    std::function<bool(const Feature&)> include;
    // A planned survey area: its gaps are what the flights of the window left to re-fly.
    std::optional<geo::MultiPolygon> plan;
    // Which events the re-inspection looks at (a caller's; data::EventDesk's visibility);
    // nullopt: all.
    std::optional<EventQuery::Visibility> events_visible_to;
    double min_piece_m2 = default_min_piece_m2;
    int threads = 1;
};

struct FlightFootprint {
    std::string code;
    std::string purpose;
    Time started{}, ended{};
    double swath_m = 0;
    double length_m = 0;
    geo::MultiPolygon footprint; // geo::swath of its path
    double footprint_m2 = 0;
};

struct GridFlights : AuditedGrid {
    double area_m2 = 0;
    double covered_m2 = 0;
    geo::MultiPolygon unflown;        // pieces of min_piece_m2 or more
    std::vector<std::string> flights; // whose footprint reaches into the grid, by start
    std::optional<Time> last_flown;   // the end of the latest of them

    double covered_share() const { return area_m2 > 0 ? covered_m2 / area_m2 : 0; }
};

struct PlanCoverage {
    double planned_m2 = 0;
    double covered_m2 = 0;
    geo::MultiPolygon gaps; // to re-fly

    double covered_share() const { return planned_m2 > 0 ? covered_m2 / planned_m2 : 0; }
};

// A closed event whose place a flight of the window imaged after it was closed.
struct Reinspection {
    std::int64_t event_id = 0;
    std::string category;
    std::string grid_code;
    geo::LonLat position;
    Time closed_at{};
    std::string flight_code; // the latest such flight
    Time flown_at{};         // when that flight started
    bool marked = false;     // its timeline holds the re-inspection by that flight already
};

struct DroneReport {
    std::string layer;
    Time from{}, to{};
    std::vector<FlightFootprint> flights; // of the window, reaching the audited grids; by start
    std::vector<GridFlights> grids;       // by code
    std::optional<PlanCoverage> plan;
    std::vector<Reinspection> reinspected; // by event id
};

// Error(invalid_argument) for from >= to; Error(not_found) for an unknown layer. Flights are
// read around the audited grids within max_swath_m / 2.
inline constexpr double max_swath_m = 1000;
DroneReport audit_drones(Store& store, const DroneAuditQuery& query);

// A flight's footprint and figures (geo::swath of its path).
FlightFootprint footprint_of(const DroneFlight& flight);

// The closed events (those `visible_to` may see; nullopt: all) whose place lies under one of
// `flights`' footprints and that were closed before that flight started, each once with the
// latest such flight, by event id; `marked` when its timeline holds that flight's re-inspection.
std::vector<Reinspection>
find_reinspections(Store& store, std::span<const FlightFootprint> flights,
                   const std::optional<EventQuery::Visibility>& visible_to = std::nullopt);

// One row per grid: code,name,type,covered_share,covered_m2,area_m2,unflown_pieces,unflown_m2,
// flights,last_flown.
std::string drone_audit_csv(const DroneReport& report);

// The current polygonal feature with `code` in any layer (a planned survey named by its area: a
// township, a village, a grid); nullopt when no layer has one.
std::optional<Feature> area_feature(Store& store, std::string_view code);

// Appends a `reinspect` entry to the timeline of each event of `found` not marked yet (the event
// stays closed), by `actor` at `now`; returns how many were marked. Each is its own write.
std::size_t mark_reinspections(Store& store, std::vector<Reinspection>& found,
                               const std::string& actor, Time now);

} // namespace tessera::data
