#include "geo/partition.hpp"

#include "geo/detail/geos.hpp"
#include "geo/error.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace tessera::geo {
namespace {

using detail::GeomPtr;
using detail::PreparedPtr;

// ---- small GEOS helpers ----

bool predicate(char answer, const char* what) {
    if (answer == 2)
        throw Error(ErrorCode::internal,
                    std::string("GEOS ") + what + ": " + detail::geos_last_error());
    return answer == 1;
}

GeomPtr clone(const GEOSGeometry* g) {
    return detail::own(GEOSGeom_clone_r(detail::geos_context(), g), "clone");
}

// A collection of `type` that takes over `parts`.
GeomPtr collection(int type, std::vector<GeomPtr> parts) {
    std::vector<GEOSGeometry*> raw;
    raw.reserve(parts.size());
    for (auto& p : parts)
        raw.push_back(p.release());
    return detail::own(GEOSGeom_createCollection_r(detail::geos_context(), type, raw.data(),
                                                   static_cast<unsigned>(raw.size())),
                       "collection");
}

// Calls f(const GEOSGeometry*) for every LineString (or LinearRing) in g, at any nesting depth.
template <class F>
void for_each_line(const GEOSGeometry* g, F&& f) {
    auto* ctx = detail::geos_context();
    int type = GEOSGeomTypeId_r(ctx, g);
    if (type == GEOS_LINESTRING || type == GEOS_LINEARRING) {
        if (!GEOSisEmpty_r(ctx, g))
            f(g);
    } else if (type == GEOS_MULTILINESTRING || type == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(ctx, g);
        for (int i = 0; i < n; ++i)
            for_each_line(GEOSGetGeometryN_r(ctx, g, i), f);
    }
}

LonLat point_of(const GEOSGeometry* point) {
    auto* ctx = detail::geos_context();
    double x = 0, y = 0;
    if (GEOSisEmpty_r(ctx, point) || !GEOSGeomGetX_r(ctx, point, &x) ||
        !GEOSGeomGetY_r(ctx, point, &y))
        throw Error(ErrorCode::internal, "GEOS: expected a point");
    return {x, y};
}

void require_valid(const GEOSGeometry* g) {
    auto* ctx = detail::geos_context();
    char valid = GEOSisValid_r(ctx, g);
    if (valid == 1)
        return;
    std::string message = "voronoi_partition: region is not a valid polygon";
    if (char* reason = GEOSisValidReason_r(ctx, g)) {
        message += std::string(": ") + reason;
        GEOSFree_r(ctx, reason);
    }
    throw Error(valid == 0 ? ErrorCode::invalid_geometry : ErrorCode::internal, message);
}

// ---- exact coordinates as hash keys ----

struct CoordKey {
    std::uint64_t x;
    std::uint64_t y;
    friend bool operator==(const CoordKey&, const CoordKey&) = default;
};
struct CoordKeyHash {
    std::size_t operator()(const CoordKey& k) const noexcept {
        return std::hash<std::uint64_t>{}(k.x ^ (k.y * 0x9E3779B97F4A7C15ULL));
    }
};
using CoordSet = std::unordered_set<CoordKey, CoordKeyHash>;

CoordKey key_of(double x, double y) {
    return {std::bit_cast<std::uint64_t>(x), std::bit_cast<std::uint64_t>(y)};
}

// Calls f(x, y) for the first and last vertex of a line (all vertices when `all`).
template <class F>
void for_each_vertex(const GEOSGeometry* line, bool all, F&& f) {
    auto* ctx = detail::geos_context();
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, line);
    unsigned n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(ctx, seq, &n) || n == 0)
        return;
    for (unsigned i = 0; i < n; ++i) {
        if (!all && i != 0 && i + 1 != n)
            continue;
        double x = 0, y = 0;
        GEOSCoordSeq_getXY_r(ctx, seq, i, &x, &y);
        f(x, y);
    }
}

// ---- nearest generator ----

