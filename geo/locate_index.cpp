#include "geo/locate_index.hpp"

#include "geo/detail/predicates.hpp"
#include "geo/error.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <span>
#include <tuple>
#include <vector>

namespace tessera::geo {
namespace {

using detail::orient2d_perturbed;
using detail::orient2d_segment_perturbed;

// A cell entry: a polygon id (< 2^31) for a cell inside one polygon, `empty`, or a boundary
// marker with an index (into the sub-cell blocks at the top level, into the payload array at
// the sub-cell level).
constexpr std::uint32_t empty = 0xffffffffu;
constexpr std::uint32_t boundary_bit = 0x80000000u;

// Edges are stored as consecutive vertices of closed rings: edge i runs from vertex i to i+1.
struct Vertices {
    std::vector<LonLat> p;           // x and y side by side: an edge's ends share a cache line
    std::vector<std::uint32_t> poly; // polygon of the edge starting at this vertex
};

// An edge is "west" of the perturbed point q + (e, e^2) and crosses its horizontal line
// (semi-open in y: [min, max)); toggling the parity of its polygon for a ray cast westwards.
inline bool crosses_west_ray(double ax, double ay, double bx, double by, double qx, double qy) {
    if (ay == by)
        return false;
    bool up = ay < by;
    double lo = up ? ay : by, hi = up ? by : ay;
    if (!(qy >= lo && qy < hi))
        return false;
    // q is east of the edge: to the right of the upward-directed edge.
    int s = up ? orient2d_perturbed(ax, ay, bx, by, qx, qy)
               : orient2d_perturbed(bx, by, ax, ay, qx, qy);
    return s < 0;
}

// Segment (p + d) -> (r + d) properly crosses edge a-b (d = (e, e^2)), given the reference
// point's side of the edge (sr = orient2d_perturbed of r against a-b, precomputed at build time):
// most edges leave p and r on the same side, which one orientation test settles.
inline bool segment_crosses_known(double px, double py, double rx, double ry, double ax, double ay,
                                  double bx, double by, int sr) {
    if ((ay > py && ay > ry && by > py && by > ry) || (ay < py && ay < ry && by < py && by < ry))
        return false;
    if ((ax > px && ax > rx && bx > px && bx > rx) || (ax < px && ax < rx && bx < px && bx < rx))
        return false;
    if (orient2d_perturbed(ax, ay, bx, by, px, py) == sr)
        return false;
    return orient2d_segment_perturbed(px, py, rx, ry, ax, ay) !=
           orient2d_segment_perturbed(px, py, rx, ry, bx, by);
}

// A stored local edge is two or three words: its start vertex with two flags, its polygon, and
// for a twin the polygon of the identical edge (the neighbour across a shared edge, stored once:
// the same crossing toggles both). Flags: the side of the reference point, and "twin".
constexpr std::uint32_t side_bit = 0x80000000u;
constexpr std::uint32_t twin_bit = 0x40000000u;
constexpr std::uint32_t vertex_mask = 0x3fffffffu;
inline std::uint32_t edge_vertex(std::uint32_t e) {
    return e & vertex_mask;
}
inline int edge_ref_side(std::uint32_t e) {
    return (e & side_bit) ? 1 : -1;
}
inline std::uint32_t edge_words(std::uint32_t e) {
    return (e & twin_bit) ? 3 : 2;
}

// Edges grouped by bucket (top cell, scan row) as a CSR list.
struct Buckets {
    std::vector<std::uint32_t> offsets; // buckets + 1
    std::vector<std::uint32_t> list;
    std::span<const std::uint32_t> of(std::size_t b) const {
        return {list.data() + offsets[b], list.data() + offsets[b + 1]};
    }
};

// for_each_bucket(a, add) calls add(bucket) for each bucket edge a belongs to (none to leave it
// out); it is called twice per edge, to count and to fill.
template <class ForEachBucket>
Buckets bucket_edges(std::size_t buckets, std::size_t edge_count, ForEachBucket&& for_each_bucket) {
    Buckets out;
    out.offsets.assign(buckets + 1, 0);
    for (std::uint32_t a = 0; a < edge_count; ++a)
        for_each_bucket(a, [&](std::size_t b) { ++out.offsets[b + 1]; });
    for (std::size_t b = 1; b < out.offsets.size(); ++b)
        out.offsets[b] += out.offsets[b - 1];
    out.list.resize(out.offsets.back());
    std::vector<std::uint32_t> fill(out.offsets.begin(), out.offsets.end() - 1);
    for (std::uint32_t a = 0; a < edge_count; ++a)
        for_each_bucket(a, [&](std::size_t b) { out.list[fill[b]++] = a; });
    return out;
}

} // namespace

struct LocateIndex::Impl {
    std::size_t polygon_count = 0;
    Vertices v;
    double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
    std::uint32_t nx = 0, ny = 0, refine = 8;
    double dx = 1, dy = 1, inv_dx = 1, inv_dy = 1;
    std::vector<std::uint32_t> cells; // nx * ny
    std::vector<std::uint32_t> subs;  // blocks of refine * refine
    // Per boundary sub-cell: [reference polygon, edge count, edge start vertices...].
    std::vector<std::uint32_t> payload;
    Stats stats;

