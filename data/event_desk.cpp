#include "data/event_desk.hpp"

#include "geo/crs.hpp"
#include "geo/error.hpp"
#include "geo/measure.hpp"
#include "geo/ops.hpp"
#include "geo/validate.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <numbers>
#include <thread>

namespace tessera::data {
namespace {

// Limits on free text, so one report cannot fill the database.
constexpr std::size_t max_description = 4000;
constexpr std::size_t max_short_text = 200;
constexpr std::size_t max_photos = 20;
constexpr std::size_t max_url = 2000;

Error bad(const std::string& message) {
    return Error(ErrorCode::invalid_argument, message);
}

void check_length(const std::string& text, std::size_t max, const char* what) {
    if (text.size() > max)
        throw bad(std::string(what) + " is too long (" + std::to_string(text.size()) +
                  " bytes; at most " + std::to_string(max) + ")");
}

void check_photos(const std::vector<std::string>& photos) {
    if (photos.size() > max_photos)
        throw bad("at most " + std::to_string(max_photos) + " photos");
    for (const auto& url : photos) {
        check_length(url, max_url, "a photo URL");
        if (!url.starts_with("https://") && !url.starts_with("http://"))
            throw bad("photos must be http(s) URLs, got '" + url.substr(0, 80) + "'");
    }
}

std::string describe_minutes(std::chrono::minutes m) {
    if (m.count() % 60 == 0)
        return std::to_string(m.count() / 60) + " h";
    return std::to_string(m.count()) + " min";
}

// The centroid of a camera's view sector (a circular sector of radius r and full angle theta
// lies 4 r sin(theta/2) / (3 theta) from the apex along the heading): where it looks.
geo::LonLat view_target(const Camera& c) {
    double theta = std::clamp(c.fov_deg, 1.0, 360.0) * std::numbers::pi / 180;
    double d = 4 * c.range_m * std::sin(theta / 2) / (3 * theta);
    return geo::destination(c.position, c.heading_deg, d);
}

} // namespace

Scope scope_of(const Event& e) {
    Scope s;
    for (const auto* code : {&e.community_code, &e.township_code, &e.county_code, &e.city_code})
        if (!code->empty())
            s.areas.push_back(*code);
    s.grid = e.grid_code;
    s.owner_user_id = e.reporter_user_id;
    return s;
}

Scope scope_of(const PendingReport& r) {
    Scope s;
    s.areas = r.area_codes;
    s.owner_user_id = r.reporter_user_id;
    return s;
}

std::string normalize_address(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        auto c = static_cast<unsigned char>(in[i]);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        // Three-byte sequences: U+3000 (ideographic space) and U+FF01..U+FF5E (full width).
        if (c == 0xE3 && i + 2 < in.size() && in.substr(i, 3) == "\xE3\x80\x80") {
            i += 2;
            continue;
        }
        if (c == 0xEF && i + 2 < in.size()) {
            unsigned cp = ((c & 0x0Fu) << 12) |
                          ((static_cast<unsigned char>(in[i + 1]) & 0x3Fu) << 6) |
                          (static_cast<unsigned char>(in[i + 2]) & 0x3Fu);
            if (cp >= 0xFF01 && cp <= 0xFF5E) {
                out += static_cast<char>(cp - 0xFEE0);
                i += 2;
                continue;
            }
        }
        out += in[i];
    }
    return out;
}

Time system_clock_now() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
}

EventDesk::Clock accelerated_clock(Time start, double rate) {
    auto origin = std::chrono::steady_clock::now();
    return [start, rate, origin] {
        std::chrono::duration<double, std::milli> real = std::chrono::steady_clock::now() - origin;
        return start + std::chrono::milliseconds(static_cast<std::int64_t>(real.count() * rate));
    };
}