// Nearest-site queries over a fixed set of points: a static 2-d tree in one array (median split,
// alternating axes), so clustered sites cost no more than uniform ones. O(log n) per query.
class NearestSite {
public:
    explicit NearestSite(const std::vector<LonLat>& sites) {
        m_nodes.reserve(sites.size());
        for (std::size_t i = 0; i < sites.size(); ++i)
            m_nodes.push_back({sites[i], i});
        build(0, m_nodes.size(), 0);
    }

    // Index into the constructor's `sites` of a site nearest to p (the lowest index on ties).
    // REQUIRES: at least one site.
    std::size_t nearest(LonLat p) const {
        Best best;
        search(0, m_nodes.size(), 0, p, best);
        return best.index;
    }

private:
    struct Node {
        LonLat pos;
        std::size_t index;
    };
    struct Best {
        double d2 = std::numeric_limits<double>::infinity();
        std::size_t index = std::numeric_limits<std::size_t>::max();
    };

    static double coord(LonLat p, int axis) { return axis == 0 ? p.lon : p.lat; }

    void build(std::size_t lo, std::size_t hi, int axis) {
        if (hi - lo <= 1)
            return;
        std::size_t mid = lo + (hi - lo) / 2;
        auto first = m_nodes.begin();
        std::nth_element(
            first + static_cast<std::ptrdiff_t>(lo), first + static_cast<std::ptrdiff_t>(mid),
            first + static_cast<std::ptrdiff_t>(hi), [axis](const Node& a, const Node& b) {
                return coord(a.pos, axis) < coord(b.pos, axis);
            });
        build(lo, mid, 1 - axis);
        build(mid + 1, hi, 1 - axis);
    }

    // Nodes [lo, mid) are <= the node at mid on `axis`, nodes (mid, hi) are >= it.
    void search(std::size_t lo, std::size_t hi, int axis, LonLat p, Best& best) const {
        if (lo >= hi)
            return;
        std::size_t mid = lo + (hi - lo) / 2;
        const Node& node = m_nodes[mid];
        double dx = p.lon - node.pos.lon;
        double dy = p.lat - node.pos.lat;
        double d2 = dx * dx + dy * dy;
        if (d2 < best.d2 || (d2 == best.d2 && node.index < best.index))
            best = {d2, node.index};
        double diff = coord(p, axis) - coord(node.pos, axis);
        bool left_first = diff < 0;
        if (left_first)
            search(lo, mid, 1 - axis, p, best);
        else
            search(mid + 1, hi, 1 - axis, p, best);
        if (diff * diff <= best.d2) {
            if (left_first)
                search(mid + 1, hi, 1 - axis, p, best);
            else
                search(lo, mid, 1 - axis, p, best);
        }
    }

    std::vector<Node> m_nodes;
};

// ---- Voronoi edges ----

BBox bbox_of_region(const MultiPolygon& region) {
    BBox box;
    for (const auto& p : region.polygons)
        for (const auto& r : p.rings)
            for (const auto& c : r)
                box.extend(c);
    return box;
}

// A cell of the near-duplicate grid.
struct Cell {
    std::int64_t x;
    std::int64_t y;
    friend bool operator==(const Cell&, const Cell&) = default;
};
struct CellHash {
    std::size_t operator()(const Cell& c) const noexcept {
        return std::hash<std::uint64_t>{}(static_cast<std::uint64_t>(c.x) * 0x9E3779B97F4A7C15ULL ^
                                          static_cast<std::uint64_t>(c.y));
    }
};

