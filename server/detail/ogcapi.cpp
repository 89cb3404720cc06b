// OGC API – Features, Part 1 (Core, GeoJSON) and Part 2 (CRS by reference), at /ogcapi
// (docs/ogcapi.md). Collections: every boundary layer (public) and the events (login).
#include "data/workflow.hpp"
#include "geo/crs.hpp"
#include "server/detail/api.hpp"
#include "server/geojson.hpp"

#include <chrono>

namespace tessera::server::detail {
namespace {

constexpr std::size_t default_item_limit = 100;
constexpr std::size_t max_item_limit = 1000;

const char* const conformance_classes[] = {
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
};

// ---- CRSs offered (Part 2) ----

struct OfferedCrs {
    const char* uri;
    const char* tessera; // as geo::Crs::parse takes it
    bool lat_first;      // the CRS's axis order is latitude, longitude
};

constexpr const char* crs84_uri = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const OfferedCrs offered_crs[] = {
    {crs84_uri, "wgs84", false},
    {"http://www.opengis.net/def/crs/EPSG/0/4326", "EPSG:4326", true},
    {"http://www.opengis.net/def/crs/EPSG/0/4490", "EPSG:4490", true},
    {"http://www.opengis.net/def/crs/EPSG/0/3857", "EPSG:3857", false},
    // GCJ-02 has no registry entry; this URN is Tessera's own (docs/ogcapi.md).
    {"urn:tessera:def:crs:GCJ-02", "gcj02", false},
};

const OfferedCrs& crs_param(const Target& t, std::string_view name) {
    auto v = query_param(t, name);
    if (!v)
        return offered_crs[0];
    for (const auto& c : offered_crs)
        if (*v == c.uri)
            return c;
    std::string list;
    for (const auto& c : offered_crs)
        list += std::string(list.empty() ? "" : ", ") + c.uri;
    throw bad_request(std::string(name) + " '" + std::string(*v) +
                      "' is not offered; the collections offer " + list);
}

json crs_list() {
    json out = json::array();
    for (const auto& c : offered_crs)
        out.push_back(c.uri);
    return out;
}

// Swaps every position [a, b] of a GeoJSON geometry's coordinates into [b, a].
void swap_positions(json& coords) {
    if (coords.is_array() && coords.size() >= 2 && coords[0].is_number()) {
        std::swap(coords[0], coords[1]);
        return;
    }
    for (auto& c : coords)
        swap_positions(c);
}

// Stored geometry (EPSG:4326, lon/lat) as GeoJSON in the requested CRS and its axis order.
class Output {
public:
    explicit Output(const OfferedCrs& crs)
        : m_crs(crs)
        , m_transform(geo::Crs::wgs84(), geo::Crs::parse(crs.tessera)) {}

