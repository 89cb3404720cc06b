#include "server/geojson.hpp"

#include <algorithm>
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

} // namespace tessera::server