EventDesk::EventDesk(Store& store, Assigner& assigner, DeskConfig config, Clock clock)
    : m_store(store)
    , m_assigner(assigner)
    , m_config(config)
    , m_clock(clock ? std::move(clock) : Clock(system_clock_now)) {
    EventQuery open;
    open.open = true;
    open.limit = std::numeric_limits<std::size_t>::max();
    open.count_total = false;
    m_board.reset(m_store.events(open).events);
}

const Category* EventDesk::category(std::string_view code) const {
    return find_category(m_config.categories, code);
}

void EventDesk::subscribe(Listener listener) {
    std::lock_guard lock(m_listeners_mutex);
    m_listeners.push_back(std::move(listener));
}

std::vector<OpenEventBoard::Entry>
EventDesk::open_events_in(const geo::BBox& box, const Principal& who, std::size_t limit) const {
    return m_board.in(box, event_visibility(who), limit);
}

void EventDesk::notify(const Event& e, const std::vector<TimelineEntry>& entries) {
    {
        std::lock_guard lock(m_board_refresh_mutex);
        if (auto stored = m_store.event(e.id))
            m_board.apply(*stored);
    }
    std::vector<Listener> listeners;
    {
        std::lock_guard lock(m_listeners_mutex);
        listeners = m_listeners;
    }
    if (listeners.empty() || entries.empty())
        return;
    // One change per stored state: the last entry led to it.
    EventChange change{e, entries.back()};
    for (const auto& l : listeners)
        l(change);
}

struct EventDesk::Draft {
    Event e;
    const Category* cat = nullptr;
    std::optional<LocateQuery> where; // nullopt: only an address
    std::string intake_note;          // how it was placed, when not by the reporter
    std::optional<Time> received_at;  // DEFAULT: now
};

EventDesk::Draft EventDesk::draft(const EventReport& r,
                                  std::optional<std::int64_t> reporter_user_id) const {
    Draft d;
    d.cat = category(r.category);
    if (!d.cat)
        throw bad("unknown category '" + r.category.substr(0, 80) +
                  "' (GET /open311/v2/services.json lists the categories)");
    check_length(r.description, max_description, "description");
    check_length(r.reporter, max_short_text, "reporter");
    if (r.address)
        check_length(*r.address, max_short_text, "address");
    if (r.alert_type)
        check_length(*r.alert_type, max_short_text, "alert_type");
    check_photos(r.photos);

    Event& e = d.e;
    e.category = d.cat->code;
    e.description = r.description;
    e.source = r.source;
    e.severity = r.severity.value_or(d.cat->severity);
    e.accuracy_m = r.accuracy_m;
    e.reporter = r.reporter;
    e.reporter_user_id = reporter_user_id;
    e.photos = r.photos;
    e.address = r.address;

    // Where the event is: given, or the camera's view target, or the footprint's centroid.
    LocateQuery where;
    where.with_owners = false;
    where.accuracy_m = r.accuracy_m;
    if (r.source == EventSource::camera) {
        if (!r.camera_code)
            throw bad("a camera alert needs the camera's code");
        if (r.position || r.footprint)
            throw bad("a camera alert is placed at the camera's view target: send the camera, "
                      "not a location");
        auto camera = m_store.find_camera(*r.camera_code);
        if (!camera)
            throw bad("unknown camera '" + r.camera_code->substr(0, 80) + "'");
        e.camera_code = camera->code;
        where.position = view_target(*camera);
        where.crs = "wgs84";
        if (r.alert_type && !r.alert_type->empty())
            e.description = "[" + *r.alert_type + "] " + e.description;
    } else if (r.source == EventSource::drone) {
        if (!r.flight_code)
            throw bad("a drone finding needs the flight's code");
        if (!r.footprint)
            throw bad("a drone finding needs its footprint: a Polygon or MultiPolygon location");
        auto flight = m_store.find_drone_flight(*r.flight_code);
        if (!flight)
            throw bad("unknown drone flight '" + r.flight_code->substr(0, 80) + "'");
        e.flight_code = flight->code;
        geo::Geometry footprint = *r.footprint;
        if (auto problem = geo::find_problem(footprint, false))
            throw Error(ErrorCode::invalid_geometry, "footprint: " + problem->message);
        geo::CrsTransform(geo::Crs::parse(r.crs), geo::Crs::wgs84()).apply(footprint);
        if (auto problem = geo::find_problem(footprint))
            throw Error(ErrorCode::invalid_geometry, "footprint: " + problem->message);
        e.footprint = geo::as_multi_polygon(footprint);
        where.position = geo::centroid(footprint);
        where.crs = "wgs84";
    } else {
        if (r.footprint)
            throw bad("only drone findings have a footprint; send a Point location");
        if (r.camera_code || r.flight_code)
            throw bad("camera and flight belong to camera and drone reports (source)");
        if (!r.position) {
            bool by_address = r.source == EventSource::hotline || r.source == EventSource::citizen;
            if (by_address && r.address && !normalize_address(*r.address).empty())
                return d; // placed by its address (report())
            throw bad(by_address ? "a report needs a location (a Point) or an address"
                                 : "a report needs a location (a Point)");
        }
        where.position = *r.position;
        where.crs = r.crs;
    }
    d.where = where;
    return d;
}

