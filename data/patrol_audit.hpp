// Patrol coverage audits (docs/coverage.md): per grid and time window, whether officers visited
// it, how far they walked inside, how much of it (and of its households) lay within reach of
// their tracks, when it was last visited and by whom, and whether it is stale by its type's rule.
//
// PatrolAudit is the engine: grids, households and fixes in columns, nothing read from a store,
// so a benchmark or a server can feed it from anywhere. audit_patrols() reads one layer, its
// buildings, people and patrol tracks from the store and runs it.
#pragma once

#include "data/store.hpp"
#include "geo/geometry.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tessera::data {

struct AuditRules {
    // A visit is a stay: consecutive fixes of one officer in the grid, no two further apart in
    // time than max_gap. It counts when it lasts at least min_dwell (first to last fix).
    std::chrono::seconds min_dwell{5 * 60};
    // Fixes further apart are not joined: no distance walked, no ground covered between them.
    std::chrono::seconds max_gap{10 * 60};
    // Coverage share: the part of a grid (of its households) within reach_m of a track, measured
    // on cells of cell_m (geo/reach_map.hpp).
    double reach_m = 50;
    double cell_m = 5;
    // A grid is fully patrolled in a period when it was visited and its coverage share reached
    // full_share; stale when it was not fully patrolled in the last stale_days of its type
    // (the feature's "type" property) up to the end of the window.
    double full_share = 0.8;
    std::map<std::string, int, std::less<>> stale_days{
        {"rural", 30}, {"village", 30}, {"urban", 45}, {"community", 45}};
    int default_stale_days = 45;

    int stale_days_for(std::string_view type) const;
};

// A building's households, for the household share.
struct HouseholdPoint {
    geo::LonLat position;
    std::int64_t households = 0;
};

// Fixes in columns, sorted by officer, then time. Officers are small numbers the caller gives
// meaning to (an index into its list of people).
struct FixColumns {
    std::span<const std::uint32_t> officer;
    std::span<const std::int64_t> time_ms; // Unix milliseconds
    std::span<const geo::LonLat> position; // WGS84
};

inline constexpr std::uint32_t no_officer = 0xffffffffu;

struct GridPatrol {
    bool visited = false;
    std::int64_t visits = 0; // stays meeting the dwell rule
    std::int64_t fixes = 0;  // fixes located in the grid
    double distance_m = 0;   // walked inside the grid
    std::int64_t cells = 0;  // the grid's cells (geo::ReachMap)
    std::int64_t covered_cells = 0;
    std::int64_t households = 0; // in the buildings located in the grid
    std::int64_t households_covered = 0;
    std::optional<std::int64_t> last_visit_ms; // the end of the latest stay meeting the rule
    std::uint32_t last_officer = no_officer;   // whose stay that was

    double area_share() const;
    double household_share() const;
    // The household share where the grid has households, else the area share.
    double coverage_share() const;
};

class PatrolAudit {
public:
    // grids[i] is grid i of the results. Throws Error(invalid_argument) for bad rules (a reach or
    // cell that is not positive, a negative dwell or gap) or grids without any extent.
    PatrolAudit(std::span<const geo::MultiPolygon> grids,
                std::span<const HouseholdPoint> households, AuditRules rules);
    ~PatrolAudit();
    PatrolAudit(PatrolAudit&&) noexcept;
    PatrolAudit& operator=(PatrolAudit&&) noexcept;

    // One entry per grid, for the fixes with from_ms <= time < to_ms, on up to `threads`
    // threads (officers are split between them). REQUIRES: fixes sorted by officer, then time;
    // the three columns of equal length. Thread-safety: const; may run concurrently.
    std::vector<GridPatrol> run(const FixColumns& fixes, std::int64_t from_ms, std::int64_t to_ms,
                                int threads = 1) const;

    const AuditRules& rules() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// ---- over the store ----

struct AuditQuery {
    std::string layer = "grid";
    Time from{};
    Time to{}; // exclusive
    AuditRules rules;
    int threads = 1;
    // Which of the layer's features to audit (a caller's jurisdiction). DEFAULT: all of them.
    // Buildings and tracks are then read around those only.
    std::function<bool(const Feature&)> include;
};

// A window end given as text: ISO 8601 time, or a date alone for a day in Beijing (+08:00):
// its 00:00 for a start, the end of that whole day for an end (`end`). nullopt for other text.
std::optional<Time> parse_window_time(std::string_view text, bool end);

// A grid of an audit: which one, and its shape for maps. The patrol, camera and drone audits
// (data/sensor_audit.hpp) describe each grid with these first.
struct AuditedGrid {
    std::string code;
    std::string name;
    std::string type; // the feature's "type" property ("urban", "rural", ...)
    std::optional<std::string> parent_code;
    geo::MultiPolygon shape; // polygonal; empty for a feature of another kind
};

// The features of `layer` that `include` accepts (all of them without it), by code, and the
// box around them grown by margin_m, to read what reaches them (nullopt when all features are
// included; an empty box when none are). Error(not_found) for an unknown layer.
struct AuditedLayer {
    std::vector<AuditedGrid> grids;
    std::optional<geo::BBox> around;
};
AuditedLayer audited_grids(Store& store, const std::string& layer,
                           const std::function<bool(const Feature&)>& include, double margin_m);

struct GridAudit : AuditedGrid {
    GridPatrol patrol;                  // in the window
    std::optional<Person> last_officer; // of patrol.last_visit_ms
    int stale_days = 0;
    bool stale = false;
    std::vector<Person> responsible; // the people responsible for the grid, lead first
};

struct AuditReport {
    std::string layer;
    Time from{}, to{};
    AuditRules rules;
    std::vector<GridAudit> grids; // by code
    std::int64_t fixes = 0;       // read for the window and the stale periods
    std::int64_t tracks = 0;
};

// The report as CSV, one row per grid (docs/coverage.md, "The audit"), with a header line:
// code,name,type,visited,visits,distance_m,coverage_share,area_share,household_share,
// households,last_visit,officer,officer_name,responsible,stale,stale_days.
std::string audit_csv(const AuditReport& report);

// Audits the current features of `query.layer`. Error(not_found) for an unknown layer,
// Error(invalid_argument) for from >= to or bad rules.
AuditReport audit_patrols(Store& store, const AuditQuery& query);

} // namespace tessera::data
