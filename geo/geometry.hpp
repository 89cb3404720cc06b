// Plain geometry types shared by every layer. Coordinates are always (x, y) in the
// "traditional GIS" order: longitude then latitude for geographic CRSs, easting then
// northing for projected ones. Stored geometry is EPSG:4326 (WGS84 / CGCS2000).
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>
#include <variant>
#include <vector>

namespace tessera::geo {

struct LonLat {
    double lon = 0;
    double lat = 0;
    friend bool operator==(const LonLat&, const LonLat&) = default;
};

// A ring is closed: front() == back(). Orientation is not prescribed.
using Ring = std::vector<LonLat>;

struct Point {
    LonLat pos;
    friend bool operator==(const Point&, const Point&) = default;
};
struct LineString {
    std::vector<LonLat> points;
    friend bool operator==(const LineString&, const LineString&) = default;
};
struct Polygon {
    std::vector<Ring> rings; // rings[0] is the exterior, the rest are holes
    friend bool operator==(const Polygon&, const Polygon&) = default;
};
struct MultiPoint {
    std::vector<LonLat> points;
    friend bool operator==(const MultiPoint&, const MultiPoint&) = default;
};
struct MultiLineString {
    std::vector<LineString> lines;
    friend bool operator==(const MultiLineString&, const MultiLineString&) = default;
};
struct MultiPolygon {
    std::vector<Polygon> polygons;
    friend bool operator==(const MultiPolygon&, const MultiPolygon&) = default;
};

using Geometry =
    std::variant<Point, LineString, Polygon, MultiPoint, MultiLineString, MultiPolygon>;

enum class GeometryType {
    point,
    line_string,
    polygon,
    multi_point,
    multi_line_string,
    multi_polygon
};

GeometryType type_of(const Geometry& g);
// "Point", "LineString", ... as GeoJSON and OGC name them.
std::string_view type_name(GeometryType t);
// The polygonal/lineal/puntal family: Polygon and MultiPolygon are both "polygonal".
enum class Dimension { puntal, lineal, polygonal };
Dimension dimension_of(GeometryType t);

// Total number of coordinates (closing points of rings included).
std::size_t vertex_count(const Geometry& g);

// Calls f(const LonLat&) for every coordinate.
template <class F>
void for_each_coordinate(const Geometry& g, F&& f);

// Applies f(LonLat) -> LonLat to every coordinate in place.
template <class F>
void transform_coordinates(Geometry& g, F&& f);

struct BBox {
    double min_x = std::numeric_limits<double>::infinity();
    double min_y = std::numeric_limits<double>::infinity();
    double max_x = -std::numeric_limits<double>::infinity();
    double max_y = -std::numeric_limits<double>::infinity();

    bool empty() const { return min_x > max_x || min_y > max_y; }
    void extend(LonLat p);
    void extend(const BBox& b);
    bool intersects(const BBox& b) const;
    bool contains(LonLat p) const;
    friend bool operator==(const BBox&, const BBox&) = default;
};

BBox bbox_of(const Geometry& g);

// True when every coordinate is finite and within [-180, 180] x [-90, 90].
bool coordinates_in_lonlat_range(const Geometry& g);

// Any polygonal geometry as a MultiPolygon (a Polygon becomes a one-part MultiPolygon).
// REQUIRES: dimension_of(type_of(g)) == Dimension::polygonal.
MultiPolygon as_multi_polygon(const Geometry& g);

// Signed planar area of a ring (shoelace, coordinate units^2): positive when counter-clockwise.
double signed_area(const Ring& ring);

// Planar area of a polygonal geometry (exteriors minus holes) in coordinate units^2, computed
// without GEOS; 0 for points and lines. For square metres use geo/measure.hpp.
double planar_area(const Geometry& g);

// Orients polygons as RFC 7946 asks: exterior rings counter-clockwise, holes clockwise.
// Tessera stores this canonical form, so equal shapes from different formats compare equal.
void orient_rfc7946(Geometry& g);

// ---- implementation of the templates ----

template <class F>
void for_each_coordinate(const Geometry& g, F&& f) {
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Point>) {
                f(v.pos);
            } else if constexpr (std::is_same_v<T, LineString> || std::is_same_v<T, MultiPoint>) {
                for (const auto& p : v.points)
                    f(p);
            } else if constexpr (std::is_same_v<T, Polygon>) {
                for (const auto& r : v.rings)
                    for (const auto& p : r)
                        f(p);
            } else if constexpr (std::is_same_v<T, MultiLineString>) {
                for (const auto& l : v.lines)
                    for (const auto& p : l.points)
                        f(p);
            } else {
                for (const auto& poly : v.polygons)
                    for (const auto& r : poly.rings)
                        for (const auto& p : r)
                            f(p);
            }
        },
        g);
}

template <class F>
void transform_coordinates(Geometry& g, F&& f) {
    std::visit(
        [&](auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Point>) {
                v.pos = f(v.pos);
            } else if constexpr (std::is_same_v<T, LineString> || std::is_same_v<T, MultiPoint>) {
                for (auto& p : v.points)
                    p = f(p);
            } else if constexpr (std::is_same_v<T, Polygon>) {
                for (auto& r : v.rings)
                    for (auto& p : r)
                        p = f(p);
            } else if constexpr (std::is_same_v<T, MultiLineString>) {
                for (auto& l : v.lines)
                    for (auto& p : l.points)
                        p = f(p);
            } else {
                for (auto& poly : v.polygons)
                    for (auto& r : poly.rings)
                        for (auto& p : r)
                            p = f(p);
            }
        },
        g);
}

} // namespace tessera::geo