    json geometry(geo::Geometry g) const {
        m_transform.apply(g);
        json out = to_geojson(g);
        if (m_crs.lat_first)
            swap_positions(out["coordinates"]);
        return out;
    }
    void feature(json& f, const geo::Geometry& g) const { f["geometry"] = geometry(g); }
    const OfferedCrs& crs() const { return m_crs; }

private:
    const OfferedCrs& m_crs;
    geo::CrsTransform m_transform;
};

// bbox=a,b,c,d in bbox-crs (its axis order) -> a lon/lat box in storage coordinates.
std::optional<geo::BBox> bbox_param(const Target& t) {
    auto v = query_param(t, "bbox");
    const OfferedCrs& crs = crs_param(t, "bbox-crs");
    if (!v)
        return std::nullopt;
    std::vector<double> n;
    std::string_view rest = *v;
    while (true) {
        auto comma = rest.find(',');
        std::string item(rest.substr(0, comma));
        char* end = nullptr;
        double d = std::strtod(item.c_str(), &end);
        if (item.empty() || end != item.c_str() + item.size() || !std::isfinite(d))
            throw bad_request("bbox must be four numbers 'minx,miny,maxx,maxy' in bbox-crs (its "
                              "axis order), got '" +
                              std::string(*v) + "'");
        n.push_back(d);
        if (comma == std::string_view::npos)
            break;
        rest.remove_prefix(comma + 1);
    }
    if (n.size() != 4)
        throw bad_request("bbox must have four numbers (no heights), got " +
                          std::to_string(n.size()));
    if (crs.lat_first) {
        std::swap(n[0], n[1]);
        std::swap(n[2], n[3]);
    }
    if (n[0] > n[2] || n[1] > n[3])
        throw bad_request("bbox must be min before max on each axis");
    geo::CrsTransform to_storage(geo::Crs::parse(crs.tessera), geo::Crs::wgs84());
    geo::BBox box;
    // The four corners: enough for the CRSs offered, whose axes follow lon and lat.
    for (double x : {n[0], n[2]})
        for (double y : {n[1], n[3]})
            box.extend(to_storage.apply({x, y}));
    if (box.min_x < -180 || box.max_x > 180 || box.min_y < -90 || box.max_y > 90)
        throw bad_request("bbox reaches beyond the valid longitudes and latitudes");
    return box;
}

// datetime: an instant, or an interval "start/end" with ".." (or nothing) for an open end.
struct Interval {
    std::optional<data::Time> from, to; // both inclusive
    bool instant = false;
};

std::optional<Interval> datetime_param(const Target& t) {
    auto v = query_param(t, "datetime");
    if (!v)
        return std::nullopt;
    auto time = [&](std::string_view s) -> std::optional<data::Time> {
        if (s.empty() || s == "..")
            return std::nullopt;
        auto parsed = data::parse_time(s);
        if (!parsed)
            throw bad_request("datetime must be an RFC 3339 time such as 2026-06-01T08:00:00Z or "
                              "an interval such as 2026-06-01T00:00:00Z/.., got '" +
                              std::string(*v) + "'");
        return parsed;
    };
    Interval out;
    auto slash = v->find('/');
    if (slash == std::string_view::npos) {
        out.from = out.to = time(*v);
        out.instant = true;
        if (!out.from)
            throw bad_request("datetime '..' needs a slash: an open interval is '../end'");
    } else {
        out.from = time(v->substr(0, slash));
        out.to = time(v->substr(slash + 1));
        if (out.from && out.to && *out.from > *out.to)
            throw bad_request("datetime interval ends before it starts");
    }
    return out;
}

std::size_t limit_param(const Target& t) {
    auto v = query_param(t, "limit");
    // Above the maximum is not an error: the maximum is used (Part 1,
    // /req/core/fc-limit-response-1).
    return v ? std::min(parse_count("limit", *v, 1), max_item_limit) : default_item_limit;
}

// ---- links ----

struct Links {
    std::string base; // "http://host:port/ogcapi" or "/ogcapi"
    json make(const std::string& path, const char* rel, const char* type,
              const std::string& title = {}) const {
        json l = {{"href", base + path}, {"rel", rel}, {"type", type}};
        if (!title.empty())
            l["title"] = title;
        return l;
    }
};

// The links' base; also checks the one format parameter there is (f=json, the default).
Links links_for(const Request& req) {
    Target t = parse_target(req.target);
    auto f = query_param(t, "f");
    if (f && *f != "json" && *f != "geojson")
        throw bad_request("f must be json (GeoJSON for items): the only encoding offered");
    return {request_origin(req) + "/ogcapi"};
}

Response geojson_ok(const json& j, const OfferedCrs& crs) {
    Response res = json_ok(j);
    res.set_header("Content-Type", "application/geo+json");
    res.set_header("Content-Crs", std::string("<") + crs.uri + ">");
    return res;
}

std::string now_rfc3339() {
    return data::format_time(
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
}

// ---- collections ----

bool is_events(std::string_view id) {
    return id == data::events_layer;
}

json extent_json(const std::optional<geo::BBox>& box) {
    json spatial = {{"crs", crs84_uri}};
    if (box && !box->empty())
        spatial["bbox"] =
            json::array({json::array({box->min_x, box->min_y, box->max_x, box->max_y})});
    else
        spatial["bbox"] = json::array({json::array({-180, -90, 180, 90})});
    return {{"spatial", spatial}};
}

json collection_json(const Links& links, const std::string& id, const std::string& title,
                     const std::string& description, const std::optional<geo::BBox>& box) {
    std::string path = "/collections/" + percent_encode(id);
    return {{"id", id},
            {"title", title},
            {"description", description},
            {"itemType", "feature"},
            {"extent", extent_json(box)},
            {"crs", crs_list()},
            {"storageCrs", crs84_uri},
            {"links",
             json::array({links.make(path, "self", "application/json", title),
                          links.make(path + "/items", "items", "application/geo+json", title)})}};
}

json layer_collection(const Links& links, const data::Layer& l) {
    return collection_json(links, l.name, l.title.empty() ? l.name : l.title,
                           std::string(data::to_string(l.kind)) + " layer, version " +
                               std::to_string(l.version) +
                               "; filters: code, parent_code; datetime: the version valid then",
                           l.extent);
}

json events_collection(const Links& links, Services& services) {
    return collection_json(links, std::string(data::events_layer), "事件 Events",
                           "Events the caller may see; filters: status, severity, category, "
                           "level, area_code; datetime: when reported",
                           layers_extent(services));
}

data::Layer boundary_layer(Services& services, const std::string& id) {
    auto layer = services.store.find_layer(id);
    if (!layer)
        throw Error(ErrorCode::not_found, "collection '" + id + "' does not exist");
    return *layer;
}

// The query string without limit/offset, for paging links.
std::string kept_query(const Target& t) {
    std::string out;
    for (const auto& [k, v] : t.query)
        if (k != "limit" && k != "offset")
            out += percent_encode(k) + "=" + percent_encode(v, ",:/") + "&";
    return out;
}

json page_links(const Links& links, const std::string& path, const Target& t, std::size_t limit,
                std::size_t offset, std::size_t returned, std::int64_t matched) {
    auto at = [&](std::size_t o) {
        return path + "?" + kept_query(t) + "limit=" + std::to_string(limit) +
               "&offset=" + std::to_string(o);
    };
    json out = json::array({links.make(at(offset), "self", "application/geo+json")});
    if (returned > 0 && static_cast<std::int64_t>(offset + returned) < matched)
        out.push_back(links.make(at(offset + returned), "next", "application/geo+json"));
    if (offset > 0)
        out.push_back(
            links.make(at(offset > limit ? offset - limit : 0), "prev", "application/geo+json"));
    out.push_back(
        links.make(path.substr(0, path.rfind("/items")), "collection", "application/json"));
    return out;
}

json boundary_feature(const data::Feature& f, const Output& out) {
    json j = to_geojson(f);
    out.feature(j, f.geometry);
    return j;
}

json event_feature(const data::Event& e, Services& services, const data::Principal& who,
                   const Output& out) {
    json j = event_json(e, services.desk, &who, services.desk.now());
    out.feature(j, geo::Point{e.position});
    return j;
}

} // namespace

Response get_ogc_landing(const Request& req, Services&, const PathParams&) {
    reject_unknown_params(parse_target(req.target), {"f"});
    Links links = links_for(req);
    json out = {
        {"title", "Tessera"},
        {"description", "Grid governance layers and events (OGC API – Features)"},
        {"links",
         json::array(
             {links.make("", "self", "application/json", "this document"),
              links.make("/conformance", "conformance", "application/json", "conformance classes"),
              links.make("/collections", "data", "application/json", "the collections")})}};
    return json_ok(out);
}

Response get_ogc_conformance(const Request& req, Services&, const PathParams&) {
    reject_unknown_params(parse_target(req.target), {"f"});
    links_for(req);
    json classes = json::array();
    for (const char* c : conformance_classes)
        classes.push_back(c);
    return json_ok(json{{"conformsTo", classes}});
}

Response get_ogc_collections(const Request& req, Services& services, const PathParams&) {
    reject_unknown_params(parse_target(req.target), {"f"});
    Links links = links_for(req);
    auto who = principal_of(req, services);
    json collections = json::array();
    for (const auto& l : services.store.layers())
        collections.push_back(layer_collection(links, l));
    if (who) // events are for logged-in callers only; anonymous ones are not told of them
        collections.push_back(events_collection(links, services));
    json out = {{"links", json::array({links.make("/collections", "self", "application/json")})},
                {"crs", crs_list()},
                {"collections", std::move(collections)}};
    return json_ok(out);
}

Response get_ogc_collection(const Request& req, Services& services, const PathParams& params) {
    reject_unknown_params(parse_target(req.target), {"f"});
    std::string id(param(params, "collection"));
    Links links = links_for(req);
    if (is_events(id)) {
        require_login(req, services);
        return json_ok(events_collection(links, services));
    }
    return json_ok(layer_collection(links, boundary_layer(services, id)));
}

Response get_ogc_items(const Request& req, Services& services, const PathParams& params) {
    std::string id(param(params, "collection"));
    Target t = parse_target(req.target);
    Links links = links_for(req);
    std::string path = "/collections/" + percent_encode(id) + "/items";
    const bool events = is_events(id);
    if (events)
        reject_unknown_params(t, {"f", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime",
                                  "status", "severity", "category", "level", "area_code"});
    else
        reject_unknown_params(t, {"f", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime",
                                  "code", "parent_code"});
    Output out(crs_param(t, "crs"));
    auto bbox = bbox_param(t);
    auto when = datetime_param(t);
    std::size_t limit = limit_param(t);
    std::size_t offset = 0;
    if (auto v = query_param(t, "offset"))
        offset = parse_count("offset", *v, 0);

    json features = json::array();
    std::int64_t matched = 0;
    if (events) {
        auto who = require_login(req, services);
        data::EventQuery q;
        q.bbox = bbox;
        q.limit = limit;
        q.offset = offset;
        if (auto v = query_param(t, "status")) {
            q.status = data::parse_event_status(*v);
            if (!q.status)
                throw bad_request("unknown status '" + std::string(*v) + "'");
        }
        if (auto v = query_param(t, "severity")) {
            q.severity = data::parse_severity(*v);
            if (!q.severity)
                throw bad_request("severity must be blue, yellow or red");
        }
        if (auto v = query_param(t, "level")) {
            q.level = data::parse_response_level(*v);
            if (!q.level)
                throw bad_request("level must be grid, community, township or county");
        }
        if (auto v = query_param(t, "category"))
            q.category = std::string(*v);
        if (auto v = query_param(t, "area_code"))
            q.area_codes.emplace_back(*v);
        if (when) {
            q.reported_from = when->from;
            if (when->to) // the store's end is exclusive, the interval's inclusive
                q.reported_to = *when->to + std::chrono::milliseconds(1);
        }
        auto page = services.desk.list(q, &who);
        matched = page.total;
        for (const auto& e : page.events)
            features.push_back(event_feature(e, services, who, out));
    } else {
        data::Layer layer = boundary_layer(services, id);
        data::FeatureQuery q;
        q.bbox = bbox;
        q.limit = limit;
        q.offset = offset;
        if (auto v = query_param(t, "code"))
            q.code = std::string(*v);
        if (auto v = query_param(t, "parent_code"))
            q.parent_code = std::string(*v);
        if (when) {
            if (!when->instant)
                throw bad_request("a boundary collection takes a datetime instant (the version "
                                  "valid then), not an interval");
            q.at = when->from;
        }
        auto page = services.store.features(layer.name, q);
        matched = page.total;
        for (const auto& f : page.features)
            features.push_back(boundary_feature(f, out));
    }
    std::size_t returned = features.size();
    json body = {{"type", "FeatureCollection"},
                 {"timeStamp", now_rfc3339()},
                 {"numberMatched", matched},
                 {"numberReturned", returned},
                 {"links", page_links(links, path, t, limit, offset, returned, matched)},
                 {"features", std::move(features)}};
    return geojson_ok(body, out.crs());
}

Response get_ogc_item(const Request& req, Services& services, const PathParams& params) {
    std::string id(param(params, "collection"));
    std::string fid(param(params, "fid"));
    Target t = parse_target(req.target);
    reject_unknown_params(t, {"f", "crs"});
    Links links = links_for(req);
    Output out(crs_param(t, "crs"));
    std::string collection = "/collections/" + percent_encode(id);
    json feature;
    if (is_events(id)) {
        auto who = require_login(req, services);
        auto event_id = parse_id(fid);
        if (!event_id)
            throw Error(ErrorCode::not_found, "no event '" + fid + "'");
        feature = event_feature(services.desk.get(*event_id, &who), services, who, out);
    } else {
        data::Layer layer = boundary_layer(services, id);
        data::FeatureQuery q;
        q.code = fid;
        q.limit = 1;
        auto page = services.store.features(layer.name, q);
        if (page.features.empty())
            throw Error(ErrorCode::not_found,
                        "no feature '" + fid + "' in collection '" + id + "'");
        feature = boundary_feature(page.features.front(), out);
    }
    feature["links"] = json::array(
        {links.make(collection + "/items/" + percent_encode(fid), "self", "application/geo+json"),
         links.make(collection, "collection", "application/json")});
    return geojson_ok(feature, out.crs());
}

} // namespace tessera::server::detail
