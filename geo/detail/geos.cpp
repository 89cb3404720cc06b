#include "geo/detail/geos.hpp"

#include "geo/error.hpp"

#include <cstdarg>
#include <cstdio>
#include <vector>

namespace tessera::geo::detail {
namespace {

thread_local std::string t_last_error;

void on_geos_message(const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    t_last_error = buf;
}

struct ThreadContext {
    GEOSContextHandle_t handle;
    ThreadContext()
        : handle(GEOS_init_r()) {
        GEOSContext_setErrorHandler_r(handle, on_geos_message);
        GEOSContext_setNoticeHandler_r(handle, nullptr);
    }
    ~ThreadContext() { GEOS_finish_r(handle); }
    ThreadContext(const ThreadContext&) = delete;
    ThreadContext& operator=(const ThreadContext&) = delete;
};

GEOSCoordSequence* make_sequence(const std::vector<LonLat>& pts) {
    auto* ctx = geos_context();
    GEOSCoordSequence* seq = GEOSCoordSeq_create_r(ctx, static_cast<unsigned>(pts.size()), 2);
    if (!seq)
        throw Error(ErrorCode::internal, "GEOS: cannot create coordinate sequence");
    for (unsigned i = 0; i < pts.size(); ++i)
        GEOSCoordSeq_setXY_r(ctx, seq, i, pts[i].lon, pts[i].lat);
    return seq;
}

std::vector<LonLat> read_sequence(const GEOSCoordSequence* seq) {
    auto* ctx = geos_context();
    unsigned n = 0;
    GEOSCoordSeq_getSize_r(ctx, seq, &n);
    std::vector<LonLat> pts(n);
    for (unsigned i = 0; i < n; ++i)
        GEOSCoordSeq_getXY_r(ctx, seq, i, &pts[i].lon, &pts[i].lat);
    return pts;
}

GEOSGeometry* make_ring(const Ring& r) {
    return GEOSGeom_createLinearRing_r(geos_context(), make_sequence(r));
}

GEOSGeometry* make_polygon(const Polygon& p) {
    auto* ctx = geos_context();
    if (p.rings.empty())
        return GEOSGeom_createEmptyPolygon_r(ctx);
    GEOSGeometry* shell = make_ring(p.rings[0]);
    if (!shell)
        throw Error(ErrorCode::invalid_geometry, "ring: " + geos_last_error());
    std::vector<GEOSGeometry*> holes;
    for (std::size_t i = 1; i < p.rings.size(); ++i) {
        GEOSGeometry* h = make_ring(p.rings[i]);
        if (!h) {
            GEOSGeom_destroy_r(ctx, shell);
            for (auto* x : holes)
                GEOSGeom_destroy_r(ctx, x);
            throw Error(ErrorCode::invalid_geometry, "ring: " + geos_last_error());
        }
        holes.push_back(h);
    }
    return GEOSGeom_createPolygon_r(ctx, shell, holes.data(), static_cast<unsigned>(holes.size()));
}

GEOSGeometry* make_collection(int type, std::vector<GEOSGeometry*> parts) {
    return GEOSGeom_createCollection_r(geos_context(), type, parts.data(),
                                       static_cast<unsigned>(parts.size()));
}

Polygon read_polygon(const GEOSGeometry* g) {
    auto* ctx = geos_context();
    Polygon p;
    if (GEOSisEmpty_r(ctx, g))
        return p;
    p.rings.push_back(read_sequence(GEOSGeom_getCoordSeq_r(ctx, GEOSGetExteriorRing_r(ctx, g))));
    int holes = GEOSGetNumInteriorRings_r(ctx, g);
    for (int i = 0; i < holes; ++i)
        p.rings.push_back(
            read_sequence(GEOSGeom_getCoordSeq_r(ctx, GEOSGetInteriorRingN_r(ctx, g, i))));
    return p;
}

void gather_polygons(const GEOSGeometry* g, MultiPolygon& out) {
    auto* ctx = geos_context();
    int type = GEOSGeomTypeId_r(ctx, g);
    if (type == GEOS_POLYGON) {
        if (!GEOSisEmpty_r(ctx, g))
            out.polygons.push_back(read_polygon(g));
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(ctx, g);
        for (int i = 0; i < n; ++i)
            gather_polygons(GEOSGetGeometryN_r(ctx, g, i), out);
    }
}

} // namespace

GEOSContextHandle_t geos_context() {
    thread_local ThreadContext ctx;
    return ctx.handle;
}

const std::string& geos_last_error() {
    return t_last_error;
}

GeomPtr own(GEOSGeometry* g, const char* what) {
    if (!g)
        throw Error(ErrorCode::internal, std::string("GEOS ") + what + ": " + t_last_error);
    return GeomPtr(g);
}

GeomPtr to_geos_point(LonLat p) {
    return own(GEOSGeom_createPointFromXY_r(geos_context(), p.lon, p.lat), "point");
}

GeomPtr to_geos(const Polygon& p) {
    return own(make_polygon(p), "polygon");
}

GeomPtr to_geos(const Geometry& g) {
    auto* ctx = geos_context();
    GEOSGeometry* out = std::visit(
        [&](const auto& v) -> GEOSGeometry* {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Point>) {
                return GEOSGeom_createPointFromXY_r(ctx, v.pos.lon, v.pos.lat);
            } else if constexpr (std::is_same_v<T, LineString>) {
                return GEOSGeom_createLineString_r(ctx, make_sequence(v.points));
            } else if constexpr (std::is_same_v<T, Polygon>) {
                return make_polygon(v);
            } else if constexpr (std::is_same_v<T, MultiPoint>) {
                std::vector<GEOSGeometry*> parts;
                for (const auto& p : v.points)
                    parts.push_back(GEOSGeom_createPointFromXY_r(ctx, p.lon, p.lat));
                return make_collection(GEOS_MULTIPOINT, parts);
            } else if constexpr (std::is_same_v<T, MultiLineString>) {
                std::vector<GEOSGeometry*> parts;
                for (const auto& l : v.lines)
                    parts.push_back(GEOSGeom_createLineString_r(ctx, make_sequence(l.points)));
                return make_collection(GEOS_MULTILINESTRING, parts);
            } else {
                std::vector<GEOSGeometry*> parts;
                for (const auto& p : v.polygons)
                    parts.push_back(make_polygon(p));
                return make_collection(GEOS_MULTIPOLYGON, parts);
            }
        },
        g);
    if (!out)
        throw Error(ErrorCode::invalid_geometry, "GEOS: " + t_last_error);
    return GeomPtr(out);
}

