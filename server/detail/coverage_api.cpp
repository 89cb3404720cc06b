// GET /api/v1/coverage (docs/coverage.md, "The audit"): the patrol audit of the grids the caller
// may see, over a window, as JSON, CSV or GeoJSON; per officer, the grids they are responsible
// for. The audit is data::audit_patrols'; this file scopes, parses and renders.
#include "data/patrol_audit.hpp"
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

} // namespace

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
    q.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const data::Principal who = require_login(req, services);

    const std::optional<std::string> area =
        query_param(target, "area") ? std::optional<std::string>(*query_param(target, "area"))
                                    : std::nullopt;
    std::optional<data::Person> officer;
    if (auto v = query_param(target, "officer"))
        officer = officer_by_code(services, *v);
    q.include = [&](const data::Feature& f) {
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
        return data::may(&who, data::Action::view, data::Resource::track, scope);
    };
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
            features.push_back({{"type", "Feature"},
                                {"id", g.code},
                                {"geometry", to_geojson(geo::Geometry(g.shape))},
                                {"properties", grid_json(g)}});
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
