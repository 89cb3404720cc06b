#include "geo/validate.hpp"

#include "geo/detail/geos.hpp"

#include <cmath>
#include <sstream>

namespace tessera::geo {
namespace {

std::string format_point(LonLat p) {
    std::ostringstream os;
    os.precision(10);
    os << "(" << p.lon << ", " << p.lat << ")";
    return os.str();
}

std::optional<GeometryProblem> check_points(const std::vector<LonLat>& pts, std::size_t min,
                                            bool ring) {
    if (pts.size() < min)
        return GeometryProblem{"too_few_points",
                               (ring ? "ring has " : "line has ") + std::to_string(pts.size()) +
                                   " points, needs at least " + std::to_string(min),
                               pts.empty() ? std::nullopt : std::optional<LonLat>(pts.front())};
    if (ring && !(pts.front() == pts.back()))
        return GeometryProblem{"ring_not_closed", "ring is not closed", pts.front()};
    return std::nullopt;
}

std::optional<GeometryProblem> check_structure(const Geometry& g) {
    std::optional<GeometryProblem> found;
    auto polygon = [&](const Polygon& p) {
        if (p.rings.empty() && !found)
            found = GeometryProblem{"empty", "polygon has no rings", std::nullopt};
        for (const auto& r : p.rings)
            if (!found)
                found = check_points(r, 4, true);
    };
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, LineString>) {
                found = check_points(v.points, 2, false);
            } else if constexpr (std::is_same_v<T, MultiPoint>) {
                if (v.points.empty())
                    found = GeometryProblem{"empty", "multipoint is empty", {}};
            } else if constexpr (std::is_same_v<T, MultiLineString>) {
                if (v.lines.empty())
                    found = GeometryProblem{"empty", "multilinestring is empty", {}};
                for (const auto& l : v.lines)
                    if (!found)
                        found = check_points(l.points, 2, false);
            } else if constexpr (std::is_same_v<T, Polygon>) {
                polygon(v);
            } else if constexpr (std::is_same_v<T, MultiPolygon>) {
                if (v.polygons.empty())
                    found = GeometryProblem{"empty", "multipolygon is empty", {}};
                for (const auto& p : v.polygons)
                    polygon(p);
            }
        },
        g);
    return found;
}

} // namespace

std::optional<GeometryProblem> find_problem(const Geometry& g, bool lonlat) {
    std::optional<GeometryProblem> found;
    for_each_coordinate(g, [&](const LonLat& p) {
        if (found)
            return;
        if (!std::isfinite(p.lon) || !std::isfinite(p.lat))
            found =
                GeometryProblem{"non_finite", "coordinate is not a finite number", std::nullopt};
        else if (lonlat && (p.lon < -180 || p.lon > 180 || p.lat < -90 || p.lat > 90))
            found = GeometryProblem{
                "out_of_range", "coordinate " + format_point(p) + " is outside lon/lat range", p};
    });
    if (found)
        return found;
    if ((found = check_structure(g)))
        return found;

    auto* ctx = detail::geos_context();
    detail::GeomPtr geom = detail::to_geos(g);
    char* reason = nullptr;
    GEOSGeometry* location = nullptr;
    char valid = GEOSisValidDetail_r(ctx, geom.get(), 0, &reason, &location);
    if (valid == 1)
        return std::nullopt;
    GeometryProblem problem{"invalid", reason ? reason : "invalid geometry", std::nullopt};
    if (location) {
        double x = 0, y = 0;
        GEOSGeomGetX_r(ctx, location, &x);
        GEOSGeomGetY_r(ctx, location, &y);
        problem.location = LonLat{x, y};
        problem.message += " at " + format_point({x, y});
        GEOSGeom_destroy_r(ctx, location);
    }
    if (reason) {
        std::string r = reason;
        if (r.find("Self-intersection") != std::string::npos ||
            r.find("Ring Self-intersection") != std::string::npos)
            problem.code = "self_intersection";
        GEOSFree_r(ctx, reason);
    }
    return problem;
}

} // namespace tessera::geo
