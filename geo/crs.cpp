#include "geo/crs.hpp"

#include "geo/error.hpp"
#include "geo/offset_frames.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <proj.h>

namespace tessera::geo {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos)
        return {};
    auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

std::optional<int> parse_int(std::string_view s) {
    int v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || v <= 0)
        return std::nullopt;
    return v;
}

// One owner for each PROJ handle type.
struct ContextDeleter {
    void operator()(PJ_CONTEXT* c) const { proj_context_destroy(c); }
};
struct PjDeleter {
    void operator()(PJ* p) const { proj_destroy(p); }
};
using ContextPtr = std::unique_ptr<PJ_CONTEXT, ContextDeleter>;
using PjPtr = std::unique_ptr<PJ, PjDeleter>;

ContextPtr make_context() {
    ContextPtr ctx(proj_context_create());
    if (!ctx)
        throw Error(ErrorCode::internal, "cannot create a PROJ context");
    proj_log_level(ctx.get(), PJ_LOG_NONE);
    return ctx;
}

// The EPSG code PROJ reports for a CRS object, if it has one.
std::optional<int> epsg_of(PJ_CONTEXT* ctx, PJ* crs) {
    const char* auth = proj_get_id_auth_name(crs, 0);
    const char* code = proj_get_id_code(crs, 0);
    if (auth && code && std::string_view(auth) == "EPSG")
        return parse_int(code);
    (void)ctx;
    return std::nullopt;
}

bool is_geographic_type(PJ_TYPE t) {
    return t == PJ_TYPE_GEOGRAPHIC_2D_CRS || t == PJ_TYPE_GEOGRAPHIC_3D_CRS ||
           t == PJ_TYPE_GEOGRAPHIC_CRS;
}

} // namespace

Crs Crs::wgs84() {
    return Crs(Kind::wgs84, "EPSG:4326", 4326, true);
}

Crs Crs::parse(std::string_view text) {
    std::string t = trim(text);
    std::string l = lower(t);
    if (l.empty())
        throw Error(ErrorCode::unknown_crs, "empty CRS");
    if (l == "wgs84" || l == "wgs 84" || l == "wgs-84" || l == "crs84" || l == "ogc:crs84" ||
        l == "epsg:4326" || l == "4326" || l == "urn:ogc:def:crs:ogc:1.3:crs84" ||
        l == "urn:ogc:def:crs:ogc::crs84" || l == "http://www.opengis.net/def/crs/ogc/1.3/crs84" ||
        l == "urn:ogc:def:crs:epsg::4326" || l == "http://www.opengis.net/def/crs/epsg/0/4326")
        return wgs84();
    if (l == "gcj02" || l == "gcj-02" || l == "gcj")
        return Crs(Kind::gcj02, "gcj02", std::nullopt, true);
    if (l == "bd09" || l == "bd-09" || l == "bd09ll")
        return Crs(Kind::bd09, "bd09", std::nullopt, true);
    if (l == "cgcs2000")
        l = "epsg:4490";

    // Normalise the EPSG spellings to "EPSG:n"; anything else goes to PROJ as it is.
    std::string definition = t;
    for (std::string_view prefix : {"epsg:", "urn:ogc:def:crs:epsg::", "urn:ogc:def:crs:epsg:",
                                    "http://www.opengis.net/def/crs/epsg/0/"}) {
        if (l.starts_with(prefix)) {
            auto code = parse_int(std::string_view(l).substr(prefix.size()));
            if (!code)
                throw Error(ErrorCode::unknown_crs, "unknown CRS '" + t + "'");
            definition = "EPSG:" + std::to_string(*code);
            break;
        }
    }
    if (auto code = parse_int(l))
        definition = "EPSG:" + std::to_string(*code);
    // Beyond EPSG codes, only definitions PROJ parses structurally: WKT, PROJJSON, PROJ strings.
    // PROJ would also resolve bare object names ("mars" is an IAU body), which is too loose.
    static constexpr std::string_view wkt_keywords[] = {
        "geogcs[",       "projcs[",      "geogcrs[",  "projcrs[", "geodcrs[", "geographiccrs[",
        "projectedcrs[", "compoundcrs[", "boundcrs[", "geoccs[",  "vertcrs[", "compd_cs["};
    bool structural = definition.starts_with("EPSG:") || l.starts_with("{") ||
                      l.starts_with("+proj=") ||
                      std::any_of(std::begin(wkt_keywords), std::end(wkt_keywords),
                                  [&](std::string_view k) { return l.starts_with(k); });
    if (!structural)
        throw Error(ErrorCode::unknown_crs, "unknown CRS '" + t + "'");

    ContextPtr ctx = make_context();
    PjPtr crs(proj_create(ctx.get(), definition.c_str()));
    if (!crs || !proj_is_crs(crs.get()))
        throw Error(ErrorCode::unknown_crs, "unknown CRS '" + t + "'");
    std::optional<int> epsg = epsg_of(ctx.get(), crs.get());
    if (!epsg && definition.starts_with("EPSG:"))
        epsg = parse_int(definition.substr(5));
    if (epsg == 4326 || epsg == 4490) {
        // CGCS2000 and WGS84 agree to a few centimetres; PROJ's transformation between them is
        // the identity. Keep the identifier the caller used.
        return Crs(Kind::wgs84, "EPSG:" + std::to_string(*epsg), epsg, true);
    }
    bool geographic = is_geographic_type(proj_get_type(crs.get()));
    std::string id = epsg ? "EPSG:" + std::to_string(*epsg) : definition;
    return Crs(Kind::proj, id, epsg, geographic);
}

