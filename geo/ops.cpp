#include "geo/ops.hpp"

#include "geo/detail/geos.hpp"
#include "geo/error.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace tessera::geo {
namespace detail {

// Declaration order matters: the prepared geometry refers to m_geom and is destroyed first.
struct PreparedAreaState {
    GeomPtr m_geom;
    PreparedPtr m_prepared;
};

} // namespace detail

namespace {

using detail::GeomPtr;

void require_polygonal(const Geometry& g, const char* what) {
    if (dimension_of(type_of(g)) != Dimension::polygonal)
        throw Error(ErrorCode::invalid_geometry, std::string(what) +
                                                     ": expected a Polygon or MultiPolygon, got " +
                                                     std::string(type_name(type_of(g))));
}

// A GEOS predicate answers 0, 1, or 2 on error.
bool predicate(char answer, const char* what) {
    if (answer == 2)
        throw Error(ErrorCode::internal,
                    std::string("GEOS ") + what + ": " + detail::geos_last_error());
    return answer == 1;
}

double area_of(const GEOSGeometry* g) {
    double area = 0;
    if (!GEOSArea_r(detail::geos_context(), g, &area))
        throw Error(ErrorCode::internal, "GEOS area: " + detail::geos_last_error());
    return area;
}

LonLat point_of(const GEOSGeometry* g, const char* what) {
    auto* ctx = detail::geos_context();
    double x = 0, y = 0;
    if (GEOSisEmpty_r(ctx, g) || !GEOSGeomGetX_r(ctx, g, &x) || !GEOSGeomGetY_r(ctx, g, &y))
        throw Error(ErrorCode::internal, std::string("GEOS ") + what + ": no point");
    return {x, y};
}

GeomPtr non_empty(const Geometry& g, const char* what) {
    GeomPtr geom = detail::to_geos(g);
    if (GEOSisEmpty_r(detail::geos_context(), geom.get()))
        throw Error(ErrorCode::invalid_geometry, std::string(what) + ": geometry is empty");
    return geom;
}

// Gathers the non-empty atomic components of dimension `dim` of a GEOS result (any nesting of
// collections) into the matching Multi* type; components of other dimensions are dropped.
void gather(const GEOSGeometry* g, Dimension dim, Geometry& out) {
    auto* ctx = detail::geos_context();
    int type = GEOSGeomTypeId_r(ctx, g);
    if (type == GEOS_MULTIPOINT || type == GEOS_MULTILINESTRING || type == GEOS_MULTIPOLYGON ||
        type == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(ctx, g);
        for (int i = 0; i < n; ++i)
            gather(GEOSGetGeometryN_r(ctx, g, i), dim, out);
        return;
    }
    if (GEOSisEmpty_r(ctx, g))
        return;
    Geometry part = detail::from_geos(g);
    if (dim == Dimension::polygonal) {
        if (auto* p = std::get_if<Polygon>(&part))
            std::get<MultiPolygon>(out).polygons.push_back(std::move(*p));
    } else if (dim == Dimension::lineal) {
        if (auto* l = std::get_if<LineString>(&part))
            std::get<MultiLineString>(out).lines.push_back(std::move(*l));
    } else if (auto* p = std::get_if<Point>(&part)) {
        std::get<MultiPoint>(out).points.push_back(p->pos);
    }
}

Geometry extract(const GEOSGeometry* g, Dimension dim) {
    Geometry out;
    switch (dim) {
    case Dimension::polygonal:
        out = MultiPolygon{};
        break;
    case Dimension::lineal:
        out = MultiLineString{};
        break;
    case Dimension::puntal:
        out = MultiPoint{};
        break;
    }
    gather(g, dim, out);
    return out;
}

MultiPolygon extract_polygons(const GEOSGeometry* g) {
    return std::get<MultiPolygon>(extract(g, Dimension::polygonal));
}

// All polygons of all parts in one GEOS MultiPolygon (empty parts contribute nothing).
GeomPtr collect(std::span<const MultiPolygon> parts) {
    MultiPolygon all;
    for (const auto& part : parts)
        all.polygons.insert(all.polygons.end(), part.polygons.begin(), part.polygons.end());
    return detail::to_geos(Geometry{std::move(all)});
}

GeomPtr union_of(const GEOSGeometry* g) {
    return detail::own(GEOSUnaryUnion_r(detail::geos_context(), g), "union");
}

} // namespace