    double cell_x(std::uint32_t ix) const { return min_x + static_cast<double>(ix) * dx; }
    double cell_y(std::uint32_t iy) const { return min_y + static_cast<double>(iy) * dy; }
    // Reference point of sub-cell (sx, sy) of top cell (ix, iy): its centre. One function for
    // build and query, so both see the same doubles.
    double sub_centre_x(std::uint32_t ix, std::uint32_t sx) const {
        return cell_x(ix) + (static_cast<double>(sx) + 0.5) * (dx / refine);
    }
    double sub_centre_y(std::uint32_t iy, std::uint32_t sy) const {
        return cell_y(iy) + (static_cast<double>(sy) + 0.5) * (dy / refine);
    }

    // A query runs in three steps, each ending at one memory read the next step needs: the top
    // cell, the sub-cell, the payload of a boundary sub-cell. The single query runs them in a
    // row; the batch query runs each step over a block of points, prefetching what the next step
    // reads, so the cache misses of different points overlap.
    struct Probe {
        double x, y, fx, fy;
        std::uint32_t ix, iy, sx, sy;
        const std::uint32_t* at; // what the next step reads
    };
    static constexpr std::uint32_t unanswered = 0xfffffffeu; // not answered yet (never an id)

    // Step 1: answers points outside the extent, else points p.at at the top cell.
    std::uint32_t step_top(Probe& p) const {
        if (!(p.x >= min_x && p.x < max_x && p.y >= min_y && p.y < max_y))
            return none;
        p.fx = (p.x - min_x) * inv_dx;
        p.fy = (p.y - min_y) * inv_dy;
        p.ix = std::min(static_cast<std::uint32_t>(p.fx), nx - 1);
        p.iy = std::min(static_cast<std::uint32_t>(p.fy), ny - 1);
        p.at = &cells[static_cast<std::size_t>(p.iy) * nx + p.ix];
        return unanswered;
    }
    // Step 2: answers interior and empty cells, else points p.at at the sub-cell.
    std::uint32_t step_sub(Probe& p) const {
        std::uint32_t c = *p.at;
        if (c < boundary_bit || c == empty)
            return c == empty ? none : c;
        p.sx = std::min(static_cast<std::uint32_t>((p.fx - p.ix) * refine), refine - 1);
        p.sy = std::min(static_cast<std::uint32_t>((p.fy - p.iy) * refine), refine - 1);
        p.at = &subs[static_cast<std::size_t>(c & ~boundary_bit) * refine * refine + p.sy * refine +
                     p.sx];
        return unanswered;
    }
    // Step 3: answers interior and empty sub-cells, else points p.at at the payload.
    std::uint32_t step_payload(Probe& p) const {
        std::uint32_t s = *p.at;
        if (s < boundary_bit || s == empty)
            return s == empty ? none : s;
        p.at = &payload[s & ~boundary_bit];
        return unanswered;
    }
    // Step 4: the exact test against the local edges.
    std::uint32_t step_exact(const Probe& p) const {
        return exact_query(p.x, p.y, sub_centre_x(p.ix, p.sx), sub_centre_y(p.iy, p.sy), p.at);
    }

