// What the handlers work with: the facades of the lower layers plus server-wide state.
// Built once by `tessera serve` (or a test) and shared by all handler calls.
//
// Thread-safety: every member is safe to use from several threads at once (the Store
// serialises internally, Auth goes through the Store, Metrics has its own lock).
// Lifetime: the referenced objects must outlive every handler call.
#pragma once

#include "data/assignment.hpp"
#include "data/auth.hpp"
#include "data/event_desk.hpp"
#include "data/store.hpp"
#include "server/coverage_cache.hpp"
#include "server/metrics.hpp"
#include "tiles/tile_cache.hpp"

#include <filesystem>
#include <memory>
#include <optional>

namespace tessera::server {

struct Services {
    data::Store& store;
    data::Auth& auth;
    data::Assigner& assigner;
    data::EventDesk& desk;
    Metrics& metrics;
    tiles::TileCache& tile_cache;
    // Directory served at "/" (index.html for directories). nullopt: no static files (404).
    std::optional<std::filesystem::path> web_root;
    // The standing patrol audit behind the coverage tiles.
    std::shared_ptr<CoverageCache> coverage = std::make_shared<CoverageCache>();
};

// Subscribes services.tile_cache to the desk's event changes and the assigner's layer changes,
// so the tiles they reach are dropped (docs/tiles.md, "Tile cache"). The Server calls it once.
void connect_tile_cache(Services& services);

} // namespace tessera::server
