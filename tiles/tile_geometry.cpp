#include "tiles/tile_geometry.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>

namespace tessera::tiles {
namespace {

constexpr double half_world = geo::mercator_half_world_m;

using XY = TileFrame::XY;
using IXY = std::pair<std::int64_t, std::int64_t>;

struct Box {
    double min, max; // the same on both axes: [-buffer, extent + buffer]
};

// Sutherland-Hodgman against one side of the box; `inside` and `cross` describe the side.
template <class Inside, class Cross>
std::vector<XY> clip_side(const std::vector<XY>& ring, Inside inside, Cross cross) {
    std::vector<XY> out;
    if (ring.empty())
        return out;
    out.reserve(ring.size() + 4);
    XY prev = ring.back();
    bool prev_in = inside(prev);
    for (const XY& p : ring) {
        bool in = inside(p);
        if (in != prev_in)
            out.push_back(cross(prev, p));
        if (in)
            out.push_back(p);
        prev = p;
        prev_in = in;
    }
    return out;
}

// A ring (open: no repeated closing point) clipped to the box. Edges along the box's sides may
// appear where the ring left and re-entered; they lie in the buffer, outside the visible tile.
std::vector<XY> clip_ring(std::vector<XY> ring, Box b) {
    auto at_x = [](double x) {
        return [x](XY a, XY c) { return XY{x, a.y + (c.y - a.y) * (x - a.x) / (c.x - a.x)}; };
    };
    auto at_y = [](double y) {
        return [y](XY a, XY c) { return XY{a.x + (c.x - a.x) * (y - a.y) / (c.y - a.y), y}; };
    };
    ring = clip_side(
        ring, [&](XY p) { return p.x >= b.min; }, at_x(b.min));
    ring = clip_side(
        ring, [&](XY p) { return p.x <= b.max; }, at_x(b.max));
    ring = clip_side(
        ring, [&](XY p) { return p.y >= b.min; }, at_y(b.min));
    ring = clip_side(
        ring, [&](XY p) { return p.y <= b.max; }, at_y(b.max));
    return ring;
}

IXY snap(XY p) {
    return {std::llround(p.x), std::llround(p.y)};
}

// `ring` snapped, without consecutive repeats (nor a closing repeat), into `out`; `out` is left
// empty when fewer than three points remain.
void snap_ring(std::span<const XY> ring, std::vector<IXY>& out) {
    out.clear();
    for (const XY& p : ring) {
        IXY q = snap(p);
        if (out.empty() || out.back() != q)
            out.push_back(q);
    }
    while (out.size() > 1 && out.back() == out.front())
        out.pop_back();
    if (out.size() < 3)
        out.clear();
}

std::int64_t open_ring_area2(std::span<const IXY> r) {
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < r.size(); ++i) {
        const IXY& a = r[i];
        const IXY& c = r[(i + 1) % r.size()];
        sum += a.first * c.second - c.first * a.second;
    }
    return sum;
}

class CommandWriter {
public:
    explicit CommandWriter(std::vector<std::uint32_t>& out)
        : m_out(out) {}

    void move_to(IXY p) {
        m_out.push_back(command(tiles::move_to, 1));
        delta(p);
    }
    // LineTo for every point of `pts` (at least one).
    void line_to(std::span<const IXY> pts) {
        m_out.push_back(command(tiles::line_to, static_cast<std::uint32_t>(pts.size())));
        for (const IXY& p : pts)
            delta(p);
    }
    void close() { m_out.push_back(command(tiles::close_path, 1)); }
    void points(std::span<const IXY> pts) {
        m_out.push_back(command(tiles::move_to, static_cast<std::uint32_t>(pts.size())));
        for (const IXY& p : pts)
            delta(p);
    }

private:
    void delta(IXY p) {
        m_out.push_back(zigzag(static_cast<std::int32_t>(p.first - m_cursor.first)));
        m_out.push_back(zigzag(static_cast<std::int32_t>(p.second - m_cursor.second)));
        m_cursor = p;
    }
    std::vector<std::uint32_t>& m_out;
    IXY m_cursor{0, 0};
};

void encode_polygons(const TileFrame& f, const geo::MultiPolygon& mp, Box box,
                     std::vector<std::uint32_t>& out) {
    CommandWriter w(out);
    std::vector<XY> pts;
    std::vector<IXY> snapped, rings; // rings: the polygon's kept rings one after the other
    std::vector<std::size_t> ends;   // where each kept ring ends in `rings`
    for (const auto& poly : mp.polygons) {
        rings.clear();
        ends.clear();
        for (std::size_t r = 0; r < poly.rings.size(); ++r) {
            const geo::Ring& ring = poly.rings[r];
            pts.clear();
            double min_x = box.max, max_x = box.min, min_y = box.max, max_y = box.min;
            for (std::size_t i = 0; i + 1 < ring.size(); ++i) { // closed rings: skip the repeat
                XY p = f.project(ring[i]);
                min_x = std::min(min_x, p.x);
                max_x = std::max(max_x, p.x);
                min_y = std::min(min_y, p.y);
                max_y = std::max(max_y, p.y);
                pts.push_back(p);
            }
            // Most rings of a tile lie inside it: clip only those that reach over its border.
            if (min_x >= box.min && max_x <= box.max && min_y >= box.min && max_y <= box.max)
                snap_ring(pts, snapped);
            else
                snap_ring(clip_ring(pts, box), snapped);
            std::int64_t area = snapped.empty() ? 0 : open_ring_area2(snapped);
            if (area == 0) {
                if (r == 0)
                    break; // no exterior in this tile: nor its holes
                continue;
            }
            // Exterior rings have positive area in tile coordinates (y down), holes negative.
            if ((r == 0) != (area > 0))
                std::reverse(snapped.begin(), snapped.end());
            rings.insert(rings.end(), snapped.begin(), snapped.end());
            ends.push_back(rings.size());
        }
        std::size_t begin = 0;
        for (std::size_t end : ends) {
            std::span ring(rings.data() + begin, end - begin);
            w.move_to(ring.front());
            w.line_to(ring.subspan(1));
            w.close();
            begin = end;
        }
    }
}

// Liang-Barsky: the part of segment a-c inside the box, if any.
bool clip_segment(XY& a, XY& c, Box b) {
    double t0 = 0, t1 = 1, dx = c.x - a.x, dy = c.y - a.y;
    auto edge = [&](double p, double q) {
        if (p == 0)
            return q >= 0;
        double t = q / p;
        if (p < 0) {
            if (t > t1)
                return false;
            t0 = std::max(t0, t);
        } else {
            if (t < t0)
                return false;
            t1 = std::min(t1, t);
        }
        return true;
    };
    if (!edge(-dx, a.x - b.min) || !edge(dx, b.max - a.x) || !edge(-dy, a.y - b.min) ||
        !edge(dy, b.max - a.y))
        return false;
    XY a2{a.x + t0 * dx, a.y + t0 * dy}, c2{a.x + t1 * dx, a.y + t1 * dy};
    a = a2;
    c = c2;
    return true;
}

void encode_line(const TileFrame& f, std::span<const geo::LonLat> line, Box box, CommandWriter& w) {
    std::vector<IXY> run;
    auto flush = [&] {
        if (run.size() >= 2) {
            w.move_to(run.front());
            w.line_to(std::span(run).subspan(1));
        }
        run.clear();
    };
    // Each vertex projected once, though it ends one segment and starts the next.
    std::vector<XY> projected;
    projected.reserve(line.size());
    for (const auto& p : line)
        projected.push_back(f.project(p));
    for (std::size_t i = 0; i + 1 < projected.size(); ++i) {
        XY a0 = projected[i], c0 = projected[i + 1];
        XY a = a0, c = c0;
        if (!clip_segment(a, c, box)) {
            flush();
            continue;
        }
        if (a.x != a0.x || a.y != a0.y)
            flush(); // entering the box: a new part
        for (IXY p : {snap(a), snap(c)})
            if (run.empty() || run.back() != p)
                run.push_back(p);
        if (c.x != c0.x || c.y != c0.y)
            flush(); // leaving it
    }
    flush();
}

} // namespace