struct CrsTransform::Impl {
    ContextPtr ctx;
    PjPtr to_wgs84;   // m_from (PROJ kind) -> EPSG:4326, traditional axis order
    PjPtr from_wgs84; // EPSG:4326 -> m_to (PROJ kind), traditional axis order
};

namespace {

PjPtr make_pipeline(PJ_CONTEXT* ctx, const std::string& from, const std::string& to) {
    PjPtr raw(proj_create_crs_to_crs(ctx, from.c_str(), to.c_str(), nullptr));
    if (!raw)
        throw Error(ErrorCode::unknown_crs, "no transformation from " + from + " to " + to);
    PjPtr norm(proj_normalize_for_visualization(ctx, raw.get()));
    if (!norm)
        throw Error(ErrorCode::unknown_crs, "cannot normalise axis order of " + from + " -> " + to);
    return norm;
}

LonLat run(PJ* pj, LonLat xy) {
    PJ_COORD c = proj_coord(xy.lon, xy.lat, 0, 0);
    PJ_COORD r = proj_trans(pj, PJ_FWD, c);
    if (!std::isfinite(r.xy.x) || !std::isfinite(r.xy.y) || r.xy.x == HUGE_VAL)
        throw Error(ErrorCode::invalid_argument, "coordinate (" + std::to_string(xy.lon) + ", " +
                                                     std::to_string(xy.lat) +
                                                     ") cannot be transformed");
    return {r.xy.x, r.xy.y};
}

} // namespace

CrsTransform::CrsTransform(const Crs& from, const Crs& to)
    : m_from(from)
    , m_to(to)
    , m_impl(std::make_unique<Impl>()) {
    if (from.kind() == Crs::Kind::proj || to.kind() == Crs::Kind::proj) {
        m_impl->ctx = make_context();
        if (from.kind() == Crs::Kind::proj)
            m_impl->to_wgs84 = make_pipeline(m_impl->ctx.get(), from.id(), "EPSG:4326");
        if (to.kind() == Crs::Kind::proj)
            m_impl->from_wgs84 = make_pipeline(m_impl->ctx.get(), "EPSG:4326", to.id());
    }
}

CrsTransform::~CrsTransform() = default;
CrsTransform::CrsTransform(CrsTransform&&) noexcept = default;
CrsTransform& CrsTransform::operator=(CrsTransform&&) noexcept = default;

bool CrsTransform::is_identity() const {
    return m_from.kind() == m_to.kind() &&
           (m_from.kind() != Crs::Kind::proj || m_from.id() == m_to.id());
}

LonLat CrsTransform::apply(LonLat xy) const {
    if (!std::isfinite(xy.lon) || !std::isfinite(xy.lat))
        throw Error(ErrorCode::invalid_argument, "coordinate is not a finite number");
    if (is_identity())
        return xy;
    LonLat wgs;
    switch (m_from.kind()) {
    case Crs::Kind::wgs84:
        wgs = xy;
        break;
    case Crs::Kind::gcj02:
        wgs = gcj02_to_wgs84(xy);
        break;
    case Crs::Kind::bd09:
        wgs = bd09_to_wgs84(xy);
        break;
    case Crs::Kind::proj:
        wgs = run(m_impl->to_wgs84.get(), xy);
        break;
    }
    switch (m_to.kind()) {
    case Crs::Kind::wgs84:
        return wgs;
    case Crs::Kind::gcj02:
        return wgs84_to_gcj02(wgs);
    case Crs::Kind::bd09:
        return wgs84_to_bd09(wgs);
    case Crs::Kind::proj:
        return run(m_impl->from_wgs84.get(), wgs);
    }
    return wgs;
}

void CrsTransform::apply(Geometry& g) const {
    if (is_identity())
        return;
    transform_coordinates(g, [&](LonLat p) { return apply(p); });
}

} // namespace tessera::geo