Geometry from_geos(const GEOSGeometry* g) {
    auto* ctx = geos_context();
    switch (GEOSGeomTypeId_r(ctx, g)) {
    case GEOS_POINT: {
        double x = 0, y = 0;
        GEOSGeomGetX_r(ctx, g, &x);
        GEOSGeomGetY_r(ctx, g, &y);
        return Point{{x, y}};
    }
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
        return LineString{read_sequence(GEOSGeom_getCoordSeq_r(ctx, g))};
    case GEOS_POLYGON:
        return read_polygon(g);
    case GEOS_MULTIPOINT: {
        MultiPoint mp;
        int n = GEOSGetNumGeometries_r(ctx, g);
        for (int i = 0; i < n; ++i) {
            const GEOSGeometry* p = GEOSGetGeometryN_r(ctx, g, i);
            double x = 0, y = 0;
            GEOSGeomGetX_r(ctx, p, &x);
            GEOSGeomGetY_r(ctx, p, &y);
            mp.points.push_back({x, y});
        }
        return mp;
    }
    case GEOS_MULTILINESTRING: {
        MultiLineString ml;
        int n = GEOSGetNumGeometries_r(ctx, g);
        for (int i = 0; i < n; ++i)
            ml.lines.push_back(LineString{
                read_sequence(GEOSGeom_getCoordSeq_r(ctx, GEOSGetGeometryN_r(ctx, g, i)))});
        return ml;
    }
    case GEOS_MULTIPOLYGON:
    case GEOS_GEOMETRYCOLLECTION: {
        MultiPolygon mp;
        gather_polygons(g, mp);
        return mp;
    }
    default:
        throw Error(ErrorCode::internal, "unsupported GEOS geometry type");
    }
}

} // namespace tessera::geo::detail
