// Officers' fixes into the store (docs/coverage.md, "Into the store"): a file imported by
// `tessera import-fixes` and a batch an officer's app posts to /api/v1/positions take the same
// way. The fixes are cleaned against what the store already holds for the officer, joined to
// the stored tracks they continue (or fill in), split into tracks where the officer went quiet
// for longer than the gap, and the newest fix becomes the officer's latest position.
//
// Thread-safety: free functions; the Store serialises concurrent calls, and each call is one
// transaction, so two batches of one officer never interleave.
#pragma once

#include "data/fixes.hpp"
#include "data/store.hpp"

#include <chrono>
#include <functional>
#include <span>
#include <vector>

namespace tessera::data {

struct FixReceipt : DroppedFixes { // dropped by FixFilter or as duplicates of stored fixes
    std::size_t received = 0;
    std::size_t stored = 0; // kept fixes now in patrol tracks
    // Kept fixes with no other of their officer within the gap: not a track; the newest of them
    // is still the officer's latest position.
    std::size_t lone = 0;
    std::size_t tracks_started = 0;  // tracks made of new fixes only
    std::size_t tracks_extended = 0; // stored tracks (or a lone latest fix) the fixes joined
    std::size_t officers = 0;
    geo::BBox tracks_extent; // of the tracks written; those they replaced lie inside
};

struct StoreFixOptions {
    FixFilter filter;
    // Fixes of one officer further apart than this start a new track. DEFAULT: 10 minutes, as
    // the audit's gap (AuditRules::max_gap).
    std::chrono::seconds max_gap{600};
    // Called once per officer with their fixes before anything is written; throwing refuses the
    // whole call (how /api/v1/positions applies the jurisdiction rules).
    std::function<void(const Person&, std::span<const Fix>)> check;
};

// Stores the fixes (any order, any officers) in one transaction:
// - per officer, the stored tracks within the gap of the fixes' time span are read; each new fix
//   is judged (FixFilter) against the fix before it, stored or new, so a jump from where the
//   officer was last seen is caught across batches, and a fix the store holds already is a
//   duplicate (a file imported twice stores nothing new);
// - the stored and kept fixes are split where consecutive ones are more than the gap apart
//   (a stored track is never split); each part holding new fixes replaces the stored tracks in
//   it by one track, or is a lone fix when it holds one fix only;
// - the newest kept fix becomes the officer's latest position unless the store has a newer one.
// Error(not_found) naming the officers (person codes) the store does not know; whatever
// options.check throws. Nothing is stored then.
FixReceipt store_fixes(Store& store, std::vector<Fix> fixes, const StoreFixOptions& options = {});

} // namespace tessera::data
