#include "server/geojson.hpp"

#include "geo/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace tessera::server {
namespace {

using json = nlohmann::ordered_json;

json position(const geo::LonLat& p) {
    return json::array({p.lon, p.lat});
}

json positions(const std::vector<geo::LonLat>& pts) {
    json a = json::array();
    for (const auto& p : pts)
        a.push_back(position(p));
    return a;
}

// Twice the signed area (shoelace); positive = counter-clockwise.
double signed_area2(const geo::Ring& r) {
    double s = 0;
    for (std::size_t i = 0; i + 1 < r.size(); ++i)
        s += r[i].lon * r[i + 1].lat - r[i + 1].lon * r[i].lat;
    return s;
}

json ring(const geo::Ring& r, bool want_ccw) {
    double a = signed_area2(r);
    if ((want_ccw && a < 0) || (!want_ccw && a > 0)) {
        geo::Ring reversed(r.rbegin(), r.rend());
        return positions(reversed);
    }
    return positions(r);
}

json polygon_coordinates(const geo::Polygon& p) {
    json a = json::array();
    for (std::size_t i = 0; i < p.rings.size(); ++i)
        a.push_back(ring(p.rings[i], i == 0));
    return a;
}

} // namespace

nlohmann::ordered_json to_json(const data::PropertyValue& v) {
    return std::visit(
        [](const auto& x) -> json {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>)
                return nullptr;
            else
                return x;
        },
        v);
}

nlohmann::ordered_json to_geojson(const geo::Geometry& g) {
    return std::visit(
        [](const auto& v) -> json {
            using T = std::decay_t<decltype(v)>;
            json out;
            if constexpr (std::is_same_v<T, geo::Point>) {
                out["type"] = "Point";
                out["coordinates"] = position(v.pos);
            } else if constexpr (std::is_same_v<T, geo::LineString>) {
                out["type"] = "LineString";
                out["coordinates"] = positions(v.points);
            } else if constexpr (std::is_same_v<T, geo::Polygon>) {
                out["type"] = "Polygon";
                out["coordinates"] = polygon_coordinates(v);
            } else if constexpr (std::is_same_v<T, geo::MultiPoint>) {
                out["type"] = "MultiPoint";
                out["coordinates"] = positions(v.points);
            } else if constexpr (std::is_same_v<T, geo::MultiLineString>) {
                out["type"] = "MultiLineString";
                json a = json::array();
                for (const auto& l : v.lines)
                    a.push_back(positions(l.points));
                out["coordinates"] = std::move(a);
            } else {
                out["type"] = "MultiPolygon";
                json a = json::array();
                for (const auto& p : v.polygons)
                    a.push_back(polygon_coordinates(p));
                out["coordinates"] = std::move(a);
            }
            return out;
        },
        g);
}

nlohmann::ordered_json to_geojson(const data::Feature& f) {
    json props = json::object();
    props["code"] = f.code;
    props["name"] = f.name;
    props["parent_code"] = f.parent_code ? json(*f.parent_code) : json(nullptr);
    props["version"] = f.version;
    props["valid_from"] = data::format_time(f.valid_from);
    if (f.valid_to)
        props["valid_to"] = data::format_time(*f.valid_to);
    props["changeset_id"] = f.changeset_id;
    for (const auto& [key, value] : f.properties) {
        bool reserved = std::any_of(std::begin(reserved_feature_properties),
                                    std::end(reserved_feature_properties),
                                    [&](const char* r) { return key == r; });
        if (!reserved && !props.contains(key))
            props[key] = to_json(value);
    }
    return json{{"type", "Feature"},
                {"id", f.code},
                {"geometry", to_geojson(f.geometry)},
                {"properties", std::move(props)}};
}

namespace {

using in_json = nlohmann::json;

[[noreturn]] void geometry_error(const std::string& where, const std::string& what) {
    throw Error(ErrorCode::invalid_geometry, where + ": " + what);
}

geo::LonLat read_position(const in_json& j, const std::string& where) {
    if (!j.is_array() || j.size() < 2 || j.size() > 3)
        geometry_error(where, "a position is an array of 2 or 3 numbers");
    for (const auto& n : j)
        if (!n.is_number() || !std::isfinite(n.get<double>()))
            geometry_error(where, "coordinates must be finite numbers");
    return {j[0].get<double>(), j[1].get<double>()};
}

const in_json& read_array(const in_json& j, const std::string& where) {
    if (!j.is_array())
        geometry_error(where, "expected an array");
    return j;
}

std::vector<geo::LonLat> read_positions(const in_json& j, const std::string& where,
                                        std::size_t min) {
    std::vector<geo::LonLat> out;
    for (std::size_t i = 0; i < read_array(j, where).size(); ++i)
        out.push_back(read_position(j[i], where + "[" + std::to_string(i) + "]"));
    if (out.size() < min)
        geometry_error(where, "needs at least " + std::to_string(min) + " positions");
    return out;
}

geo::Polygon read_polygon(const in_json& j, const std::string& where) {
    geo::Polygon p;
    for (std::size_t i = 0; i < read_array(j, where).size(); ++i) {
        std::string at = where + "[" + std::to_string(i) + "]";
        geo::Ring r = read_positions(j[i], at, 4);
        if (r.front().lon != r.back().lon || r.front().lat != r.back().lat)
            geometry_error(at, "a ring must end where it starts");
        p.rings.push_back(std::move(r));
    }
    if (p.rings.empty())
        geometry_error(where, "a polygon needs an exterior ring");
    return p;
}

} // namespace

geo::Geometry geometry_from_geojson(const nlohmann::json& j, const std::string& where) {
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
        geometry_error(where, "expected a GeoJSON geometry object with a \"type\"");
    std::string type = j["type"].get<std::string>();
    if (!j.contains("coordinates"))
        geometry_error(where, type + " needs \"coordinates\"");
    const in_json& c = j["coordinates"];
    std::string at = where + ".coordinates";
    if (type == "Point")
        return geo::Point{read_position(c, at)};
    if (type == "LineString")
        return geo::LineString{read_positions(c, at, 2)};
    if (type == "Polygon")
        return read_polygon(c, at);
    if (type == "MultiPoint") {
        geo::MultiPoint mp;
        mp.points = read_positions(c, at, 1);
        return mp;
    }
    if (type == "MultiLineString") {
        geo::MultiLineString ml;
        for (std::size_t i = 0; i < read_array(c, at).size(); ++i)
            ml.lines.push_back({read_positions(c[i], at + "[" + std::to_string(i) + "]", 2)});
        return ml;
    }
    if (type == "MultiPolygon") {
        geo::MultiPolygon mp;
        for (std::size_t i = 0; i < read_array(c, at).size(); ++i)
            mp.polygons.push_back(read_polygon(c[i], at + "[" + std::to_string(i) + "]"));
        return mp;
    }
    geometry_error(where, "unsupported geometry type '" + type.substr(0, 40) + "'");
}

nlohmann::ordered_json to_geojson(const data::Finding& f) {
    const geo::Geometry where =
        f.area ? geo::Geometry{*f.area} : geo::Geometry{geo::Point{f.location}};
    return {{"type", "Feature"},
            {"geometry", to_geojson(where)},
            {"properties",
             {{"code", f.code},
              {"severity", data::to_string(f.severity)},
              {"message", f.message},
              {"features", f.features},
              {"lon", f.location.lon},
              {"lat", f.location.lat}}}};
}

} // namespace tessera::server