// Indices (ascending) of the generators that count: covered by the region, and not within
// `tolerance` of an earlier one that counts (equal ones included).
std::vector<std::size_t> kept_generators(std::span<const LonLat> generators,
                                         const GEOSPreparedGeometry* region, double tolerance) {
    auto* ctx = detail::geos_context();
    std::vector<std::size_t> kept;
    for (std::size_t i = 0; i < generators.size(); ++i) {
        GeomPtr point = detail::to_geos_point(generators[i]);
        if (predicate(GEOSPreparedCovers_r(ctx, region, point.get()), "prepared covers"))
            kept.push_back(i);
    }

    // Near-duplicates: a hash grid of tolerance-sized cells, searched 3 x 3 around each site.
    // Cell indices stay far inside int64: kept sites lie in the region, and the tolerance is at
    // least 1e-12 of its largest coordinate.
    std::unordered_map<Cell, std::vector<std::size_t>, CellHash> grid;
    std::vector<std::size_t> distinct;
    for (std::size_t i : kept) {
        const LonLat& p = generators[i];
        Cell c{static_cast<std::int64_t>(std::floor(p.lon / tolerance)),
               static_cast<std::int64_t>(std::floor(p.lat / tolerance))};
        bool near = false;
        for (std::int64_t dx = -1; dx <= 1 && !near; ++dx)
            for (std::int64_t dy = -1; dy <= 1 && !near; ++dy) {
                auto it = grid.find({c.x + dx, c.y + dy});
                if (it == grid.end())
                    continue;
                for (std::size_t j : it->second)
                    if (std::hypot(p.lon - generators[j].lon, p.lat - generators[j].lat) <=
                        tolerance)
                        near = true;
            }
        if (!near) {
            grid[c].push_back(i);
            distinct.push_back(i);
        }
    }
    return distinct;
}

GeomPtr multipoint_of(const std::vector<LonLat>& sites) {
    std::vector<GeomPtr> points;
    points.reserve(sites.size());
    for (const auto& s : sites)
        points.push_back(detail::to_geos_point(s));
    return collection(GEOS_MULTIPOINT, std::move(points));
}

struct Edge {
    LonLat a;
    LonLat b;
};

// The circumcentre of a triangle, computed relative to `a` in extended precision; not finite
// for a degenerate (collinear) triangle.
LonLat circumcentre(LonLat a, LonLat b, LonLat c) {
    long double bx = static_cast<long double>(b.lon) - a.lon;
    long double by = static_cast<long double>(b.lat) - a.lat;
    long double cx = static_cast<long double>(c.lon) - a.lon;
    long double cy = static_cast<long double>(c.lat) - a.lat;
    long double d = 2 * (bx * cy - by * cx);
    long double b2 = bx * bx + by * by;
    long double c2 = cx * cx + cy * cy;
    return {static_cast<double>(a.lon + (cy * b2 - by * c2) / d),
            static_cast<double>(a.lat + (bx * c2 - cx * b2) / d)};
}

bool finite(LonLat p) {
    return std::isfinite(p.lon) && std::isfinite(p.lat);
}

// Disjoint sets of triangles whose circumcentres are one Voronoi vertex.
class TriangleSets {
public:
    explicit TriangleSets(std::size_t n)
        : m_parent(n) {
        std::iota(m_parent.begin(), m_parent.end(), std::uint32_t{0});
    }
    std::uint32_t find(std::uint32_t t) {
        while (m_parent[t] != t)
            t = m_parent[t] = m_parent[m_parent[t]];
        return t;
    }
    void unite(std::uint32_t a, std::uint32_t b) {
        a = find(a);
        b = find(b);
        if (a != b)
            m_parent[std::max(a, b)] = std::min(a, b); // the lowest triangle represents the set
    }

private:
    std::vector<std::uint32_t> m_parent;
};

// A point on the ray from `from` along the unit vector (dx, dy) that is certainly outside `frame`.
LonLat beyond(LonLat from, double dx, double dy, const BBox& frame) {
    double cx = (frame.min_x + frame.max_x) / 2;
    double cy = (frame.min_y + frame.max_y) / 2;
    double reach = std::hypot(from.lon - cx, from.lat - cy) +
                   std::hypot(frame.max_x - frame.min_x, frame.max_y - frame.min_y) + 1;
    return {from.lon + dx * reach, from.lat + dy * reach};
}

