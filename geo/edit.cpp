#include "geo/edit.hpp"

#include "geo/detail/geos.hpp"
#include "geo/detail/vertex_key.hpp"
#include "geo/error.hpp"
#include "geo/ops.hpp"
#include "geo/partition.hpp"
#include "geo/validate.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <unordered_set>

namespace tessera::geo {
namespace {

using detail::GeomPtr;

double dist2(LonLat a, LonLat b) {
    const double dx = a.lon - b.lon, dy = a.lat - b.lat;
    return dx * dx + dy * dy;
}

// The point of segment ab nearest to p, as the parameter t in [0, 1] along it.
double nearest_on_segment(LonLat p, LonLat a, LonLat b) {
    const double dx = b.lon - a.lon, dy = b.lat - a.lat;
    const double len2 = dx * dx + dy * dy;
    if (len2 == 0)
        return 0;
    return std::clamp(((p.lon - a.lon) * dx + (p.lat - a.lat) * dy) / len2, 0.0, 1.0);
}

LonLat at(LonLat a, LonLat b, double t) {
    return {a.lon + t * (b.lon - a.lon), a.lat + t * (b.lat - a.lat)};
}

BBox grown(BBox b, double by) {
    b.min_x -= by;
    b.min_y -= by;
    b.max_x += by;
    b.max_y += by;
    return b;
}

BBox box_of(const MultiPolygon& mp) {
    return bbox_of(Geometry{mp});
}

template <class F>
void for_each_edge(const MultiPolygon& mp, F&& f) {
    for (const auto& poly : mp.polygons)
        for (const auto& ring : poly.rings)
            for (std::size_t i = 0; i + 1 < ring.size(); ++i)
                f(ring[i], ring[i + 1]);
}

// Drops repeated consecutive vertices (two that snapped to one point).
void drop_repeats(std::vector<LonLat>& points) {
    points.erase(std::unique(points.begin(), points.end(),
                             [](LonLat a, LonLat b) { return a.lon == b.lon && a.lat == b.lat; }),
                 points.end());
}

// Where `p` snaps to among `others` within `snap`: the nearest vertex, else the nearest point
// on an edge.
LonLat snap_point(LonLat p, std::span<const MultiPolygon> others, std::span<const BBox> boxes,
                  double snap) {
    const double limit = snap * snap;
    std::optional<LonLat> vertex, on_edge;
    double best_vertex = limit, best_edge = limit;
    for (std::size_t j = 0; j < others.size(); ++j) {
        if (!boxes[j].contains(p))
            continue;
        for_each_edge(others[j], [&](LonLat a, LonLat b) {
            if (const double d = dist2(p, a); d <= best_vertex) {
                best_vertex = d;
                vertex = a;
            }
            const LonLat q = at(a, b, nearest_on_segment(p, a, b));
            if (const double d = dist2(p, q); d <= best_edge) {
                best_edge = d;
                on_edge = q;
            }
        });
    }
    return vertex ? *vertex : on_edge ? *on_edge : p;
}

std::vector<BBox> boxes_of(std::span<const MultiPolygon> polygons, double grow) {
    std::vector<BBox> boxes;
    boxes.reserve(polygons.size());
    for (const auto& p : polygons)
        boxes.push_back(grown(box_of(p), grow));
    return boxes;
}

void require_valid(const MultiPolygon& mp, const char* what) {
    if (mp.polygons.empty())
        throw Error(ErrorCode::invalid_geometry, std::string(what) + " is empty");
    if (auto problem = find_problem(Geometry{mp}, false))
        throw Error(ErrorCode::invalid_geometry,
                    std::string(what) + " is not valid: " + problem->message);
}

void require_index(std::span<const MultiPolygon> polygons, std::size_t i) {
    if (i >= polygons.size())
        throw Error(ErrorCode::invalid_argument, "polygon #" + std::to_string(i) +
                                                     " is not among the " +
                                                     std::to_string(polygons.size()) + " given");
}

// The length of mp's boundary that runs along `other`'s boundary (edges whose midpoint lies on
// one of other's edges).
double shared_border(const MultiPolygon& mp, const MultiPolygon& other) {
    const BBox box = grown(box_of(other), edit_tolerance);
    double length = 0;
    for_each_edge(mp, [&](LonLat a, LonLat b) {
        const LonLat m = at(a, b, 0.5);
        if (!box.contains(m))
            return;
        bool on = false;
        for_each_edge(other, [&](LonLat c, LonLat d) {
            on = on ||
                 dist2(m, at(c, d, nearest_on_segment(m, c, d))) <= edit_tolerance * edit_tolerance;
        });
        if (on)
            length += std::sqrt(dist2(a, b));
    });
    return length;
}

// The faces into which `line` cuts `region`, largest first. Fewer than two: it does not cut.
std::vector<MultiPolygon> cut(const MultiPolygon& region, const LineString& line) {
    auto* ctx = detail::geos_context();
    GeomPtr area = detail::to_geos(Geometry{region});
    GeomPtr boundary = detail::own(GEOSBoundary_r(ctx, area.get()), "boundary");
    GeomPtr cutter = detail::to_geos(Geometry{line});
    GeomPtr both = detail::own(GEOSUnion_r(ctx, boundary.get(), cutter.get()), "noding");
    const GEOSGeometry* linework[] = {both.get()};
    GeomPtr faces = detail::own(GEOSPolygonize_r(ctx, linework, 1), "polygonize");
    std::vector<MultiPolygon> out;
    for (auto& polygon : as_multi_polygon(detail::from_geos(faces.get())).polygons) {
        MultiPolygon face{{std::move(polygon)}};
        if (covers(Geometry{region}, point_on_surface(Geometry{face})))
            out.push_back(std::move(face));
    }
    std::stable_sort(out.begin(), out.end(), [](const MultiPolygon& a, const MultiPolygon& b) {
        return planar_area(Geometry{a}) > planar_area(Geometry{b});
    });
    return out;
}

using VertexSet = std::unordered_set<detail::VertexKey, detail::VertexKeyHash>;
std::vector<bool> node(std::span<MultiPolygon> polygons, const std::vector<bool>& fixed,
                       double tolerance, const VertexSet* old_vertices);
VertexSet vertices_of(std::span<const MultiPolygon> polygons);

// Finishes an edit: `work` holds the new shapes (nullopt: removed) of the input polygons, then
// the created ones. The polygons it changed give up their near-miss vertices to the unchanged
// ones and every shared boundary is noded; each changed shape must be valid.
Edit finish(std::span<const MultiPolygon> original, std::vector<std::optional<MultiPolygon>> work) {
    std::vector<MultiPolygon> shapes;
    std::vector<std::size_t> slot; // index into work of each shape
    std::vector<bool> fixed;
    for (std::size_t i = 0; i < work.size(); ++i)
        if (work[i]) {
            slot.push_back(i);
            fixed.push_back(i < original.size() && *work[i] == original[i]);
            shapes.push_back(std::move(*work[i]));
        }
    const VertexSet old = vertices_of(original);
    node(shapes, fixed, edit_tolerance, &old);
    for (std::size_t k = 0; k < shapes.size(); ++k)
        work[slot[k]] = std::move(shapes[k]);

    Edit edit;
    for (std::size_t i = 0; i < work.size(); ++i) {
        if (i < original.size() && !work[i]) {
            edit.removed.push_back(i);
            continue;
        }
        if (i < original.size() && *work[i] == original[i])
            continue;
        require_valid(*work[i], i < original.size() ? "an edited polygon" : "a new polygon");
        if (i < original.size())
            edit.changed.emplace_back(i, std::move(*work[i]));
        else
            edit.created.push_back(std::move(*work[i]));
    }
    return edit;
}

std::vector<std::optional<MultiPolygon>> copy_of(std::span<const MultiPolygon> polygons) {
    return {polygons.begin(), polygons.end()};
}

} // namespace

MultiPolygon snapped(const MultiPolygon& shape, std::span<const MultiPolygon> others, double snap) {
    if (snap <= 0)
        return shape;
    const auto boxes = boxes_of(others, snap);
    MultiPolygon out = shape;
    for (auto& poly : out.polygons)
        for (auto& ring : poly.rings) {
            for (auto& p : ring)
                p = snap_point(p, others, boxes, snap);
            drop_repeats(ring);
        }
    return out;
}

LineString snapped(const LineString& line, std::span<const MultiPolygon> others, double snap) {
    if (snap <= 0)
        return line;
    const auto boxes = boxes_of(others, snap);
    LineString out = line;
    for (auto& p : out.points)
        p = snap_point(p, others, boxes, snap);
    drop_repeats(out.points);
    return out;
}

namespace {

// node_shared_vertices, where a vertex in `old_vertices` (one the polygons had before the edit)
// is inserted only into the edges of polygons that are not fixed: an edit nodes what it made,
// not near misses it found between its neighbours.
std::vector<bool> node(std::span<MultiPolygon> polygons, const std::vector<bool>& fixed,
                       double tolerance, const VertexSet* old_vertices) {
    const std::size_t n = polygons.size();
    const double tol2 = tolerance * tolerance;
    std::vector<bool> changed(n, false);

    // Near misses take the fixed polygons' coordinates.
    auto boxes = boxes_of(polygons, tolerance);
    for (std::size_t i = 0; i < n; ++i) {
        if (fixed[i])
            continue;
        for (auto& poly : polygons[i].polygons)
            for (auto& ring : poly.rings)
                for (auto& p : ring)
                    for (std::size_t j = 0; j < n; ++j) {
                        if (!fixed[j] || !boxes[j].contains(p))
                            continue;
                        for_each_edge(polygons[j], [&](LonLat a, LonLat) {
                            if ((a.lon != p.lon || a.lat != p.lat) && dist2(a, p) <= tol2) {
                                p = a;
                                changed[i] = true;
                            }
                        });
                    }
    }

    // Every vertex lying on another polygon's edge becomes a vertex of that edge.
    boxes = boxes_of(polygons, tolerance);
    std::vector<std::vector<LonLat>> vertices(n);
    for (std::size_t j = 0; j < n; ++j) {
        for_each_edge(polygons[j], [&](LonLat a, LonLat) { vertices[j].push_back(a); });
        std::sort(vertices[j].begin(), vertices[j].end(), [](LonLat a, LonLat b) {
            return a.lon < b.lon || (a.lon == b.lon && a.lat < b.lat);
        });
        drop_repeats(vertices[j]);
    }
    for (std::size_t i = 0; i < n; ++i)
        for (auto& poly : polygons[i].polygons)
            for (auto& ring : poly.rings) {
                Ring out;
                out.reserve(ring.size());
                std::vector<std::pair<double, LonLat>> inserted;
                for (std::size_t k = 0; k + 1 < ring.size(); ++k) {
                    const LonLat a = ring[k], b = ring[k + 1];
                    out.push_back(a);
                    const BBox edge_box =
                        grown(BBox{std::min(a.lon, b.lon), std::min(a.lat, b.lat),
                                   std::max(a.lon, b.lon), std::max(a.lat, b.lat)},
                              tolerance);
                    inserted.clear();
                    for (std::size_t j = 0; j < n; ++j) {
                        // Two fixed polygons are left as they were: not this edit's business.
                        if (j == i || (fixed[i] && fixed[j]) || !boxes[j].intersects(edge_box))
                            continue;
                        for (const LonLat v : vertices[j]) {
                            if (!edge_box.contains(v) || dist2(v, a) <= tol2 || dist2(v, b) <= tol2)
                                continue;
                            if (fixed[i] && old_vertices &&
                                old_vertices->contains(detail::vertex_key(v)))
                                continue;
                            const double t = nearest_on_segment(v, a, b);
                            if (t > 0 && t < 1 && dist2(v, at(a, b, t)) <= tol2)
                                inserted.emplace_back(t, v);
                        }
                    }
                    if (inserted.empty())
                        continue;
                    std::sort(inserted.begin(), inserted.end(),
                              [](const auto& x, const auto& y) { return x.first < y.first; });
                    for (const auto& [t, v] : inserted)
                        out.push_back(v);
                    changed[i] = true;
                }
                out.push_back(ring.back());
                drop_repeats(out);
                ring = std::move(out);
            }
    return changed;
}

VertexSet vertices_of(std::span<const MultiPolygon> polygons) {
    VertexSet out;
    for (const auto& mp : polygons)
        for_each_edge(mp, [&](LonLat a, LonLat) { out.insert(detail::vertex_key(a)); });
    return out;
}

} // namespace

std::vector<bool> node_shared_vertices(std::span<MultiPolygon> polygons,
                                       const std::vector<bool>& fixed, double tolerance) {
    return node(polygons, fixed, tolerance, nullptr);
}

Edit move_vertex(std::span<const MultiPolygon> polygons, LonLat from, LonLat to, double tolerance) {
    auto work = copy_of(polygons);
    bool found = false;
    for (auto& mp : work)
        for (auto& poly : mp->polygons)
            for (auto& ring : poly.rings)
                for (auto& p : ring)
                    if (dist2(p, from) <= tolerance * tolerance) {
                        p = to;
                        found = true;
                    }
    if (!found)
        throw Error(ErrorCode::invalid_argument, "no polygon has a vertex at (" +
                                                     std::to_string(from.lon) + ", " +
                                                     std::to_string(from.lat) + ")");
    for (auto& mp : work)
        for (auto& poly : mp->polygons)
            for (auto& ring : poly.rings)
                drop_repeats(ring); // a vertex dragged onto its neighbour
    return finish(polygons, std::move(work));
}

Edit reshape(std::span<const MultiPolygon> polygons, std::size_t target, const MultiPolygon& shape,
             double snap) {
    require_index(polygons, target);
    MultiPolygon s = snapped(shape, polygons, snap);
    require_valid(s, "the new shape");
    const BBox box = box_of(s);
    auto work = copy_of(polygons);
    for (std::size_t j = 0; j < polygons.size(); ++j) {
        if (j == target || !box.intersects(box_of(polygons[j])))
            continue;
        MultiPolygon rest = as_multi_polygon(difference(Geometry{polygons[j]}, Geometry{s}));
        if (rest.polygons.empty())
            work[j].reset();
        else if (planar_area(Geometry{rest}) < planar_area(Geometry{polygons[j]}))
            work[j] = std::move(rest);
    }
    const MultiPolygon released =
        as_multi_polygon(difference(Geometry{polygons[target]}, Geometry{s}));
    for (const auto& piece : released.polygons) {
        const MultiPolygon p{{piece}};
        std::optional<std::size_t> best;
        double longest = 0;
        for (std::size_t j = 0; j < polygons.size(); ++j) {
            if (j == target || !work[j])
                continue;
            if (const double l = shared_border(p, polygons[j]); l > longest) {
                longest = l;
                best = j;
            }
        }
        if (best)
            work[*best] = unary_union(std::vector{*work[*best], p}); // nodes the near misses
    }
    work[target] = std::move(s);
    return finish(polygons, std::move(work));
}

Edit carve(std::span<const MultiPolygon> polygons, const MultiPolygon& shape, double snap) {
    std::vector<MultiPolygon> with_new(polygons.begin(), polygons.end());
    with_new.push_back(MultiPolygon{});
    // Carving is reshaping a polygon that had no area: nothing is released.
    Edit edit = reshape(with_new, with_new.size() - 1, shape, snap);
    if (edit.changed.empty() || edit.changed.back().first != polygons.size())
        throw Error(ErrorCode::invalid_argument, "the new shape has no area");
    edit.created.push_back(std::move(edit.changed.back().second));
    edit.changed.pop_back();
    return edit;
}

Edit split(std::span<const MultiPolygon> polygons, std::size_t target, const LineString& line,
           double snap) {
    require_index(polygons, target);
    const LineString l = snapped(line, polygons, snap);
    if (l.points.size() < 2)
        throw Error(ErrorCode::invalid_argument, "a split line needs two points or more");
    auto pieces = cut(polygons[target], l);
    if (pieces.size() < 2)
        throw Error(ErrorCode::invalid_argument,
                    "the line does not cut the polygon: it must cross it from one side to another");
    auto work = copy_of(polygons);
    work[target] = std::move(pieces[0]);
    for (std::size_t k = 1; k < pieces.size(); ++k)
        work.emplace_back(std::move(pieces[k]));
    return finish(polygons, std::move(work));
}

Edit merge(std::span<const MultiPolygon> polygons, std::span<const std::size_t> parts) {
    if (parts.size() < 2)
        throw Error(ErrorCode::invalid_argument, "a merge needs two polygons or more");
    std::vector<MultiPolygon> noded(polygons.begin(), polygons.end());
    std::vector<bool> fixed(noded.size(), true);
    for (std::size_t k : parts) {
        require_index(polygons, k);
        fixed[k] = false;
    }
    const VertexSet old = vertices_of(polygons);
    node(noded, fixed, edit_tolerance, &old);
    std::vector<MultiPolygon> chosen;
    std::size_t pieces = 0;
    for (std::size_t k = 0; k < parts.size(); ++k) {
        require_index(polygons, parts[k]);
        if (std::find(parts.begin(), parts.begin() + k, parts[k]) != parts.begin() + k)
            throw Error(ErrorCode::invalid_argument, "a polygon is named twice in a merge");
        chosen.push_back(noded[parts[k]]);
        pieces += chosen.back().polygons.size();
    }
    MultiPolygon all;
    try {
        all = coverage_union(chosen);
    } catch (const Error&) {
        all = unary_union(chosen); // a near miss GEOS's coverage union refuses
    }
    if (all.polygons.size() + (parts.size() - 1) > pieces)
        throw Error(ErrorCode::invalid_argument,
                    "the polygons to merge are not adjacent: each must share a boundary with "
                    "the others, not just a corner");
    auto work = copy_of(noded);
    work[parts[0]] = std::move(all);
    for (std::size_t k = 1; k < parts.size(); ++k)
        work[parts[k]].reset();
    return finish(polygons, std::move(work));
}

Edit redraw_boundary(std::span<const MultiPolygon> polygons, std::size_t a, std::size_t b,
                     const LineString& line, double snap) {
    require_index(polygons, a);
    require_index(polygons, b);
    if (a == b)
        throw Error(ErrorCode::invalid_argument, "a boundary is between two different polygons");
    const std::size_t pair[] = {a, b};
    Edit merged = merge(polygons, pair);
    const auto united_pair = std::find_if(merged.changed.begin(), merged.changed.end(),
                                          [&](const auto& c) { return c.first == a; });
    const MultiPolygon& both = united_pair->second;
    const LineString l = snapped(line, polygons, snap);
    auto faces = cut(both, l);
    if (faces.size() < 2)
        throw Error(ErrorCode::invalid_argument,
                    "the line does not cut across the two polygons from boundary to boundary");
    std::vector<MultiPolygon> side[2];
    for (auto& face : faces) {
        const double in_a = planar_area(intersection(Geometry{face}, Geometry{polygons[a]}));
        const double in_b = planar_area(intersection(Geometry{face}, Geometry{polygons[b]}));
        side[in_a >= in_b ? 0 : 1].push_back(std::move(face));
    }
    if (side[0].empty() || side[1].empty())
        throw Error(ErrorCode::invalid_argument,
                    "the new boundary would leave one of the two polygons with no area");
    auto work = copy_of(polygons);
    work[a] = coverage_union(side[0]);
    work[b] = coverage_union(side[1]);
    return finish(polygons, std::move(work));
}

} // namespace tessera::geo
