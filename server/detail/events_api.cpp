// The event endpoints (docs/http.md, docs/events.md): intake, lists, one event with its
// timeline, actions. Parsing and rendering live here; every rule is data::EventDesk's.
#include "data/nearby.hpp"
#include "server/detail/api.hpp"
#include "server/geojson.hpp"

#include <algorithm>
#include <cmath>

namespace tessera::server::detail {
namespace {

template <class T, class Parse>
T parse_named(std::string_view what, std::string_view text, Parse parse, const char* allowed) {
    auto v = parse(text);
    if (!v)
        throw bad_request(std::string(what) + " must be one of " + allowed + ", got '" +
                          std::string(text.substr(0, 40)) + "'");
    return *v;
}

json actions_json(const std::vector<data::EventAction>& actions) {
    json a = json::array();
    for (auto x : actions)
        a.push_back(to_string(x));
    return a;
}

} // namespace

json event_json(const data::Event& e, data::EventDesk& desk, const data::Principal* who,
                data::Time now) {
    auto optional = [](const auto& v) { return v ? json(*v) : json(nullptr); };
    auto optional_time = [](const std::optional<data::Time>& t) {
        return t ? json(data::format_time(*t)) : json(nullptr);
    };
    const data::Category* cat = desk.category(e.category);
    json p = {{"id", e.id},
              {"category", e.category},
              {"category_name", cat ? json(cat->name) : json(nullptr)},
              {"description", e.description},
              {"source", to_string(e.source)},
              {"severity", to_string(e.severity)},
              {"status", to_string(e.status)},
              {"level", to_string(e.level)},
              {"grid_code", e.grid_code},
              {"community_code", e.community_code},
              {"township_code", e.township_code},
              {"county_code", e.county_code},
              {"city_code", e.city_code},
              {"layer_version", e.layer_version},
              {"outside_grid", e.outside_grid},
              {"accuracy_m", optional(e.accuracy_m)},
              {"reporter", e.reporter},
              {"photos", e.photos},
              {"address", optional(e.address)},
              {"camera_code", optional(e.camera_code)},
              {"flight_code", optional(e.flight_code)},
              {"footprint", e.footprint ? to_geojson(geo::Geometry(*e.footprint)) : json(nullptr)},
              {"duplicate_of", optional(e.duplicate_of)},
              {"department_code", optional(e.department_code)},
              {"reported_at", data::format_time(e.reported_at)},
              {"updated_at", data::format_time(e.updated_at)},
              {"deadline_at", data::format_time(e.deadline_at)},
              {"closed_at", optional_time(e.closed_at)},
              {"overdue", data::is_open(e.status) && e.deadline_at <= now},
              {"satisfied", optional(e.satisfied)}};
    if (e.closed_at) {
        // Handling time against the deadline of the level that closed it.
        auto minutes =
            std::chrono::duration_cast<std::chrono::minutes>(*e.closed_at - e.reported_at);
        p["handling_minutes"] = minutes.count();
        p["on_time"] = *e.closed_at <= e.deadline_at;
    }
    p["allowed_actions"] = actions_json(desk.actions_for(e, who));
    return json{{"type", "Feature"},
                {"id", e.id},
                {"geometry", to_geojson(geo::Geometry(geo::Point{e.position}))},
                {"properties", std::move(p)}};
}

json timeline_json(const std::vector<data::TimelineEntry>& entries) {
    json out = json::array();
    for (const auto& t : entries)
        out.push_back(json{{"at", data::format_time(t.at)},
                           {"actor", t.actor},
                           {"action", to_string(t.action)},
                           {"from", t.from ? json(to_string(*t.from)) : json(nullptr)},
                           {"to", to_string(t.to)},
                           {"note", t.note},
                           {"target", t.target ? json(*t.target) : json(nullptr)}});
    return out;
}

namespace {

json pending_json(const data::PendingReport& p) {
    auto optional = [](const auto& v) { return v ? json(*v) : json(nullptr); };
    return json{
        {"id", p.id},
        {"status", to_string(p.status)},
        {"category", p.category},
        {"description", p.description},
        {"source", to_string(p.source)},
        {"severity", p.severity ? json(to_string(*p.severity)) : json(nullptr)},
        {"reporter", p.reporter},
        {"photos", p.photos},
        {"address", p.address},
        {"reason", p.reason},
        {"candidates", p.candidates},
        {"area_codes", p.area_codes},
        {"received_at", data::format_time(p.received_at)},
        {"handled_at", p.handled_at ? json(data::format_time(*p.handled_at)) : json(nullptr)},
        {"handled_by", p.handled_by},
        {"note", p.note},
        {"event_id", optional(p.event_id)}};
}

// 201 with the new event, its first timeline entries and its Location.
Response created(const data::Intake& intake, Services& services, const data::Principal& who) {
    json out = event_json(intake.event, services.desk, &who, services.desk.now());
    out["properties"]["timeline"] = timeline_json(intake.timeline);
    Response res = geojson_ok(out, 201);
    res.set_header("Location", "/api/v1/events/" + std::to_string(intake.event.id));
    return res;
}

data::EventReport parse_event_report(const nlohmann::json& body, const data::Principal* who) {
    reject_unknown_fields(body, {"category", "description", "source", "severity", "location", "crs",
                                 "accuracy", "reporter", "photos", "address", "camera",
                                 "alert_type", "flight"});
    data::EventReport r;
    if (!field(body, "category"))
        throw bad_request("category is required (GET /api/v1/categories lists them)");
    r.category = string_field(body, "category");
    r.description = string_field(body, "description");
    bool citizen = who && who->role == data::Role::reporter;
    r.source = citizen || !who ? data::EventSource::citizen : data::EventSource::officer;
    if (auto s = optional_string(body, "source")) {
        r.source = parse_named<data::EventSource>("source", *s, data::parse_event_source,
                                                  "officer, citizen, hotline, camera, drone");
        if ((citizen || !who) && r.source != data::EventSource::citizen)
            throw Error(ErrorCode::forbidden, "citizens report with source 'citizen'");
    }
    if (auto s = optional_string(body, "severity"))
        r.severity =
            parse_named<data::Severity>("severity", *s, data::parse_severity, "blue, yellow, red");
    if (const in_json* loc = field(body, "location")) {
        geo::Geometry g = geometry_from_geojson(*loc, "location");
        if (const auto* pt = std::get_if<geo::Point>(&g))
            r.position = pt->pos;
        else if (geo::dimension_of(geo::type_of(g)) == geo::Dimension::polygonal)
            r.footprint = geo::as_multi_polygon(g);
        else
            throw bad_request("location must be a Point (or, for drone findings, a Polygon or "
                              "MultiPolygon footprint)");
    }
    r.crs = string_field(body, "crs", "wgs84");
    if (const in_json* acc = field(body, "accuracy")) {
        if (!acc->is_number() || !std::isfinite(acc->get<double>()))
            throw bad_request("accuracy must be a number of metres");
        r.accuracy_m = acc->get<double>();
    }
    r.reporter = string_field(body, "reporter", who ? who->display_name : std::string());
    r.photos = string_list(body, "photos");
    r.address = optional_string(body, "address");
    r.camera_code = optional_string(body, "camera");
    r.alert_type = optional_string(body, "alert_type");
    r.flight_code = optional_string(body, "flight");
    return r;
}

} // namespace

Response post_event(const Request& req, Services& services, const PathParams&) {
    reject_unknown_params(parse_target(req.target), {});
    data::Principal who = require_login(req, services);
    in_json body = parse_object(
        req,
        "{\"category\", \"location\": {\"type\": \"Point\", \"coordinates\": [lon, lat]}, ...}");
    data::Intake intake = services.desk.report(parse_event_report(body, &who), &who, who.username);
    if (intake.pending) {
        // Stored, but not yet an event: the address did not place it (docs/events.md).
        Response res = json_ok(pending_json(*intake.pending), 202);
        res.set_header("Location", "/api/v1/location-queue/" + std::to_string(intake.pending->id));
        return res;
    }
    return created(intake, services, who);
}

Response get_event(const Request& req, Services& services, const PathParams& params) {
    reject_unknown_params(parse_target(req.target), {});
    data::Principal who = require_login(req, services);
    std::int64_t id = path_id(params, "event");
    data::Event e = services.desk.get(id, &who);
    json out = event_json(e, services.desk, &who, services.desk.now());
    out["properties"]["timeline"] = timeline_json(services.desk.timeline(id, &who));
    return geojson_ok(out);
}

// Who and what is around an event, for dispatch: officers by their latest position and the
// cameras that see it (docs/events.md, "Around an event").
Response get_event_nearby(const Request& req, Services& services, const PathParams& params) {
    Target target = parse_target(req.target);
    reject_unknown_params(target, {"radius", "limit"});
    data::Principal who = require_login(req, services);
    const data::Event e = services.desk.get(path_id(params, "event"), &who);
    constexpr std::size_t max_radius_m = 5000;
    std::size_t radius = 1000, limit = 20;
    if (auto v = query_param(target, "radius"))
        radius = parse_count("radius", *v, 1);
    if (radius > max_radius_m)
        throw bad_request("radius is at most " + std::to_string(max_radius_m) + " m");
    if (auto v = query_param(target, "limit"))
        limit = std::min<std::size_t>(parse_count("limit", *v, 1), 200);
    auto point = [](geo::LonLat p) { return json::array({p.lon, p.lat}); };
    auto metres = [](double d) { return std::round(d * 10) / 10; };

    json officers = json::array();
    // A position older than a day says little about where someone is now.
    const data::Time since = services.desk.now() - std::chrono::hours(24);
    for (const auto& o : data::officers_near(services.store, services.assigner, who, e.position,
                                             static_cast<double>(radius), since, limit))
        officers.push_back({{"code", o.person.code},
                            {"name", o.person.name},
                            {"role", data::to_string(o.person.role)},
                            {"phone", o.person.phone},
                            {"grid_codes", o.person.grid_codes},
                            {"position", point(o.position)},
                            {"at", data::format_time(o.at)},
                            {"distance_m", metres(o.distance_m)}});
    json cameras = json::array();
    for (const auto& c : data::cameras_seeing(services.store, services.assigner, who, e.position))
        cameras.push_back({{"code", c.camera.code},
                           {"name", c.camera.name},
                           {"online", c.camera.online},
                           {"heading_deg", c.camera.heading_deg},
                           {"fov_deg", c.camera.fov_deg},
                           {"range_m", c.camera.range_m},
                           {"position", point(c.camera.position)},
                           {"distance_m", metres(c.distance_m)}});
    return json_ok({{"event_id", e.id},
                    {"radius_m", radius},
                    {"officers", std::move(officers)},
                    {"cameras", std::move(cameras)}});
}

Response get_events(const Request& req, Services& services, const PathParams&) {
    Target target = parse_target(req.target);
    reject_unknown_params(target, {"status", "severity", "category", "level", "grid", "community",
                                   "township", "county", "area", "from", "to", "bbox", "overdue",
                                   "open", "limit", "offset"});
    data::EventQuery q;
    q.limit = default_event_limit;
    auto time_param = [&](const char* name) -> std::optional<data::Time> {
        auto v = query_param(target, name);
        if (!v)
            return std::nullopt;
        auto t = data::parse_time(*v);
        if (!t)
            throw bad_request(std::string(name) + " must be an ISO 8601 date or time, got '" +
                              std::string(v->substr(0, 40)) + "'");
        return t;
    };
    auto flag = [&](const char* name) {
        auto v = query_param(target, name);
        if (!v)
            return false;
        if (*v == "true")
            return true;
        if (*v == "false")
            return false;
        throw bad_request(std::string(name) + " must be true or false");
    };
    if (auto v = query_param(target, "status"))
        q.status = parse_named<data::EventStatus>(
            "status", *v, data::parse_event_status,
            "reported, dispatched, accepted, in_progress, resolved, closed, rejected");
    if (auto v = query_param(target, "severity"))
        q.severity =
            parse_named<data::Severity>("severity", *v, data::parse_severity, "blue, yellow, red");
    if (auto v = query_param(target, "level"))
        q.level = parse_named<data::ResponseLevel>("level", *v, data::parse_response_level,
                                                   "grid, community, township, county");
    if (auto v = query_param(target, "category"))
        q.category = std::string(*v);
    for (const char* name : {"grid", "community", "township", "county", "area"})
        for (const auto& [k, v] : target.query)
            if (k == name && !v.empty())
                q.area_codes.push_back(v);
    q.reported_from = time_param("from");
    q.reported_to = time_param("to");
    if (auto v = query_param(target, "bbox"))
        q.bbox = parse_bbox(*v);
    if (flag("overdue"))
        q.overdue_at = services.desk.now();
    if (query_param(target, "open"))
        q.open = flag("open");
    if (auto v = query_param(target, "limit"))
        q.limit = std::min(parse_count("limit", *v, 1), max_event_limit);
    if (auto v = query_param(target, "offset"))
        q.offset = parse_count("offset", *v, 0);

    data::Principal who = require_login(req, services);
    data::EventPage page = services.desk.list(q, &who);
    data::Time now = services.desk.now();
    json features = json::array();
    for (const auto& e : page.events)
        features.push_back(event_json(e, services.desk, &who, now));

    // Links keep the caller's filters and move the window.
    auto link = [&](const char* rel, std::size_t offset) {
        std::string href = "/api/v1/events?";
        for (const auto& [k, v] : target.query)
            if (k != "limit" && k != "offset")
                href += percent_encode(k) + "=" + percent_encode(v, ",:") + "&";
        href += "limit=" + std::to_string(q.limit) + "&offset=" + std::to_string(offset);
        return json{{"href", href}, {"rel", rel}, {"type", "application/geo+json"}};
    };
    json links = json::array({link("self", q.offset)});
    std::size_t end = q.offset + page.events.size();
    if (static_cast<std::int64_t>(end) < page.total && !page.events.empty())
        links.push_back(link("next", end));
    if (q.offset > 0)
        links.push_back(link("prev", q.offset > q.limit ? q.offset - q.limit : 0));
    return geojson_ok(json{{"type", "FeatureCollection"},
                           {"numberMatched", page.total},
                           {"numberReturned", features.size()},
                           {"links", std::move(links)},
                           {"features", std::move(features)}});
}

Response post_event_action(const Request& req, Services& services, const PathParams& params) {
    reject_unknown_params(parse_target(req.target), {});
    data::Principal who = require_login(req, services);
    std::int64_t id = path_id(params, "event");
    in_json body =
        parse_object(req, "{\"action\", \"note\", \"target\", \"satisfied\", \"photos\"}");
    reject_unknown_fields(body, {"action", "note", "target", "satisfied", "photos"});
    if (!field(body, "action"))
        throw bad_request("action is required");
    data::ActionRequest r;
    r.action = parse_named<data::EventAction>(
        "action", string_field(body, "action"), data::parse_event_action,
        "dispatch, accept, start, resolve, close, reject, transfer, escalate, reopen, rate");
    r.note = string_field(body, "note");
    r.target = optional_string(body, "target");
    if (const in_json* s = field(body, "satisfied")) {
        if (!s->is_boolean())
            throw bad_request("satisfied must be true or false");
        r.satisfied = s->get<bool>();
    }
    r.photos = string_list(body, "photos");
    try {
        data::Event e = services.desk.act(id, r, who);
        json out = event_json(e, services.desk, &who, services.desk.now());
        out["properties"]["timeline"] = timeline_json(services.desk.timeline(id, &who));
        return geojson_ok(out);
    } catch (const Error& err) {
        if (err.code() != ErrorCode::conflict)
            throw;
        // 409 with what the caller may do now, as a list a client can offer as buttons.
        data::Event now = services.desk.get(id, &who);
        json out = {{"code", "conflict"},
                    {"message", err.what()},
                    {"status", to_string(now.status)},
                    {"level", to_string(now.level)},
                    {"allowed_actions", actions_json(services.desk.actions_for(now, &who))}};
        return json_ok(out, 409);
    }
}

Response get_location_queue(const Request& req, Services& services, const PathParams&) {
    Target target = parse_target(req.target);
    reject_unknown_params(target, {"status", "limit", "offset"});
    data::PendingQuery q;
    if (auto v = query_param(target, "status")) {
        if (*v == "all")
            q.status.reset();
        else
            q.status = parse_named<data::PendingStatus>("status", *v, data::parse_pending_status,
                                                        "waiting, located, discarded, all");
    }
    q.limit = default_event_limit;
    if (auto v = query_param(target, "limit"))
        q.limit = std::min(parse_count("limit", *v, 1), max_event_limit);
    if (auto v = query_param(target, "offset"))
        q.offset = parse_count("offset", *v, 0);
    data::Principal who = require_login(req, services);
    data::PendingPage page = services.desk.pending(q, &who);
    json reports = json::array();
    for (const auto& p : page.reports)
        reports.push_back(pending_json(p));
    Response res = json_ok(json{{"numberMatched", page.total},
                                {"numberReturned", reports.size()},
                                {"reports", std::move(reports)}});
    res.set_header("Cache-Control", "no-store");
    return res;
}

Response get_pending_report(const Request& req, Services& services, const PathParams& params) {
    reject_unknown_params(parse_target(req.target), {});
    data::Principal who = require_login(req, services);
    Response res = json_ok(
        pending_json(services.desk.pending_report(path_id(params, "pending report"), &who)));
    res.set_header("Cache-Control", "no-store");
    return res;
}

Response post_pending_locate(const Request& req, Services& services, const PathParams& params) {
    reject_unknown_params(parse_target(req.target), {});
    data::Principal who = require_login(req, services);
    std::int64_t id = path_id(params, "pending report");
    in_json body = parse_object(
        req,
        "{\"location\": {\"type\": \"Point\", \"coordinates\": [lon, lat]}, \"crs\", \"note\"}");
    reject_unknown_fields(body, {"location", "crs", "note"});
    const in_json* loc = field(body, "location");
    if (!loc)
        throw bad_request("location is required: where the operator places the report");
    geo::Geometry g = geometry_from_geojson(*loc, "location");
    const auto* pt = std::get_if<geo::Point>(&g);
    if (!pt)
        throw bad_request("location must be a Point");
    data::LocateRequest r{pt->pos, string_field(body, "crs", "wgs84"), string_field(body, "note")};
    data::Intake intake = services.desk.locate_pending(id, r, who);
    return created(intake, services, who);
}

Response post_pending_discard(const Request& req, Services& services, const PathParams& params) {
    reject_unknown_params(parse_target(req.target), {});
    data::Principal who = require_login(req, services);
    std::int64_t id = path_id(params, "pending report");
    in_json body = parse_object(req, "{\"note\": \"why it is dropped\"}");
    reject_unknown_fields(body, {"note"});
    return json_ok(
        pending_json(services.desk.discard_pending(id, string_field(body, "note"), who)));
}

Response get_categories(const Request& req, Services& services, const PathParams&) {
    reject_unknown_params(parse_target(req.target), {});
    json out = json::array();
    for (const auto& c : services.desk.config().categories)
        out.push_back(json{{"code", c.code},
                           {"name", c.name},
                           {"name_en", c.name_en},
                           {"group", c.group},
                           {"severity", to_string(c.severity)},
                           {"handling", to_string(c.handling)},
                           {"resolve_needs_photo", c.resolve_needs_photo}});
    return json_ok(out);
}

} // namespace tessera::server::detail