// The Voronoi edges of distinct `sites`, from GEOS's Delaunay triangulation: for each Delaunay
// edge between two triangles, the segment joining their circumcentres; for each edge on the hull,
// the ray from its triangle's circumcentre outwards, cut beyond `frame`. Each circumcentre is
// computed once and shared by all its edges, so the edges meet exactly. Circumcentres of
// neighbouring triangles that coincide up to rounding (four or more cocircular sites, common
// with rounded coordinates) are merged into one vertex instead of leaving micro-edges.
// Collinear sites (no triangles) give the parallel bisectors. Returns no edges when a triangle is
// degenerate; the caller then uses GEOS's own diagram.
std::vector<Edge> voronoi_edges(const std::vector<LonLat>& sites, const BBox& frame) {
    auto* ctx = detail::geos_context();
    std::vector<Edge> edges;
    GeomPtr triangles = detail::own(
        GEOSDelaunayTriangulation_r(ctx, multipoint_of(sites).get(), 0.0, 0), "triangulation");
    auto count = static_cast<std::uint32_t>(GEOSGetNumGeometries_r(ctx, triangles.get()));

    if (count == 0) { // collinear: consecutive sites along the line share a bisector
        std::vector<LonLat> line = sites;
        std::sort(line.begin(), line.end(), [](LonLat p, LonLat q) {
            return std::tie(p.lon, p.lat) < std::tie(q.lon, q.lat);
        });
        for (std::size_t i = 0; i + 1 < line.size(); ++i) {
            LonLat p = line[i], q = line[i + 1];
            LonLat mid{(p.lon + q.lon) / 2, (p.lat + q.lat) / 2};
            double len = std::hypot(q.lon - p.lon, q.lat - p.lat);
            double dx = -(q.lat - p.lat) / len, dy = (q.lon - p.lon) / len;
            edges.push_back({beyond(mid, -dx, -dy, frame), beyond(mid, dx, dy, frame)});
        }
        return edges;
    }

    std::unordered_map<CoordKey, std::uint32_t, CoordKeyHash> site_of;
    site_of.reserve(sites.size());
    for (std::uint32_t i = 0; i < sites.size(); ++i)
        site_of.emplace(key_of(sites[i].lon, sites[i].lat), i);
    std::vector<std::array<std::uint32_t, 3>> corners(count);
    std::vector<LonLat> centre(count);
    for (std::uint32_t t = 0; t < count; ++t) {
        const GEOSGeometry* ring = GEOSGetExteriorRing_r(
            ctx, GEOSGetGeometryN_r(ctx, triangles.get(), static_cast<int>(t)));
        const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, ring);
        for (unsigned k = 0; k < 3; ++k) {
            double x = 0, y = 0;
            GEOSCoordSeq_getXY_r(ctx, seq, k, &x, &y);
            auto it = site_of.find(key_of(x, y));
            if (it == site_of.end())
                return {}; // not expected: GEOS keeps the sites' coordinates
            corners[t][k] = it->second;
        }
        centre[t] = circumcentre(sites[corners[t][0]], sites[corners[t][1]], sites[corners[t][2]]);
        if (!finite(centre[t]))
            return {};
    }

    // Each Delaunay edge (pair of sites) and the triangles on its two sides.
    constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
    struct Sides {
        std::uint32_t first = none;
        std::uint32_t second = none;
    };
    auto edge_key = [](std::uint32_t a, std::uint32_t b) {
        return (std::uint64_t{std::min(a, b)} << 32) | std::max(a, b);
    };
    std::unordered_map<std::uint64_t, Sides> sides;
    sides.reserve(std::size_t{count} * 2);
    for (std::uint32_t t = 0; t < count; ++t)
        for (unsigned k = 0; k < 3; ++k) {
            Sides& s = sides[edge_key(corners[t][k], corners[t][(k + 1) % 3])];
            (s.first == none ? s.first : s.second) = t;
        }

    TriangleSets vertex(count);
    for (const auto& [key, s] : sides) {
        if (s.second == none)
            continue;
        const LonLat& p = sites[key >> 32];
        const LonLat& q = sites[key & 0xffffffffU];
        double gap = std::hypot(centre[s.first].lon - centre[s.second].lon,
                                centre[s.first].lat - centre[s.second].lat);
        if (gap <= 1e-9 * std::hypot(q.lon - p.lon, q.lat - p.lat))
            vertex.unite(s.first, s.second);
    }

    // Emitted in triangle order (deterministic), each Delaunay edge once and each pair of
    // (merged) Voronoi vertices once.
    edges.reserve(std::size_t{count} * 3 / 2 + 3);
    std::unordered_set<std::uint64_t> joined_vertices;
    joined_vertices.reserve(std::size_t{count} * 2);
    for (std::uint32_t t = 0; t < count; ++t) {
        for (unsigned k = 0; k < 3; ++k) {
            std::uint32_t a = corners[t][k], b = corners[t][(k + 1) % 3];
            const Sides& s = sides[edge_key(a, b)];
            if (s.first != t)
                continue;
            std::uint32_t here = vertex.find(t);
            LonLat from = centre[here];
            if (s.second != none) {
                std::uint32_t there = vertex.find(s.second);
                LonLat to = centre[there];
                if (!(from == to) && joined_vertices.insert(edge_key(here, there)).second)
                    edges.push_back({from, to});
                continue;
            }
            // Hull edge: the ray leaves on the side away from the triangle's third corner.
            const LonLat& p = sites[a];
            const LonLat& q = sites[b];
            const LonLat& r = sites[corners[t][(k + 2) % 3]];
            double len = std::hypot(q.lon - p.lon, q.lat - p.lat);
            double dx = -(q.lat - p.lat) / len, dy = (q.lon - p.lon) / len;
            if (dx * (r.lon - p.lon) + dy * (r.lat - p.lat) > 0) {
                dx = -dx;
                dy = -dy;
            }
            edges.push_back({from, beyond(from, dx, dy, frame)});
        }
    }
    return edges;
}