    // Prefetches the vertices of the edges a payload lists.
    void prefetch_edges(const std::uint32_t* p) const {
        std::uint32_t nref = p[0];
        std::uint32_t n = p[1 + nref];
        const std::uint32_t* e = p + 2 + nref;
        for (std::uint32_t i = 0; i < n; ++i, e += edge_words(*e))
            __builtin_prefetch(&v.p[edge_vertex(*e)]);
    }

    std::uint32_t query(double x, double y) const {
        Probe p{x, y, 0, 0, 0, 0, 0, 0, nullptr};
        std::uint32_t r = step_top(p);
        if (r == unanswered)
            r = step_sub(p);
        if (r == unanswered)
            r = step_payload(p);
        return r == unanswered ? step_exact(p) : r;
    }

    // A software pipeline over blocks of points: each round takes one step on each block in
    // flight, oldest first, and prefetches what that block's next step reads a round later.
    void query_batch(const LonLat* points, std::size_t n, std::uint32_t* out) const {
        constexpr std::size_t block = 32;
        struct Stage {
            Probe probe[block];
            std::size_t at[block]; // position in out
            std::size_t size = 0;
            void push(const Probe& p, std::size_t i) {
                probe[size] = p;
                at[size++] = i;
            }
        };
        Stage to_sub, to_payload, to_edges, to_exact, next;
        // Runs `step` on every probe of `from`; unanswered ones go on to `to`, with `ahead`
        // called on them (the prefetch).
        auto advance = [&](Stage& from, Stage& to, auto step, auto ahead) {
            to.size = 0;
            for (std::size_t j = 0; j < from.size; ++j) {
                std::uint32_t r = step(from.probe[j]);
                if (r == unanswered) {
                    ahead(from.probe[j]);
                    to.push(from.probe[j], from.at[j]);
                } else {
                    out[from.at[j]] = r;
                }
            }
        };
        auto prefetch = [](const Probe& p) { __builtin_prefetch(p.at); };
        for (std::size_t base = 0; base < n + 4 * block; base += block) {
            for (std::size_t j = 0; j < to_exact.size; ++j)
                out[to_exact.at[j]] = step_exact(to_exact.probe[j]);
            to_exact.size = 0;
            for (std::size_t j = 0; j < to_edges.size; ++j) {
                prefetch_edges(to_edges.probe[j].at);
                to_exact.push(to_edges.probe[j], to_edges.at[j]);
            }
            advance(
                to_payload, to_edges, [&](Probe& p) { return step_payload(p); }, prefetch);
            advance(
                to_sub, to_payload, [&](Probe& p) { return step_sub(p); }, prefetch);
            next.size = 0;
            for (std::size_t i = base; i < std::min(n, base + block); ++i)
                next.push(Probe{points[i].lon, points[i].lat, 0, 0, 0, 0, 0, 0, nullptr}, i);
            advance(
                next, to_sub, [&](Probe& p) { return step_top(p); }, prefetch);
        }
    }

    // Calls toggle(polygon) for each polygon whose edge the segment from (x, y) to the reference
    // point (rx, ry) crosses, once per crossing; stops early when toggle returns false.
    // Returns false when stopped.
    template <class Toggle>
    bool crossings(double x, double y, double rx, double ry, const std::uint32_t* e,
                   std::uint32_t n, Toggle&& toggle) const {
        if (x == rx && y == ry)
            return true;
        for (std::uint32_t i = 0; i < n; ++i, e += edge_words(*e)) {
            std::uint32_t a = edge_vertex(*e);
            if (!segment_crosses_known(x, y, rx, ry, v.p[a].lon, v.p[a].lat, v.p[a + 1].lon,
                                       v.p[a + 1].lat, edge_ref_side(*e)))
                continue;
            if (!toggle(e[1]) || (edge_words(*e) == 3 && !toggle(e[2])))
                return false;
        }
        return true;
    }