Intake EventDesk::report(const EventReport& r, const Principal* who, const std::string& actor) {
    Draft d = draft(r, who ? std::optional(who->user_id) : std::nullopt);
    if (!d.where) {
        PendingReport p;
        if (!place_by_address(r, d, p)) {
            p.category = d.e.category;
            p.description = d.e.description;
            p.source = d.e.source;
            p.severity = r.severity;
            p.reporter = d.e.reporter;
            p.reporter_user_id = d.e.reporter_user_id;
            p.photos = d.e.photos;
            p.address = *r.address;
            p.received_at = m_clock();
            Intake out;
            out.pending = m_store.add_pending_report(p);
            return out;
        }
    }
    Intake out = file(std::move(d), actor, {});
    notify(out.event, out.timeline);
    return out;
}

bool EventDesk::place_by_address(const EventReport& r, Draft& d, PendingReport& p) {
    std::string address = normalize_address(*r.address);
    // The building's address may follow a province, city, county or township the caller named:
    // look up every suffix that starts on a character boundary.
    std::vector<std::string> suffixes;
    for (std::size_t i = 0; i < address.size(); ++i)
        if ((static_cast<unsigned char>(address[i]) & 0xC0) != 0x80)
            suffixes.push_back(address.substr(i));
    std::vector<Building> matches = m_store.buildings_at(suffixes);

    std::vector<std::pair<Building, Assignment>> located;
    for (auto& b : matches) {
        LocateQuery q;
        q.position = b.position;
        q.with_owners = false;
        Assignment a = m_assigner.locate(q);
        located.emplace_back(std::move(b), std::move(a));
    }
    // Several buildings share the address (two villages called 王庄 in different townships):
    // keep those in the most specific area the caller named before it (a community beats a
    // township, a township a county). Equally specific ones stay ambiguous.
    std::vector<std::pair<Building, Assignment>> kept;
    int best = 0;
    for (const auto& [b, a] : located) {
        std::string_view before(address.data(), address.size() - b.address.size());
        int named = located.size() == 1 ? 1 : 0;
        int specificity = 3;
        for (const auto* area : {&a.community, &a.township, &a.county}) {
            if (*area && !(*area)->name.empty() && before.find((*area)->name) != before.npos)
                named = std::max(named, specificity);
            --specificity;
        }
        if (named == 0 || named < best)
            continue;
        if (named > best)
            kept.clear();
        best = named;
        kept.emplace_back(b, a);
    }
    if (kept.size() == 1) {
        LocateQuery where;
        where.position = kept.front().first.position;
        where.with_owners = false;
        d.where = where;
        d.intake_note = "placed by its address at building " + kept.front().first.code + " (" +
                        kept.front().first.address + ")";
        return true;
    }

    // Not placed: say why, and let the areas it could be in see it.
    auto add_codes = [&](const std::vector<std::string>& codes) {
        for (const auto& c : codes)
            if (!c.empty() &&
                std::find(p.area_codes.begin(), p.area_codes.end(), c) == p.area_codes.end())
                p.area_codes.push_back(c);
    };
    if (!located.empty()) {
        p.reason = std::to_string(located.size()) + " buildings have this address" +
                   (kept.empty() ? " and the call names none of their areas"
                                 : " in the areas the call names");
        for (const auto& [b, a] : kept.empty() ? located : kept) {
            if (p.candidates.size() < 20)
                p.candidates.push_back(b.code);
            add_codes({a.community ? a.community->code : "", a.township ? a.township->code : "",
                       a.county ? a.county->code : "", a.city_code.value_or("")});
        }
        return false;
    }
    p.reason = "no building has this address";
    for (const auto& named : m_assigner.areas_named_in(address))
        add_codes(named.codes);
    if (p.area_codes.empty()) {
        p.reason += ", and it names no county, township or community we know";
        add_codes(m_assigner.city_codes());
    }
    return false;
}

