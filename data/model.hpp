// Tessera's data model, independent of any storage engine. Geometry is EPSG:4326.
#pragma once

#include "geo/geometry.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tessera::data {

// Milliseconds since the Unix epoch, UTC.
using Time = std::chrono::sys_time<std::chrono::milliseconds>;

// ISO 8601 UTC with milliseconds: "2026-11-22T08:30:00.000Z".
std::string format_time(Time t);
// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with "Z" or "+hh:mm"/"-hh:mm" (no zone = UTC).
std::optional<Time> parse_time(std::string_view text);

// ---- layers and features ----

enum class LayerKind {
    county,         // 县/区
    township,       // 乡镇/街道
    community,      // 村/社区
    grid,           // basic grid 网格 (rural or community)
    micro_grid,     // 微网格 / 十户单元 / 楼栋
    exclusive_grid, // 专属网格: schools, hospitals, markets, parks, industrial parks
};
std::string_view to_string(LayerKind k);
std::optional<LayerKind> parse_layer_kind(std::string_view s);
// Admin layers (county, township, community) and basic grids tile their parent; exclusive grids
// overlay the basic grids; micro-grids nest in one grid.
bool is_admin(LayerKind k);

// The names of the layers Tessera draws from its own tables rather than from a boundary layer
// (/tiles/events/...): a boundary layer may not take one.
constexpr std::string_view events_layer = "events";
constexpr std::string_view cameras_layer = "cameras";
constexpr std::string_view tracks_layer = "tracks"; // officers' patrol tracks
constexpr std::string_view drones_layer = "drones"; // drone flight paths
// In the drones tiles beside the paths: what each flight imaged (geo::swath).
constexpr std::string_view drone_footprints_layer = "drone_footprints";
// Grids by their patrol coverage of the last 30 days (server/coverage_cache.hpp).
constexpr std::string_view coverage_layer = "coverage";
bool is_reserved_layer_name(std::string_view name);

struct LayerSpec {
    std::string name; // unique, [a-z0-9_-]+, e.g. "grid"
    LayerKind kind = LayerKind::grid;
    std::string title; // human-readable, e.g. "网格"
    std::optional<std::string> parent_layer;
    // Higher wins where layers overlap for ownership (exclusive grids over basic grids).
    int precedence = 0;
    // The CRS the layer's source data was declared in (geometry is always stored in EPSG:4326).
    std::string source_crs = "EPSG:4326";
};

struct Layer {
    std::int64_t id = 0;
    std::string name;
    LayerKind kind = LayerKind::grid;
    std::string title;
    std::optional<std::string> parent_layer;
    int precedence = 0;
    std::string source_crs;
    std::int64_t version = 0; // number of committed changesets; 0 = no data yet
    std::int64_t feature_count = 0;
    std::optional<geo::BBox> extent; // of the current features
};

using PropertyValue = std::variant<std::monostate, bool, std::int64_t, double, std::string>;
// Attribute name -> value, in the source's field order.
using Properties = std::vector<std::pair<std::string, PropertyValue>>;
// The value of `key` when it is a number (an integer or a real), or text; nullopt otherwise.
std::optional<double> number_property(const Properties& props, std::string_view key);
std::optional<std::string> text_property(const Properties& props, std::string_view key);

struct FeatureInput {
    std::string code; // unique within the layer's current version
    std::string name;
    std::optional<std::string> parent_code; // feature in the parent layer
    Properties properties;
    geo::Geometry geometry;
};

struct Feature {
    std::int64_t id = 0; // of this version of the feature
    std::string code;
    std::string name;
    std::optional<std::string> parent_code;
    Properties properties;
    geo::Geometry geometry;
    std::int64_t version = 0; // layer version that introduced this feature version
    Time valid_from{};
    std::optional<Time> valid_to; // nullopt while current
    std::int64_t changeset_id = 0;
};

struct ChangesetInfo {
    std::string author;
    std::string reason;
    std::optional<Time> at; // default: now
};

struct Changeset {
    std::int64_t id = 0;
    std::string layer;
    std::int64_t version = 0; // the layer version it created
    std::string author;
    std::string reason;
    Time created_at{};
    std::int64_t features_added = 0;
    std::int64_t features_removed = 0;
};

struct FeatureQuery {
    std::optional<geo::BBox> bbox;
    std::optional<Time> at; // default: the current version
    std::optional<std::string> code;
    std::optional<std::string> parent_code;
    std::size_t limit = 1000;
    std::size_t offset = 0;
};

struct FeaturePage {
    std::vector<Feature> features;
    std::int64_t total = 0; // number matching the query, ignoring limit/offset
};

