// The Store: every read and write of persistent state goes through this interface, and every
// SQL string lives behind it in data/. The default implementation is SpatiaLite (one file, WAL,
// foreign keys on); a PostgreSQL/PostGIS one can be added behind the same interface.
//
// Thread-safety: a Store may be shared between threads; calls are serialised internally.
// Atomicity: every call is atomic. Transaction groups several calls into one atomic unit on the
// calling thread (other threads wait while it is open). Writes are durable when the call (or the
// outermost Transaction's commit) returns.
#pragma once

#include "data/model.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <span>

namespace tessera::data {

class Transaction {
public:
    virtual ~Transaction() = default;
    // Makes the work durable. Without commit(), the destructor rolls everything back.
    virtual void commit() = 0;
};

struct StoreStats {
    std::int64_t size_bytes = 0; // database file(s) on disk
    int schema_version = 0;
};

class Store {
public:
    virtual ~Store() = default;

    virtual std::unique_ptr<Transaction> begin() = 0;
    virtual StoreStats stats() = 0;

    // ---- layers ----
    // Throws Error(conflict) if the name exists, Error(not_found) for an unknown parent layer,
    // Error(invalid_argument) for a bad name.
    virtual Layer create_layer(const LayerSpec& spec) = 0;
    virtual std::vector<Layer> layers() = 0;
    virtual std::optional<Layer> find_layer(std::string_view name) = 0;

    // Replaces the layer's current features with `features` as one changeset and one new layer
    // version: the old versions get valid_to = the changeset time. Throws Error(conflict) on a
    // duplicate code, Error(not_found) for an unknown layer.
    virtual Changeset replace_features(std::string_view layer, const ChangesetInfo& info,
                                       std::span<const FeatureInput> features) = 0;
    virtual FeaturePage features(std::string_view layer, const FeatureQuery& query) = 0;
    virtual std::vector<Changeset> changesets(std::string_view layer) = 0;
    // What changed in `layer` after `version` (for following it incrementally). Error(not_found)
    // for an unknown layer.
    virtual LayerDelta changes_since(std::string_view layer, std::int64_t version) = 0;
    // Every version of one feature, oldest first (empty for a code the layer never had).
    virtual std::vector<Feature> feature_history(std::string_view layer, std::string_view code) = 0;

    // ---- drafts: redrawing a layer (docs/redrawing.md) ----
    // Error(not_found) for an unknown layer, Error(invalid_argument) without created_by.
    virtual Draft create_draft(std::string_view layer, const DraftSpec& spec) = 0;
    virtual std::optional<Draft> draft(std::int64_t id) = 0;
    // The layer's drafts, newest first.
    virtual std::vector<Draft> drafts(std::string_view layer) = 0;
    // What the draft changes so far, one entry per feature code, by code.
    virtual std::vector<FeatureChange> draft_changes(std::int64_t id) = 0;
    virtual std::vector<DraftOperation> draft_operations(std::int64_t id) = 0;
    // Who the draft makes responsible for which features, one entry per feature code, by code.
    virtual std::vector<OwnerChange> draft_owners(std::int64_t id) = 0;
    // Appends `op` (its seq is assigned) and records `changes` and `owners`, replacing what the
    // draft had for those codes (with replace_all: everything it had), atomically, provided the
    // draft is still open: Error(conflict) otherwise, Error(not_found) for an unknown draft.
    virtual DraftOperation add_draft_operation(std::int64_t id, const DraftOperation& op,
                                               std::span<const FeatureChange> changes,
                                               bool replace_all = false,
                                               std::span<const OwnerChange> owners = {}) = 0;
    // Error(conflict) unless the draft is open.
    virtual void discard_draft(std::int64_t id) = 0;
    // Applies the draft's changes as one changeset and one new layer version: the features it
    // changes or removes get valid_to, the new versions valid_from, the changeset's time; the
    // rest of the layer carries on untouched. Its owner changes replace the people responsible
    // for those codes (people since removed are skipped). Error(conflict) when the draft is not
    // open, when a feature it changes was changed by another changeset since the draft's base
    // version (the message names it), or when the result would repeat a code;
    // Error(invalid_argument) for a draft that changes neither features nor owners, or a changeset
    // without author or reason.
    virtual Changeset commit_draft(std::int64_t id, const ChangesetInfo& info) = 0;