TileFrame::TileFrame(TileId tile, std::uint32_t extent, std::uint32_t buffer)
    : m_tile(tile)
    , m_extent(extent)
    , m_buffer(buffer) {
    assert(is_valid(tile));
    double size = 2 * half_world / std::ldexp(1.0, static_cast<int>(tile.z));
    m_min_x = -half_world + tile.x * size;
    m_max_y = half_world - tile.y * size;
    m_scale = extent / size;
}

geo::BBox TileFrame::query_box() const {
    double b = m_buffer / m_scale;
    geo::BBox box;
    box.extend(from_mercator({m_min_x - b, m_max_y + b}));
    box.extend(from_mercator({m_min_x + m_extent / m_scale + b, m_max_y - m_extent / m_scale - b}));
    return box;
}

namespace {

Box buffered_box(const TileFrame& f) {
    return {-static_cast<double>(f.buffer()), static_cast<double>(f.extent() + f.buffer())};
}

} // namespace

EncodedGeometry encode_geometry(const TileFrame& f, const geo::MultiPolygon& mp) {
    EncodedGeometry out;
    out.type = GeomType::polygon;
    encode_polygons(f, mp, buffered_box(f), out.commands);
    return out;
}

std::optional<std::array<std::uint32_t, 3>> encode_point(const TileFrame& f, geo::LonLat p) {
    return encode_point(f, to_mercator(p));
}

std::optional<std::array<std::uint32_t, 3>> encode_point(const TileFrame& f, MercatorXY p) {
    Box box = buffered_box(f);
    XY q = f.project(p);
    if (!(q.x >= box.min && q.x <= box.max && q.y >= box.min && q.y <= box.max))
        return std::nullopt;
    IXY i = snap(q);
    return std::array{command(tiles::move_to, 1), zigzag(static_cast<std::int32_t>(i.first)),
                      zigzag(static_cast<std::int32_t>(i.second))};
}

EncodedGeometry encode_geometry(const TileFrame& f, const geo::Geometry& g) {
    Box box = buffered_box(f);
    EncodedGeometry out;
    auto points = [&](std::span<const geo::LonLat> pts) {
        out.type = GeomType::point;
        std::vector<IXY> kept;
        for (const auto& p : pts) {
            XY q = f.project(p);
            if (q.x >= box.min && q.x <= box.max && q.y >= box.min && q.y <= box.max)
                kept.push_back(snap(q));
        }
        if (!kept.empty())
            CommandWriter(out.commands).points(kept);
    };
    auto lines = [&](std::span<const geo::LineString> ls) {
        out.type = GeomType::linestring;
        CommandWriter w(out.commands);
        for (const auto& l : ls)
            encode_line(f, l.points, box, w);
    };
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, geo::Point>) {
                points(std::span(&x.pos, 1));
            } else if constexpr (std::is_same_v<T, geo::MultiPoint>) {
                points(x.points);
            } else if constexpr (std::is_same_v<T, geo::LineString>) {
                lines(std::span(&x, 1));
            } else if constexpr (std::is_same_v<T, geo::MultiLineString>) {
                lines(x.lines);
            } else {
                out.type = GeomType::polygon;
                encode_polygons(f, geo::as_multi_polygon(x), box, out.commands);
            }
        },
        g);
    return out;
}

} // namespace tessera::tiles
