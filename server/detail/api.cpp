#include "server/detail/api.hpp"

#include "data/point_csv.hpp"
#include "server/geojson.hpp"
#include "server/json_writer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

namespace tessera::server::detail {

Response json_ok(const json& j, int status) {
    return json_response(status, j.dump(-1, ' ', false, json::error_handler_t::replace));
}

Response geojson_ok(const json& j, int status) {
    Response res = json_ok(j, status);
    res.set_header("Content-Type", "application/geo+json");
    res.set_header("Cache-Control", "no-store");
    return res;
}

Response csv_ok(std::string body, const std::string& filename) {
    Response res;
    res.body = "\xEF\xBB\xBF" + std::move(body);
    res.set_header("Content-Type", "text/csv; charset=utf-8");
    res.set_header("Content-Disposition", "attachment; filename=\"" + filename + "\"");
    res.set_header("Cache-Control", "no-store");
    return res;
}

json rounded(double v, int decimals) {
    const double scale = std::pow(10.0, decimals);
    return std::round(v * scale) / scale;
}

data::Person officer_by_code(Services& services, std::string_view code) {
    const std::string codes[] = {std::string(code)};
    auto found = services.store.people_with_codes(codes);
    if (found.empty())
        throw Error(ErrorCode::not_found,
                    "no officer with the staff number '" + std::string(code.substr(0, 40)) + "'");
    return std::move(found.front());
}

std::string_view param(const PathParams& params, std::string_view name) {
    for (const auto& [k, v] : params)
        if (k == name)
            return v;
    return {};
}

Error bad_request(const std::string& message) {
    return Error(ErrorCode::invalid_argument, message);
}

void reject_unknown_params(const Target& t, std::initializer_list<std::string_view> allowed) {
    for (const auto& [name, value] : t.query) {
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
            std::string list;
            for (auto a : allowed)
                list += (list.empty() ? "" : ", ") + std::string(a);
            throw bad_request("unknown query parameter '" + name + "' (allowed: " + list + ")");
        }
    }
}

geo::BBox parse_bbox(std::string_view text) {
    const std::string form = "bbox must be minx,miny,maxx,maxy in EPSG:4326 degrees";
    std::vector<double> v;
    std::string_view rest = text;
    while (true) {
        auto comma = rest.find(',');
        auto number = data::parse_finite_number(rest.substr(0, comma));
        if (!number)
            throw bad_request(form + ", got '" + std::string(text) + "'");
        v.push_back(*number);
        if (comma == std::string_view::npos)
            break;
        rest = rest.substr(comma + 1);
    }
    if (v.size() != 4)
        throw bad_request(form + " (4 numbers), got " + std::to_string(v.size()) + " numbers");
    geo::BBox b{v[0], v[1], v[2], v[3]};
    if (b.min_x < -180 || b.max_x > 180 || b.min_y < -90 || b.max_y > 90)
        throw bad_request("bbox is outside [-180,180] x [-90,90]: '" + std::string(text) + "'");
    if (b.min_x > b.max_x || b.min_y > b.max_y)
        throw bad_request("bbox needs minx <= maxx and miny <= maxy (boxes across the "
                          "antimeridian are not supported): '" +
                          std::string(text) + "'");
    return b;
}

std::optional<std::int64_t> parse_id(std::string_view text) {
    std::int64_t id = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || id <= 0)
        return std::nullopt;
    return id;
}

std::size_t parse_count(std::string_view name, std::string_view text, std::size_t min) {
    unsigned long long v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < min)
        throw bad_request(std::string(name) + " must be an integer >= " + std::to_string(min) +
                          ", got '" + std::string(text) + "'");
    return static_cast<std::size_t>(v);
}

namespace {

json jurisdiction_json(const data::Jurisdiction& j) {
    switch (j.kind) {
    case data::Jurisdiction::Kind::everything:
        return json{{"kind", "everything"}};
    case data::Jurisdiction::Kind::area:
        return json{{"kind", "area"}, {"area_code", j.area_code}};
    case data::Jurisdiction::Kind::grids:
        return json{{"kind", "grids"}, {"grid_codes", j.grid_codes}};
    case data::Jurisdiction::Kind::none:
        break;
    }
    return json{{"kind", "none"}};
}

json principal_json(const data::Principal& p) {
    json j = {{"username", p.username},
              {"display_name", p.display_name},
              {"role", to_string(p.role)},
              {"jurisdiction", jurisdiction_json(p.jurisdiction)}};
    j["department_code"] = p.department_code ? json(*p.department_code) : json(nullptr);
    return j;
}

// The policy scope of a layer as a whole (its existence, name and counts): no particular area.
data::Scope layer_scope() {
    return data::Scope{};
}

} // namespace

