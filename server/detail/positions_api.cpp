// Officers' positions (docs/coverage.md, "Live positions"): batches of fixes from their apps
// (POST /api/v1/positions) into patrol tracks and latest positions, and the latest position of
// each officer the caller may see (GET /api/v1/positions), for dispatch.
#include "data/nearby.hpp"
#include "data/positions.hpp"
#include "server/detail/api.hpp"

#include <cmath>
#include <map>

namespace tessera::server::detail {
namespace {

// At most this many fixes in one batch (an app sends a few minutes' worth; a gateway a few
// seconds' worth of many officers).
constexpr std::size_t max_batch_fixes = 10000;

const char* positions_shape =
    "{\"officer\"?, \"crs\"?, \"positions\": [{\"time\", \"lon\", \"lat\", \"accuracy\"?, "
    "\"officer\"?}]}";

// A fix's time: ISO 8601 text, or milliseconds since 1970 as phones count them.
data::Time fix_time(const in_json& p, const std::string& where) {
    const in_json* t = field(p, "time");
    if (t && t->is_string())
        if (auto parsed = data::parse_time(t->get<std::string>()))
            return *parsed;
    if (t && t->is_number()) {
        const double ms = t->get<double>();
        // From 2000 to 2100: a number outside is seconds, or garbage.
        if (std::isfinite(ms) && ms >= 946684800000.0 && ms < 4102444800000.0)
            return data::Time(std::chrono::milliseconds(static_cast<std::int64_t>(ms)));
    }
    throw bad_request(where + ": time must be ISO 8601 (2026-11-22T09:30:00+08:00) or "
                              "milliseconds since 1970");
}

double number_field(const in_json& p, const char* name, const std::string& where) {
    const in_json* v = field(p, name);
    if (!v || !v->is_number() || !std::isfinite(v->get<double>()))
        throw bad_request(where + ": " + name + " must be a number");
    return v->get<double>();
}

// The fixes of the body, in WGS84, each with its officer.
std::vector<data::Fix> fixes_of(const in_json& body, const std::optional<std::string>& own_code) {
    reject_unknown_fields(body, {"officer", "crs", "positions"});
    const std::optional<std::string> officer = optional_string(body, "officer");
    const in_json* list = field(body, "positions");
    if (!list || !list->is_array())
        throw bad_request(std::string("positions must be an array: ") + positions_shape);
    if (list->size() > max_batch_fixes)
        throw bad_request("at most " + std::to_string(max_batch_fixes) +
                          " positions in one batch, got " + std::to_string(list->size()));
    BatchPoints points(string_field(body, "crs", "wgs84"));
    std::vector<data::Fix> out;
    out.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
        const in_json& p = (*list)[i];
        const std::string where = "positions[" + std::to_string(i) + "]";
        if (!p.is_object())
            throw bad_request(where + " must be an object: {\"time\", \"lon\", \"lat\"}");
        // What phones' location APIs also report is accepted and not kept.
        reject_unknown_fields(
            p, {"time", "lon", "lat", "accuracy", "officer", "speed", "heading", "altitude"});
        data::Fix f;
        f.at = fix_time(p, where);
        points.add({number_field(p, "lon", where), number_field(p, "lat", where)}, where);
        f.position = points.points().back();
        if (field(p, "accuracy")) {
            f.accuracy_m = number_field(p, "accuracy", where);
            if (*f.accuracy_m < 0)
                throw bad_request(where + ": accuracy must not be negative");
        }
        auto code = optional_string(p, "officer");
        if (!code)
            code = officer ? officer : own_code;
        if (!code)
            throw bad_request(where + ": whose position is it? Name the officer (their staff "
                                      "number): this login is not an officer's");
        f.officer = std::move(*code);
        out.push_back(std::move(f));
    }
    return out;
}

} // namespace

Response post_positions(const Request& req, Services& services, const PathParams&) {
    reject_unknown_params(parse_target(req.target), {});
    const data::Principal who = require_login(req, services);
    const in_json body = parse_object(req, positions_shape);
    std::optional<std::string> own_code;
    if (who.person_id) {
        const std::int64_t ids[] = {*who.person_id};
        for (const auto& p : services.store.people_with_ids(ids))
            own_code = p.code;
    }
    std::vector<data::Fix> fixes = fixes_of(body, own_code);
    if (fixes.empty())
        return json_ok({{"received", 0}});

    data::StoreFixOptions options;
    options.check = [&](const data::Person& officer, std::span<const data::Fix> theirs) {
        for (const auto& f : theirs)
            if (!data::may_report_position(who, officer.id,
                                           data::scope_at(services.assigner, f.position)))
                throw Error(ErrorCode::forbidden, who.username + " may not report positions of " +
                                                      officer.code + " (" + officer.name + ")");
    };
    const data::FixReceipt r = data::store_fixes(services.store, std::move(fixes), options);
    if (!r.tracks_extent.empty())
        services.tile_cache.invalidate(data::tracks_layer, r.tracks_extent);
    return json_ok(
        {{"received", r.received},
         {"stored", r.stored},
         {"lone", r.lone},
         {"dropped",
          {{"inaccurate", r.inaccurate}, {"too_fast", r.too_fast}, {"duplicates", r.duplicates}}},
         {"tracks", {{"started", r.tracks_started}, {"extended", r.tracks_extended}}}});
}

Response get_positions(const Request& req, Services& services, const PathParams&) {
    const Target target = parse_target(req.target);
    reject_unknown_params(target, {"bbox", "since", "officer"});
    data::PositionQuery q;
    if (auto v = query_param(target, "bbox"))
        q.bbox = parse_bbox(*v);
    // DEFAULT: positions of the last 24 hours; older ones say little about where someone is.
    q.since = services.desk.now() - std::chrono::hours(24);
    if (auto v = query_param(target, "since")) {
        q.since = data::parse_time(*v);
        if (!q.since)
            throw bad_request("since must be an ISO 8601 date or time, got '" +
                              std::string(v->substr(0, 40)) + "'");
    }
    const data::Principal who = require_login(req, services);
    if (auto v = query_param(target, "officer"))
        q.person_ids.push_back(officer_by_code(services, *v).id);

    std::vector<data::OfficerPosition> positions = services.store.latest_positions(q);
    std::erase_if(positions, [&](const data::OfficerPosition& p) {
        return !data::may_see_at(services.assigner, who, data::Resource::person, p.position);
    });
    std::vector<std::int64_t> ids;
    for (const auto& p : positions)
        ids.push_back(p.person_id);
    std::map<std::int64_t, data::Person> people;
    for (auto& p : services.store.people_with_ids(ids))
        people.emplace(p.id, std::move(p));

    const data::Time now = services.desk.now();
    json features = json::array();
    for (const auto& p : positions) {
        const auto person = people.find(p.person_id);
        if (person == people.end())
            continue;
        const data::Person& o = person->second;
        features.push_back(
            {{"type", "Feature"},
             {"id", o.code},
             {"geometry", {{"type", "Point"}, {"coordinates", {p.position.lon, p.position.lat}}}},
             {"properties",
              {{"code", o.code},
               {"name", o.name},
               {"role", data::to_string(o.role)},
               {"phone", o.phone},
               {"grid_codes", o.grid_codes},
               {"at", data::format_time(p.at)},
               {"age_s", std::chrono::duration_cast<std::chrono::seconds>(now - p.at).count()},
               {"accuracy_m", p.accuracy_m ? json(*p.accuracy_m) : json(nullptr)}}}});
    }
    return geojson_ok({{"type", "FeatureCollection"}, {"features", std::move(features)}});
}

} // namespace tessera::server::detail