Intake EventDesk::file(Draft d, const std::string& actor,
                       const std::function<void(const Event&)>& also) {
    Event& e = d.e;
    const Category* cat = d.cat;
    Assignment a = m_assigner.locate(*d.where);
    e.position = a.wgs84;
    e.outside_grid = a.status == Assignment::Status::outside_grid;
    e.layer_version = a.layer_version;
    for (const auto& [code, area] : {std::pair{&e.grid_code, &a.grid},
                                     {&e.community_code, &a.community},
                                     {&e.township_code, &a.township},
                                     {&e.county_code, &a.county}})
        if (*area)
            *code = (*area)->code;
    e.city_code = a.city_code.value_or("");

    Time now = m_clock();
    e.reported_at = d.received_at.value_or(now);
    e.updated_at = now;
    e.deadline_at = now + m_config.deadlines.for_severity(e.severity);

    Intake out;
    std::string who_name = actor.empty() ? std::string("anonymous") : actor;
    // Decided inside the store's write, so no other report slips in between the duplicate
    // check and the insert.
    auto rule = [&](Event& x) {
        out.timeline = {{0,
                         0,
                         now,
                         who_name,
                         EventAction::report,
                         std::nullopt,
                         EventStatus::reported,
                         d.intake_note,
                         {}}};
        out.duplicate = false;
        auto by_rule = [&](EventAction action, EventStatus to, std::string note) {
            out.timeline.push_back(
                {0, 0, now, "system", action, x.status, to, std::move(note), std::nullopt});
            x.status = to;
        };
        if (auto original = find_duplicate(x)) {
            x.duplicate_of = original->id;
            double metres = geo::distance_m(x.position, original->position);
            auto minutes =
                std::chrono::duration_cast<std::chrono::minutes>(now - original->reported_at);
            by_rule(EventAction::close, EventStatus::closed,
                    "duplicate of event " + std::to_string(original->id) + ": same category, " +
                        std::to_string(static_cast<long>(std::lround(metres))) +
                        " m away, reported " + std::to_string(minutes.count()) + " min earlier");
            x.closed_at = now;
            out.duplicate = true;
        } else if (cat->handling == Handling::simple) {
            by_rule(EventAction::close, EventStatus::closed,
                    "closed by rule: " + cat->name + " is handled on the spot (simple)");
            x.closed_at = now;
        } else if (cat->handling == Handling::general && !x.grid_code.empty()) {
            by_rule(EventAction::dispatch, EventStatus::dispatched,
                    "dispatched by rule to grid " + x.grid_code + " (general)");
        }
        // Complex events, and events outside every grid, wait for the command center.
        return out.timeline;
    };

    std::unique_ptr<Transaction> tx;
    if (also)
        tx = m_store.begin();
    out.event = m_store.add_event(e, rule);
    if (also) {
        also(out.event);
        tx->commit();
    }
    for (auto& t : out.timeline)
        t.event_id = out.event.id;
    return out;
}