// Where a boundary feature sits, for the policy: its parent area and, for admin layers, itself;
// its own code as the grid for grid layers.
std::string request_origin(const Request& req) {
    auto host = req.header("Host");
    if (!host || host->empty())
        return {};
    for (char c : *host)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
              c == '[' || c == ']'))
            return {};
    auto proto = req.header("X-Forwarded-Proto");
    std::string scheme = proto && *proto == "https" ? "https" : "http";
    return scheme + "://" + std::string(*host);
}

geo::BBox layers_extent(Services& services) {
    geo::BBox all;
    for (const auto& l : services.store.layers())
        if (l.extent)
            all.extend(*l.extent);
    return all;
}

const in_json* field(const in_json& body, const char* name) {
    auto it = body.find(name);
    return it == body.end() || it->is_null() ? nullptr : &*it;
}

std::string string_field(const in_json& body, const char* name, std::string fallback) {
    const in_json* v = field(body, name);
    if (!v)
        return fallback;
    if (!v->is_string())
        throw bad_request(std::string(name) + " must be a string");
    return v->get<std::string>();
}

std::optional<std::string> optional_string(const in_json& body, const char* name) {
    if (!field(body, name))
        return std::nullopt;
    return string_field(body, name);
}

std::vector<std::string> string_list(const in_json& body, const char* name) {
    std::vector<std::string> out;
    const in_json* v = field(body, name);
    if (!v)
        return out;
    if (!v->is_array())
        throw bad_request(std::string(name) + " must be an array of strings");
    for (const auto& s : *v) {
        if (!s.is_string())
            throw bad_request(std::string(name) + " must be an array of strings");
        out.push_back(s.get<std::string>());
    }
    return out;
}

void reject_unknown_fields(const in_json& body, std::initializer_list<std::string_view> allowed) {
    for (const auto& [name, value] : body.items())
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
            std::string list;
            for (auto a : allowed)
                list += (list.empty() ? "" : ", ") + std::string(a);
            throw bad_request("unknown field '" + name.substr(0, 80) + "' (allowed: " + list + ")");
        }
}

in_json parse_object(const Request& req, const char* shape) {
    in_json body = in_json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
        throw bad_request(std::string("body must be a JSON object: ") + shape);
    return body;
}

// The {id} path parameter; a 404 naming `what` ("event", "pending report") if it is not an id.
std::int64_t path_id(const PathParams& params, const char* what) {
    std::string_view text = param(params, "id");
    auto id = parse_id(text);
    if (!id)
        throw Error(ErrorCode::not_found,
                    std::string("no ") + what + " '" + std::string(text.substr(0, 40)) + "'");
    return *id;
}

data::Scope boundary_scope(data::LayerKind kind, std::string_view code,
                           const std::optional<std::string>& parent_code) {
    data::Scope s;
    if (parent_code)
        s.areas.push_back(*parent_code);
    if (data::is_admin(kind))
        s.areas.emplace_back(code);
    else
        s.grid = std::string(code);
    return s;
}

std::optional<std::string> bearer_token(const Request& req) {
    auto h = req.header("Authorization");
    if (!h)
        return std::nullopt;
    std::string_view v = *h;
    auto is_bearer = [](std::string_view s) {
        if (s.size() < 7)
            return false;
        std::string scheme(s.substr(0, 6));
        std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return scheme == "bearer" && (s[6] == ' ' || s[6] == '\t');
    };
    if (!is_bearer(v))
        throw Error(ErrorCode::unauthorized, "expected 'Authorization: Bearer <token>'");
    v.remove_prefix(7);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
    if (v.empty())
        throw Error(ErrorCode::unauthorized, "empty bearer token");
    return std::string(v);
}

std::optional<data::Principal> principal_of(const Request& req, Services& services) {
    auto token = bearer_token(req);
    if (!token)
        return std::nullopt;
    auto p = services.auth.authenticate(*token);
    if (!p)
        throw Error(ErrorCode::unauthorized, "invalid or expired token");
    return p;
}

