#include "geo/reach_map.hpp"

#include "geo/error.hpp"
#include "geo/measure.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <span>
#include <thread>
#include <vector>

namespace tessera::geo {
namespace {

constexpr int block_bits = 6; // blocks of 64 x 64 cells: one 64-bit word per row
constexpr std::int64_t block_size = std::int64_t{1} << block_bits;

struct Block {
    std::array<std::uint64_t, block_size> marked{};
    std::array<std::uint64_t, block_size> covered{};
};

// Bits lo..hi (inclusive, 0..63) set.
std::uint64_t bit_range(int lo, int hi) {
    const std::uint64_t upto_hi = hi == 63 ? ~std::uint64_t{0} : (std::uint64_t{1} << (hi + 1)) - 1;
    return upto_hi & ~((std::uint64_t{1} << lo) - 1);
}

} // namespace

struct ReachMap::Impl {
    double lon0 = 0, lat0 = 0;               // the extent's south-west corner
    double dlon = 0, dlat = 0;               // a cell's size in degrees
    double per_lon = 0, per_lat = 0;         // cells per degree (1 / dlon, 1 / dlat)
    std::int64_t nx = 0, ny = 0;             // cells
    std::int64_t bx = 0, by = 0;             // blocks
    std::vector<double> cell_width_m;        // per block row: a cell's width in metres there
    std::vector<double> half_width_m;        // per row offset dy (index dy + rows): the reach's
                                             // half-width dy rows away
    std::int64_t reach_rows = 0;             // rows the reach spans above and below
    std::vector<std::atomic<Block*>> blocks; // bx * by, row-major; null where nothing passed

    ~Impl() {
        for (auto& b : blocks)
            delete b.load(std::memory_order_relaxed);
    }

    Block* block_at(std::int64_t i, std::int64_t j) const {
        return blocks[static_cast<std::size_t>((j >> block_bits) * bx + (i >> block_bits))].load(
            std::memory_order_acquire);
    }

    Block& block_for(std::int64_t i, std::int64_t j) {
        auto& slot = blocks[static_cast<std::size_t>((j >> block_bits) * bx + (i >> block_bits))];
        Block* b = slot.load(std::memory_order_acquire);
        if (b)
            return *b;
        auto* fresh = new Block();
        if (slot.compare_exchange_strong(b, fresh, std::memory_order_acq_rel))
            return *fresh;
        delete fresh; // another thread was first
        return *b;
    }

    // Marks cells i0..i1 (inclusive, within the extent) of row j.
    void mark_run(std::int64_t j, std::int64_t i0, std::int64_t i1) {
        for (std::int64_t start = i0; start <= i1;) {
            const std::int64_t end = std::min(start | (block_size - 1), i1);
            Block& b = block_for(start, j);
            std::atomic_ref<std::uint64_t> word(
                b.marked[static_cast<std::size_t>(j & (block_size - 1))]);
            const std::uint64_t bits = bit_range(static_cast<int>(start & (block_size - 1)),
                                                 static_cast<int>(end & (block_size - 1)));
            // Patrols pass the same cells again and again: a plain read spares the locked write.
            if ((word.load(std::memory_order_relaxed) & bits) != bits)
                word.fetch_or(bits, std::memory_order_relaxed);
            start = end + 1;
        }
    }

    // Covered cells among i0..i1 (inclusive, within the extent) of row j.
    std::int64_t covered_in_run(std::int64_t j, std::int64_t i0, std::int64_t i1) const {
        std::int64_t n = 0;
        for (std::int64_t start = i0; start <= i1;) {
            const std::int64_t end = std::min(start | (block_size - 1), i1);
            if (const Block* b = block_at(start, j))
                n += std::popcount(b->covered[static_cast<std::size_t>(j & (block_size - 1))] &
                                   bit_range(static_cast<int>(start & (block_size - 1)),
                                             static_cast<int>(end & (block_size - 1))));
            start = end + 1;
        }
        return n;
    }

    // The marks of row j, one word per block column (0 where no block is).
    void row_marks(std::int64_t j, std::vector<std::uint64_t>& out) const {
        out.assign(static_cast<std::size_t>(bx), 0);
        const std::int64_t y = j >> block_bits;
        const auto row = static_cast<std::size_t>(j & (block_size - 1));
        for (std::int64_t x = 0; x < bx; ++x)
            if (const Block* b =
                    blocks[static_cast<std::size_t>(y * bx + x)].load(std::memory_order_acquire))
                out[static_cast<std::size_t>(x)] = b->marked[row];
    }

