// Redrawing a boundary layer in a draft (docs/redrawing.md): typed edit operations applied to a
// draft's working state (the current layer with the draft's changes over it), validation of what
// the draft touches, and the commit that makes it the layer's next version and moves the open
// events in the redrawn area to their new grid.
//
// Geometry is EPSG:4326. Each operation keeps the layer a tiling where it was one (geo/edit.hpp):
// neighbours change together and shared boundaries stay shared vertex for vertex.
//
// Thread-safety: a Redraw holds only a Store reference; its calls may run on any thread. Two
// operations on one draft at once are serialised by the store (each is one atomic write); the
// later one works from the state the earlier one left only if it started after it.
#pragma once

#include "data/store.hpp"
#include "data/validation.hpp"

#include <functional>
#include <variant>

namespace tessera::data {

namespace edit {
// Moves the vertex at `from` (and every neighbour's vertex there) to `to`.
struct MoveVertex {
    geo::LonLat from, to;
};
// The feature takes `shape`; its neighbours lose what it covers and gain what it gives up.
struct Reshape {
    std::string code;
    geo::MultiPolygon shape;
};
// The boundary between two adjacent features runs along `line` instead.
struct MoveBoundary {
    std::string a, b;
    geo::LineString line;
};
// The feature is cut along `line`; the largest piece keeps its code, the others take
// `new_codes` in order (largest first) or, where none is given, "<code>-2", "<code>-3", ...
struct Split {
    std::string code;
    geo::LineString line;
    std::vector<std::string> new_codes;
};
// codes[1..] are dissolved into codes[0], which keeps its attributes (households add up).
struct Merge {
    std::vector<std::string> codes;
};
// A new feature from a drawn polygon, clipped to its parent, taking its area from the
// features it covers.
struct Create {
    FeatureInput feature;
};
// The feature goes; its area joins `into`, an adjacent feature.
struct Remove {
    std::string code, into;
};
struct Reparent {
    std::string code, parent_code;
};
// A new name and properties (merged by key; a null value removes the key).
struct SetAttributes {
    std::string code;
    std::optional<std::string> name;
    Properties properties;
};
// The people responsible for the feature become `people` (person codes, most important first;
// empty: no one). A merge or a removal hands the people of the features that go to the one that
// takes their ground, and a split gives the new pieces the people of the feature it cut.
struct SetOwners {
    std::string code;
    std::vector<std::string> people;
};
} // namespace edit

using EditOperation =
    std::variant<edit::MoveVertex, edit::Reshape, edit::MoveBoundary, edit::Split, edit::Merge,
                 edit::Create, edit::Remove, edit::Reparent, edit::SetAttributes, edit::SetOwners>;
std::string_view kind_of(const EditOperation& op); // "move_vertex", "reshape", ...

struct RedrawOptions {
    // Drawn vertices this close to a neighbour's vertex or edge are put on it.
    double snap_m = 0.5;
};

// A committed draft: the changeset, and the events it moved.
struct RedrawCommit {
    Changeset changeset;
    struct Moved {
        std::int64_t event_id = 0;
        std::string from_grid, to_grid;
    };
    std::vector<Moved> moved_events;
};

// What a draft would change on the ground (docs/redrawing.md, "Impact"): per grid it touches,
// the buildings, households, events, cameras and patrols in it before and after, and the people
// responsible; and the totals that would change grid.
struct GridImpact {
    std::string code;
    std::string change; // "changed", "created", "removed" or "owners" (only its people change)
    struct Counts {
        std::int64_t buildings = 0, households = 0, open_events = 0, closed_events = 0, cameras = 0,
                     patrols = 0;
        double patrol_km = 0;
    };
    Counts before, after;
    std::vector<Person> people;       // responsible for the grid now (its officers and chief)
    std::vector<Person> people_after; // and after the commit
};
struct DraftImpact {
    std::vector<GridImpact> grids; // by code
    // What would change grid: buildings and their households, events still open (they follow
    // the commit) and closed (they keep the grid they were handled under), cameras, and patrols
    // of the last `patrol_days` (a patrol belongs where it starts).
    GridImpact::Counts moved;
    int patrol_days = 30;
};

// One feature that differs between two versions of a layer.
struct FeatureDiff {
    std::string code;
    // "created", "removed", "reshaped", "vertices" (the same ground, with vertices added or
    // moved along its edges, as a neighbour's edit does) or "attributes" (the same shape)
    std::string change;
    std::optional<Feature> before, after;
    // The ground that changed hands: what it gained and what it lost (for a created feature its
    // shape, for a removed one its old shape); empty when only attributes changed.
    geo::MultiPolygon area;
};

// What differs between versions `from` and `to` of a layer (either way round), by code.
// Version 0 is the empty layer. Error(not_found) for an unknown layer or version.
std::vector<FeatureDiff> diff_versions(Store& store, std::string_view layer, std::int64_t from,
                                       std::int64_t to);

class Redraw {
public:
    explicit Redraw(Store& store, RedrawOptions options = {});

