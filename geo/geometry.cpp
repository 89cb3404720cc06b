#include "geo/geometry.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace tessera::geo {

GeometryType type_of(const Geometry& g) {
    return static_cast<GeometryType>(g.index());
}

std::string_view type_name(GeometryType t) {
    switch (t) {
    case GeometryType::point:
        return "Point";
    case GeometryType::line_string:
        return "LineString";
    case GeometryType::polygon:
        return "Polygon";
    case GeometryType::multi_point:
        return "MultiPoint";
    case GeometryType::multi_line_string:
        return "MultiLineString";
    case GeometryType::multi_polygon:
        return "MultiPolygon";
    }
    return "Unknown";
}

Dimension dimension_of(GeometryType t) {
    switch (t) {
    case GeometryType::point:
    case GeometryType::multi_point:
        return Dimension::puntal;
    case GeometryType::line_string:
    case GeometryType::multi_line_string:
        return Dimension::lineal;
    case GeometryType::polygon:
    case GeometryType::multi_polygon:
        return Dimension::polygonal;
    }
    return Dimension::puntal;
}

std::size_t vertex_count(const Geometry& g) {
    std::size_t n = 0;
    for_each_coordinate(g, [&](const LonLat&) { ++n; });
    return n;
}

void BBox::extend(LonLat p) {
    min_x = std::min(min_x, p.lon);
    min_y = std::min(min_y, p.lat);
    max_x = std::max(max_x, p.lon);
    max_y = std::max(max_y, p.lat);
}

void BBox::extend(const BBox& b) {
    if (b.empty())
        return;
    extend(LonLat{b.min_x, b.min_y});
    extend(LonLat{b.max_x, b.max_y});
}

bool BBox::intersects(const BBox& b) const {
    return !empty() && !b.empty() && min_x <= b.max_x && b.min_x <= max_x && min_y <= b.max_y &&
           b.min_y <= max_y;
}

bool BBox::contains(LonLat p) const {
    return p.lon >= min_x && p.lon <= max_x && p.lat >= min_y && p.lat <= max_y;
}

BBox bbox_of(const Geometry& g) {
    BBox b;
    for_each_coordinate(g, [&](const LonLat& p) { b.extend(p); });
    return b;
}

bool coordinates_in_lonlat_range(const Geometry& g) {
    bool ok = true;
    for_each_coordinate(g, [&](const LonLat& p) {
        if (!std::isfinite(p.lon) || !std::isfinite(p.lat) || p.lon < -180 || p.lon > 180 ||
            p.lat < -90 || p.lat > 90)
            ok = false;
    });
    return ok;
}

MultiPolygon as_multi_polygon(const Geometry& g) {
    if (const auto* p = std::get_if<Polygon>(&g))
        return MultiPolygon{{*p}};
    const auto* mp = std::get_if<MultiPolygon>(&g);
    assert(mp && "as_multi_polygon needs a polygonal geometry");
    return mp ? *mp : MultiPolygon{};
}

double signed_area(const Ring& ring) {
    if (ring.size() < 3)
        return 0;
    // Shifted to the first vertex to keep precision for lon/lat far from the origin.
    const LonLat o = ring.front();
    double twice = 0;
    for (std::size_t i = 1; i + 1 < ring.size(); ++i) {
        double x1 = ring[i].lon - o.lon, y1 = ring[i].lat - o.lat;
        double x2 = ring[i + 1].lon - o.lon, y2 = ring[i + 1].lat - o.lat;
        twice += x1 * y2 - x2 * y1;
    }
    return twice / 2;
}

double planar_area(const Geometry& g) {
    auto polygon_area = [](const Polygon& p) {
        double a = 0;
        for (std::size_t i = 0; i < p.rings.size(); ++i)
            a += (i == 0 ? 1 : -1) * std::abs(signed_area(p.rings[i]));
        return a;
    };
    if (const auto* p = std::get_if<Polygon>(&g))
        return polygon_area(*p);
    double a = 0;
    if (const auto* mp = std::get_if<MultiPolygon>(&g))
        for (const auto& p : mp->polygons)
            a += polygon_area(p);
    return a;
}

namespace {
void orient_polygon(Polygon& p) {
    for (std::size_t i = 0; i < p.rings.size(); ++i) {
        bool ccw = signed_area(p.rings[i]) > 0;
        bool want_ccw = i == 0;
        if (ccw != want_ccw)
            std::reverse(p.rings[i].begin(), p.rings[i].end());
    }
}
} // namespace

void orient_rfc7946(Geometry& g) {
    if (auto* p = std::get_if<Polygon>(&g))
        orient_polygon(*p);
    if (auto* mp = std::get_if<MultiPolygon>(&g))
        for (auto& p : mp->polygons)
            orient_polygon(p);
}

} // namespace tessera::geo