    // The polygon containing (x, y) given the polygons containing the reference point and the
    // local edges: parity of crossings along the segment from the point to the reference point.
    // Payload: [number of reference polygons, their ids..., number of edges, edges...].
    std::uint32_t exact_query(double x, double y, double rx, double ry,
                              const std::uint32_t* p) const {
        std::uint32_t nref = p[0];
        const std::uint32_t* refs = p + 1;
        // Candidates: the reference polygons and the polygons of the local edges (few).
        constexpr int max_local = 32;
        std::uint32_t ids[max_local];
        bool inside[max_local];
        int k = 0;
        auto slot = [&](std::uint32_t id) -> int {
            for (int i = 0; i < k; ++i)
                if (ids[i] == id)
                    return i;
            ids[k] = id;
            inside[k] = false;
            return k++;
        };
        if (nref >= static_cast<std::uint32_t>(max_local))
            return slow_query(x, y, rx, ry, p);
        for (std::uint32_t i = 0; i < nref; ++i)
            inside[slot(refs[i])] = true;
        bool fits = crossings(x, y, rx, ry, p + 2 + nref, p[1 + nref], [&](std::uint32_t id) {
            if (k == max_local)
                return false;
            int s = slot(id);
            inside[s] = !inside[s];
            return true;
        });
        if (!fits)
            return slow_query(x, y, rx, ry, p);
        std::uint32_t best = none;
        for (int i = 0; i < k; ++i)
            if (inside[i] && ids[i] < best)
                best = ids[i];
        return best;
    }

    // Same as exact_query without the fixed-size candidate table (pathological overlaps).
    std::uint32_t slow_query(double x, double y, double rx, double ry,
                             const std::uint32_t* p) const {
        std::set<std::uint32_t> in(p + 1, p + 1 + p[0]);
        crossings(x, y, rx, ry, p + 2 + p[0], p[1 + p[0]], [&](std::uint32_t id) {
            auto it = in.find(id);
            if (it == in.end())
                in.insert(id);
            else
                in.erase(it);
            return true;
        });
        return in.empty() ? none : *in.begin();
    }

    // ---- build ----

    static std::uint32_t lowest(const std::vector<std::uint32_t>& ids) {
        return ids.empty() ? empty : *std::min_element(ids.begin(), ids.end());
    }