// What changed in a layer after a version: its current features that are newer, and the codes
// of features retired since (changed or removed). May name more retired codes than there are
// when two changesets share a millisecond; the caller checks the count.
struct LayerDelta {
    std::vector<Feature> current;
    std::vector<std::string> retired;
};

// ---- drafts: redrawing a layer (docs/redrawing.md) ----

enum class DraftStatus { open, committed, discarded };
std::string_view to_string(DraftStatus s);
std::optional<DraftStatus> parse_draft_status(std::string_view s);

// A feature as a draft leaves it: its new content, or nullopt when the draft removes it.
struct FeatureChange {
    std::string code;
    std::optional<FeatureInput> after;
};

// The people responsible for one feature (its officers, chief) as a draft would leave them.
struct OwnerChange {
    std::string code;                // the feature (a grid, or a community for its chief)
    std::vector<std::string> people; // person codes; empty: no one any more
};

struct DraftSpec {
    std::string created_by; // username
    std::string title;      // what the redraw is for, e.g. "split G3 for the new compound"
    std::optional<Time> at; // default: now
};

struct Draft {
    std::int64_t id = 0;
    std::string layer;
    std::int64_t base_version = 0; // the layer version it started from
    DraftStatus status = DraftStatus::open;
    std::string created_by;
    std::string title;
    Time created_at{}, updated_at{};
    std::optional<std::int64_t> changeset_id; // once committed
    std::int64_t operations = 0;
    std::int64_t changes = 0; // features it changes so far
};

// One step of a draft, as it was asked for.
struct DraftOperation {
    std::int64_t seq = 0; // 1, 2, ... within the draft
    std::string kind;     // "split", "merge", "import", ...
    std::string detail;   // the request (JSON)
    std::string author;
    Time at{};
    std::vector<std::string> codes; // the features it changed
};

// ---- people and organisations ----

enum class PersonRole {
    grid_chief,        // 网格长
    full_time_officer, // 专职网格员
    part_time_officer, // 兼职网格员
    micro_grid_head,   // 十户长 / 楼栋长
    volunteer,
    township_operator,
    county_operator,
    department_staff,
};
std::string_view to_string(PersonRole r);
std::optional<PersonRole> parse_person_role(std::string_view s);

struct Person {
    std::int64_t id = 0;
    std::string code; // staff number, unique
    std::string name;
    PersonRole role = PersonRole::full_time_officer;
    std::string phone;
    std::vector<std::string> grid_codes; // grids (or communities, for chiefs) responsible for
    std::optional<std::string> department_code;
};

struct Department {
    std::int64_t id = 0;
    std::string code;
    std::string name;
    std::vector<std::string> categories; // event categories it handles
    std::string jurisdiction_code;       // admin area code (city or county)
};

// A building or homestead with its households (the demo places these; cities import theirs).
struct Building {
    std::int64_t id = 0;
    std::string code;
    geo::LonLat position;
    std::int64_t households = 0;
    std::string address;
    std::string community_code;
};

struct Camera {
    std::int64_t id = 0;
    std::string code;
    std::string name;
    geo::LonLat position;
    double heading_deg = 0; // clockwise from north
    double fov_deg = 60;    // full field-of-view angle
    double range_m = 50;
    bool online = true;
};

// Positions with their times (same length), e.g. a drone flight or an officer's patrol.
struct TimedPath {
    std::vector<geo::LonLat> points;
    std::vector<Time> times;
};

struct DroneFlight {
    std::int64_t id = 0;
    std::string code;
    std::string purpose;
    TimedPath path;
    double swath_m = 80; // width of the imaged strip
};

struct PatrolTrack {
    std::int64_t id = 0;
    std::int64_t person_id = 0;
    TimedPath path;
};

// Which drone flights or patrol tracks to read: by default all, by start time (then id).
struct PathQuery {
    std::optional<geo::BBox> bbox;         // those whose bounding box meets this one
    std::optional<std::int64_t> person_id; // patrol tracks: this officer's only
    std::optional<Time> ended_after;       // those that ended at or after this time
    std::optional<Time> started_before;    // those that started at or before this time
    std::size_t limit = 0;                 // > 0: only this many, the latest-starting ones
};

// Where an officer was last seen: the newest fix the store holds for them, from a track or a
// lone fix an app sent (docs/coverage.md, "Live positions").
struct OfficerPosition {
    std::int64_t person_id = 0;
    geo::LonLat position;
    Time at{};
    std::optional<double> accuracy_m;
};

