// Coordinate reference systems. Tessera stores EPSG:4326 (CGCS2000, EPSG:4490, is treated as
// identical, as PROJ's ballpark transformation does) and accepts input in any EPSG CRS through
// PROJ, plus the Chinese consumer offset frames GCJ-02 and BD-09 (see offset_frames.hpp).
//
// Axis order: every coordinate passed in or out is (x, y) in the traditional GIS order, i.e.
// (lon, lat) for geographic CRSs even where EPSG says lat,lon (EPSG:4326, EPSG:4490), and
// (easting, northing) for projected CRSs even where EPSG says northing,easting (EPSG:4547).
#pragma once

#include "geo/geometry.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::geo {

class Crs {
public:
    enum class Kind { wgs84, gcj02, bd09, proj };

    // Accepts: wgs84, CRS84 and its OGC URI/URN forms, cgcs2000, gcj02 (gcj-02), bd09 (bd-09),
    // EPSG:n, bare n, urn:ogc:def:crs:EPSG::n, http://www.opengis.net/def/crs/EPSG/0/n, and any
    // WKT or PROJJSON text PROJ understands. Case-insensitive for the names.
    // Throws Error(unknown_crs) naming the input when PROJ does not know it.
    static Crs parse(std::string_view text);
    static Crs wgs84();

    Kind kind() const { return m_kind; }
    // Canonical identifier: "EPSG:4326", "EPSG:4490", "gcj02", "bd09", "EPSG:4547", or the
    // definition text for CRSs without an EPSG code.
    const std::string& id() const { return m_id; }
    std::optional<int> epsg() const { return m_epsg; }
    // True for CRSs whose coordinates equal stored WGS84 ones (EPSG:4326, EPSG:4490, CRS84).
    bool is_storage_equivalent() const { return m_kind == Kind::wgs84; }
    // True for lon/lat CRSs (wgs84, gcj02, bd09, geographic EPSG codes).
    bool is_geographic() const { return m_geographic; }

    friend bool operator==(const Crs& a, const Crs& b) { return a.m_id == b.m_id; }

private:
    Crs(Kind kind, std::string id, std::optional<int> epsg, bool geographic)
        : m_kind(kind)
        , m_id(std::move(id))
        , m_epsg(epsg)
        , m_geographic(geographic) {}

    Kind m_kind;
    std::string m_id;
    std::optional<int> m_epsg;
    bool m_geographic;
};

// Converts coordinates between two CRSs, going through WGS84 when either side is an offset
// frame. Thread-safety: an instance may be used by one thread at a time (it owns a PROJ
// context); create one per thread.
class CrsTransform {
public:
    CrsTransform(const Crs& from, const Crs& to);
    ~CrsTransform();
    CrsTransform(CrsTransform&&) noexcept;
    CrsTransform& operator=(CrsTransform&&) noexcept;
    CrsTransform(const CrsTransform&) = delete;
    CrsTransform& operator=(const CrsTransform&) = delete;

    const Crs& from() const { return m_from; }
    const Crs& to() const { return m_to; }
    bool is_identity() const;

    // Throws Error(invalid_argument) for non-finite input or when PROJ cannot transform the
    // point (e.g. outside the projection's domain).
    LonLat apply(LonLat xy) const;
    void apply(Geometry& g) const;

private:
    struct Impl;
    Crs m_from;
    Crs m_to;
    std::unique_ptr<Impl> m_impl;
};

} // namespace tessera::geo