data::Principal require_login(const Request& req, Services& services) {
    auto who = principal_of(req, services);
    if (!who)
        throw Error(ErrorCode::unauthorized, "log in first: send 'Authorization: Bearer <token>'");
    return *who;
}

Response get_healthz(const Request&, Services& services, const PathParams&) {
    data::StoreStats stats;
    try {
        stats = services.store.stats();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tessera serve: health check failed: %s\n", e.what());
        return error_response(503, "store_error", "the store does not answer");
    }
    return json_ok(json{{"status", "ok"}, {"schema_version", stats.schema_version}});
}

Response get_live(const Request&, Services&, const PathParams&) {
    Response res = error_response(426, "upgrade_required",
                                  "/api/v1/live is a WebSocket: connect with ws:// (or wss://) and "
                                  "?access_token=<token> or an Authorization header");
    res.set_header("Upgrade", "websocket");
    res.set_header("Connection", "Upgrade");
    return res;
}

Response get_metrics(const Request&, Services& services, const PathParams&) {
    Response res;
    res.body = services.metrics.render(services.store);
    res.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return res;
}

Response get_layers(const Request& req, Services& services, const PathParams&) {
    reject_unknown_params(parse_target(req.target), {});
    auto who = principal_of(req, services);
    json out = json::array();
    for (const auto& l : services.store.layers()) {
        if (!data::may(who ? &*who : nullptr, data::Action::view, data::Resource::boundary,
                       layer_scope()))
            continue;
        json extent = nullptr;
        if (l.extent && !l.extent->empty())
            extent =
                json::array({l.extent->min_x, l.extent->min_y, l.extent->max_x, l.extent->max_y});
        out.push_back(json{{"name", l.name},
                           {"title", l.title},
                           {"kind", to_string(l.kind)},
                           {"parent", l.parent_layer ? json(*l.parent_layer) : json(nullptr)},
                           {"precedence", l.precedence},
                           {"feature_count", l.feature_count},
                           {"version", l.version},
                           {"source_crs", l.source_crs},
                           {"extent", std::move(extent)}});
    }
    return json_ok(out);
}

Response get_features(const Request& req, Services& services, const PathParams& params) {
    std::string layer_name(param(params, "name"));
    Target target = parse_target(req.target);
    reject_unknown_params(target, {"bbox", "limit", "offset", "at"});

    data::FeatureQuery query;
    query.limit = default_feature_limit;
    if (auto v = query_param(target, "bbox"))
        query.bbox = parse_bbox(*v);
    if (auto v = query_param(target, "limit"))
        query.limit = std::min(parse_count("limit", *v, 1), max_feature_limit);
    if (auto v = query_param(target, "offset"))
        query.offset = parse_count("offset", *v, 0);
    if (auto v = query_param(target, "at")) {
        query.at = data::parse_time(*v);
        if (!query.at)
            throw bad_request("at must be an ISO 8601 date or time such as 2025-06-01 or "
                              "2025-06-01T08:00:00Z, got '" +
                              std::string(*v) + "'");
    }

    auto who = principal_of(req, services);
    auto layer = services.store.find_layer(layer_name);
    if (!layer)
        throw Error(ErrorCode::not_found, "layer '" + layer_name + "' does not exist");

    data::FeaturePage page = services.store.features(layer_name, query);
    json features = json::array();
    for (const auto& f : page.features)
        if (data::may(who ? &*who : nullptr, data::Action::view, data::Resource::boundary,
                      boundary_scope(layer->kind, f.code, f.parent_code)))
            features.push_back(to_geojson(f));

    // Links keep the caller's filters and move the window; paging follows the store's order
    // (by code), so pages neither overlap nor skip while the layer version stays the same.
    auto link = [&](const char* rel, std::size_t offset) {
        std::string href = "/api/v1/layers/" + percent_encode(layer_name) + "/features?";
        if (auto v = query_param(target, "bbox"))
            href += "bbox=" + percent_encode(*v, ",") + "&";
        if (auto v = query_param(target, "at"))
            href += "at=" + percent_encode(*v, ":") + "&";
        href += "limit=" + std::to_string(query.limit) + "&offset=" + std::to_string(offset);
        return json{{"href", href}, {"rel", rel}, {"type", "application/geo+json"}};
    };
    json links = json::array({link("self", query.offset)});
    std::size_t end = query.offset + page.features.size();
    if (static_cast<std::int64_t>(end) < page.total && !page.features.empty())
        links.push_back(link("next", end));
    if (query.offset > 0)
        links.push_back(link("prev", query.offset > query.limit ? query.offset - query.limit : 0));

    json out = {{"type", "FeatureCollection"},
                {"numberMatched", page.total},
                {"numberReturned", features.size()},
                {"links", std::move(links)},
                {"features", std::move(features)}};
    Response res = json_ok(out);
    res.set_header("Content-Type", "application/geo+json");
    return res;
}