    void build(std::span<const MultiPolygon> polygons, const Options& o) {
        polygon_count = polygons.size();
        if (polygons.size() >= boundary_bit)
            throw Error(ErrorCode::invalid_argument, "too many polygons for one index");
        refine = static_cast<std::uint32_t>(std::clamp(o.refine, 1, 64));
        BBox box;
        for (std::size_t id = 0; id < polygons.size(); ++id)
            for (const auto& poly : polygons[id].polygons)
                for (const auto& ring : poly.rings) {
                    if (ring.size() < 2)
                        continue;
                    for (std::size_t i = 0; i < ring.size(); ++i) {
                        const LonLat& p = ring[i];
                        if (!std::isfinite(p.lon) || !std::isfinite(p.lat))
                            throw Error(ErrorCode::invalid_geometry,
                                        "polygon " + std::to_string(id) +
                                            " has a non-finite coordinate");
                        v.p.push_back(p);
                        v.poly.push_back(static_cast<std::uint32_t>(id));
                        box.extend(p);
                    }
                    if (!(ring.front() == ring.back())) { // close it
                        v.p.push_back(ring.front());
                        v.poly.push_back(static_cast<std::uint32_t>(id));
                    }
                    // The last vertex of a ring starts no edge.
                    v.poly.back() = empty;
                }
        if (v.p.size() > vertex_mask)
            throw Error(ErrorCode::invalid_argument, "too many vertices for one index");
        if (box.empty()) {
            nx = ny = 0;
            return;
        }
        min_x = box.min_x;
        min_y = box.min_y;
        max_x = box.max_x;
        max_y = box.max_y;
        double w = std::max(max_x - min_x, 1e-12), h = std::max(max_y - min_y, 1e-12);
        double target = std::max(1.0, static_cast<double>(polygons.size()) * o.cells_per_polygon);
        nx = static_cast<std::uint32_t>(
            std::clamp(std::ceil(std::sqrt(target * w / h)), 1.0, 65536.0));
        ny = static_cast<std::uint32_t>(std::clamp(std::ceil(target / nx), 1.0, 65536.0));
        dx = w / nx;
        dy = h / ny;
        inv_dx = 1 / dx;
        inv_dy = 1 / dy;

        // Edges touching each top cell (bounding box grown by a margin that covers the rounding
        // of the query's cell arithmetic).
        auto for_each_cell_of_edge = [&](std::uint32_t a, auto&& f) {
            if (v.poly[a] == empty ||
                (v.p[a].lon == v.p[a + 1].lon && v.p[a].lat == v.p[a + 1].lat))
                return;
            double mx = dx * 1e-7, my = dy * 1e-7;
            double x0 = std::min(v.p[a].lon, v.p[a + 1].lon) - mx,
                   x1 = std::max(v.p[a].lon, v.p[a + 1].lon) + mx;
            double y0 = std::min(v.p[a].lat, v.p[a + 1].lat) - my,
                   y1 = std::max(v.p[a].lat, v.p[a + 1].lat) + my;
            auto clampi = [](double pos, std::uint32_t n) {
                return static_cast<std::uint32_t>(
                    std::clamp(std::floor(pos), 0.0, static_cast<double>(n - 1)));
            };
            std::uint32_t ix0 = clampi((x0 - min_x) * inv_dx, nx),
                          ix1 = clampi((x1 - min_x) * inv_dx, nx);
            std::uint32_t iy0 = clampi((y0 - min_y) * inv_dy, ny),
                          iy1 = clampi((y1 - min_y) * inv_dy, ny);
            for (std::uint32_t iy = iy0; iy <= iy1; ++iy)
                for (std::uint32_t ix = ix0; ix <= ix1; ++ix)
                    f(static_cast<std::size_t>(iy) * nx + ix);
        };
        const Buckets cell_edges =
            bucket_edges(static_cast<std::size_t>(nx) * ny, edge_count(), for_each_cell_of_edge);

        cells.assign(static_cast<std::size_t>(nx) * ny, empty);
        stats.cells = cells.size();
        // Boundary cells get a block of sub-cells.
        std::vector<std::uint32_t> boundary_cells;
        for (std::size_t c = 0; c < cells.size(); ++c)
            if (!cell_edges.of(c).empty()) {
                cells[c] = boundary_bit | static_cast<std::uint32_t>(boundary_cells.size());
                boundary_cells.push_back(static_cast<std::uint32_t>(c));
            }
        stats.boundary_cells = boundary_cells.size();

        // Row bucketing of edges for the scanlines.
        const Buckets top_rows = row_edges(ny, dy);
        // Interior/empty top cells: the status of their centre.
        for (std::uint32_t iy = 0; iy < ny; ++iy) {
            double y = cell_y(iy) + 0.5 * dy;
            std::vector<std::pair<double, std::size_t>> queries;
            for (std::uint32_t ix = 0; ix < nx; ++ix) {
                std::size_t c = static_cast<std::size_t>(iy) * nx + ix;
                if (cells[c] == empty)
                    queries.emplace_back(cell_x(ix) + 0.5 * dx, c);
            }
            if (queries.empty())
                continue;
            scan_row(top_rows.of(iy), y, queries,
                     [&](std::size_t c, const std::vector<std::uint32_t>& in) {
                         cells[c] = lowest(in);
                     });
        }

        // Sub-cells of boundary cells.
        subs.assign(boundary_cells.size() * refine * refine, empty);
        const double sdx = dx / refine, sdy = dy / refine;
        std::vector<std::vector<std::uint32_t>> sub_edges(static_cast<std::size_t>(refine) *
                                                          refine);
        // Per fine row, the sub-cells that need a reference status. Their edges and reference
        // sets live in flat arrays (no allocation per sub-cell).
        struct Pending {
            std::uint32_t block;
            std::uint32_t sub;
            std::uint32_t edge_begin,
                edge_end; // into pending_edges; empty: not a boundary sub-cell
            std::uint32_t ref_begin = 0, ref_count = 0; // into ref_flat
        };
        std::vector<std::uint32_t> pending_edges;
        std::vector<std::uint32_t> ref_flat;
        std::vector<std::vector<std::pair<double, std::size_t>>> row_queries(
            static_cast<std::size_t>(ny) * refine);
        std::vector<Pending> pending;
        pending.reserve(boundary_cells.size() * refine * refine);
        for (std::uint32_t b = 0; b < boundary_cells.size(); ++b) {
            std::size_t c = boundary_cells[b];
            std::uint32_t ix = static_cast<std::uint32_t>(c % nx),
                          iy = static_cast<std::uint32_t>(c / nx);
            double cx0 = cell_x(ix), cy0 = cell_y(iy);
            for (auto& se : sub_edges)
                se.clear();
            for (std::uint32_t a : cell_edges.of(c)) {
                double mx = sdx * 1e-6, my = sdy * 1e-6;
                double x0 = std::min(v.p[a].lon, v.p[a + 1].lon) - mx,
                       x1 = std::max(v.p[a].lon, v.p[a + 1].lon) + mx;
                double y0 = std::min(v.p[a].lat, v.p[a + 1].lat) - my,
                       y1 = std::max(v.p[a].lat, v.p[a + 1].lat) + my;
                auto clampi = [&](double pos) {
                    return static_cast<std::uint32_t>(
                        std::clamp(std::floor(pos), 0.0, static_cast<double>(refine - 1)));
                };
                // Sub-cells outside the top cell's range are clamped to its border rows/columns.
                if (x1 < cx0 - mx || y1 < cy0 - my || x0 > cx0 + dx + mx || y0 > cy0 + dy + my)
                    continue;
                std::uint32_t sx0 = clampi((x0 - cx0) / sdx), sx1 = clampi((x1 - cx0) / sdx);
                std::uint32_t sy0 = clampi((y0 - cy0) / sdy), sy1 = clampi((y1 - cy0) / sdy);
                for (std::uint32_t sy = sy0; sy <= sy1; ++sy)
                    for (std::uint32_t sx = sx0; sx <= sx1; ++sx)
                        sub_edges[sy * refine + sx].push_back(a);
            }
            for (std::uint32_t sy = 0; sy < refine; ++sy)
                for (std::uint32_t sx = 0; sx < refine; ++sx) {
                    std::uint32_t s = sy * refine + sx;
                    auto begin = static_cast<std::uint32_t>(pending_edges.size());
                    pending_edges.insert(pending_edges.end(), sub_edges[s].begin(),
                                         sub_edges[s].end());
                    pending.push_back(
                        {b, s, begin, static_cast<std::uint32_t>(pending_edges.size())});
                    row_queries[static_cast<std::size_t>(iy) * refine + sy].emplace_back(
                        sub_centre_x(ix, sx), pending.size() - 1);
                }
        }
        const Buckets fine_rows = row_edges(ny * refine, sdy);
        for (std::uint32_t fy = 0; fy < ny * refine; ++fy) {
            auto& queries = row_queries[fy];
            if (queries.empty())
                continue;
            double y = sub_centre_y(fy / refine, fy % refine);
            std::sort(queries.begin(), queries.end());
            scan_row(fine_rows.of(fy), y, queries,
                     [&](std::size_t q, const std::vector<std::uint32_t>& in) {
                         pending[q].ref_begin = static_cast<std::uint32_t>(ref_flat.size());
                         pending[q].ref_count = static_cast<std::uint32_t>(in.size());
                         ref_flat.insert(ref_flat.end(), in.begin(), in.end());
                     });
            std::vector<std::pair<double, std::size_t>>().swap(queries);
        }
        for (const Pending& pd : pending) {
            std::uint32_t& slot =
                subs[static_cast<std::size_t>(pd.block) * refine * refine + pd.sub];
            const std::uint32_t* refs = ref_flat.data() + pd.ref_begin;
            if (pd.edge_begin == pd.edge_end) {
                slot = pd.ref_count == 0 ? empty : *std::min_element(refs, refs + pd.ref_count);
                continue;
            }
            slot = boundary_bit | static_cast<std::uint32_t>(payload.size());
            payload.push_back(pd.ref_count);
            payload.insert(payload.end(), refs, refs + pd.ref_count);
            std::size_t count_at = payload.size();
            payload.push_back(0);
            {
                std::size_t c = boundary_cells[pd.block];
                auto ix = static_cast<std::uint32_t>(c % nx),
                     iy = static_cast<std::uint32_t>(c / nx);
                double rx = sub_centre_x(ix, pd.sub % refine),
                       ry = sub_centre_y(iy, pd.sub / refine);
                // Identical segments (shared edges) next to each other, stored once as twins.
                auto key = [&](std::uint32_t a) {
                    const LonLat &p = v.p[a], &q = v.p[a + 1];
                    bool fwd = std::tie(p.lon, p.lat) < std::tie(q.lon, q.lat);
                    const LonLat &lo = fwd ? p : q, &hi = fwd ? q : p;
                    return std::tie(lo.lon, lo.lat, hi.lon, hi.lat);
                };
                auto first = pending_edges.begin() + pd.edge_begin,
                     last = pending_edges.begin() + pd.edge_end;
                std::sort(first, last,
                          [&](std::uint32_t l, std::uint32_t r) { return key(l) < key(r); });
                std::uint32_t n = 0;
                for (auto it = first; it != last; ++n) {
                    std::uint32_t a = *it++;
                    bool twin = it != last && key(*it) == key(a);
                    int sr = orient2d_perturbed(v.p[a].lon, v.p[a].lat, v.p[a + 1].lon,
                                                v.p[a + 1].lat, rx, ry);
                    payload.push_back(a | (sr > 0 ? side_bit : 0) | (twin ? twin_bit : 0));
                    payload.push_back(v.poly[a]);
                    if (twin)
                        payload.push_back(v.poly[*it++]);
                }
                payload[count_at] = n;
                stats.stored_edges += n;
            }
            ++stats.boundary_subcells;
        }
        payload.shrink_to_fit();
        v.p.shrink_to_fit();
        std::vector<std::uint32_t>().swap(v.poly); // queries read polygons from the payload
        for (auto c : cells) {
            if (c == empty)
                ++stats.empty_cells;
            else if (c < boundary_bit)
                ++stats.interior_cells;
        }
    }