    // ORs `words` (one per block column) into the covered cells of row j.
    void cover_row(std::int64_t j, std::span<const std::uint64_t> words) {
        const auto row = static_cast<std::size_t>(j & (block_size - 1));
        for (std::int64_t x = 0; x < bx; ++x)
            if (const std::uint64_t w = words[static_cast<std::size_t>(x)]; w != 0) {
                Block& b = block_for(x * block_size, j);
                // Atomic: threads spreading nearby rows reach the same rows.
                std::atomic_ref<std::uint64_t>(b.covered[row])
                    .fetch_or(w, std::memory_order_relaxed);
            }
    }

    // Spreads the marks of row j into the rows within reach: row tj gets the marks widened by
    // the whole cells of the reach's half-width dy = tj - j rows away. A widening by k is the
    // row ORed with itself shifted by 1..k either way, done by doubling (after widening by r,
    // a shift of up to 2r + 1 leaves no hole), each width from the last, narrowest first.
    void spread_row(std::int64_t j, std::vector<std::uint64_t>& row,
                    std::vector<std::uint64_t>& shifted) {
        row_marks(j, row);
        if (std::ranges::all_of(row, [](std::uint64_t w) { return w == 0; }))
            return;
        struct Target {
            std::int64_t cells, row;
        };
        std::vector<Target> targets;
        for (std::int64_t tj = std::max<std::int64_t>(0, j - reach_rows);
             tj <= std::min(ny - 1, j + reach_rows); ++tj) {
            const double half = half_width_m[static_cast<std::size_t>(tj - j + reach_rows)];
            targets.push_back({static_cast<std::int64_t>(
                                   half / cell_width_m[static_cast<std::size_t>(tj >> block_bits)]),
                               tj});
        }
        std::ranges::sort(targets, {}, &Target::cells);
        std::int64_t radius = 0;
        for (const Target& t : targets) {
            while (radius < t.cells) {
                const std::int64_t step = std::min(2 * radius + 1, t.cells - radius);
                widen(row, step, shifted);
                radius += step;
            }
            cover_row(t.row, row);
        }
    }