std::vector<GeomPtr> lines_of(const std::vector<Edge>& edges) {
    auto* ctx = detail::geos_context();
    std::vector<GeomPtr> lines;
    lines.reserve(edges.size());
    for (const auto& e : edges) {
        GEOSCoordSequence* seq = GEOSCoordSeq_create_r(ctx, 2, 2);
        if (!seq)
            throw Error(ErrorCode::internal, "GEOS: cannot create coordinate sequence");
        GEOSCoordSeq_setXY_r(ctx, seq, 0, e.a.lon, e.a.lat);
        GEOSCoordSeq_setXY_r(ctx, seq, 1, e.b.lon, e.b.lat);
        lines.push_back(detail::own(GEOSGeom_createLineString_r(ctx, seq), "line"));
    }
    return lines;
}

// GEOS's own Voronoi diagram (edges, noded together and clipped to a frame around `frame`):
// slower, used only when the triangulation gives a degenerate triangle.
std::vector<GeomPtr> geos_voronoi_lines(const std::vector<LonLat>& sites, const BBox& frame) {
    auto* ctx = detail::geos_context();
    double margin = 0.1 * std::max(frame.max_x - frame.min_x, frame.max_y - frame.min_y) + 1e-9;
    GeomPtr rectangle =
        detail::own(GEOSGeom_createRectangle_r(ctx, frame.min_x - margin, frame.min_y - margin,
                                               frame.max_x + margin, frame.max_y + margin),
                    "rectangle");
    GeomPtr edges =
        detail::own(GEOSVoronoiDiagram_r(ctx, multipoint_of(sites).get(), rectangle.get(), 0.0, 1),
                    "Voronoi diagram");
    std::vector<GeomPtr> lines;
    for_each_line(edges.get(), [&](const GEOSGeometry* line) { lines.push_back(clone(line)); });
    return lines;
}

// ---- the arrangement ----

