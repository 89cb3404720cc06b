// The closed loop's facade (docs/events.md): intake from every channel with assignment,
// deadlines, tiered handling and duplicate detection; actions checked against the policy and the
// workflow rules and written optimistically; lists scoped to the caller's jurisdiction; and the
// escalation scheduler's tick. The server's event endpoints, Open311 and the scheduler thread
// all go through it, so every channel follows the same rules.
//
// Time comes from an injectable clock, so tests (and `tessera serve --clock-rate`) can run a day
// of deadlines in a second.
//
// Thread-safety: all members may be called from any thread (the Store serialises writes;
// conflicting actions on one event are settled by Store::update_event's expected status).
#pragma once

#include "data/assignment.hpp"
#include "data/categories.hpp"
#include "data/open_events.hpp"
#include "data/policy.hpp"
#include "data/workflow.hpp"

#include <functional>
#include <memory>
#include <mutex>

namespace tessera::data {

struct DeskConfig {
    DeadlinePolicy deadlines;
    // A report of the same category this close to an open event, reported within the window
    // after it, is linked to that event as a duplicate instead of opening a new ticket.
    double duplicate_radius_m = 50;
    std::chrono::minutes duplicate_window{24 * 60};
    std::span<const Category> categories = default_categories();
};

// A report as it arrives, before assignment. Coordinates are in `crs`.
struct EventReport {
    std::string category;
    std::string description;
    EventSource source = EventSource::citizen;
    std::optional<Severity> severity;           // DEFAULT: the category's
    std::optional<geo::LonLat> position;        // officers, citizens, hotline with a location
    std::optional<geo::MultiPolygon> footprint; // drone findings: the event sits at its centroid
    std::string crs = "wgs84";
    std::optional<double> accuracy_m;
    std::string reporter; // a name or phone number as given
    std::vector<std::string> photos;
    std::optional<std::string> address;
    std::optional<std::string> camera_code; // camera alerts: placed at the camera's view target
    std::optional<std::string> alert_type;  // the camera's own label for the alert
    std::optional<std::string> flight_code; // drone findings: the flight that saw it
};

struct Intake {
    Event event;
    std::vector<TimelineEntry> timeline;
    bool duplicate = false; // event.duplicate_of names the open event it repeats
    // Set, and `event` left empty, when the report had only an address that no building
    // resolves to one place: it waits in the manual-location queue instead.
    std::optional<PendingReport> pending;
};

// An operator's placing of a pending report: a point in `crs`, and why there.
struct LocateRequest {
    geo::LonLat position;
    std::string crs = "wgs84";
    std::string note;
};

// One change to an event, as the live feed and other listeners receive it.
struct EventChange {
    Event event;
    TimelineEntry entry;
};

class EventDesk {
public:
    using Clock = std::function<Time()>;
    using Listener = std::function<void(const EventChange&)>;

    // DEFAULT clock: the system clock.
    EventDesk(Store& store, Assigner& assigner, DeskConfig config = {}, Clock clock = {});

    // Validates, assigns and stores a report as one durable write. A hotline or citizen report
    // with an address but no location is placed at the building with that address (docs/
    // events.md: "Address-only reports"); when no building, or more than one, matches, the
    // report goes to the manual-location queue and Intake::pending says so. `who` is the logged-in
    // reporter (nullptr for an anonymous channel such as an Open311 app with an api key);
    // `actor` names the reporter in the timeline. Throws Error(invalid_argument) for an unknown
    // category, camera or flight, a missing or extra location, or text fields too long;
    // Error(invalid_geometry) for a bad footprint; Error(unknown_crs); nothing is stored then.
    Intake report(const EventReport& report, const Principal* who, const std::string& actor);

    // The event if `who` may see it. Error(not_found) both for a missing event and for one
    // outside the caller's jurisdiction (its existence is not revealed); Error(unauthorized)
    // for an anonymous caller.
    Event get(std::int64_t id, const Principal* who);
    std::vector<TimelineEntry> timeline(std::int64_t id, const Principal* who);
    // `query` narrowed to what `who` may see.
    EventPage list(EventQuery query, const Principal* who);