// Which latest positions to read: by default every officer's.
struct PositionQuery {
    std::optional<geo::BBox> bbox;        // those inside this box
    std::optional<Time> since;            // those fixed at or after this time
    std::vector<std::int64_t> person_ids; // non-empty: these officers' only
};

// ---- events and the closed loop (docs/events.md) ----

enum class EventSource { officer, citizen, hotline, camera, drone };
std::string_view to_string(EventSource s);
std::optional<EventSource> parse_event_source(std::string_view s);

// Three-colour severity (三色预警).
enum class Severity { blue, yellow, red };
std::string_view to_string(Severity s);
std::optional<Severity> parse_severity(std::string_view s);

enum class EventStatus { reported, dispatched, accepted, in_progress, resolved, closed, rejected };
std::string_view to_string(EventStatus s);
std::optional<EventStatus> parse_event_status(std::string_view s);

// Four-level response (四级响应): who handles the event now.
enum class ResponseLevel { grid, community, township, county };
std::string_view to_string(ResponseLevel l);
std::optional<ResponseLevel> parse_response_level(std::string_view s);

enum class EventAction {
    dispatch, // 派单: to the owner at the current level
    accept,
    start,
    resolve, // with a note (and, by category, a photo)
    close,   // a resolved event; or a simple one, closed by rule
    reject,  // not ours, with the reason
    transfer,
    escalate, // to the next level: overdue or beyond the level's means
    reopen,
    rate,      // the reporter's rating: satisfied closes, unsatisfied reopens and re-dispatches
    report,    // the intake itself: the first timeline entry, never requested as an action
    reassign,  // a redraw moved it to another grid (docs/redrawing.md); never requested either
    reinspect, // a later drone flight saw its place again (docs/coverage.md); never requested
};
std::string_view to_string(EventAction a);
std::optional<EventAction> parse_event_action(std::string_view s);

struct Event {
    std::int64_t id = 0;
    std::string category;
    std::string description;
    EventSource source = EventSource::citizen;
    Severity severity = Severity::blue;
    EventStatus status = EventStatus::reported;
    ResponseLevel level = ResponseLevel::grid;
    geo::LonLat position;                       // EPSG:4326
    std::optional<geo::MultiPolygon> footprint; // drone findings: the area seen
    std::optional<double> accuracy_m;
    std::string reporter; // a name or a phone number as given
    std::optional<std::int64_t> reporter_user_id;
    std::vector<std::string> photos; // URLs
    std::optional<std::string> address;
    // Assignment at intake (the layer version says against which boundaries); empty codes where
    // the point is in no such area.
    std::string grid_code, community_code, township_code, county_code, city_code;
    std::int64_t layer_version = 0;
    bool outside_grid = false;
    std::optional<std::string> camera_code, flight_code;
    std::optional<std::int64_t> duplicate_of;
    std::optional<std::string> department_code; // the department that claimed a "whistle"
    Time reported_at{}, updated_at{}, deadline_at{};
    std::optional<Time> closed_at;
    std::optional<bool> satisfied; // the reporter's last rating
};

// One line of an event's append-only history.
struct TimelineEntry {
    std::int64_t id = 0;
    std::int64_t event_id = 0;
    Time at{};
    std::string actor; // username, "system" for the scheduler and rules
    EventAction action = EventAction::dispatch;
    std::optional<EventStatus> from; // nullopt for the intake entry
    EventStatus to = EventStatus::reported;
    std::string note;
    std::optional<std::string> target; // transfer target, department, ...
};

struct EventQuery {
    std::optional<EventStatus> status;
    std::optional<Severity> severity;
    std::optional<std::string> category;
    // Any of these codes on the event (grid, community, township, county or city).
    std::vector<std::string> area_codes;
    // true: only events that still need someone to act (is_open); false: only resolved or
    // closed ones.
    std::optional<bool> open;
    std::optional<geo::BBox> bbox;
    std::optional<Time> reported_from, reported_to; // [from, to)
    std::optional<Time> overdue_at; // open (not resolved/closed) with deadline_at <= this time
    std::optional<ResponseLevel> level;
    // What the caller may see (data::EventDesk fills it from the policy); nullopt: everything.
    // An event is visible when one of `codes` is among its five area codes, or when it was
    // reported by `reporter_user_id`.
    struct Visibility {
        std::vector<std::string> codes;
        std::optional<std::int64_t> reporter_user_id;
    };
    std::optional<Visibility> visible_to;
    std::size_t limit = 100;
    std::size_t offset = 0;
    // false: EventPage::total is left 0 (a look-up that needs only the first page saves a count).
    bool count_total = true;
};

struct EventPage {
    std::vector<Event> events;
    std::int64_t total = 0;
};

