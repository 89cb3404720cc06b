// The assignment engine's facade: a point -> its grid, the admin areas above it and the people
// responsible, from in-memory indexes built from the store (geo/locate_index.hpp).
//
// Semantics (docs/assignment.md):
// - The basic grid comes from the grid layer under the boundary rule of LocateIndex (exactly one
//   grid per point of the tiling; "lower-left wins" on shared edges and vertices).
// - An exclusive grid containing the point takes precedence for ownership; the micro-grid is
//   reported when one contains the point.
// - Community, township and county follow the grid's parent codes. Outside every grid but inside
//   an admin area, the smallest admin area containing the point is reported with
//   status outside_grid (属地兜底); outside everything, status unassigned. Neither is an error.
// - With an accuracy (metres), a point closer than that to its grid's boundary is ambiguous and
//   the grids within that distance are listed as candidates.
// - Input coordinates may be in any CRS (geo::Crs); layers are stored in WGS84, so a WGS84 phone
//   fix and a GCJ-02 mini-program fix of the same spot land in the same grid.
// - `at` answers against the layer versions valid then.
//
// Thread-safety: all members may be called from any thread. refresh() builds new indexes beside
// the current ones and swaps them in atomically; locate() never waits for a rebuild. subscribe()
// before serving: listeners are called by refresh() while it holds its own lock.
#pragma once

#include "data/store.hpp"
#include "geo/crs.hpp"

#include <functional>
#include <memory>
#include <mutex>

namespace tessera::data {

struct AreaRef {
    std::string code;
    std::string name;
    std::string layer;
    std::int64_t version = 0; // layer version it comes from
};

struct Owner {
    std::int64_t person_id = 0;
    std::string name;
    PersonRole role = PersonRole::full_time_officer;
    std::string phone;
    std::string level; // "exclusive_grid", "grid", "community", "township", "county"
    std::string unit_code;
};

struct Assignment {
    enum class Status { assigned, outside_grid, unassigned };
    Status status = Status::unassigned;
    geo::LonLat wgs84; // the point in storage coordinates
    std::optional<AreaRef> grid, exclusive_grid, micro_grid, community, township, county;
    // The county's parent code (the city or prefecture above it; not a layer of its own), when
    // the county layer records one.
    std::optional<std::string> city_code;
    // Responsible people, most specific first: the exclusive or basic grid's officers and chief,
    // then the community's, township's and county's.
    std::vector<Owner> owners;
    bool ambiguous = false;
    std::vector<AreaRef> candidates; // grids within the accuracy, when ambiguous
    std::int64_t layer_version = 0;  // version of the grid layer used
};

std::string_view to_string(Assignment::Status s);

struct LocateQuery {
    geo::LonLat position; // in `crs`, traditional GIS order (x, y)
    std::string crs = "wgs84";
    std::optional<double> accuracy_m;
    std::optional<Time> at;
    std::optional<std::string> grid_layer; // DEFAULT: the first layer of kind grid
    bool with_owners =
        true; // false: leave Assignment::owners empty (a caller who may not see them)
};

class Assigner {
public:
    explicit Assigner(Store& store);
    ~Assigner();
    Assigner(const Assigner&) = delete;
    Assigner& operator=(const Assigner&) = delete;

    // Rebuilds the current indexes if any layer's version changed, and reads the people again if
    // they changed (Store::people_revision); returns true if anything did.
    bool refresh();

    // Throws Error(invalid_argument) for non-finite or out-of-range input, Error(unknown_crs),
    // Error(not_found) for an unknown grid layer.
    Assignment locate(const LocateQuery& q);

    // Fast path for bulk callers: the grid (index into the current grid layer, or -1) of points
    // already in WGS84. Thread-safe; the result refers to the snapshot returned alongside.
    struct Batch {
        std::int64_t layer_version = 0;
        std::vector<std::int32_t> grid; // index into codes/names, -1 outside
        std::shared_ptr<const std::vector<std::string>> codes, names;
        std::vector<std::uint8_t> outside_grid; // 1 where the point is in an admin area but no grid
    };
    Batch locate_batch(std::span<const geo::LonLat> wgs84,
                       const std::optional<std::string>& grid_layer = {});

    // The admin areas (community, township and county layers) whose full name occurs in `text`
    // (an address as spoken on the hotline), most specific layer first.
    struct NamedArea {
        AreaRef area;
        std::vector<std::string> codes; // the area's code, then those above it up to the city
    };
    std::vector<NamedArea> areas_named_in(std::string_view text);
    // An admin area's code and the codes above it up to the city (a grid's scope is its code and
    // areas_from(its parent code)). Just `code` for a code no admin layer has.
    std::vector<std::string> areas_from(std::string_view code);
    // The codes of the cities above the counties (the county layer's parent codes).
    std::vector<std::string> city_codes();
    // An admin area or grid by code: its name and level (grid, community, township, county, or
    // city for a county layer's parent code, which has no name of its own).
    struct AreaInfo {
        std::string code;
        std::string name;
        StatsUnit level = StatsUnit::total;
    };
    std::optional<AreaInfo> area_info(std::string_view code);

    // For drawing (vector tiles): the current features of `layer` whose bounding boxes meet
    // `box`, in the layer's order, as the engine holds them in memory. The views stay valid
    // while the result lives (it shares the snapshot), also across a refresh().
    // Error(not_found) for an unknown layer.
    struct DrawnFeature {
        std::int64_t id = 0;      // of this version of the feature (the store's row)
        std::int64_t version = 0; // layer version that introduced it
        std::string_view code, name;
        const std::optional<std::string>* parent_code = nullptr;
        const geo::MultiPolygon* geometry = nullptr; // empty for non-polygonal features
        // One flag per vertex of geometry's rings: where boundaries shared within the layer
        // start, end or branch (geo::find_junctions), for simplifying it seamlessly.
        const std::vector<bool>* junctions = nullptr;
    };
    struct LayerDrawing {
        std::string layer;
        LayerKind kind = LayerKind::grid;
        std::int64_t version = 0;
        std::vector<DrawnFeature> features;
        std::shared_ptr<const void> keep; // the snapshot the views point into
    };
    // With `at`: the features valid then.
    LayerDrawing features_in(std::string_view layer, const geo::BBox& box,
                             std::optional<Time> at = std::nullopt);

    // What a refresh() changed in one layer: the bounding boxes of the features that appeared
    // or went away (an edited feature is both: its old and its new shape). A layer created or
    // dropped lists all its features.
    struct LayerChange {
        std::string layer;
        std::vector<geo::BBox> areas;
    };
    using LayerListener = std::function<void(const LayerChange&)>;
    // Called by refresh(), on its thread, after the new snapshot is current, once per changed
    // layer. Not for the first build (nothing was drawn from a snapshot before it).
    void subscribe(LayerListener listener);

    struct Snapshot;

private:
    std::shared_ptr<const Snapshot> current();
    std::shared_ptr<const Snapshot> snapshot_at(Time at);

    Store& m_store;
    std::mutex m_refresh_mutex; // one refresh at a time, so listeners see changes in order
    std::mutex m_mutex;         // guards the pointers below, never held during a build
    std::shared_ptr<const Snapshot> m_current;
    std::vector<std::pair<std::int64_t, std::shared_ptr<const Snapshot>>> m_past; // by time key
    std::vector<LayerListener> m_listeners; // guarded by m_refresh_mutex
};

} // namespace tessera::data