    // Takes an action. Error(not_found) as get(); Error(forbidden) when the caller may see but
    // not take this action; Error(conflict) when the workflow does not allow it now (the
    // message names the allowed actions) or someone acted first; Error(invalid_argument) when
    // the request lacks a note, target, rating or photo the action needs.
    Event act(std::int64_t id, const ActionRequest& request, const Principal& who);

    // The manual-location queue, oldest first, narrowed to what `who` may see.
    PendingPage pending(PendingQuery query, const Principal* who);
    // A pending report `who` may see; Error(not_found) otherwise (as get()).
    PendingReport pending_report(std::int64_t id, const Principal* who);
    // Places a waiting report where the operator says: the event is opened (assigned, with
    // its deadline from now) and the report marked located, in one write. Error(forbidden)
    // unless `who` may locate it; Error(conflict) when it was already located or discarded.
    Intake locate_pending(std::int64_t id, const LocateRequest& request, const Principal& who);
    // Drops a waiting report (a prank, a duplicate call, outside the city) with a note.
    PendingReport discard_pending(std::int64_t id, const std::string& note, const Principal& who);

    // The actions `who` may take on `e` now (workflow and policy together).
    std::vector<EventAction> actions_for(const Event& e, const Principal* who) const;

    // The scheduler's tick: every open event past its deadline below the county level goes up
    // one level, with a note saying which deadline passed. Returns the escalated events.
    std::vector<Event> escalate_overdue();

    // The open events `who` may see whose position is in `box`, from memory (the map's events
    // layer): at most `limit`, the most recently reported when more are there.
    std::vector<OpenEventBoard::Entry> open_events_in(const geo::BBox& box, const Principal& who,
                                                      std::size_t limit) const;

    // Called after every stored change (intake, action, escalation), on the writing thread.
    // The open events board already holds the change when listeners are called.
    void subscribe(Listener listener);

    Time now() const { return m_clock(); }
    const DeskConfig& config() const { return m_config; }
    const Category* category(std::string_view code) const;

private:
    struct Draft;
    Draft draft(const EventReport& r, std::optional<std::int64_t> reporter_user_id) const;
    Intake file(Draft d, const std::string& actor, const std::function<void(const Event&)>& also);
    // Places an address-only report (true), or says in `pending` why it cannot (false).
    bool place_by_address(const EventReport& r, Draft& d, PendingReport& pending);
    PendingReport waiting_report(std::int64_t id, const Principal& who);
    void notify(const Event& e, const std::vector<TimelineEntry>& entries);
    std::optional<Event> find_duplicate(const Event& e);

    Store& m_store;
    Assigner& m_assigner;
    DeskConfig m_config;
    Clock m_clock;
    std::mutex m_listeners_mutex;
    std::vector<Listener> m_listeners;
    OpenEventBoard m_board;
    // Serialises board refreshes: each reads the event's committed state from the store, so
    // the last refresh of an event leaves its latest state whatever order writers notify in.
    std::mutex m_board_refresh_mutex;
};

// Runs EventDesk::escalate_overdue on a thread of its own every `interval` (real time) until
// destroyed. Errors are reported through `log` and the next tick tries again.
class EscalationScheduler {
public:
    EscalationScheduler(EventDesk& desk, std::chrono::milliseconds interval,
                        std::function<void(const std::string&)> log);
    ~EscalationScheduler(); // stops and joins the thread
    EscalationScheduler(const EscalationScheduler&) = delete;
    EscalationScheduler& operator=(const EscalationScheduler&) = delete;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Where an event sits, for the policy.
Scope scope_of(const Event& e);
// Where a pending report sits: the areas its address could be in, and its reporter.
Scope scope_of(const PendingReport& r);
// An address as the lookup compares it: without spaces (ASCII or ideographic), with full-width
// letters and digits made ASCII ("１２号" -> "12号").
std::string normalize_address(std::string_view address);

// The system clock, to the millisecond.
Time system_clock_now();
// A clock that starts at `start` when created and runs `rate` times faster than real time.
EventDesk::Clock accelerated_clock(Time start, double rate);

} // namespace tessera::data