    // row |= row shifted by `by` cells either way (by < 64 * bx).
    static void widen(std::vector<std::uint64_t>& row, std::int64_t by,
                      std::vector<std::uint64_t>& shifted) {
        const auto n = static_cast<std::int64_t>(row.size());
        const std::int64_t words = by >> block_bits;
        const int bits = static_cast<int>(by & (block_size - 1));
        const auto at = [&](std::int64_t x) {
            return x >= 0 && x < n ? row[static_cast<std::size_t>(x)] : 0;
        };
        shifted.assign(row.size(), 0);
        for (std::int64_t x = 0; x < n; ++x) {
            // Towards higher cells: bit b of word x comes from cell 64 x + b - by.
            std::uint64_t up = at(x - words) << bits;
            std::uint64_t down = at(x + words) >> bits;
            if (bits != 0) {
                up |= at(x - words - 1) >> (block_size - bits);
                down |= at(x + words + 1) << (block_size - bits);
            }
            shifted[static_cast<std::size_t>(x)] = up | down;
        }
        for (std::size_t x = 0; x < row.size(); ++x)
            row[x] |= shifted[x];
    }
};

ReachMap::ReachMap(const BBox& extent, const Options& options)
    : m_impl(std::make_unique<Impl>()) {
    const bool finite = std::isfinite(extent.min_x) && std::isfinite(extent.min_y) &&
                        std::isfinite(extent.max_x) && std::isfinite(extent.max_y);
    if (extent.empty() || !finite)
        throw Error(ErrorCode::invalid_argument, "reach map: the extent is empty or not finite");
    if (!(options.cell_m > 0) || !std::isfinite(options.cell_m) || !(options.reach_m > 0) ||
        !std::isfinite(options.reach_m))
        throw Error(ErrorCode::invalid_argument,
                    "reach map: the cell size and the reach must be positive metres");
    Impl& m = *m_impl;
    const MetresPerDegree mid = metres_per_degree((extent.min_y + extent.max_y) / 2);
    m.lon0 = extent.min_x;
    m.lat0 = extent.min_y;
    m.dlon = options.cell_m / mid.lon;
    m.dlat = options.cell_m / mid.lat;
    m.per_lon = 1 / m.dlon;
    m.per_lat = 1 / m.dlat;
    const double nx = std::floor((extent.max_x - extent.min_x) / m.dlon) + 1;
    const double ny = std::floor((extent.max_y - extent.min_y) / m.dlat) + 1;
    constexpr double max_side = 2147483648.0;
    if (nx > max_side || ny > max_side || (nx / block_size + 1) * (ny / block_size + 1) > 1 << 28)
        throw Error(ErrorCode::invalid_argument,
                    "reach map: the extent is too large for cells of this size");
    m.nx = static_cast<std::int64_t>(nx);
    m.ny = static_cast<std::int64_t>(ny);
    m.bx = (m.nx + block_size - 1) / block_size;
    m.by = (m.ny + block_size - 1) / block_size;
    m.blocks = std::vector<std::atomic<Block*>>(static_cast<std::size_t>(m.bx * m.by));
    for (std::int64_t b = 0; b < m.by; ++b) {
        const double lat =
            m.lat0 + (static_cast<double>(b * block_size) + block_size / 2.0) * m.dlat;
        m.cell_width_m.push_back(m.dlon * metres_per_degree(std::min(lat, 90.0)).lon);
    }
    m.reach_rows = static_cast<std::int64_t>(options.reach_m / options.cell_m);
    for (std::int64_t dy = -m.reach_rows; dy <= m.reach_rows; ++dy) {
        const double v = static_cast<double>(dy) * options.cell_m;
        m.half_width_m.push_back(
            std::sqrt(std::max(0.0, options.reach_m * options.reach_m - v * v)));
    }
}

ReachMap::~ReachMap() = default;
ReachMap::ReachMap(ReachMap&&) noexcept = default;
ReachMap& ReachMap::operator=(ReachMap&&) noexcept = default;

void ReachMap::mark(LonLat a, LonLat b) {
    Impl& m = *m_impl;
    if (!std::isfinite(a.lon) || !std::isfinite(a.lat) || !std::isfinite(b.lon) ||
        !std::isfinite(b.lat))
        return;
    // In cell units; then clipped to the extent [0, nx] x [0, ny] (Liang-Barsky).
    double u0 = (a.lon - m.lon0) * m.per_lon, v0 = (a.lat - m.lat0) * m.per_lat;
    double u1 = (b.lon - m.lon0) * m.per_lon, v1 = (b.lat - m.lat0) * m.per_lat;
    const double du = u1 - u0, dv = v1 - v0;
    double t0 = 0, t1 = 1;
    const auto clip = [&](double p, double q) {
        if (p == 0)
            return q >= 0;
        const double r = q / p;
        if (p < 0)
            t0 = std::max(t0, r);
        else
            t1 = std::min(t1, r);
        return t0 <= t1;
    };
    const auto nx = static_cast<double>(m.nx), ny = static_cast<double>(m.ny);
    const auto inside = [&](double u, double v) { return u >= 0 && u <= nx && v >= 0 && v <= ny; };
    if (!(inside(u0, v0) && inside(u1, v1)) &&
        (!clip(-du, u0) || !clip(du, nx - u0) || !clip(-dv, v0) || !clip(dv, ny - v0)))
        return;
    double su = u0 + t0 * du, sv = v0 + t0 * dv;
    double eu = u0 + t1 * du, ev = v0 + t1 * dv;
    if (sv > ev) {
        std::swap(su, eu);
        std::swap(sv, ev);
    }
    // Clipped, so c >= 0 (but for rounding): truncation is the floor.
    const auto cell = [](double c, std::int64_t n) {
        return std::clamp(static_cast<std::int64_t>(c), std::int64_t{0}, n - 1);
    };
    // Row by row, the run of cells the segment passes through there: from where it enters the
    // row to where it leaves (a segment along a row line marks the row above it).
    const std::int64_t j0 = cell(sv, m.ny), j1 = cell(ev, m.ny);
    const double slope = ev > sv ? (eu - su) / (ev - sv) : 0;
    for (std::int64_t j = j0; j <= j1; ++j) {
        const double va = std::max(sv, static_cast<double>(j));
        const double vb = std::min(ev, static_cast<double>(j + 1));
        const double ua = j == j0 ? su : su + (va - sv) * slope;
        const double ub = j == j1 ? eu : su + (vb - sv) * slope;
        m.mark_run(j, cell(std::min(ua, ub), m.nx), cell(std::max(ua, ub), m.nx));
    }
}

void ReachMap::spread(int threads) {
    Impl& m = *m_impl;
    // Threads take rows in turn (every thread's rows spread over the whole map).
    const auto work = [&m](std::int64_t first, std::int64_t stride) {
        std::vector<std::uint64_t> row, shifted;
        for (std::int64_t j = first; j < m.ny; j += stride)
            m.spread_row(j, row, shifted);
    };
    const std::int64_t n = std::clamp(threads, 1, 64);
    std::vector<std::jthread> workers;
    for (std::int64_t t = 1; t < n; ++t)
        workers.emplace_back(work, t, n);
    work(0, n);
}

bool ReachMap::covered(LonLat p) const {
    const Impl& m = *m_impl;
    const double u = std::floor((p.lon - m.lon0) / m.dlon),
                 v = std::floor((p.lat - m.lat0) / m.dlat);
    if (!(u >= 0 && u < static_cast<double>(m.nx) && v >= 0 && v < static_cast<double>(m.ny)))
        return false;
    const auto i = static_cast<std::int64_t>(u), j = static_cast<std::int64_t>(v);
    const Block* b = m.block_at(i, j);
    return b &&
           (b->covered[static_cast<std::size_t>(j & (block_size - 1))] >> (i & (block_size - 1))) &
               1;
}

ReachMap::Share ReachMap::measure(const MultiPolygon& area) const {
    const Impl& m = *m_impl;
    struct Edge {
        LonLat a, b;
        std::int64_t first_row, last_row; // rows whose centre line crosses it
    };
    // Row j's centre line is at lat0 + (j + 0.5) dlat; an edge crosses it when exactly one end
    // lies at or below it (half-open, so a vertex on the line counts once).
    const auto row_at_or_above = [&](double lat) {
        return static_cast<std::int64_t>(std::ceil((lat - m.lat0) / m.dlat - 0.5));
    };
    std::vector<Edge> edges;
    for (const auto& poly : area.polygons)
        for (const auto& ring : poly.rings)
            for (std::size_t k = 1; k < ring.size(); ++k) {
                const LonLat a = ring[k - 1], b = ring[k];
                if (a.lat == b.lat)
                    continue;
                const double lo = std::min(a.lat, b.lat), hi = std::max(a.lat, b.lat);
                // Centres c with lo <= c < hi.
                const std::int64_t first = row_at_or_above(lo);
                const std::int64_t last = row_at_or_above(hi) - 1;
                if (first <= last)
                    edges.push_back({a, b, first, last});
            }
    std::ranges::sort(edges, {}, &Edge::first_row);
    Share share;
    std::vector<const Edge*> active;
    std::vector<double> xs;
    std::size_t next = 0;
    for (std::int64_t j = edges.empty() ? 0 : edges.front().first_row;
         next < edges.size() || !active.empty(); ++j) {
        if (active.empty() && next < edges.size())
            j = std::max(j, edges[next].first_row);
        while (next < edges.size() && edges[next].first_row <= j)
            active.push_back(&edges[next++]);
        std::erase_if(active, [&](const Edge* e) { return e->last_row < j; });
        const double yc = m.lat0 + (static_cast<double>(j) + 0.5) * m.dlat;
        xs.clear();
        for (const Edge* e : active)
            xs.push_back(e->a.lon +
                         (yc - e->a.lat) * (e->b.lon - e->a.lon) / (e->b.lat - e->a.lat));
        std::ranges::sort(xs);
        for (std::size_t k = 0; k + 1 < xs.size(); k += 2) {
            // Cells whose centre lon0 + (i + 0.5) dlon lies in [xs[k], xs[k+1]).
            const auto i0 = static_cast<std::int64_t>(std::ceil((xs[k] - m.lon0) / m.dlon - 0.5));
            const auto i1 =
                static_cast<std::int64_t>(std::ceil((xs[k + 1] - m.lon0) / m.dlon - 0.5)) - 1;
            if (i1 < i0)
                continue;
            share.cells += i1 - i0 + 1;
            if (j >= 0 && j < m.ny) {
                const std::int64_t c0 = std::max<std::int64_t>(i0, 0);
                const std::int64_t c1 = std::min(i1, m.nx - 1);
                if (c0 <= c1)
                    share.covered += m.covered_in_run(j, c0, c1);
            }
        }
    }
    return share;
}

std::int64_t ReachMap::marked_cells() const {
    std::int64_t n = 0;
    for (const auto& slot : m_impl->blocks)
        if (const Block* b = slot.load(std::memory_order_acquire))
            for (std::uint64_t w : b->marked)
                n += std::popcount(w);
    return n;
}

std::size_t ReachMap::memory_bytes() const {
    std::size_t bytes = m_impl->blocks.size() * sizeof(std::atomic<Block*>);
    for (const auto& slot : m_impl->blocks)
        if (slot.load(std::memory_order_relaxed))
            bytes += sizeof(Block);
    return bytes + (m_impl->cell_width_m.size() + m_impl->half_width_m.size()) * sizeof(double);
}

} // namespace tessera::geo