bool covers(const Geometry& polygonal, LonLat p) {
    require_polygonal(polygonal, "covers");
    GeomPtr area = detail::to_geos(polygonal);
    GeomPtr point = detail::to_geos_point(p);
    return predicate(GEOSCovers_r(detail::geos_context(), area.get(), point.get()), "covers");
}

LonLat point_on_surface(const Geometry& g) {
    GeomPtr geom = non_empty(g, "point_on_surface");
    GeomPtr point =
        detail::own(GEOSPointOnSurface_r(detail::geos_context(), geom.get()), "point on surface");
    return point_of(point.get(), "point on surface");
}

LonLat centroid(const Geometry& g) {
    GeomPtr geom = non_empty(g, "centroid");
    GeomPtr point = detail::own(GEOSGetCentroid_r(detail::geos_context(), geom.get()), "centroid");
    return point_of(point.get(), "centroid");
}

Geometry intersection(const Geometry& a, const Geometry& b) {
    GeomPtr ga = detail::to_geos(a);
    GeomPtr gb = detail::to_geos(b);
    GeomPtr result =
        detail::own(GEOSIntersection_r(detail::geos_context(), ga.get(), gb.get()), "intersection");
    return extract(result.get(), std::min(dimension_of(type_of(a)), dimension_of(type_of(b))));
}

Geometry difference(const Geometry& a, const Geometry& b) {
    GeomPtr ga = detail::to_geos(a);
    GeomPtr gb = detail::to_geos(b);
    GeomPtr result =
        detail::own(GEOSDifference_r(detail::geos_context(), ga.get(), gb.get()), "difference");
    return extract(result.get(), dimension_of(type_of(a)));
}

MultiPolygon unary_union(std::span<const MultiPolygon> parts) {
    GeomPtr all = collect(parts);
    if (GEOSisEmpty_r(detail::geos_context(), all.get()))
        return {};
    return extract_polygons(union_of(all.get()).get());
}

CoverageCheck check_coverage(std::span<const MultiPolygon> parts, const MultiPolygon& region) {
    auto* ctx = detail::geos_context();
    GeomPtr all = collect(parts);
    GeomPtr area = detail::to_geos(Geometry{region});
    GeomPtr merged = GEOSisEmpty_r(ctx, all.get())
                         ? detail::own(GEOSGeom_createEmptyPolygon_r(ctx), "empty polygon")
                         : union_of(all.get());
    GeomPtr gap = detail::own(GEOSDifference_r(ctx, area.get(), merged.get()), "difference");
    GeomPtr outside = detail::own(GEOSDifference_r(ctx, merged.get(), area.get()), "difference");
    CoverageCheck check;
    // The area of a (possibly overlapping) MultiPolygon is the sum of its polygons' areas.
    check.overlap_area = std::max(0.0, area_of(all.get()) - area_of(merged.get()));
    check.gap_area = std::max(0.0, area_of(gap.get()));
    check.outside_area = std::max(0.0, area_of(outside.get()));
    return check;
}

PreparedArea::PreparedArea(const Geometry& polygonal) {
    require_polygonal(polygonal, "PreparedArea");
    auto state = std::make_unique<detail::PreparedAreaState>();
    state->m_geom = detail::to_geos(polygonal);
    state->m_prepared.reset(GEOSPrepare_r(detail::geos_context(), state->m_geom.get()));
    if (!state->m_prepared)
        throw Error(ErrorCode::internal, "GEOS prepare: " + detail::geos_last_error());
    m_state = std::move(state);
}

PreparedArea::~PreparedArea() = default;
PreparedArea::PreparedArea(PreparedArea&&) noexcept = default;
PreparedArea& PreparedArea::operator=(PreparedArea&&) noexcept = default;

bool PreparedArea::covers(LonLat p) const {
    GeomPtr point = detail::to_geos_point(p);
    return predicate(
        GEOSPreparedCovers_r(detail::geos_context(), m_state->m_prepared.get(), point.get()),
        "prepared covers");
}

bool PreparedArea::contains(const Geometry& g) const {
    GeomPtr geom = detail::to_geos(g);
    return predicate(
        GEOSPreparedContains_r(detail::geos_context(), m_state->m_prepared.get(), geom.get()),
        "prepared contains");
}

bool PreparedArea::intersects(const Geometry& g) const {
    GeomPtr geom = detail::to_geos(g);
    return predicate(
        GEOSPreparedIntersects_r(detail::geos_context(), m_state->m_prepared.get(), geom.get()),
        "prepared intersects");
}

} // namespace tessera::geo