Response post_login(const Request& req, Services& services, const PathParams&) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded())
        throw bad_request("body must be JSON: {\"username\": \"...\", \"password\": \"...\"}");
    if (!body.is_object() || !body.contains("username") || !body["username"].is_string() ||
        !body.contains("password") || !body["password"].is_string())
        throw bad_request("body must be a JSON object with string fields username and password");
    auto result = services.auth.login(body["username"].get<std::string>(),
                                      body["password"].get<std::string>());
    if (!result)
        throw Error(ErrorCode::unauthorized, "wrong username or password");
    Response res = json_ok(json{{"token", result->token},
                                {"expires_at", data::format_time(result->expires_at)},
                                {"user", principal_json(result->principal)}});
    res.set_header("Cache-Control", "no-store");
    return res;
}

Response get_me(const Request& req, Services& services, const PathParams&) {
    auto who = principal_of(req, services);
    if (!who)
        throw Error(ErrorCode::unauthorized, "log in first: send 'Authorization: Bearer <token>'");
    Response res = json_ok(principal_json(*who));
    res.set_header("Cache-Control", "no-store");
    return res;
}

Response post_logout(const Request& req, Services& services, const PathParams&) {
    auto token = bearer_token(req);
    if (!token)
        throw Error(ErrorCode::unauthorized, "log in first: send 'Authorization: Bearer <token>'");
    services.auth.logout(*token);
    Response res;
    res.status = 204;
    res.set_header("Cache-Control", "no-store");
    return res;
}

namespace {

void write_area(JsonWriter& w, const data::AreaRef& a) {
    w.begin_object()
        .key("code")
        .value(a.code)
        .key("name")
        .value(a.name)
        .key("layer")
        .value(a.layer)
        .key("version")
        .value(a.version)
        .end_object();
}

void write_area(JsonWriter& w, const std::optional<data::AreaRef>& a) {
    if (a)
        write_area(w, *a);
    else
        w.null();
}

double required_number(const Target& t, const char* name) {
    auto v = query_param(t, name);
    if (!v)
        throw bad_request(std::string("missing query parameter '") + name + "'");
    auto d = data::parse_finite_number(*v);
    if (!d)
        throw bad_request(std::string(name) + " must be a finite number, got '" + std::string(*v) +
                          "'");
    return *d;
}

} // namespace

Response get_locate(const Request& req, Services& services, const PathParams&) {
    Target target = parse_target(req.target);
    reject_unknown_params(target, {"lon", "lat", "crs", "accuracy", "at", "layer"});
    data::LocateQuery q;
    q.position = {required_number(target, "lon"), required_number(target, "lat")};
    if (auto v = query_param(target, "crs"))
        q.crs = std::string(*v);
    if (auto v = query_param(target, "accuracy")) {
        q.accuracy_m = data::parse_finite_number(*v);
        if (!q.accuracy_m)
            throw bad_request("accuracy must be a number of metres, got '" + std::string(*v) + "'");
    }
    if (auto v = query_param(target, "at")) {
        q.at = data::parse_time(*v);
        if (!q.at)
            throw bad_request("at must be an ISO 8601 date or time, got '" + std::string(*v) + "'");
    }
    if (auto v = query_param(target, "layer"))
        q.grid_layer = std::string(*v);
    auto who = principal_of(req, services);
    // Anonymous callers never see people (data::may): skip building the owner chain.
    q.with_owners = who.has_value();
    data::Assignment a = services.assigner.locate(q);

    // Areas and grids (codes, names) are public; the people responsible are shown to callers
    // whose jurisdiction covers the point's grid.
    data::Scope scope;
    for (const auto* area : {&a.county, &a.township, &a.community})
        if (*area)
            scope.areas.push_back((*area)->code);
    if (a.grid)
        scope.grid = a.grid->code;
    bool show_people =
        data::may(who ? &*who : nullptr, data::Action::view, data::Resource::person, scope);

    // A fixed shape on the hottest path: written straight into the body (docs/http.md).
    std::string body;
    body.reserve(1024);
    JsonWriter w(body);
    w.begin_object().key("status").value(data::to_string(a.status));
    w.key("lon").value(a.wgs84.lon).key("lat").value(a.wgs84.lat);
    for (const auto& [name, area] : {std::pair{"grid", &a.grid},
                                     {"exclusive_grid", &a.exclusive_grid},
                                     {"micro_grid", &a.micro_grid},
                                     {"community", &a.community},
                                     {"township", &a.township},
                                     {"county", &a.county}}) {
        w.key(name);
        write_area(w, *area);
    }
    w.key("outside_grid").value(a.status == data::Assignment::Status::outside_grid);
    w.key("ambiguous").value(a.ambiguous);
    w.key("candidates").begin_array();
    for (const auto& c : a.candidates)
        write_area(w, c);
    w.end_array();
    w.key("layer_version").value(a.layer_version);
    if (show_people) {
        w.key("owners").begin_array();
        for (const auto& o : a.owners)
            w.begin_object()
                .key("name")
                .value(o.name)
                .key("role")
                .value(to_string(o.role))
                .key("phone")
                .value(o.phone)
                .key("level")
                .value(o.level)
                .key("unit_code")
                .value(o.unit_code)
                .end_object();
        w.end_array();
    } else {
        w.key("owners").null().key("owners_hidden").value(true);
    }
    w.end_object();
    return json_response(200, std::move(body));
}