// The faces (polygons, inside and outside the region) of the arrangement of `lines` and the
// region's rings. With `node_all`, everything is noded together by GEOSUnaryUnion_r, which
// computes each intersection once. Otherwise, to save most of that work, only the lines that
// touch the region's boundary are noded with it, the lines strictly inside are used as they are
// and the lines entirely outside are dropped; that is right when lines meet only at shared end
// points, as Voronoi edges do. `*joined` is false when the noding moved an end point that an
// inside line needs (GEOS falls back to snapping on hard input): the faces are then not
// trustworthy. Inside lines that cross each other (not noded) make self-intersecting rings,
// which the polygonizer drops: the caller sees the missing area.
GeomPtr arrangement_faces(std::vector<GeomPtr> lines, const GEOSGeometry* region,
                          const GEOSPreparedGeometry* prepared, bool node_all, bool* joined) {
    auto* ctx = detail::geos_context();
    std::vector<GeomPtr> inside;
    std::vector<GeomPtr> touching;
    if (node_all) {
        touching = std::move(lines);
    } else {
        for (auto& line : lines) {
            if (predicate(GEOSPreparedContainsProperly_r(ctx, prepared, line.get()),
                          "prepared contains properly"))
                inside.push_back(std::move(line));
            else if (predicate(GEOSPreparedIntersects_r(ctx, prepared, line.get()),
                               "prepared intersects"))
                touching.push_back(std::move(line));
        }
    }

    // End points shared by an inside and a touching line: the noded lines must keep them.
    CoordSet inside_ends;
    for (const auto& line : inside)
        for_each_vertex(line.get(), false,
                        [&](double x, double y) { inside_ends.insert(key_of(x, y)); });
    std::vector<CoordKey> joins;
    for (const auto& line : touching)
        for_each_vertex(line.get(), false, [&](double x, double y) {
            if (inside_ends.count(key_of(x, y)))
                joins.push_back(key_of(x, y));
        });

    GeomPtr boundary = detail::own(GEOSBoundary_r(ctx, region), "boundary");
    for_each_line(boundary.get(),
                  [&](const GEOSGeometry* ring) { touching.push_back(clone(ring)); });
    GeomPtr noded = detail::own(
        GEOSUnaryUnion_r(ctx, collection(GEOS_MULTILINESTRING, std::move(touching)).get()),
        "noding");

    CoordSet noded_ends;
    if (!joins.empty())
        for_each_line(noded.get(), [&](const GEOSGeometry* line) {
            for_each_vertex(line, true,
                            [&](double x, double y) { noded_ends.insert(key_of(x, y)); });
        });
    *joined = std::all_of(joins.begin(), joins.end(),
                          [&](const CoordKey& k) { return noded_ends.count(k) > 0; });

    std::vector<const GEOSGeometry*> linework;
    linework.reserve(inside.size() + 1);
    for (const auto& line : inside)
        linework.push_back(line.get());
    linework.push_back(noded.get());
    return detail::own(
        GEOSPolygonize_r(ctx, linework.data(), static_cast<unsigned>(linework.size())),
        "polygonize");
}

MultiPolygon to_multi_polygon(const GEOSGeometry* g) {
    return as_multi_polygon(detail::from_geos(g));
}

GeomPtr coverage_union_of(std::vector<GeomPtr> polygons) {
    auto* ctx = detail::geos_context();
    GeomPtr all = collection(GEOS_MULTIPOLYGON, std::move(polygons));
    GEOSGeometry* result = GEOSCoverageUnion_r(ctx, all.get());
    if (!result)
        throw Error(ErrorCode::invalid_geometry,
                    "coverage union: parts are not an exact coverage: " +
                        detail::geos_last_error());
    return GeomPtr(result);
}

} // namespace