    // Applies `op` to the draft and records it with `detail` (the request as JSON) under `author`.
    // Error(not_found) for an unknown draft or feature code, Error(conflict) for a draft that
    // is not open or a code that exists, Error(invalid_argument) for an edit that cannot be made
    // (geo/edit.hpp), Error(invalid_geometry) for a shape that is not valid or an edit that would
    // leave one.
    // `check`, when given, sees the changes before they are recorded, and the features whose
    // people a set_owners changes (as the draft has them), and may throw to refuse them (the API
    // checks the caller's jurisdiction over every feature they touch).
    using ChangeCheck =
        std::function<void(std::span<const FeatureChange>, std::span<const FeatureInput> owned)>;
    DraftOperation apply(std::int64_t draft, const EditOperation& op, std::string_view author,
                         std::string detail = "{}", const ChangeCheck& check = {});

    // Makes the draft's content `features` (a whole redrawn layer, e.g. a surveyor's file): the
    // draft changes exactly the features that differ from the current layer and removes those
    // missing. Error(conflict) for a repeated code.
    DraftOperation import_layer(std::int64_t draft, std::span<const FeatureInput> features,
                                std::string_view author, std::string detail = "{}",
                                const ChangeCheck& check = {});

    // Makes the draft's content the layer as it was at `at`: a rollback, committed as a new
    // changeset like any other redraw. Error(invalid_argument) when the layer had no features
    // then.
    DraftOperation restore(std::int64_t draft, Time at, std::string_view author,
                           std::string detail = "{}", const ChangeCheck& check = {});

    // Calls `check` with everything the draft changes so far (before a commit by someone who
    // may not have made all of it).
    void check(std::int64_t draft, const ChangeCheck& check);

    // The draft's features as they would be, in `box` when given, by code.
    std::vector<FeatureInput> features(std::int64_t draft, std::optional<geo::BBox> box = {});

    // Validates what the draft touches: the changed features, and the whole of every parent area
    // they were or will be in (gaps and overlaps there); the report's features counts those.
    ValidationReport validate(std::int64_t draft, const ValidationRules& rules = {});

    // What the draft would change on the ground, from the store's buildings, events, cameras
    // and patrol tracks where it reaches; `now` dates the patrol window.
    DraftImpact impact(std::int64_t draft, Time now);

    // Commits the draft (Store::commit_draft) and, in the same transaction, moves each event that
    // is still open (not resolved or closed) and whose grid the draft changed, or that was in no
    // grid where the draft draws one, to the grid its position is in now, with a "reassign"
    // entry on its timeline. Resolved and closed events keep
    // the grid they were handled under. Does not validate: the caller decides (the API refuses a
    // draft with errors).
    RedrawCommit commit(std::int64_t draft, const ChangesetInfo& info);

private:
    Store& m_store;
    RedrawOptions m_options;
};

} // namespace tessera::data
