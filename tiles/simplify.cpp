#include "tiles/simplify.hpp"

#include <cmath>
#include <numbers>
#include <utility>

namespace tessera::tiles {
namespace {

constexpr double metres_per_degree = geo::mercator_radius_m * std::numbers::pi / 180;

bool before(geo::LonLat p, geo::LonLat q) {
    return p.lon != q.lon ? p.lon < q.lon : p.lat < q.lat;
}

// The indices from `from` going one way around a closed ring of n distinct vertices until `to`
// (both included; to == from goes all the way round), into `seq`.
void walk(std::size_t from, std::size_t to, std::size_t n, bool forward,
          std::vector<std::size_t>& seq) {
    seq.clear();
    seq.push_back(from);
    std::size_t i = from;
    do {
        i = forward ? (i + 1 == n ? 0 : i + 1) : (i == 0 ? n - 1 : i - 1);
        seq.push_back(i);
    } while (i != to);
}

} // namespace

// Douglas-Peucker over ring[m_seq[lo]], ..., ring[m_seq[hi]]: marks in m_keep the vertices to
// keep besides the two ends. m_seq is in its canonical direction.
void Simplifier::douglas_peucker(const geo::Ring& ring, std::size_t lo0, std::size_t hi0) {
    if (hi0 - lo0 < 2)
        return;
    // Web Mercator metres near the start: x scales with longitude, y with latitude / cos.
    const double kx = metres_per_degree;
    const double ky = metres_per_degree / std::cos(ring[m_seq[lo0]].lat * std::numbers::pi / 180);
    const double tolerance2 = m_tolerance * m_tolerance;
    m_todo.clear();
    m_todo.emplace_back(lo0, hi0);
    while (!m_todo.empty()) {
        auto [lo, hi] = m_todo.back();
        m_todo.pop_back();
        if (hi - lo < 2)
            continue;
        const geo::LonLat a = ring[m_seq[lo]], b = ring[m_seq[hi]];
        const double dx = (b.lon - a.lon) * kx, dy = (b.lat - a.lat) * ky;
        const double len2 = dx * dx + dy * dy;
        double worst = -1;
        std::size_t worst_at = lo;
        for (std::size_t i = lo + 1; i < hi; ++i) {
            const geo::LonLat p = ring[m_seq[i]];
            const double px = (p.lon - a.lon) * kx, py = (p.lat - a.lat) * ky;
            double d2;
            if (len2 == 0) {
                d2 = px * px + py * py;
            } else {
                const double cross = dx * py - dy * px;
                d2 = cross * cross / len2;
            }
            if (d2 > worst) {
                worst = d2;
                worst_at = i;
            }
        }
        if (worst > tolerance2) {
            m_keep[m_seq[worst_at]] = 1;
            m_todo.emplace_back(lo, worst_at);
            m_todo.emplace_back(worst_at, hi);
        }
    }
}

void Simplifier::simplify_ring(const geo::Ring& ring, std::vector<bool>::const_iterator flags,
                               geo::Ring& out) {
    out.clear();
    if (ring.size() < 5) { // a triangle has nothing to drop
        out.assign(ring.begin(), ring.end());
        return;
    }
    const std::size_t n = ring.size() - 1;
    m_keep.assign(n, 0);
    m_stops.clear();
    for (std::size_t i = 0; i < n; ++i)
        if (flags[static_cast<std::ptrdiff_t>(i)])
            m_stops.push_back(i);

    if (m_stops.size() < 2) {
        // One closed stretch: it starts at its junction, or without one at its smallest vertex;
        // it runs towards the smaller of the start's two neighbours.
        std::size_t start = 0;
        if (m_stops.empty()) {
            for (std::size_t i = 1; i < n; ++i)
                if (before(ring[i], ring[start]))
                    start = i;
        } else {
            start = m_stops[0];
        }
        const bool forward = before(ring[(start + 1) % n], ring[(start + n - 1) % n]);
        m_keep[start] = 1;
        walk(start, start, n, forward, m_seq);
        // Split at the vertex farthest from the start, then simplify both halves.
        auto dist2 = [&](std::size_t i) {
            const double dx = ring[m_seq[i]].lon - ring[start].lon;
            const double dy = ring[m_seq[i]].lat - ring[start].lat;
            return dx * dx + dy * dy;
        };
        std::size_t far = 1;
        for (std::size_t i = 2; i + 1 < m_seq.size(); ++i)
            if (dist2(i) > dist2(far))
                far = i;
        m_keep[m_seq[far]] = 1;
        douglas_peucker(ring, 0, far);
        douglas_peucker(ring, far, m_seq.size() - 1);
    } else {
        for (std::size_t k = 0; k < m_stops.size(); ++k) {
            const std::size_t a = m_stops[k], b = m_stops[(k + 1) % m_stops.size()];
            m_keep[a] = 1;
            // Canonical direction: from the smaller end; for equal ends (a ring through the same
            // point twice), from the end whose next vertex is smaller.
            bool forward = before(ring[a], ring[b]);
            if (!before(ring[a], ring[b]) && !before(ring[b], ring[a]))
                forward = before(ring[(a + 1) % n], ring[(b + n - 1) % n]);
            if (forward)
                walk(a, b, n, true, m_seq);
            else
                walk(b, a, n, false, m_seq);
            douglas_peucker(ring, 0, m_seq.size() - 1);
        }
    }
    for (std::size_t i = 0; i < n; ++i)
        if (m_keep[i])
            out.push_back(ring[i]);
    out.push_back(out.front());
}

const geo::MultiPolygon& Simplifier::operator()(const geo::MultiPolygon& mp,
                                                const std::vector<bool>& junctions) {
    // Resize rather than rebuild, so that the rings keep their capacity from call to call.
    m_out.polygons.resize(mp.polygons.size());
    auto flags = junctions.begin();
    for (std::size_t p = 0; p < mp.polygons.size(); ++p) {
        const auto& rings = mp.polygons[p].rings;
        auto& out_rings = m_out.polygons[p].rings;
        out_rings.resize(rings.size());
        for (std::size_t r = 0; r < rings.size(); ++r) {
            if (m_tolerance > 0)
                simplify_ring(rings[r], flags, out_rings[r]);
            else
                out_rings[r].assign(rings[r].begin(), rings[r].end());
            flags += static_cast<std::ptrdiff_t>(rings[r].size());
        }
    }
    return m_out;
}

geo::MultiPolygon simplify(const geo::MultiPolygon& mp, const std::vector<bool>& junctions,
                           double tolerance_m) {
    if (tolerance_m <= 0)
        return mp;
    Simplifier simplifier(tolerance_m);
    return simplifier(mp, junctions);
}

double simplify_tolerance_m(const TileFrame& frame) {
    if (frame.tile().z >= full_detail_zoom)
        return 0;
    return 4 / frame.units_per_metre();
}

} // namespace tessera::tiles