PendingPage EventDesk::pending(PendingQuery query, const Principal* who) {
    if (!who)
        throw Error(ErrorCode::unauthorized, "log in to see the manual-location queue");
    query.visible_to = event_visibility(*who);
    return m_store.pending_reports(query);
}

PendingReport EventDesk::pending_report(std::int64_t id, const Principal* who) {
    if (!who)
        throw Error(ErrorCode::unauthorized, "log in to see the manual-location queue");
    auto p = m_store.pending_report(id);
    if (!p || !may(who, Action::view, Resource::event, scope_of(*p)))
        throw Error(ErrorCode::not_found, "no pending report " + std::to_string(id));
    return *p;
}

PendingReport EventDesk::waiting_report(std::int64_t id, const Principal& who) {
    PendingReport p = pending_report(id, &who);
    if (!may_locate(who, scope_of(p)))
        throw Error(ErrorCode::forbidden, who.username + " (" + std::string(to_string(who.role)) +
                                              ") may not locate or discard pending reports");
    if (p.status != PendingStatus::waiting)
        throw Error(ErrorCode::conflict,
                    "pending report " + std::to_string(id) + " is already " +
                        std::string(to_string(p.status)) +
                        (p.event_id ? " as event " + std::to_string(*p.event_id) : ""));
    return p;
}

Intake EventDesk::locate_pending(std::int64_t id, const LocateRequest& request,
                                 const Principal& who) {
    check_length(request.note, max_description, "note");
    PendingReport p = waiting_report(id, who);
    EventReport r;
    r.category = p.category;
    r.description = p.description;
    r.source = p.source;
    r.severity = p.severity;
    r.reporter = p.reporter;
    r.photos = p.photos;
    r.address = p.address;
    r.position = request.position;
    r.crs = request.crs;
    Draft d = draft(r, p.reporter_user_id);
    d.received_at = p.received_at;
    d.intake_note = "located by " + who.username +
                    " from the manual-location queue (pending report " + std::to_string(id) + ")" +
                    (request.note.empty() ? "" : ": " + request.note);
    PendingReport located = p;
    Intake out = file(std::move(d), who.username, [&](const Event& e) {
        located.status = PendingStatus::located;
        located.handled_at = m_clock();
        located.handled_by = who.username;
        located.note = request.note;
        located.event_id = e.id;
        m_store.update_pending_report(located, PendingStatus::waiting);
    });
    out.pending = located;
    notify(out.event, out.timeline);
    return out;
}

PendingReport EventDesk::discard_pending(std::int64_t id, const std::string& note,
                                         const Principal& who) {
    check_length(note, max_description, "note");
    if (note.empty())
        throw bad("discarding a report needs a note saying why");
    PendingReport p = waiting_report(id, who);
    p.status = PendingStatus::discarded;
    p.handled_at = m_clock();
    p.handled_by = who.username;
    p.note = note;
    m_store.update_pending_report(p, PendingStatus::waiting);
    return p;
}

