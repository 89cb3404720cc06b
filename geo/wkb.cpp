#include "geo/wkb.hpp"

#include "geo/error.hpp"

#include <bit>
#include <cstring>

namespace tessera::geo {
namespace {

std::uint32_t bswap(std::uint32_t v) {
    return __builtin_bswap32(v);
}
std::uint64_t bswap(std::uint64_t v) {
    return __builtin_bswap64(v);
}

enum WkbType : std::uint32_t {
    wkb_point = 1,
    wkb_line_string = 2,
    wkb_polygon = 3,
    wkb_multi_point = 4,
    wkb_multi_line_string = 5,
    wkb_multi_polygon = 6,
};

class Writer {
public:
    void header(std::uint32_t type) {
        m_out.push_back('\x01'); // little-endian
        u32(type);
    }
    void u32(std::uint32_t v) {
        if constexpr (std::endian::native == std::endian::big)
            v = bswap(v);
        m_out.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    void f64(double d) {
        std::uint64_t v;
        std::memcpy(&v, &d, sizeof v);
        if constexpr (std::endian::native == std::endian::big)
            v = bswap(v);
        m_out.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    void coords(const std::vector<LonLat>& pts) {
        u32(static_cast<std::uint32_t>(pts.size()));
        for (const auto& p : pts) {
            f64(p.lon);
            f64(p.lat);
        }
    }
    void polygon(const Polygon& p) {
        header(wkb_polygon);
        u32(static_cast<std::uint32_t>(p.rings.size()));
        for (const auto& r : p.rings)
            coords(r);
    }
    std::string take() { return std::move(m_out); }

private:
    std::string m_out;
};

class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> in)
        : m_in(in) {}

    Geometry geometry() {
        std::uint32_t type = header();
        switch (type) {
        case wkb_point:
            return Point{point()};
        case wkb_line_string:
            return LineString{coords()};
        case wkb_polygon:
            return polygon_body();
        case wkb_multi_point: {
            MultiPoint mp;
            std::uint32_t n = count(21);
            for (std::uint32_t i = 0; i < n; ++i) {
                expect(header(), wkb_point);
                mp.points.push_back(point());
            }
            return mp;
        }
        case wkb_multi_line_string: {
            MultiLineString ml;
            std::uint32_t n = count(9);
            for (std::uint32_t i = 0; i < n; ++i) {
                expect(header(), wkb_line_string);
                ml.lines.push_back(LineString{coords()});
            }
            return ml;
        }
        case wkb_multi_polygon: {
            MultiPolygon mp;
            std::uint32_t n = count(9);
            for (std::uint32_t i = 0; i < n; ++i) {
                expect(header(), wkb_polygon);
                mp.polygons.push_back(polygon_body());
            }
            return mp;
        }
        default:
            fail("unsupported WKB geometry type " + std::to_string(type));
        }
    }

    bool at_end() const { return m_pos == m_in.size(); }

private:
    [[noreturn]] static void fail(const std::string& what) {
        throw Error(ErrorCode::invalid_geometry, "bad WKB: " + what);
    }
    void need(std::size_t n) const {
        if (m_in.size() - m_pos < n)
            fail("truncated");
    }
    std::uint32_t u32() {
        need(4);
        std::uint32_t v;
        std::memcpy(&v, m_in.data() + m_pos, 4);
        m_pos += 4;
        if (m_big != (std::endian::native == std::endian::big))
            v = bswap(v);
        return v;
    }
    double f64() {
        need(8);
        std::uint64_t v;
        std::memcpy(&v, m_in.data() + m_pos, 8);
        m_pos += 8;
        if (m_big != (std::endian::native == std::endian::big))
            v = bswap(v);
        double d;
        std::memcpy(&d, &v, 8);
        return d;
    }
    // Reads byte order and type; records how many ordinates each coordinate carries.
    std::uint32_t header() {
        need(1);
        std::uint8_t order = m_in[m_pos++];
        if (order > 1)
            fail("bad byte-order marker");
        m_big = order == 0;
        std::uint32_t raw = u32();
        bool has_z = (raw & 0x80000000u) != 0;
        bool has_m = (raw & 0x40000000u) != 0;
        bool has_srid = (raw & 0x20000000u) != 0;
        std::uint32_t type = raw & 0x0fffffffu;
        if (type >= 3000) {
            has_z = has_m = true;
            type -= 3000;
        } else if (type >= 2000) {
            has_m = true;
            type -= 2000;
        } else if (type >= 1000) {
            has_z = true;
            type -= 1000;
        }
        if (has_srid)
            u32();
        m_dims = 2 + (has_z ? 1 : 0) + (has_m ? 1 : 0);
        return type;
    }
    static void expect(std::uint32_t got, std::uint32_t want) {
        if (got != want)
            fail("unexpected member type " + std::to_string(got));
    }
    // A count whose elements take at least min_bytes each; guards against absurd counts.
    std::uint32_t count(std::size_t min_bytes) {
        std::uint32_t n = u32();
        if (n > (m_in.size() - m_pos) / min_bytes)
            fail("count exceeds remaining bytes");
        return n;
    }
    LonLat point() {
        LonLat p{f64(), f64()};
        for (int i = 2; i < m_dims; ++i)
            f64();
        return p;
    }
    std::vector<LonLat> coords() {
        std::uint32_t n = count(16);
        std::vector<LonLat> pts;
        pts.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i)
            pts.push_back(point());
        return pts;
    }
    Polygon polygon_body() {
        Polygon p;
        std::uint32_t n = count(4);
        for (std::uint32_t i = 0; i < n; ++i)
            p.rings.push_back(coords());
        return p;
    }

    std::span<const std::uint8_t> m_in;
    std::size_t m_pos = 0;
    bool m_big = false;
    int m_dims = 2;
};

} // namespace

std::string to_wkb(const Geometry& g) {
    Writer w;
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Point>) {
                w.header(wkb_point);
                w.f64(v.pos.lon);
                w.f64(v.pos.lat);
            } else if constexpr (std::is_same_v<T, LineString>) {
                w.header(wkb_line_string);
                w.coords(v.points);
            } else if constexpr (std::is_same_v<T, Polygon>) {
                w.polygon(v);
            } else if constexpr (std::is_same_v<T, MultiPoint>) {
                w.header(wkb_multi_point);
                w.u32(static_cast<std::uint32_t>(v.points.size()));
                for (const auto& p : v.points) {
                    w.header(wkb_point);
                    w.f64(p.lon);
                    w.f64(p.lat);
                }
            } else if constexpr (std::is_same_v<T, MultiLineString>) {
                w.header(wkb_multi_line_string);
                w.u32(static_cast<std::uint32_t>(v.lines.size()));
                for (const auto& l : v.lines) {
                    w.header(wkb_line_string);
                    w.coords(l.points);
                }
            } else {
                w.header(wkb_multi_polygon);
                w.u32(static_cast<std::uint32_t>(v.polygons.size()));
                for (const auto& p : v.polygons)
                    w.polygon(p);
            }
        },
        g);
    return w.take();
}

Geometry from_wkb(std::span<const std::uint8_t> wkb) {
    Reader r(wkb);
    Geometry g = r.geometry();
    if (!r.at_end())
        throw Error(ErrorCode::invalid_geometry, "bad WKB: trailing bytes");
    return g;
}

} // namespace tessera::geo