    // ---- people, organisations, things on the ground ----
    // add_* return the new id; codes are unique per kind (Error(conflict) otherwise).
    virtual std::int64_t add_person(const Person& p) = 0;
    virtual std::vector<Person> people(std::optional<std::string_view> grid_code = {}) = 0;
    virtual std::int64_t add_department(const Department& d) = 0;
    virtual std::vector<Department> departments() = 0;
    virtual std::int64_t add_building(const Building& b) = 0;
    virtual std::vector<Building> buildings(std::optional<geo::BBox> bbox = {}) = 0;
    // The buildings whose address is exactly one of `addresses` (an indexed lookup).
    virtual std::vector<Building> buildings_at(std::span<const std::string> addresses) = 0;
    virtual std::int64_t add_camera(const Camera& c) = 0;
    virtual std::vector<Camera> cameras(std::optional<geo::BBox> bbox = {}) = 0;
    virtual std::optional<Camera> find_camera(std::string_view code) = 0;
    // The people with these ids or codes (unknown ones are skipped), by id.
    virtual std::vector<Person> people_with_ids(std::span<const std::int64_t> ids) = 0;
    virtual std::vector<Person> people_with_codes(std::span<const std::string> codes) = 0;
    // A number that changes whenever people or what they are responsible for change.
    virtual std::int64_t people_revision() = 0;
    virtual std::int64_t add_drone_flight(const DroneFlight& f) = 0;
    virtual std::vector<DroneFlight> drone_flights(const PathQuery& query = {}) = 0;
    virtual std::optional<DroneFlight> find_drone_flight(std::string_view code) = 0;
    // Also notes the track's last point as the officer's latest position (note_position).
    virtual std::int64_t add_patrol_track(const PatrolTrack& t) = 0;
    virtual std::vector<PatrolTrack> patrol_tracks(const PathQuery& query = {}) = 0;
    // Error(not_found) for an unknown id.
    virtual void remove_patrol_track(std::int64_t id) = 0;
    // Keeps `p` as the officer's latest position unless the store holds a newer one. Error(
    // invalid_geometry) for a position out of range, Error(not_found) for an unknown person.
    virtual void note_position(const OfficerPosition& p) = 0;
    // By person id.
    virtual std::vector<OfficerPosition> latest_positions(const PositionQuery& query = {}) = 0;

    // Counts of rows per kind ("people", "buildings", "households", "cameras", ...).
    virtual std::vector<std::pair<std::string, std::int64_t>> counts() = 0;

    // ---- events (docs/events.md) ----
    // Stores a new event and its first timeline entries (the intake, then any actions taken by
    // rule at intake) as one atomic, durable write; returns the event with its id (the ids in
    // `e` and `entries` are ignored). Throws Error(invalid_geometry) for a position out of
    // range, Error(invalid_argument) without entries.
    Event add_event(const Event& e, std::vector<TimelineEntry> entries) {
        return add_event(e, [&](Event&) { return entries; });
    }
    // The same, with the entries decided inside the write: `rule` runs after every earlier
    // write is visible and before any later one, may change the event (mark it a duplicate,
    // close it) and returns its first timeline entries (at least one). A rule that reads the
    // store (the duplicate check) is thus atomic with the insert. Concurrent calls share one
    // commit (group commit, docs/events.md); each returns once its own event is durable.
    using IntakeRule = std::function<std::vector<TimelineEntry>(Event&)>;
    virtual Event add_event(const Event& e, const IntakeRule& rule) = 0;
    virtual std::optional<Event> event(std::int64_t id) = 0;
    // Newest first (reported_at, then id).
    virtual EventPage events(const EventQuery& q) = 0;
    // Records an action: `updated` (its id names the event) replaces the stored state and `entry`
    // is appended to the timeline, atomically, provided the stored status is still `expected`;
    // otherwise Error(conflict) (someone acted first) and nothing changes. Error(not_found) for
    // an unknown event.
    virtual void update_event(const Event& updated, EventStatus expected, TimelineEntry entry) = 0;
    // Oldest first.
    virtual std::vector<TimelineEntry> timeline(std::int64_t event_id) = 0;
    // The counts behind the KPIs, one row per unit (ordered by code; only units with events),
    // or one row for by = total. Error(invalid_argument) for a negative radius.
    virtual std::vector<EventStats> event_stats(const StatsQuery& q) = 0;

    // ---- the manual-location queue (待定位) ----
    // Returns the stored report with its id.
    virtual PendingReport add_pending_report(const PendingReport& r) = 0;
    virtual std::optional<PendingReport> pending_report(std::int64_t id) = 0;
    // Oldest first (received_at, then id): the queue is worked in order.
    virtual PendingPage pending_reports(const PendingQuery& q) = 0;
    // Replaces a report's state (status, handled_at/by, note, event_id) provided its stored
    // status is still `expected`; otherwise Error(conflict). Error(not_found) for an unknown id.
    virtual void update_pending_report(const PendingReport& updated, PendingStatus expected) = 0;

    // ---- users and sessions ----
    virtual std::int64_t add_user(const User& u) = 0;
    virtual std::optional<User> find_user(std::string_view username) = 0;
    virtual std::optional<User> user(std::int64_t id) = 0;
    virtual std::vector<User> users() = 0;
    // Sessions are keyed by a hash of the bearer token, never the token itself.
    virtual void add_session(std::string_view token_hash, const Session& s) = 0;
    virtual std::optional<Session> find_session(std::string_view token_hash) = 0;
    virtual void remove_session(std::string_view token_hash) = 0;
    virtual std::int64_t remove_expired_sessions(Time now) = 0;
    // API keys are keyed by a hash of the key, like sessions. Error(conflict) for a hash that
    // exists, Error(not_found) for an unknown user.
    virtual std::int64_t add_api_key(std::string_view key_hash, const ApiKey& key) = 0;
    virtual std::optional<ApiKey> find_api_key(std::string_view key_hash) = 0;
};

// Opens (creating if needed) a SpatiaLite database file and migrates its schema to the current
// version. Throws Error(store_error) when the file is not a Tessera database or cannot be opened,
// and Error(store_error) when its schema is newer than this build understands.
std::unique_ptr<Store> open_spatialite_store(const std::filesystem::path& file);

// The schema version this build writes.
int current_schema_version();

} // namespace tessera::data
