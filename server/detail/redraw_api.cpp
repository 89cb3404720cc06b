// Redrawing boundaries over HTTP (docs/redrawing.md): draft changesets, their edit operations,
// validation, commit and discard, and a feature's history. Parsing and rendering live here;
// the editing is data::Redraw's, the rules data/policy's.
#include "data/nearby.hpp"
#include "data/redraw.hpp"
#include "geo/measure.hpp"
#include "geo/ops.hpp"
#include "server/detail/api.hpp"
#include "server/geojson.hpp"

#include <algorithm>
#include <cmath>

namespace tessera::server::detail {
namespace {

json time_json(data::Time t) {
    return data::format_time(t);
}

json draft_json(const data::Draft& d) {
    return {{"id", d.id},
            {"layer", d.layer},
            {"title", d.title},
            {"status", to_string(d.status)},
            {"base_version", d.base_version},
            {"created_by", d.created_by},
            {"created_at", time_json(d.created_at)},
            {"updated_at", time_json(d.updated_at)},
            {"changeset_id", d.changeset_id ? json(*d.changeset_id) : json(nullptr)},
            {"operations", d.operations},
            {"changes", d.changes}};
}

json operation_json(const data::DraftOperation& op) {
    json detail = json::parse(op.detail, nullptr, false);
    return {{"seq", op.seq},       {"kind", op.kind},
            {"author", op.author}, {"at", time_json(op.at)},
            {"codes", op.codes},   {"request", detail.is_discarded() ? json(nullptr) : detail}};
}

// A changed feature as the draft leaves it; a removed one with a null geometry and
// "removed": true.
json change_json(const data::FeatureChange& c) {
    if (!c.after)
        return {{"type", "Feature"},
                {"id", c.code},
                {"geometry", nullptr},
                {"properties", {{"code", c.code}, {"removed", true}}}};
    json props = {
        {"code", c.code},
        {"name", c.after->name},
        {"parent_code", c.after->parent_code ? json(*c.after->parent_code) : json(nullptr)}};
    for (const auto& [k, v] : c.after->properties)
        if (!props.contains(k))
            props[k] = to_json(v);
    return {{"type", "Feature"},
            {"id", c.code},
            {"geometry", to_geojson(c.after->geometry)},
            {"properties", std::move(props)}};
}

json report_json(const data::ValidationReport& r) {
    json findings = json::array();
    for (const auto& f : r.findings)
        findings.push_back(to_geojson(f));
    return {{"layer", r.layer},
            {"features_checked", r.features},
            {"errors", r.errors()},
            {"warnings", r.findings.size() - r.errors()},
            {"findings", {{"type", "FeatureCollection"}, {"features", std::move(findings)}}}};
}

data::Layer layer_of(Services& services, const PathParams& params) {
    auto layer = services.store.find_layer(param(params, "name"));
    if (!layer)
        throw Error(ErrorCode::not_found,
                    "no layer '" + std::string(param(params, "name").substr(0, 64)) + "'");
    return *layer;
}

// The draft {id} of layer {name}: a 404 when it is another layer's.
data::Draft draft_of(Services& services, const PathParams& params) {
    const std::int64_t id = path_id(params, "draft");
    auto d = services.store.draft(id);
    if (!d || d->layer != param(params, "name"))
        throw Error(ErrorCode::not_found, "no draft " + std::to_string(id) + " in layer " +
                                              std::string(param(params, "name").substr(0, 64)));
    return *d;
}

// Editing needs an admin or a command operator (docs/auth.md); which features they may touch
// is checked per change.
data::Principal require_editor(const Request& req, Services& services) {
    data::Principal who = require_login(req, services);
    if (who.role != data::Role::admin && who.role != data::Role::command_operator)
        throw Error(ErrorCode::forbidden,
                    who.username + " (" + std::string(to_string(who.role)) +
                        ") may not redraw boundaries: that is for admins and command operators");
    return who;
}

// The same ground: two shapes that differ only by vertices along their edges (a neighbour's
// cut point inserted on a shared edge), which no jurisdiction needs to allow.
bool same_ground(const geo::Geometry& a, const geo::Geometry& b) {
    if (geo::dimension_of(geo::type_of(a)) != geo::Dimension::polygonal ||
        geo::dimension_of(geo::type_of(b)) != geo::Dimension::polygonal)
        return false;
    // Below validation's fault size (1 m²): what a vertex a hair off its edge encloses.
    return geo::area_m2(geo::difference(a, b)) < 1.0 && geo::area_m2(geo::difference(b, a)) < 1.0;
}

// Refuses changes to features outside `who`'s jurisdiction, as they are and as they would be:
// each is placed by a point inside it, with the grid and areas the assignment engine finds
// there (data::scope_at), so an operator of a township may redraw every grid in it.
data::Redraw::ChangeCheck jurisdiction_check(Services& services, const data::Layer& layer,
                                             const data::Principal& who) {
    return [&services, layer, who](std::span<const data::FeatureChange> changes,
                                   std::span<const data::FeatureInput> owned) {
        auto allow = [&](const std::string& code, const geo::Geometry& where) {
            const data::Scope scope =
                data::scope_at(services.assigner, geo::point_on_surface(where));
            if (!data::may(&who, data::Action::act, data::Resource::boundary, scope))
                throw Error(ErrorCode::forbidden, who.username + " may not change " + code +
                                                      ": it is outside their jurisdiction");
        };
        for (const auto& c : changes) {
            data::FeatureQuery q;
            q.code = c.code;
            const auto now = services.store.features(layer.name, q).features;
            if (!now.empty() && c.after && now.front().name == c.after->name &&
                now.front().parent_code == c.after->parent_code &&
                now.front().properties == c.after->properties &&
                same_ground(now.front().geometry, c.after->geometry))
                continue;
            for (const auto& f : now)
                allow(f.code, f.geometry);
            if (c.after)
                allow(c.code, c.after->geometry);
        }
        for (const auto& f : owned)
            allow(f.code, f.geometry);
    };
}

geo::LonLat position_field(const in_json& body, const char* name) {
    const in_json* v = field(body, name);
    if (!v || !v->is_array() || v->size() != 2 || !(*v)[0].is_number() || !(*v)[1].is_number())
        throw bad_request(std::string(name) + " must be a position [lon, lat]");
    geo::LonLat p{(*v)[0].get<double>(), (*v)[1].get<double>()};
    if (!std::isfinite(p.lon) || !std::isfinite(p.lat) || std::abs(p.lon) > 180 ||
        std::abs(p.lat) > 90)
        throw bad_request(std::string(name) + " is outside lon/lat range");
    return p;
}

geo::Geometry geometry_field(const in_json& body, const char* name) {
    const in_json* v = field(body, name);
    if (!v)
        throw bad_request(std::string(name) + " is required (a GeoJSON geometry)");
    geo::Geometry g = geometry_from_geojson(*v, name);
    if (!geo::coordinates_in_lonlat_range(g))
        throw Error(ErrorCode::invalid_geometry,
                    std::string(name) + " has coordinates outside lon/lat range");
    return g;
}

geo::MultiPolygon polygon_field(const in_json& body, const char* name) {
    geo::Geometry g = geometry_field(body, name);
    if (geo::dimension_of(geo::type_of(g)) != geo::Dimension::polygonal)
        throw Error(ErrorCode::invalid_geometry,
                    std::string(name) + " must be a Polygon or MultiPolygon");
    return geo::as_multi_polygon(g);
}

geo::LineString line_field(const in_json& body, const char* name) {
    geo::Geometry g = geometry_field(body, name);
    if (const auto* l = std::get_if<geo::LineString>(&g))
        return *l;
    throw Error(ErrorCode::invalid_geometry, std::string(name) + " must be a LineString");
}

std::string required_string(const in_json& body, const char* name) {
    std::string s = string_field(body, name);
    if (s.empty())
        throw bad_request(std::string(name) + " is required");
    return s;
}

data::Properties properties_field(const in_json& body) {
    data::Properties out;
    const in_json* v = field(body, "properties");
    if (!v)
        return out;
    if (!v->is_object())
        throw bad_request("properties must be an object");
    for (const auto& [k, x] : v->items()) {
        if (x.is_null())
            out.emplace_back(k, std::monostate{});
        else if (x.is_boolean())
            out.emplace_back(k, x.get<bool>());
        else if (x.is_number_integer())
            out.emplace_back(k, x.get<std::int64_t>());
        else if (x.is_number())
            out.emplace_back(k, x.get<double>());
        else if (x.is_string())
            out.emplace_back(k, x.get<std::string>());
        else
            throw bad_request("properties." + k + " must be a string, number, boolean or null");
    }
    return out;
}

constexpr const char* operation_shape =
    R"({"op": "move_vertex" | "reshape" | "move_boundary" | "split" | "merge" | "create" | )"
    R"("remove" | "reparent" | "set_attributes" | "set_owners" | "restore", ...} )"
    R"((docs/redrawing.md))";

data::EditOperation parse_operation(const in_json& body) {
    const std::string op = string_field(body, "op");
    if (op == "move_vertex") {
        reject_unknown_fields(body, {"op", "from", "to"});
        return data::edit::MoveVertex{position_field(body, "from"), position_field(body, "to")};
    }
    if (op == "reshape") {
        reject_unknown_fields(body, {"op", "code", "geometry"});
        return data::edit::Reshape{required_string(body, "code"), polygon_field(body, "geometry")};
    }
    if (op == "move_boundary") {
        reject_unknown_fields(body, {"op", "codes", "line"});
        auto codes = string_list(body, "codes");
        if (codes.size() != 2)
            throw bad_request("codes must name the two features on either side of the boundary");
        return data::edit::MoveBoundary{codes[0], codes[1], line_field(body, "line")};
    }
    if (op == "split") {
        reject_unknown_fields(body, {"op", "code", "line", "new_codes"});
        return data::edit::Split{required_string(body, "code"), line_field(body, "line"),
                                 string_list(body, "new_codes")};
    }
    if (op == "merge") {
        reject_unknown_fields(body, {"op", "codes"});
        return data::edit::Merge{string_list(body, "codes")};
    }
    if (op == "create") {
        reject_unknown_fields(body,
                              {"op", "code", "name", "parent_code", "properties", "geometry"});
        data::FeatureInput f;
        f.code = required_string(body, "code");
        f.name = required_string(body, "name");
        f.parent_code = optional_string(body, "parent_code");
        f.properties = properties_field(body);
        std::erase_if(f.properties, [](const auto& kv) {
            return std::holds_alternative<std::monostate>(kv.second);
        });
        f.geometry = geo::Geometry{polygon_field(body, "geometry")};
        return data::edit::Create{std::move(f)};
    }
    if (op == "remove") {
        reject_unknown_fields(body, {"op", "code", "into"});
        return data::edit::Remove{required_string(body, "code"), required_string(body, "into")};
    }
    if (op == "reparent") {
        reject_unknown_fields(body, {"op", "code", "parent_code"});
        return data::edit::Reparent{required_string(body, "code"),
                                    required_string(body, "parent_code")};
    }
    if (op == "set_attributes") {
        reject_unknown_fields(body, {"op", "code", "name", "properties"});
        return data::edit::SetAttributes{required_string(body, "code"),
                                         optional_string(body, "name"), properties_field(body)};
    }
    if (op == "set_owners") {
        reject_unknown_fields(body, {"op", "code", "people"});
        if (!field(body, "people"))
            throw bad_request("people is required: the codes of the people responsible, or []");
        return data::edit::SetOwners{required_string(body, "code"), string_list(body, "people")};
    }
    throw bad_request("op must be one of move_vertex, reshape, move_boundary, split, merge, "
                      "create, remove, reparent, set_attributes, set_owners, restore; got '" +
                      op.substr(0, 40) + "'");
}

std::vector<data::FeatureChange> changes_named(Services& services, std::int64_t draft,
                                               const std::vector<std::string>& codes) {
    std::vector<data::FeatureChange> out;
    for (auto& c : services.store.draft_changes(draft))
        if (std::find(codes.begin(), codes.end(), c.code) != codes.end())
            out.push_back(std::move(c));
    return out;
}

// Who a draft makes responsible, per feature code: [{"code", "people": [person codes]}].
json owners_json(const std::vector<data::OwnerChange>& owners) {
    json out = json::array();
    for (const auto& o : owners)
        out.push_back({{"code", o.code}, {"people", o.people}});
    return out;
}

json collection_of(const std::vector<data::FeatureChange>& changes) {
    json features = json::array();
    for (const auto& c : changes)
        features.push_back(change_json(c));
    return {{"type", "FeatureCollection"}, {"features", std::move(features)}};
}

} // namespace

Response post_draft(const Request& req, Services& services, const PathParams& params) {
    const data::Principal who = require_editor(req, services);
    const data::Layer layer = layer_of(services, params);
    in_json body = parse_object(req, R"({"title": "what the redraw is for"})");
    reject_unknown_fields(body, {"title"});
    const std::string title = required_string(body, "title");
    if (title.size() > 500)
        throw bad_request("title is longer than 500 bytes");
    data::Draft d = services.store.create_draft(layer.name, {who.username, title, std::nullopt});
    Response res = json_ok(draft_json(d), 201);
    res.set_header("Location",
                   "/api/v1/layers/" + layer.name + "/changesets/" + std::to_string(d.id));
    return res;
}

Response get_drafts(const Request& req, Services& services, const PathParams& params) {
    require_editor(req, services);
    const data::Layer layer = layer_of(services, params);
    json drafts = json::array();
    for (const auto& d : services.store.drafts(layer.name))
        drafts.push_back(draft_json(d));
    json changesets = json::array();
    for (const auto& c : services.store.changesets(layer.name))
        changesets.push_back({{"id", c.id},
                              {"version", c.version},
                              {"author", c.author},
                              {"reason", c.reason},
                              {"created_at", time_json(c.created_at)},
                              {"features_added", c.features_added},
                              {"features_removed", c.features_removed}});
    return json_ok({{"layer", layer.name},
                    {"version", layer.version},
                    {"drafts", std::move(drafts)},
                    {"changesets", std::move(changesets)}});
}

Response get_draft(const Request& req, Services& services, const PathParams& params) {
    require_editor(req, services);
    const data::Draft d = draft_of(services, params);
    json out = draft_json(d);
    json ops = json::array();
    for (const auto& op : services.store.draft_operations(d.id))
        ops.push_back(operation_json(op));
    out["operation_log"] = std::move(ops);
    out["features"] = collection_of(services.store.draft_changes(d.id));
    out["owners"] = owners_json(services.store.draft_owners(d.id));
    return json_ok(out);
}

Response post_draft_operation(const Request& req, Services& services, const PathParams& params) {
    const data::Principal who = require_editor(req, services);
    const data::Layer layer = layer_of(services, params);
    const data::Draft d = draft_of(services, params);
    in_json body = parse_object(req, operation_shape);
    data::Redraw redraw(services.store);
    data::DraftOperation done;
    if (string_field(body, "op") == "restore") {
        // A rollback: the layer as it was at `at`.
        reject_unknown_fields(body, {"op", "at"});
        auto at = data::parse_time(required_string(body, "at"));
        if (!at)
            throw bad_request("at must be an ISO 8601 date or time");
        done = redraw.restore(d.id, *at, who.username, body.dump(),
                              jurisdiction_check(services, layer, who));
    } else {
        done = redraw.apply(d.id, parse_operation(body), who.username, body.dump(),
                            jurisdiction_check(services, layer, who));
    }
    auto owners = services.store.draft_owners(d.id);
    std::erase_if(owners, [&](const data::OwnerChange& o) {
        return std::ranges::find(done.codes, o.code) == done.codes.end();
    });
    return json_ok({{"operation", operation_json(done)},
                    {"features", collection_of(changes_named(services, d.id, done.codes))},
                    {"owners", owners_json(owners)}});
}

Response post_draft_validate(const Request& req, Services& services, const PathParams& params) {
    require_editor(req, services);
    const data::Draft d = draft_of(services, params);
    data::Redraw redraw(services.store);
    return json_ok(report_json(redraw.validate(d.id)));
}

namespace {

json counts_json(const data::GridImpact::Counts& c) {
    return {{"buildings", c.buildings},
            {"households", c.households},
            {"open_events", c.open_events},
            {"closed_events", c.closed_events},
            {"cameras", c.cameras},
            {"patrols", c.patrols},
            {"patrol_km", std::round(c.patrol_km * 1000) / 1000}};
}

json people_json(const std::vector<data::Person>& people) {
    json out = json::array();
    for (const auto& p : people)
        out.push_back({{"id", p.id},
                       {"code", p.code},
                       {"name", p.name},
                       {"role", to_string(p.role)},
                       {"phone", p.phone}});
    return out;
}

} // namespace

Response get_draft_impact(const Request& req, Services& services, const PathParams& params) {
    require_editor(req, services);
    const data::Draft d = draft_of(services, params);
    data::Redraw redraw(services.store);
    const data::DraftImpact impact = redraw.impact(d.id, services.desk.now());
    json grids = json::array();
    for (const auto& g : impact.grids)
        grids.push_back({{"code", g.code},
                         {"change", g.change},
                         {"before", counts_json(g.before)},
                         {"after", counts_json(g.after)},
                         {"people", people_json(g.people)},
                         {"people_after", people_json(g.people_after)}});
    return json_ok({{"draft", d.id},
                    {"patrol_days", impact.patrol_days},
                    {"moved", counts_json(impact.moved)},
                    {"grids", std::move(grids)}});
}

Response post_draft_commit(const Request& req, Services& services, const PathParams& params) {
    const data::Principal who = require_editor(req, services);
    const data::Layer layer = layer_of(services, params);
    const data::Draft d = draft_of(services, params);
    in_json body = parse_object(req, R"({"reason": "why the boundaries change"})");
    reject_unknown_fields(body, {"reason"});
    const std::string reason = required_string(body, "reason");
    // The caller must still be allowed every feature the draft touches (it may have been
    // started by someone else).
    data::Redraw redraw(services.store);
    redraw.check(d.id, jurisdiction_check(services, layer, who));
    data::ValidationReport report = redraw.validate(d.id);
    if (report.errors() > 0) {
        json out = {{"code", "validation_failed"},
                    {"message", "the draft has " + std::to_string(report.errors()) +
                                    " validation error(s); fix them before committing"},
                    {"report", report_json(report)}};
        return json_ok(out, 422);
    }
    data::RedrawCommit done = redraw.commit(d.id, {who.username, reason, std::nullopt});
    services.assigner.refresh(); // the index and the tiles follow (connect_tile_cache)
    json moved = json::array();
    for (const auto& m : done.moved_events)
        moved.push_back(
            {{"event_id", m.event_id}, {"from_grid", m.from_grid}, {"to_grid", m.to_grid}});
    const auto& cs = done.changeset;
    return json_ok({{"changeset",
                     {{"id", cs.id},
                      {"version", cs.version},
                      {"author", cs.author},
                      {"reason", cs.reason},
                      {"created_at", time_json(cs.created_at)},
                      {"features_added", cs.features_added},
                      {"features_removed", cs.features_removed}}},
                    {"moved_events", std::move(moved)},
                    {"warnings", report.findings.size()}});
}

Response post_draft_discard(const Request& req, Services& services, const PathParams& params) {
    require_editor(req, services);
    const data::Draft d = draft_of(services, params);
    services.store.discard_draft(d.id);
    return json_ok(draft_json(*services.store.draft(d.id)));
}

Response get_layer_diff(const Request& req, Services& services, const PathParams& params) {
    Target target = parse_target(req.target);
    reject_unknown_params(target, {"from", "to"});
    const data::Layer layer = layer_of(services, params);
    auto version = [&](const char* name, std::int64_t fallback) -> std::int64_t {
        auto v = query_param(target, name);
        if (!v)
            return fallback;
        if (*v == "0")
            return 0;
        auto id = parse_id(*v);
        if (!id)
            throw bad_request(std::string(name) + " must be a layer version (0, 1, 2, ...)");
        return *id;
    };
    const std::int64_t to = version("to", layer.version);
    const std::int64_t from = version("from", std::max<std::int64_t>(0, to - 1));
    json features = json::array();
    for (const auto& d : data::diff_versions(services.store, layer.name, from, to)) {
        auto name = [](const std::optional<data::Feature>& f) {
            return f ? json(f->name) : json(nullptr);
        };
        features.push_back(
            {{"type", "Feature"},
             {"id", d.code},
             {"geometry",
              d.area.polygons.empty() ? json(nullptr) : to_geojson(geo::Geometry{d.area})},
             {"properties",
              {{"code", d.code},
               {"change", d.change},
               {"name_before", name(d.before)},
               {"name_after", name(d.after)},
               {"area_m2", std::round(geo::area_m2(geo::Geometry{d.area}))}}}});
    }
    Response res = json_ok({{"type", "FeatureCollection"},
                            {"layer", layer.name},
                            {"from", from},
                            {"to", to},
                            {"features", std::move(features)}});
    res.set_header("Content-Type", "application/geo+json");
    return res;
}

Response get_feature_history(const Request& req, Services& services, const PathParams& params) {
    reject_unknown_params(parse_target(req.target), {});
    const data::Layer layer = layer_of(services, params);
    const std::string code(param(params, "code"));
    auto versions = services.store.feature_history(layer.name, code);
    if (versions.empty())
        throw Error(ErrorCode::not_found,
                    "layer " + layer.name + " never had a feature '" + code.substr(0, 64) + "'");
    json features = json::array();
    for (const auto& f : versions)
        features.push_back(to_geojson(f));
    Response res = json_ok({{"type", "FeatureCollection"}, {"features", std::move(features)}});
    res.set_header("Content-Type", "application/geo+json");
    return res;
}

// The people responsible for a feature now, for an editor who may see people where it lies.
Response get_feature_people(const Request& req, Services& services, const PathParams& params) {
    const data::Principal who = require_editor(req, services);
    reject_unknown_params(parse_target(req.target), {});
    const data::Layer layer = layer_of(services, params);
    const std::string code(param(params, "code"));
    data::FeatureQuery q;
    q.code = code;
    const auto found = services.store.features(layer.name, q).features;
    if (found.empty())
        throw Error(ErrorCode::not_found,
                    "layer " + layer.name + " has no feature '" + code.substr(0, 64) + "'");
    const data::Scope scope =
        data::scope_at(services.assigner, geo::point_on_surface(found.front().geometry));
    if (!data::may(&who, data::Action::view, data::Resource::person, scope))
        throw Error(ErrorCode::forbidden,
                    who.username + " may not see who is responsible for " + code.substr(0, 64));
    return json_ok({{"code", code}, {"people", people_json(services.store.people(code))}});
}

} // namespace tessera::server::detail