    std::size_t edge_count() const { return v.p.empty() ? 0 : v.p.size() - 1; }

    // Edges bucketed by the rows (of height h, n rows) their y-range spans, for scanlines.
    Buckets row_edges(std::uint32_t n, double h) const {
        return bucket_edges(n, edge_count(), [&](std::uint32_t a, auto&& add) {
            if (v.poly[a] == empty || v.p[a].lat == v.p[a + 1].lat)
                return;
            double y0 = std::min(v.p[a].lat, v.p[a + 1].lat),
                   y1 = std::max(v.p[a].lat, v.p[a + 1].lat);
            // One extra row each side: a row's scan y is computed and may round across.
            double f0 = std::floor((y0 - min_y) / h) - 1, f1 = std::floor((y1 - min_y) / h) + 1;
            auto r0 = static_cast<std::uint32_t>(std::clamp(f0, 0.0, static_cast<double>(n - 1)));
            auto r1 = static_cast<std::uint32_t>(std::clamp(f1, 0.0, static_cast<double>(n - 1)));
            for (std::uint32_t r = r0; r <= r1; ++r)
                add(r);
        });
    }

    // Status of points (qx, y), given sorted by qx, against the edges that may straddle y: the
    // set of polygons whose parity of westward-ray crossings is odd (usually one or none).
    // Crossings are sorted by their approximate x with an error bound; a crossing certainly west
    // of a query is applied for good, one whose bound contains the query is decided exactly.
    template <class Emit>
    void scan_row(std::span<const std::uint32_t> edges, double y,
                  const std::vector<std::pair<double, std::size_t>>& queries, Emit&& emit) const {
        struct Crossing {
            double lo, hi;
            std::uint32_t a;
        };
        std::vector<Crossing> xs;
        constexpr double u = 0x1.0p-52;
        for (std::uint32_t a : edges) {
            double ax = v.p[a].lon, ay = v.p[a].lat, bx = v.p[a + 1].lon, by = v.p[a + 1].lat;
            double lo_y = std::min(ay, by), hi_y = std::max(ay, by);
            if (!(y >= lo_y && y < hi_y))
                continue;
            double t = (y - ay) / (by - ay);
            double x = ax + t * (bx - ax);
            // Error of t relative to its terms, carried through the interpolation, generously.
            double t_err = 8 * u * (std::abs(y) + std::abs(ay) + std::abs(by)) / std::abs(by - ay);
            double err = 8 * u * (std::abs(ax) + std::abs(bx)) + t_err * std::abs(bx - ax) + 1e-300;
            xs.push_back({x - err, x + err, a});
        }
        std::vector<std::uint32_t> by_lo(xs.size());
        for (std::uint32_t i = 0; i < by_lo.size(); ++i)
            by_lo[i] = i;
        std::sort(by_lo.begin(), by_lo.end(),
                  [&](std::uint32_t l, std::uint32_t r) { return xs[l].lo < xs[r].lo; });
        std::vector<std::uint32_t>
            inside; // polygons containing points west of all pending crossings
        auto toggle = [](std::vector<std::uint32_t>& set, std::uint32_t id) {
            auto it = std::find(set.begin(), set.end(), id);
            if (it == set.end()) {
                set.push_back(id);
            } else {
                *it = set.back();
                set.pop_back();
            }
        };
        std::vector<std::uint32_t> active; // crossings with lo <= qx not yet applied
        std::size_t next = 0;
        std::vector<std::uint32_t> local;
        for (const auto& [qx, id] : queries) {
            while (next < by_lo.size() && xs[by_lo[next]].lo <= qx)
                active.push_back(by_lo[next++]);
            local = inside;
            for (std::size_t k = 0; k < active.size();) {
                const Crossing& c = xs[active[k]];
                if (c.hi < qx) { // certainly west of this and every later query
                    toggle(inside, v.poly[c.a]);
                    toggle(local, v.poly[c.a]);
                    active[k] = active.back();
                    active.pop_back();
                    continue;
                }
                std::uint32_t a = c.a;
                if (crosses_west_ray(v.p[a].lon, v.p[a].lat, v.p[a + 1].lon, v.p[a + 1].lat, qx, y))
                    toggle(local, v.poly[a]);
                ++k;
            }
            emit(id, local);
        }
    }
};

LocateIndex::LocateIndex(std::span<const MultiPolygon> polygons)
    : LocateIndex(polygons, Options{}) {}

LocateIndex::LocateIndex(std::span<const MultiPolygon> polygons, const Options& options)
    : m_impl(std::make_unique<Impl>()) {
    m_impl->build(polygons, options);
}

LocateIndex::~LocateIndex() = default;
LocateIndex::LocateIndex(LocateIndex&&) noexcept = default;
LocateIndex& LocateIndex::operator=(LocateIndex&&) noexcept = default;

std::uint32_t LocateIndex::locate(LonLat p) const {
    if (m_impl->nx == 0)
        return none;
    return m_impl->query(p.lon, p.lat);
}

void LocateIndex::locate(std::span<const LonLat> points, std::span<std::uint32_t> out) const {
    if (m_impl->nx == 0) {
        std::fill_n(out.begin(), points.size(), none);
        return;
    }
    m_impl->query_batch(points.data(), points.size(), out.data());
}

std::size_t LocateIndex::polygon_count() const {
    return m_impl->polygon_count;
}

std::size_t LocateIndex::memory_bytes() const {
    const Impl& i = *m_impl;
    return i.v.p.capacity() * sizeof(LonLat) + i.v.poly.capacity() * 4 + i.cells.capacity() * 4 +
           i.subs.capacity() * 4 + i.payload.capacity() * 4;
}

LocateIndex::Stats LocateIndex::stats() const {
    return m_impl->stats;
}

} // namespace tessera::geo
