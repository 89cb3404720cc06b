// What a vector tile holds, layer by layer (docs/tiles.md): the encoded Mapbox Vector Tile of one
// layer for one tile frame, built from what the lower layers hold. No caching and no HTTP here:
// get_tile (server/detail/tiles_api.cpp) puts these behind the tile cache, and bench/tile_bench
// times them cold.
#pragma once

#include "data/assignment.hpp"
#include "data/event_desk.hpp"
#include "data/patrol_audit.hpp"
#include "data/policy.hpp"
#include "data/store.hpp"
#include "tiles/tile_geometry.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace tessera::server {

// The most events one tile holds; beyond it a zoomed-out tile shows the first ones by time.
constexpr std::size_t max_tile_events = 20'000;

// A boundary layer's features in the tile, from the assignment engine's in-memory snapshot:
// code, name, kind, parent_code and version per feature. Public data. With `at`, the features
// valid then. Throws Error(not_found) for an unknown layer.
std::string boundary_tile(data::Assigner& assigner, std::string_view layer,
                          const tiles::TileFrame& frame,
                          std::optional<data::Time> at = std::nullopt);

// The open events `who` may see in the tile (layer data::events_layer): the event id as the
// feature id; category, status, severity, level, source, grid_code, owner_unit, reported_at and
// deadline_at per event.
std::string events_tile(data::EventDesk& desk, const data::Principal& who,
                        const tiles::TileFrame& frame);

// The cameras (layer data::cameras_layer) `who` may see (a camera is where its position is located:
// grid and areas) whose view cones reach the tile: each cone a polygon (geo::view_cone, range
// capped at data::max_camera_range_m: a tile takes the
// cameras within that distance of it) with the camera id as feature id and code, name, online,
// heading_deg, fov_deg and range_m.
std::string cameras_tile(data::Store& store, data::Assigner& assigner, const data::Principal& who,
                         const tiles::TileFrame& frame);

// The most patrol tracks or drone flights one tile draws: the latest-starting ones.
constexpr std::size_t max_tile_paths = 5'000;

// The officers' patrol tracks (layer data::tracks_layer) `who` may see that cross the tile: a
// track belongs where it starts (located like a camera). Lines with the track id as feature id
// and officer_code, officer_name, started_at, ended_at and length_m.
std::string tracks_tile(data::Store& store, data::Assigner& assigner, const data::Principal& who,
                        const tiles::TileFrame& frame);

// The drone flights (layer data::drones_layer) `who` may see that cross the tile, each belonging
// where it takes off: the flight path as a line with the flight id as feature id and code,
// purpose, swath_m, started_at, ended_at and length_m; and in a second layer
// (data::drone_footprints_layer) the strip each imaged (geo::swath), with the same id, code and
// swath_m.
std::string drones_tile(data::Store& store, data::Assigner& assigner, const data::Principal& who,
                        const tiles::TileFrame& frame);

// The grids of `audit` (layer data::coverage_layer) `who` may see patrol tracks in (a grid's
// scope: its code and the areas above it) whose boxes meet the tile: polygons with code, name,
// type, coverage_share, visited, visits, stale, stale_days, distance_m and last_visit.
std::string coverage_tile(const data::AuditReport& audit, data::Assigner& assigner,
                          const data::Principal& who, const tiles::TileFrame& frame);

} // namespace tessera::server
