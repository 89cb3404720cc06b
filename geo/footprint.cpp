#include "geo/footprint.hpp"

#include "geo/detail/geos.hpp"
#include "geo/error.hpp"
#include "geo/measure.hpp"
#include "geo/ops.hpp"

#include <cmath>
#include <string>

namespace tessera::geo {
namespace {

// Metres east and north of an origin, in the plane tangent at the origin's latitude.
struct LocalPlane {
    LonLat origin;
    MetresPerDegree scale;

    LonLat to_plane(LonLat p) const {
        return {(p.lon - origin.lon) * scale.lon, (p.lat - origin.lat) * scale.lat};
    }
    LonLat from_plane(LonLat xy) const {
        return {origin.lon + xy.lon / scale.lon, origin.lat + xy.lat / scale.lat};
    }
};

} // namespace

MultiPolygon swath(std::span<const LonLat> path, double width_m) {
    if (!(width_m > 0) || !std::isfinite(width_m))
        throw Error(ErrorCode::invalid_argument,
                    "swath: the width must be a positive number of metres");
    BBox box;
    LineString line;
    for (LonLat p : path) {
        if (!std::isfinite(p.lon) || !std::isfinite(p.lat))
            throw Error(ErrorCode::invalid_geometry, "swath: a path point is not a finite number");
        box.extend(p);
        if (line.points.empty() || !(line.points.back() == p))
            line.points.push_back(p);
    }
    if (line.points.size() < 2)
        return {};
    const LonLat middle{(box.min_x + box.max_x) / 2, (box.min_y + box.max_y) / 2};
    const LocalPlane plane{middle, metres_per_degree(middle.lat)};
    for (LonLat& p : line.points)
        p = plane.to_plane(p);

    auto* ctx = detail::geos_context();
    detail::GeomPtr g = detail::to_geos(Geometry{std::move(line)});
    // Eight segments per quarter circle: a round join's chord is within 2 % of its radius.
    detail::GeomPtr strip =
        detail::own(GEOSBufferWithStyle_r(ctx, g.get(), width_m / 2, 8, GEOSBUF_CAP_FLAT,
                                          GEOSBUF_JOIN_ROUND, 5.0),
                    "buffer");
    if (GEOSisEmpty_r(ctx, strip.get()))
        return {};
    Geometry result = detail::from_geos(strip.get());
    transform_coordinates(result, [&](LonLat p) { return plane.from_plane(p); });
    return as_multi_polygon(result);
}

Covered covered_by(const MultiPolygon& area, std::span<const MultiPolygon> views,
                   double min_piece_m2) {
    Covered out;
    out.area_m2 = area_m2(area);
    if (area.polygons.empty())
        return out;
    const MultiPolygon seen = unary_union(views);
    if (seen.polygons.empty()) {
        out.uncovered = area;
        return out;
    }
    out.covered_m2 = std::min(out.area_m2, area_m2(intersection(area, seen)));
    Geometry missed = difference(area, seen);
    for (auto& piece : std::get<MultiPolygon>(missed).polygons)
        if (area_m2(piece) >= min_piece_m2)
            out.uncovered.polygons.push_back(std::move(piece));
    return out;
}

} // namespace tessera::geo
