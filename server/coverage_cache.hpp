// The patrol audit behind the coverage tiles (docs/coverage.md, "On the map"): every grid of the
// grid layer over the last 30 days, computed once and kept for a few minutes, so that a map
// of the whole city does not run a city-wide audit per tile. The audit page asks the API for
// its own windows; the tiles show the standing picture.
//
// Thread-safety: get() may be called from any number of threads. While one caller refreshes an
// expired report, the others keep getting the old one; only the very first callers wait.
#pragma once

#include "data/patrol_audit.hpp"
#include "data/store.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace tessera::server {

class CoverageCache {
public:
    static constexpr std::chrono::minutes default_max_age{10};
    static constexpr std::chrono::days window{30};

    explicit CoverageCache(std::chrono::seconds max_age = default_max_age);

    struct Snapshot {
        data::AuditReport report;
        data::Time computed_at{};
        std::uint64_t generation = 0; // grows with each refresh: part of the tiles' cache key
    };

    // The audit of the layer "grid" over the `window` up to `now`, computed now when none is
    // held or the one held is older than max_age. nullptr when the store has no grid layer.
    std::shared_ptr<const Snapshot> get(data::Store& store, data::Time now);

private:
    std::chrono::seconds m_max_age;
    std::mutex m_mutex;
    std::condition_variable m_done;
    std::shared_ptr<const Snapshot> m_snapshot;
    bool m_refreshing = false;
    std::uint64_t m_generation = 0;
};

} // namespace tessera::server