VoronoiPartition voronoi_partition(std::span<const LonLat> generators, const MultiPolygon& region) {
    auto* ctx = detail::geos_context();
    VoronoiPartition out;
    out.cells.resize(generators.size());
    for (std::size_t i = 0; i < generators.size(); ++i)
        if (!std::isfinite(generators[i].lon) || !std::isfinite(generators[i].lat))
            throw Error(ErrorCode::invalid_argument,
                        "voronoi_partition: generator " + std::to_string(i) + " is not finite");

    GeomPtr area = detail::to_geos(Geometry{region});
    require_valid(area.get());
    if (GEOSisEmpty_r(ctx, area.get()))
        return out;
    PreparedPtr prepared(GEOSPrepare_r(ctx, area.get()));
    if (!prepared)
        throw Error(ErrorCode::internal, "GEOS prepare: " + detail::geos_last_error());

    BBox frame = bbox_of_region(region);
    double largest = std::max({std::abs(frame.min_x), std::abs(frame.max_x), std::abs(frame.min_y),
                               std::abs(frame.max_y)});
    double tolerance = 1e-9 * std::hypot(frame.max_x - frame.min_x, frame.max_y - frame.min_y) +
                       1e-12 * largest + std::numeric_limits<double>::min();
    std::vector<std::size_t> kept = kept_generators(generators, prepared.get(), tolerance);
    if (kept.empty())
        return out;
    if (kept.size() == 1) {
        out.cells[kept[0]] = region;
        return out;
    }
    std::vector<LonLat> sites;
    sites.reserve(kept.size());
    for (std::size_t k : kept)
        sites.push_back(generators[k]);
    double region_area = 0;
    if (!GEOSArea_r(ctx, area.get(), &region_area))
        throw Error(ErrorCode::internal, "GEOS area: " + detail::geos_last_error());
    NearestSite nearest(sites);
    std::vector<Edge> edges = voronoi_edges(sites, frame);

    // The fast way first; the slower ones only if a check fails (hard, near-degenerate input).
    struct Attempt {
        bool geos_diagram;
        bool node_all;
    };
    for (Attempt attempt : {Attempt{false, false}, Attempt{false, true}, Attempt{true, true}}) {
        if (!attempt.geos_diagram && edges.empty())
            continue;
        bool joined = true;
        GeomPtr faces = arrangement_faces(attempt.geos_diagram ? geos_voronoi_lines(sites, frame)
                                                               : lines_of(edges),
                                          area.get(), prepared.get(), attempt.node_all, &joined);
        if (!joined)
            continue;

        // Each face lies in one Voronoi cell (the region's rings only cut cells further), so
        // the generator nearest to any interior point of the face owns it.
        std::vector<std::vector<const GEOSGeometry*>> faces_of(sites.size());
        double covered = 0;
        int n = GEOSGetNumGeometries_r(ctx, faces.get());
        for (int i = 0; i < n; ++i) {
            const GEOSGeometry* face = GEOSGetGeometryN_r(ctx, faces.get(), i);
            GeomPtr inner = detail::own(GEOSPointOnSurface_r(ctx, face), "point on surface");
            if (!predicate(GEOSPreparedContains_r(ctx, prepared.get(), inner.get()),
                           "prepared contains"))
                continue; // outside the region or in one of its holes
            double face_area = 0;
            GEOSArea_r(ctx, face, &face_area);
            covered += face_area;
            faces_of[nearest.nearest(point_of(inner.get()))].push_back(face);
        }
        bool complete =
            std::abs(covered - region_area) <= 1e-9 * region_area &&
            std::none_of(faces_of.begin(), faces_of.end(), [](const auto& f) { return f.empty(); });
        if (!complete)
            continue;

        for (std::size_t s = 0; s < sites.size(); ++s) {
            const auto& own_faces = faces_of[s];
            if (own_faces.size() == 1) {
                out.cells[kept[s]] = to_multi_polygon(own_faces[0]);
                continue;
            }
            std::vector<GeomPtr> parts;
            parts.reserve(own_faces.size());
            for (const auto* face : own_faces)
                parts.push_back(clone(face));
            out.cells[kept[s]] = to_multi_polygon(coverage_union_of(std::move(parts)).get());
        }
        return out;
    }
    throw Error(ErrorCode::internal,
                "voronoi_partition: no consistent arrangement of the Voronoi edges and the region");
}

MultiPolygon coverage_union(std::span<const MultiPolygon> parts) {
    std::vector<const MultiPolygon*> non_empty;
    for (const auto& p : parts)
        if (!p.polygons.empty())
            non_empty.push_back(&p);
    if (non_empty.empty())
        return {};
    if (non_empty.size() == 1)
        return *non_empty[0];
    std::vector<GeomPtr> polygons;
    for (const auto* part : non_empty)
        for (const auto& polygon : part->polygons)
            polygons.push_back(detail::to_geos(polygon));
    GeomPtr merged = coverage_union_of(std::move(polygons));
    // GEOS 3.11 only cancels identical segments and compares areas: parts that cross or overlap
    // without sharing vertices come back as overlapping rings, i.e. an invalid MultiPolygon.
    char valid = GEOSisValid_r(detail::geos_context(), merged.get());
    if (valid != 1)
        throw Error(valid == 0 ? ErrorCode::invalid_geometry : ErrorCode::internal,
                    "coverage union: parts overlap or are not noded to each other");
    return to_multi_polygon(merged.get());
}

} // namespace tessera::geo
