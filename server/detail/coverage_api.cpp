// GET /api/v1/coverage (docs/coverage.md, "The audit"): the patrol audit of the grids the caller
// may see, over a window, as JSON, CSV or GeoJSON; per officer, the grids they are responsible
// for. GET /api/v1/coverage/cameras and /drones: the camera and drone audits of the same grids.
// The audits are data's (patrol_audit, sensor_audit); this file scopes, parses and renders.
#include "data/patrol_audit.hpp"
#include "data/sensor_audit.hpp"
#include "geo/measure.hpp"
#include "server/detail/api.hpp"
#include "server/geojson.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

namespace tessera::server::detail {
namespace {

json grid_json(const data::GridAudit& g) {
    const data::GridPatrol& p = g.patrol;
    json responsible = json::array();
    for (const auto& person : g.responsible)
        responsible.push_back({{"code", person.code},
                               {"name", person.name},
                               {"role", data::to_string(person.role)},
                               {"phone", person.phone}});
    return {{"code", g.code},
            {"name", g.name},
            {"type", g.type},
            {"parent_code", g.parent_code ? json(*g.parent_code) : json(nullptr)},
            {"visited", p.visited},
            {"visits", p.visits},
            {"distance_m", rounded(p.distance_m, 1)},
            {"coverage_share", rounded(p.coverage_share(), 3)},
            {"area_share", rounded(p.area_share(), 3)},
            {"household_share", p.households > 0 ? rounded(p.household_share(), 3) : json(nullptr)},
            {"households", p.households},
            {"last_visit",
             p.last_visit_ms
                 ? json(data::format_time(data::Time(std::chrono::milliseconds(*p.last_visit_ms))))
                 : json(nullptr)},
            {"officer", g.last_officer
                            ? json{{"code", g.last_officer->code}, {"name", g.last_officer->name}}
                            : json(nullptr)},
            {"responsible", std::move(responsible)},
            {"stale", g.stale},
            {"stale_days", g.stale_days}};
}

json summary_json(const data::AuditReport& r) {
    std::size_t visited = 0, stale = 0;
    double distance = 0;
    for (const auto& g : r.grids) {
        visited += g.patrol.visited ? 1 : 0;
        stale += g.stale ? 1 : 0;
        distance += g.patrol.distance_m;
    }
    json stale_days = json::object();
    for (const auto& [type, days] : r.rules.stale_days)
        stale_days[type] = days;
    stale_days["other"] = r.rules.default_stale_days;
    return {{"layer", r.layer},
            {"from", data::format_time(r.from)},
            {"to", data::format_time(r.to)},
            {"grids", r.grids.size()},
            {"visited", visited},
            {"stale", stale},
            {"distance_m", rounded(distance, 1)},
            {"tracks", r.tracks},
            {"fixes", r.fixes},
            {"rules",
             {{"dwell_minutes", r.rules.min_dwell.count() / 60.0},
              {"gap_minutes", r.rules.max_gap.count() / 60.0},
              {"reach_m", r.rules.reach_m},
              {"full_share", r.rules.full_share},
              {"stale_days", std::move(stale_days)}}}};
}

data::Time window_param(const Target& target, const char* name, bool end, data::Time fallback) {
    auto v = query_param(target, name);
    if (!v)
        return fallback;
    auto t = data::parse_window_time(*v, end);
    if (!t)
        throw bad_request(std::string(name) +
                          " must be an ISO 8601 date or time (a date alone is a day in Beijing), "
                          "got '" +
                          std::string(v->substr(0, 40)) + "'");
    return *t;
}

std::string format_param(const Target& target) {
    const std::string f(query_param(target, "format").value_or("json"));
    if (f != "json" && f != "csv" && f != "geojson")
        throw bad_request("format must be json, csv or geojson, got '" + f.substr(0, 20) + "'");
    return f;
}

// Which grids of the layer a request audits: those `who` may see `resource` in (each grid scoped
// by its code and the admin areas above it), within `area` when given.
std::function<bool(const data::Feature&)> grids_for(Services& services, const data::Principal& who,
                                                    data::Resource resource,
                                                    std::optional<std::string> area,
                                                    std::optional<data::Person> officer = {}) {
    return [&services, &who, resource, area = std::move(area),
            officer = std::move(officer)](const data::Feature& f) {
        data::Scope scope;
        if (f.parent_code)
            scope.areas = services.assigner.areas_from(*f.parent_code);
        scope.grid = f.code;
        if (area && scope.grid != *area &&
            std::ranges::find(scope.areas, *area) == scope.areas.end())
            return false;
        // An officer's grids, or the grids of the communities a chief answers for.
        if (officer && std::ranges::none_of(officer->grid_codes, [&](const std::string& c) {
                return c == f.code || std::ranges::find(scope.areas, c) != scope.areas.end();
            }))
            return false;
        return data::may(&who, data::Action::view, resource, scope);
    };
}

std::optional<std::string> text_param(const Target& target, const char* name) {
    auto v = query_param(target, name);
    return v ? std::optional<std::string>(*v) : std::nullopt;
}

int threads() {
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

json area_figures(const data::AuditedGrid& g) {
    return {{"code", g.code},
            {"name", g.name},
            {"type", g.type},
            {"parent_code", g.parent_code ? json(*g.parent_code) : json(nullptr)}};
}

// A grid as a GeoJSON feature: its code as id, its shape, `properties`.
json grid_feature(const data::AuditedGrid& g, json properties) {
    return {{"type", "Feature"},
            {"id", g.code},
            {"geometry", to_geojson(geo::Geometry(g.shape))},
            {"properties", std::move(properties)}};
}

// Polygons as GeoJSON features, one per piece, with `properties`.
void add_pieces(json& features, const geo::MultiPolygon& pieces, const json& properties) {
    for (const auto& piece : pieces.polygons) {
        json props = properties;
        props["area_m2"] = rounded(geo::area_m2(piece), 1);
        features.push_back({{"type", "Feature"},
                            {"geometry", to_geojson(geo::Geometry(piece))},
                            {"properties", std::move(props)}});
    }
}

std::string show_param(const Target& target, std::initializer_list<const char*> allowed) {
    const std::string show(query_param(target, "show").value_or("grids"));
    std::string names;
    for (const char* a : allowed) {
        if (show == a)
            return show;
        names += (names.empty() ? "" : ", ") + std::string(a);
    }
    throw bad_request("show must be one of " + names + ", got '" + show.substr(0, 20) + "'");
}

json camera_grid_json(const data::GridCameras& g) {
    json out = area_figures(g);
    out.update(json{{"covered_share", rounded(g.covered_share(), 3)},
                    {"covered_m2", rounded(g.covered_m2, 1)},
                    {"area_m2", rounded(g.area_m2, 1)},
                    {"blind_spots", g.blind_spots.polygons.size()},
                    {"blind_spot_m2", rounded(geo::area_m2(g.blind_spots), 1)},
                    {"cameras_online", g.online},
                    {"cameras_offline", g.offline},
                    {"cones", g.cones},
                    {"households", g.households},
                    {"households_unseen", g.households_unseen},
                    {"buildings_unseen", g.buildings_unseen}});
    return out;
}

json drone_grid_json(const data::GridFlights& g) {
    json out = area_figures(g);
    out.update(
        {{"covered_share", rounded(g.covered_share(), 3)},
         {"covered_m2", rounded(g.covered_m2, 1)},
         {"area_m2", rounded(g.area_m2, 1)},
         {"unflown_pieces", g.unflown.polygons.size()},
         {"unflown_m2", rounded(geo::area_m2(g.unflown), 1)},
         {"flights", g.flights},
         {"last_flown", g.last_flown ? json(data::format_time(*g.last_flown)) : json(nullptr)}});
    return out;
}

json flight_json(const data::FlightFootprint& f) {
    return {{"code", f.code},
            {"purpose", f.purpose},
            {"started", data::format_time(f.started)},
            {"ended", data::format_time(f.ended)},
            {"swath_m", f.swath_m},
            {"length_m", rounded(f.length_m, 1)},
            {"footprint_m2", rounded(f.footprint_m2, 1)}};
}

// Sums of covered and whole area over the grids, as a share.
template <class Grid>
json overall(const std::vector<Grid>& grids) {
    double covered = 0, area = 0;
    for (const auto& g : grids) {
        covered += g.covered_m2;
        area += g.area_m2;
    }
    return {{"covered_m2", rounded(covered, 1)},
            {"area_m2", rounded(area, 1)},
            {"covered_share", rounded(area > 0 ? covered / area : 0, 3)}};
}

} // namespace

Response get_camera_coverage(const Request& req, Services& services, const PathParams&) {
    const Target target = parse_target(req.target);
    reject_unknown_params(target, {"layer", "area", "format", "show"});
    const std::string format = format_param(target);
    const std::string show = show_param(target, {"grids", "blind_spots"});
    const data::Principal who = require_login(req, services);
    data::CameraAuditQuery q;
    q.layer = std::string(query_param(target, "layer").value_or("grid"));
    q.threads = threads();
    q.include = grids_for(services, who, data::Resource::camera, text_param(target, "area"));
    const data::CameraReport report = data::audit_cameras(services.store, q);
    if (format == "csv")
        return csv_ok(data::camera_audit_csv(report), "camera-coverage.csv");
    json summary = overall(report.grids);
    std::int64_t households = 0, unseen = 0;
    for (const auto& g : report.grids) {
        households += g.households;
        unseen += g.households_unseen;
    }
    summary.update(json{{"layer", report.layer},
                        {"grids", report.grids.size()},
                        {"cameras_online", report.online},
                        {"cameras_offline", report.offline},
                        {"households", households},
                        {"households_unseen", unseen}});
    if (format == "geojson") {
        json features = json::array();
        for (const auto& g : report.grids) {
            if (show == "blind_spots")
                add_pieces(features, g.blind_spots, {{"grid", g.code}, {"name", g.name}});
            else
                features.push_back(grid_feature(g, camera_grid_json(g)));
        }
        return geojson_ok({{"type", "FeatureCollection"},
                           {"audit", std::move(summary)},
                           {"features", std::move(features)}});
    }
    json grids = json::array();
    for (const auto& g : report.grids)
        grids.push_back(camera_grid_json(g));
    Response res = json_ok({{"audit", std::move(summary)}, {"grids", std::move(grids)}});
    res.set_header("Cache-Control", "no-store");
    return res;
}

Response get_drone_coverage(const Request& req, Services& services, const PathParams&) {
    const Target target = parse_target(req.target);
    reject_unknown_params(target, {"from", "to", "layer", "area", "plan", "format", "show"});
    const std::string format = format_param(target);
    const std::string show = show_param(target, {"grids", "footprints", "unflown", "gaps"});
    data::DroneAuditQuery q;
    q.layer = std::string(query_param(target, "layer").value_or("grid"));
    q.to = window_param(target, "to", true, services.desk.now());
    q.from = window_param(target, "from", false, q.to - std::chrono::days(30));
    if (q.from >= q.to)
        throw bad_request("to must come after from");
    q.threads = threads();
    const data::Principal who = require_login(req, services);
    const std::optional<std::string> plan = text_param(target, "plan");
    if (plan) {
        // The plan is an area the caller may see: its code, and the areas above it.
        const std::optional<data::Feature> area = data::area_feature(services.store, *plan);
        data::Scope scope;
        if (area) {
            scope.areas = services.assigner.areas_from(area->code);
            if (area->parent_code)
                for (auto& code : services.assigner.areas_from(*area->parent_code))
                    scope.areas.push_back(std::move(code));
            scope.grid = area->code;
            q.plan = geo::as_multi_polygon(area->geometry);
        }
        if (!area || !data::may(&who, data::Action::view, data::Resource::drone_flight, scope))
            throw Error(ErrorCode::not_found,
                        "no area with the code '" + plan->substr(0, 40) + "' to plan a survey of");
    } else if (show == "gaps") {
        throw bad_request("show=gaps needs plan, the code of the area the flights should cover");
    }
    q.include = grids_for(services, who, data::Resource::drone_flight, text_param(target, "area"));
    q.events_visible_to = data::event_visibility(who);
    const data::DroneReport report = data::audit_drones(services.store, q);
    if (format == "csv")
        return csv_ok(data::drone_audit_csv(report), "drone-coverage.csv");

    json summary = overall(report.grids);
    summary.update(json{{"layer", report.layer},
                        {"from", data::format_time(report.from)},
                        {"to", data::format_time(report.to)},
                        {"grids", report.grids.size()},
                        {"flights", report.flights.size()},
                        {"reinspected", report.reinspected.size()}});
    json plan_json = nullptr;
    if (report.plan)
        plan_json = {{"code", *plan},
                     {"planned_m2", rounded(report.plan->planned_m2, 1)},
                     {"covered_m2", rounded(report.plan->covered_m2, 1)},
                     {"covered_share", rounded(report.plan->covered_share(), 3)},
                     {"gaps", report.plan->gaps.polygons.size()},
                     {"gap_m2", rounded(geo::area_m2(report.plan->gaps), 1)}};
    if (format == "geojson") {
        json features = json::array();
        if (show == "footprints") {
            for (const auto& f : report.flights)
                features.push_back({{"type", "Feature"},
                                    {"id", f.code},
                                    {"geometry", to_geojson(geo::Geometry(f.footprint))},
                                    {"properties", flight_json(f)}});
        } else if (show == "gaps") {
            add_pieces(features, report.plan->gaps, {{"plan", *plan}});
        } else {
            for (const auto& g : report.grids) {
                if (show == "unflown")
                    add_pieces(features, g.unflown, {{"grid", g.code}, {"name", g.name}});
                else
                    features.push_back(grid_feature(g, drone_grid_json(g)));
            }
        }
        return geojson_ok({{"type", "FeatureCollection"},
                           {"audit", std::move(summary)},
                           {"plan", std::move(plan_json)},
                           {"features", std::move(features)}});
    }
    json flights = json::array(), grids = json::array(), reinspected = json::array();
    for (const auto& f : report.flights)
        flights.push_back(flight_json(f));
    for (const auto& g : report.grids)
        grids.push_back(drone_grid_json(g));
    for (const auto& r : report.reinspected)
        reinspected.push_back({{"event", r.event_id},
                               {"category", r.category},
                               {"grid", r.grid_code},
                               {"lon", rounded(r.position.lon, 7)},
                               {"lat", rounded(r.position.lat, 7)},
                               {"closed_at", data::format_time(r.closed_at)},
                               {"flight", r.flight_code},
                               {"flown_at", data::format_time(r.flown_at)},
                               {"marked", r.marked}});
    Response res = json_ok({{"audit", std::move(summary)},
                            {"plan", std::move(plan_json)},
                            {"flights", std::move(flights)},
                            {"grids", std::move(grids)},
                            {"reinspected", std::move(reinspected)}});
    res.set_header("Cache-Control", "no-store");
    return res;
}

Response get_coverage(const Request& req, Services& services, const PathParams&) {
    const Target target = parse_target(req.target);
    reject_unknown_params(target, {"from", "to", "layer", "area", "officer", "format"});
    const std::string format = format_param(target);
    data::AuditQuery q;
    q.layer = std::string(query_param(target, "layer").value_or("grid"));
    // DEFAULT window: the last 30 days, to now.
    q.to = window_param(target, "to", true, services.desk.now());
    q.from = window_param(target, "from", false, q.to - std::chrono::days(30));
    if (q.from >= q.to)
        throw bad_request("to must come after from");
    q.threads = threads();
    const data::Principal who = require_login(req, services);
    std::optional<data::Person> officer;
    if (auto v = query_param(target, "officer"))
        officer = officer_by_code(services, *v);
    q.include =
        grids_for(services, who, data::Resource::track, text_param(target, "area"), officer);
    const data::AuditReport report = data::audit_patrols(services.store, q);
    // An officer is shown to those who see one of their grids (or to admins).
    if (officer && report.grids.empty() && who.role != data::Role::admin)
        throw Error(ErrorCode::not_found, "no officer with the staff number '" + officer->code +
                                              "' responsible for grids " + who.username +
                                              " may see");

    if (format == "csv")
        return csv_ok(data::audit_csv(report), "coverage.csv");
    json out;
    if (format == "geojson") {
        json features = json::array();
        for (const auto& g : report.grids)
            features.push_back(grid_feature(g, grid_json(g)));
        out = {{"type", "FeatureCollection"},
               {"audit", summary_json(report)},
               {"features", std::move(features)}};
    } else {
        json grids = json::array();
        for (const auto& g : report.grids)
            grids.push_back(grid_json(g));
        out = {{"audit", summary_json(report)}, {"grids", std::move(grids)}};
    }
    if (officer)
        out["officer"] = {{"code", officer->code},
                          {"name", officer->name},
                          {"role", data::to_string(officer->role)},
                          {"phone", officer->phone},
                          {"grid_codes", officer->grid_codes}};
    if (format == "geojson")
        return geojson_ok(out);
    Response res = json_ok(out);
    res.set_header("Cache-Control", "no-store");
    return res;
}

} // namespace tessera::server::detail