// A report that could not be placed on the map: a hotline ticket (or an Open311 request) with
// only an address that no building resolves to one place. It waits in the manual-location queue
// (待定位) until an operator locates it, which opens the event, or discards it. Tessera never
// guesses a location silently.
enum class PendingStatus { waiting, located, discarded };
std::string_view to_string(PendingStatus s);
std::optional<PendingStatus> parse_pending_status(std::string_view s);

struct PendingReport {
    std::int64_t id = 0;
    // The report as it came in.
    std::string category;
    std::string description;
    EventSource source = EventSource::hotline;
    std::optional<Severity> severity; // as given; the category's when located
    std::string reporter;
    std::optional<std::int64_t> reporter_user_id;
    std::vector<std::string> photos;
    std::string address;
    // Why it could not be placed, and the buildings the address matched (when ambiguous).
    std::string reason;
    std::vector<std::string> candidates;
    // Who may see and locate it: the admin areas the address could be in (their codes and the
    // codes above them), or the city when nothing in the address is recognised.
    std::vector<std::string> area_codes;
    PendingStatus status = PendingStatus::waiting;
    Time received_at{};
    std::optional<Time> handled_at;
    std::string handled_by;
    std::string note;                     // the operator's note when locating or discarding
    std::optional<std::int64_t> event_id; // the event it became
};

struct PendingQuery {
    std::optional<PendingStatus> status = PendingStatus::waiting; // nullopt: any
    std::optional<EventQuery::Visibility> visible_to; // as for events; nullopt: everything
    std::size_t limit = 100;
    std::size_t offset = 0;
};

struct PendingPage {
    std::vector<PendingReport> reports;
    std::int64_t total = 0;
};

// ---- figures: KPIs and the daily digest (docs/figures.md) ----

// What the figures are broken down by: one total, or one row per unit at a level.
enum class StatsUnit { total, grid, community, township, county, city, category };
std::string_view to_string(StatsUnit u);
std::optional<StatsUnit> parse_stats_unit(std::string_view s);

struct StatsQuery {
    std::vector<std::string> area_codes; // events with any of these codes; empty: all
    std::optional<Time> from, to;        // reported in [from, to)
    std::optional<EventQuery::Visibility> visible_to;
    StatsUnit by = StatsUnit::total;
    Time now{}; // for "overdue"
    // A repeat: an event of the same category within this distance of an earlier one reported
    // in the window.
    double repeat_radius_m = 50;
};

// The raw counts behind the KPIs for the events reported in the window (data::figures turns
// them into rates).
struct EventStats {
    std::string unit; // the unit's code; "" for the total (and for events outside every unit)
    std::int64_t reported = 0;
    std::array<std::int64_t, 7> by_status{}; // indexed by EventStatus
    std::int64_t duplicates = 0;             // linked to an open event at intake
    std::int64_t closed = 0;                 // closed, not counting duplicates
    std::int64_t on_time = 0;                // of those, closed by their deadline
    std::int64_t open = 0;                   // not resolved or closed: the backlog
    std::int64_t overdue = 0;                // open and past the deadline at `now`
    std::int64_t escalated = 0;              // above the grid level
    std::int64_t rated = 0, satisfied = 0;
    std::int64_t repeats = 0;
    std::vector<std::int64_t> handling_ms; // reported -> closed, of `closed`; ascending
};

// ---- users, roles, jurisdiction ----

enum class Role {
    admin,
    command_operator, // city, county or township command center, by jurisdiction
    grid_chief,
    grid_officer,
    department_staff,
    reporter, // a citizen
};
std::string_view to_string(Role r);
std::optional<Role> parse_role(std::string_view s);

// What a non-admin user may see and act on: an admin area (city, county, township or
// community code; everything below it) or an explicit set of grids.
struct Jurisdiction {
    enum class Kind { everything, area, grids, none };
    Kind kind = Kind::none;
    std::string area_code;
    std::vector<std::string> grid_codes;
};

struct User {
    std::int64_t id = 0;
    std::string username;
    std::string display_name;
    Role role = Role::reporter;
    Jurisdiction jurisdiction;
    std::string password_hash; // argon2id encoded string (libsodium crypto_pwhash_str)
    std::optional<std::int64_t> person_id;
    std::optional<std::string> department_code;
};

// A key an app sends as Open311's api_key; it acts as its user.
struct ApiKey {
    std::int64_t id = 0;
    std::string name; // the app, e.g. "市民随手拍小程序"
    std::int64_t user_id = 0;
    Time created_at{};
};

struct Session {
    std::int64_t user_id = 0;
    Time expires_at{};
};

} // namespace tessera::data