std::optional<Event> EventDesk::find_duplicate(const Event& e) {
    double r = m_config.duplicate_radius_m;
    if (r <= 0 || m_config.duplicate_window.count() <= 0)
        return std::nullopt;
    double dlat = r / 110'000.0;
    double dlon =
        r / (110'000.0 * std::max(0.01, std::cos(e.position.lat * std::numbers::pi / 180)));
    EventQuery q;
    q.category = e.category;
    q.open = true;
    q.bbox = geo::BBox{e.position.lon - dlon, e.position.lat - dlat, e.position.lon + dlon,
                       e.position.lat + dlat};
    q.reported_from = e.reported_at - m_config.duplicate_window;
    q.limit = 200;
    q.count_total = false;
    std::optional<Event> best;
    double best_d = r;
    for (auto& candidate : m_store.events(q).events) {
        if (candidate.duplicate_of)
            continue;
        double d = geo::distance_m(e.position, candidate.position);
        if (d <= best_d) {
            best_d = d;
            best = std::move(candidate);
        }
    }
    return best;
}

Event EventDesk::get(std::int64_t id, const Principal* who) {
    if (!who)
        throw Error(ErrorCode::unauthorized, "log in to see events");
    auto e = m_store.event(id);
    if (!e || !may(who, Action::view, Resource::event, scope_of(*e)))
        throw Error(ErrorCode::not_found, "no event " + std::to_string(id));
    return *e;
}

std::vector<TimelineEntry> EventDesk::timeline(std::int64_t id, const Principal* who) {
    get(id, who);
    return m_store.timeline(id);
}

EventPage EventDesk::list(EventQuery query, const Principal* who) {
    if (!who)
        throw Error(ErrorCode::unauthorized, "log in to see events");
    query.visible_to = event_visibility(*who);
    return m_store.events(query);
}

std::vector<EventAction> EventDesk::actions_for(const Event& e, const Principal* who) const {
    std::vector<EventAction> out;
    if (!who)
        return out;
    Scope scope = scope_of(e);
    for (EventAction a : allowed_actions(e.status, e.level))
        if (may_take(*who, a, scope))
            out.push_back(a);
    return out;
}

Event EventDesk::act(std::int64_t id, const ActionRequest& r, const Principal& who) {
    if (r.action == EventAction::report)
        throw bad("report is not an action: POST /api/v1/events reports an event");
    if (r.action == EventAction::reassign)
        throw bad("reassign is not an action: a committed redraw moves events to their new grid");
    if (r.action == EventAction::reinspect)
        throw bad("reinspect is not an action: a drone audit marks the closed events a later "
                  "flight saw again");
    check_length(r.note, max_description, "note");
    if (r.target)
        check_length(*r.target, max_short_text, "target");
    check_photos(r.photos);
    Event e = get(id, &who);
    Scope scope = scope_of(e);
    if (!may_take(who, r.action, scope))
        throw Error(ErrorCode::forbidden, who.username + " (" + std::string(to_string(who.role)) +
                                              ") may not " + std::string(to_string(r.action)) +
                                              " event " + std::to_string(id));
    Step step = next_step(e.status, e.level, r);
    const Category* cat = category(e.category);
    if (r.action == EventAction::resolve && cat && cat->resolve_needs_photo && r.photos.empty())
        throw bad("resolving " + cat->name + " (" + cat->code + ") needs a photo of the result");
    if (r.target && (r.action == EventAction::dispatch || r.action == EventAction::transfer)) {
        auto departments = m_store.departments();
        bool known = std::any_of(departments.begin(), departments.end(),
                                 [&](const Department& d) { return d.code == *r.target; });
        if (!known && r.action == EventAction::dispatch)
            throw bad("dispatch target '" + r.target->substr(0, 80) +
                      "' is not a department code (dispatch without a target goes to the "
                      "event's grid)");
        if (known)
            e.department_code = *r.target;
    }

    Time now = m_clock();
    EventStatus from = e.status;
    Event u = e;
    u.status = step.to;
    u.level = step.level;
    u.updated_at = now;
    u.photos.insert(u.photos.end(), r.photos.begin(), r.photos.end());
    bool restarts_clock = step.level != e.level || r.action == EventAction::reopen ||
                          (r.action == EventAction::rate && r.satisfied == false);
    if (restarts_clock)
        u.deadline_at = now + m_config.deadlines.for_severity(u.severity);
    if (r.action == EventAction::accept && who.role == Role::department_staff &&
        who.department_code)
        u.department_code = who.department_code; // the department reports for duty (报到)
    if (r.action == EventAction::rate)
        u.satisfied = r.satisfied;
    if (u.status == EventStatus::closed) {
        if (!u.closed_at)
            u.closed_at = now;
    } else {
        u.closed_at.reset();
    }

    TimelineEntry entry{0, id, now, who.username, r.action, from, u.status, r.note, r.target};
    if (entry.note.empty() && r.action == EventAction::rate)
        entry.note = *r.satisfied ? "satisfied" : "unsatisfied: reopened and re-dispatched";
    m_store.update_event(u, from, entry);
    notify(u, {entry});
    return u;
}

std::vector<Event> EventDesk::escalate_overdue() {
    Time now = m_clock();
    std::vector<Event> escalated;
    for (ResponseLevel level :
         {ResponseLevel::grid, ResponseLevel::community, ResponseLevel::township}) {
        EventQuery q;
        q.overdue_at = now;
        q.level = level;
        q.limit = 500;
        // Escalated events leave this level, so the next page starts where unhandled ones end.
        while (true) {
            EventPage page = m_store.events(q);
            std::size_t moved = 0;
            for (const Event& e : page.events) {
                ActionRequest r;
                r.action = EventAction::escalate;
                auto allowed = m_config.deadlines.for_severity(e.severity);
                r.note = "overdue: the " + std::string(to_string(e.level)) + "-level deadline " +
                         format_time(e.deadline_at) + " (" + std::string(to_string(e.severity)) +
                         ": " + describe_minutes(allowed) + ") passed";
                Step step = next_step(e.status, e.level, r);
                Event u = e;
                u.status = step.to;
                u.level = step.level;
                u.updated_at = now;
                u.deadline_at = now + allowed;
                TimelineEntry entry{0,        e.id,     now,
                                    "system", r.action, e.status,
                                    u.status, r.note,   std::string(to_string(u.level))};
                try {
                    m_store.update_event(u, e.status, entry);
                } catch (const Error& err) {
                    if (err.code() != ErrorCode::conflict)
                        throw;
                    continue; // someone acted on it first; the next tick looks again
                }
                ++moved;
                notify(u, {entry});
                escalated.push_back(std::move(u));
            }
            if (page.events.size() < q.limit)
                break;
            q.offset += page.events.size() - moved;
        }
    }
    return escalated;
}

struct EscalationScheduler::Impl {
    EventDesk& desk;
    std::chrono::milliseconds interval;
    std::function<void(const std::string&)> log;
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    std::thread thread;

    void run() {
        std::unique_lock lock(mutex);
        while (!wake.wait_for(lock, interval, [&] { return stopping; })) {
            lock.unlock();
            try {
                auto escalated = desk.escalate_overdue();
                if (!escalated.empty() && log)
                    log("escalated " + std::to_string(escalated.size()) + " overdue event" +
                        (escalated.size() == 1 ? "" : "s"));
            } catch (const std::exception& e) {
                if (log)
                    log(std::string("escalation failed: ") + e.what());
            }
            lock.lock();
        }
    }
};

EscalationScheduler::EscalationScheduler(EventDesk& desk, std::chrono::milliseconds interval,
                                         std::function<void(const std::string&)> log)
    : m_impl(new Impl{desk, interval, std::move(log), {}, {}, false, {}}) {
    if (interval.count() <= 0)
        throw Error(ErrorCode::invalid_argument, "the escalation interval must be positive");
    m_impl->thread = std::thread([impl = m_impl.get()] { impl->run(); });
}

EscalationScheduler::~EscalationScheduler() {
    {
        std::lock_guard lock(m_impl->mutex);
        m_impl->stopping = true;
    }
    m_impl->wake.notify_all();
    m_impl->thread.join();
}

} // namespace tessera::data