BatchPoints::BatchPoints(const std::string& crs)
    : m_transform(geo::Crs::parse(crs), geo::Crs::wgs84()) {}

void BatchPoints::add(geo::LonLat p, const std::string& where) {
    geo::LonLat w;
    try {
        w = m_transform.apply(p);
    } catch (const Error& e) {
        throw bad_request(where + ": " + e.what());
    }
    if (!(w.lon >= -180 && w.lon <= 180 && w.lat >= -90 && w.lat <= 90))
        throw bad_request(where + ": coordinates are outside the valid lon/lat range");
    m_points.push_back(w);
}

namespace {

const char* status_of(const data::Assigner::Batch& b, std::size_t i) {
    if (b.grid[i] >= 0)
        return "assigned";
    return b.outside_grid[i] ? "outside_grid" : "unassigned";
}

template <class T>
void put_le(std::string& out, T v) {
    for (std::size_t i = 0; i < sizeof(T); ++i)
        out.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff));
}

double get_f64_le(const char* p) {
    std::uint64_t u = 0;
    for (int i = 0; i < 8; ++i)
        u |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    double d;
    std::memcpy(&d, &u, sizeof d);
    return d;
}

} // namespace

Response post_locate(const Request& req, Services& services, const PathParams&) {
    Target target = parse_target(req.target);
    reject_unknown_params(target, {"crs", "layer"});
    std::string crs = std::string(query_param(target, "crs").value_or("wgs84"));
    std::optional<std::string> layer;
    if (auto v = query_param(target, "layer"))
        layer = std::string(*v);
    std::string type = std::string(req.header("Content-Type").value_or(""));
    type = type.substr(0, type.find(';'));
    std::transform(type.begin(), type.end(), type.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    BatchPoints points(crs);

    if (type == "application/json") {
        json body = json::parse(req.body, nullptr, false);
        if (body.is_discarded() || !body.is_array())
            throw bad_request("body must be a JSON array of {\"id\", \"lon\", \"lat\"} objects or "
                              "[lon, lat] pairs");
        std::vector<json> ids;
        for (std::size_t i = 0; i < body.size(); ++i) {
            const json& e = body[i];
            std::string where = "element " + std::to_string(i);
            double lon = 0, lat = 0;
            if (e.is_object() && e.contains("lon") && e.contains("lat") && e["lon"].is_number() &&
                e["lat"].is_number()) {
                lon = e["lon"].get<double>();
                lat = e["lat"].get<double>();
                ids.push_back(e.contains("id") ? e["id"] : json(i));
            } else if (e.is_array() && e.size() == 2 && e[0].is_number() && e[1].is_number()) {
                lon = e[0].get<double>();
                lat = e[1].get<double>();
                ids.push_back(json(i));
            } else {
                throw bad_request(where +
                                  " must be {\"id\", \"lon\", \"lat\"} with numbers or [lon, lat]");
            }
            points.add({lon, lat}, where);
        }
        auto b = services.assigner.locate_batch(points.points(), layer);
        json results = json::array();
        for (std::size_t i = 0; i < ids.size(); ++i) {
            json r = {{"id", ids[i]}, {"status", status_of(b, i)}};
            if (b.grid[i] >= 0) {
                auto g = static_cast<std::size_t>(b.grid[i]);
                r["grid_code"] = (*b.codes)[g];
                r["grid_name"] = (*b.names)[g];
            } else {
                r["grid_code"] = nullptr;
                r["grid_name"] = nullptr;
            }
            results.push_back(std::move(r));
        }
        return json_ok(json{{"layer_version", b.layer_version}, {"results", std::move(results)}});
    }

    if (type == "text/csv") {
        std::vector<std::string> ids;
        std::string error, problems;
        int bad = 0;
        std::size_t line_no = 0, start = 0;
        while (start < req.body.size()) {
            std::size_t end = req.body.find('\n', start);
            if (end == std::string::npos)
                end = req.body.size();
            std::string_view line(req.body.data() + start, end - start);
            start = end + 1;
            ++line_no;
            auto row = data::parse_point_line(line, error);
            if (!row) {
                if (error.empty() || line_no == 1)
                    continue; // blank line or header
                if (++bad <= 10)
                    problems += (problems.empty() ? "" : "; ") +
                                ("line " + std::to_string(line_no) + ": " + error);
                continue;
            }
            try {
                points.add(row->position, "line " + std::to_string(line_no));
            } catch (const Error& e) {
                if (++bad <= 10)
                    problems += (problems.empty() ? "" : "; ") + std::string(e.what());
                continue;
            }
            ids.push_back(std::move(row->id));
        }
        if (bad > 0)
            throw bad_request(std::to_string(bad) + " bad rows, nothing located: " + problems);
        auto b = services.assigner.locate_batch(points.points(), layer);
        std::string out(data::assignment_csv_header);
        data::append_assignment_rows(out, ids, b);
        Response res;
        res.body = std::move(out);
        res.set_header("Content-Type", "text/csv; charset=utf-8");
        return res;
    }

    if (type == "application/octet-stream") {
        // Request: N x (lon f64, lat f64), little-endian. Response: see docs/http.md.
        if (req.body.size() % 16 != 0)
            throw bad_request(
                "binary body must be a whole number of 16-byte (lon, lat) float64 pairs, got " +
                std::to_string(req.body.size()) + " bytes");
        std::size_t n = req.body.size() / 16;
        for (std::size_t i = 0; i < n; ++i)
            points.add(
                {get_f64_le(req.body.data() + 16 * i), get_f64_le(req.body.data() + 16 * i + 8)},
                "point " + std::to_string(i));
        auto b = services.assigner.locate_batch(points.points(), layer);
        // Only the grids that occur go into the code table.
        std::vector<std::int32_t> table_index(b.codes ? b.codes->size() : 0, -1);
        std::vector<std::size_t> table;
        for (auto g : b.grid)
            if (g >= 0 && table_index[static_cast<std::size_t>(g)] < 0) {
                table_index[static_cast<std::size_t>(g)] = static_cast<std::int32_t>(table.size());
                table.push_back(static_cast<std::size_t>(g));
            }
        std::string out = "TSR1";
        put_le<std::uint32_t>(out, static_cast<std::uint32_t>(n));
        put_le<std::uint64_t>(out, static_cast<std::uint64_t>(b.layer_version));
        put_le<std::uint32_t>(out, static_cast<std::uint32_t>(table.size()));
        for (auto g : table) {
            const std::string& code = (*b.codes)[g];
            put_le<std::uint16_t>(out, static_cast<std::uint16_t>(code.size()));
            out += code;
        }
        for (std::size_t i = 0; i < n; ++i) {
            std::int32_t v = b.grid[i] >= 0 ? table_index[static_cast<std::size_t>(b.grid[i])]
                                            : (b.outside_grid[i] ? -2 : -1);
            put_le<std::uint32_t>(out, static_cast<std::uint32_t>(v));
        }
        Response res;
        res.body = std::move(out);
        res.set_header("Content-Type", "application/octet-stream");
        return res;
    }

    throw bad_request(
        "Content-Type must be application/json, text/csv or application/octet-stream, got '" +
        type + "'");
}

} // namespace tessera::server::detail
