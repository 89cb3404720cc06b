#include "data/fixes.hpp"

#include "data/detail/gdal.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"
#include "geo/measure.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tessera::data {
namespace {

using detail::DatasetPtr;
using detail::FeaturePtr;

std::string lower(std::string s) {
    std::ranges::transform(s, s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string format_of(const std::filesystem::path& file, const FixReadOptions& options) {
    std::string f = lower(options.format.value_or(file.extension().string()));
    if (!f.empty() && f.front() == '.')
        f.erase(0, 1);
    if (f == "json")
        f = "geojson";
    if (f != "gpx" && f != "csv" && f != "geojson" && f != "plt")
        throw Error(ErrorCode::invalid_argument, file.filename().string() +
                                                     ": cannot tell its format from '" + f +
                                                     "': name one of gpx, csv, geojson, plt");
    return f;
}

std::optional<double> number(std::string_view s) {
    while (!s.empty() && s.front() == ' ')
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r'))
        s.remove_suffix(1);
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

std::vector<std::string_view> split(std::string_view line, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        auto at = line.find(sep, start);
        out.push_back(line.substr(start, at - start));
        if (at == std::string_view::npos)
            return out;
        start = at + 1;
    }
}

std::string trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '"'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '"'))
        s.remove_suffix(1);
    return std::string(s);
}

std::string read_all(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Each reader appends raw fixes in the source CRS; `where` names them in messages.
struct Raw {
    std::vector<Fix> fixes;
    std::vector<std::string> where;
    std::size_t untimed = 0;
};

// GDAL reads lat="undefined" as 0: every trkpt's lat and lon must be numbers.
void check_gpx_coordinates(const std::string& text, const std::string& name) {
    std::size_t n = 0;
    for (std::size_t at = text.find("<trkpt"); at != std::string::npos;
         at = text.find("<trkpt", at + 1)) {
        ++n;
        const std::size_t end = text.find('>', at);
        const std::string_view tag(text.data() + at, std::min(end, text.size()) - at);
        for (const char* attr : {" lat=", " lon="}) {
            auto a = tag.find(attr);
            if (a == std::string_view::npos || a + 6 >= tag.size())
                throw Error(ErrorCode::invalid_argument, name + ": track point " +
                                                             std::to_string(n) + " has no " +
                                                             std::string(attr + 1, 3));
            const char quote = tag[a + 5];
            auto close = tag.find(quote, a + 6);
            if (close == std::string_view::npos || !number(tag.substr(a + 6, close - a - 6)))
                throw Error(
                    ErrorCode::invalid_argument,
                    name + ": track point " + std::to_string(n) + " has " +
                        std::string(attr + 1, 3) + "=" +
                        std::string(tag.substr(a + 5, std::min<std::size_t>(close - a - 4, 24))) +
                        ", not a number");
        }
    }
}

void read_gpx(const std::filesystem::path& file, const std::string& officer, Raw& out) {
    check_gpx_coordinates(read_all(file), file.filename().string());
    detail::gdal_register_once();
    detail::GdalErrorCapture capture;
    const std::string name = file.filename().string();
    const char* drivers[] = {"GPX", nullptr};
    DatasetPtr ds(
        GDALOpenEx(file.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, nullptr, nullptr));
    if (!ds)
        throw Error(ErrorCode::invalid_argument,
                    name + ": not a GPX file GDAL can read (" + capture.last() + ")");
    OGRLayerH points = GDALDatasetGetLayerByName(ds.get(), "track_points");
    if (!points || OGR_L_GetFeatureCount(points, TRUE) == 0) {
        OGRLayerH routes = GDALDatasetGetLayerByName(ds.get(), "route_points");
        const auto planned = routes ? OGR_L_GetFeatureCount(routes, TRUE) : 0;
        throw Error(ErrorCode::invalid_argument,
                    name + ": no track points" +
                        (planned > 0 ? " (it holds a route of " + std::to_string(planned) +
                                           " points: a plan, not a walk)"
                                     : ""));
    }
    const int time_i = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(points), "time");
    OGR_L_ResetReading(points);
    std::size_t n = 0;
    while (FeaturePtr f{OGR_L_GetNextFeature(points)}) {
        ++n;
        OGRGeometryH g = OGR_F_GetGeometryRef(f.get());
        if (!g || OGR_G_IsEmpty(g))
            throw Error(ErrorCode::invalid_argument,
                        name + ": track point " + std::to_string(n) + " has no position");
        if (time_i < 0 || !OGR_F_IsFieldSetAndNotNull(f.get(), time_i)) {
            ++out.untimed;
            continue;
        }
        int y = 0, mo = 0, d = 0, h = 0, mi = 0, tz = 0;
        float sec = 0;
        OGR_F_GetFieldAsDateTimeEx(f.get(), time_i, &y, &mo, &d, &h, &mi, &sec, &tz);
        using namespace std::chrono;
        const year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
        if (!ymd.ok())
            throw Error(ErrorCode::invalid_argument,
                        name + ": track point " + std::to_string(n) + " has a bad time");
        // GDAL's zone flag: 100 is UTC, 100 ± n is n quarter hours off it; 0 and 1 (unknown,
        // local) are read as UTC, as GPX says times are.
        const int offset_min = tz > 1 ? (tz - 100) * 15 : 0;
        Time at = time_point_cast<milliseconds>(sys_days{ymd}) + hours{h} + minutes{mi} +
                  milliseconds{std::lround(sec * 1000)} - minutes{offset_min};
        out.fixes.push_back({officer, at, {OGR_G_GetX(g, 0), OGR_G_GetY(g, 0)}, std::nullopt});
        out.where.push_back("track point " + std::to_string(n));
    }
}

// Calls `each(line_no, line)` for every line of the file but blank ones, numbered from 1;
// returns the number of lines.
template <class Each>
std::size_t for_each_line(const std::filesystem::path& file, Each each) {
    const std::string text = read_all(file);
    std::size_t line_no = 0;
    for (std::string_view rest = text; !rest.empty();) {
        auto eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
        ++line_no;
        if (!line.empty() && line != "\r")
            each(line_no, line);
    }
    return line_no;
}

// officer,time,lon,lat[,accuracy]; a first line that is not a fix is a header.
void read_csv(const std::filesystem::path& file, const std::string& default_officer, Raw& out) {
    const std::string name = file.filename().string();
    for_each_line(file, [&](std::size_t line_no, std::string_view line) {
        auto cols = split(line, ',');
        const std::string where = name + " line " + std::to_string(line_no);
        if (cols.size() < 4 || cols.size() > 5) {
            if (line_no == 1)
                return;
            throw Error(ErrorCode::invalid_argument,
                        where + ": expected officer,time,lon,lat[,accuracy], got " +
                            std::to_string(cols.size()) + " columns");
        }
        auto at = parse_time(trimmed(cols[1]));
        auto lon = number(cols[2]), lat = number(cols[3]);
        if (line_no == 1 && (!at || !lon || !lat))
            return; // the header
        if (!at)
            throw Error(ErrorCode::invalid_argument, where + ": the time is not ISO 8601");
        if (!lon || !lat)
            throw Error(ErrorCode::invalid_argument, where + ": lon and lat must be numbers");
        std::optional<double> accuracy;
        if (cols.size() == 5 && !trimmed(cols[4]).empty()) {
            accuracy = number(cols[4]);
            if (!accuracy || *accuracy < 0)
                throw Error(ErrorCode::invalid_argument,
                            where + ": accuracy must be metres (a number, 0 or more)");
        }
        std::string officer = trimmed(cols[0]);
        if (officer.empty())
            officer = default_officer;
        out.fixes.push_back({std::move(officer), *at, {*lon, *lat}, accuracy});
        out.where.push_back(where);
    });
}

// GeoLife: six header lines, then lat,lon,0,altitude_ft,days,date,time (UTC).
void read_plt(const std::filesystem::path& file, const std::string& officer, Raw& out) {
    const std::string name = file.filename().string();
    const std::size_t lines = for_each_line(file, [&](std::size_t line_no, std::string_view line) {
        if (line_no <= 6)
            return;
        auto cols = split(line, ',');
        const std::string where = name + " line " + std::to_string(line_no);
        if (cols.size() != 7)
            throw Error(ErrorCode::invalid_argument,
                        where + ": expected lat,lon,0,altitude,days,date,time");
        auto lat = number(cols[0]), lon = number(cols[1]);
        auto at = parse_time(trimmed(cols[5]) + "T" + trimmed(cols[6]) + "Z");
        if (!lat || !lon || !at)
            throw Error(ErrorCode::invalid_argument, where + ": not a GeoLife point");
        out.fixes.push_back({officer, *at, {*lon, *lat}, std::nullopt});
        out.where.push_back(where);
    });
    if (lines < 6)
        throw Error(ErrorCode::invalid_argument, name + ": truncated (no GeoLife header)");
}

// Point features with "time" (and "officer", "accuracy") properties, or lines with their
// times in "coordTimes" or "times" (as GPX converters write them).
void read_geojson(const std::filesystem::path& file, const std::string& default_officer, Raw& out) {
    using json = nlohmann::json;
    const std::string name = file.filename().string();
    json doc = json::parse(read_all(file), nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        throw Error(ErrorCode::invalid_argument, name + ": not JSON");
    std::vector<json> features;
    if (doc.value("type", "") == "FeatureCollection" && doc.contains("features") &&
        doc["features"].is_array())
        features = doc["features"].get<std::vector<json>>();
    else if (doc.value("type", "") == "Feature")
        features.push_back(doc);
    else
        throw Error(ErrorCode::invalid_argument, name + ": not a GeoJSON Feature(Collection)");
    auto position = [&](const json& c, const std::string& where) -> geo::LonLat {
        if (!c.is_array() || c.size() < 2 || !c[0].is_number() || !c[1].is_number())
            throw Error(ErrorCode::invalid_argument, where + ": a position must be [lon, lat]");
        return {c[0].get<double>(), c[1].get<double>()};
    };
    auto time_of = [&](const json& t, const std::string& where) -> std::optional<Time> {
        if (t.is_null())
            return std::nullopt;
        auto at = t.is_string() ? parse_time(t.get<std::string>()) : std::nullopt;
        if (!at)
            throw Error(ErrorCode::invalid_argument, where + ": the time is not ISO 8601");
        return at;
    };
    for (std::size_t i = 0; i < features.size(); ++i) {
        const json& f = features[i];
        const std::string where = name + " feature " + std::to_string(i + 1);
        const json props = f.contains("properties") && f["properties"].is_object() ? f["properties"]
                                                                                   : json::object();
        std::string officer = props.value("officer", default_officer);
        if (!f.contains("geometry") || !f["geometry"].is_object())
            throw Error(ErrorCode::invalid_argument, where + ": no geometry");
        const json& g = f["geometry"];
        const std::string type = g.value("type", "");
        const json& coords = g.contains("coordinates") ? g["coordinates"] : json();
        if (type == "Point") {
            auto at = time_of(props.value("time", json()), where);
            if (!at) {
                ++out.untimed;
                continue;
            }
            std::optional<double> accuracy;
            if (props.contains("accuracy") && props["accuracy"].is_number())
                accuracy = props["accuracy"].get<double>();
            out.fixes.push_back({officer, *at, position(coords, where), accuracy});
            out.where.push_back(where);
            continue;
        }
        if (type != "LineString" && type != "MultiLineString")
            throw Error(ErrorCode::invalid_argument,
                        where + ": fixes come as Points or lines, not " + type);
        json lines = type == "LineString" ? json::array({coords}) : coords;
        json times =
            props.contains("coordTimes") ? props["coordTimes"] : props.value("times", json());
        if (type == "LineString" || (times.is_array() && !times.empty() && !times[0].is_array()))
            times = json::array({times});
        for (std::size_t l = 0; l < lines.size(); ++l)
            for (std::size_t k = 0; k < lines[l].size(); ++k) {
                const json t = times.is_array() && l < times.size() && times[l].is_array() &&
                                       k < times[l].size()
                                   ? times[l][k]
                                   : json();
                const std::string at_where = where + " point " + std::to_string(k + 1);
                auto at = time_of(t, at_where);
                if (!at) {
                    ++out.untimed;
                    continue;
                }
                out.fixes.push_back({officer, *at, position(lines[l][k], at_where), std::nullopt});
                out.where.push_back(at_where);
            }
    }
}

} // namespace

FixRead read_fixes(const std::filesystem::path& file, const FixReadOptions& options) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        throw Error(ErrorCode::io_error, file.string() + ": no such file");
    FixRead result;
    result.format = format_of(file, options);
    const geo::Crs crs = geo::Crs::parse(options.crs.value_or("wgs84"));
    result.source_crs = crs.id();
    const std::string officer = options.officer.value_or("");
    Raw raw;
    if (result.format == "gpx")
        read_gpx(file, officer, raw);
    else if (result.format == "csv")
        read_csv(file, officer, raw);
    else if (result.format == "plt")
        read_plt(file, officer, raw);
    else
        read_geojson(file, officer, raw);

    const geo::CrsTransform to_storage(crs, geo::Crs::wgs84());
    for (std::size_t i = 0; i < raw.fixes.size(); ++i) {
        Fix& f = raw.fixes[i];
        if (f.officer.empty())
            throw Error(ErrorCode::invalid_argument,
                        raw.where[i] +
                            ": whose fix is it? The file does not say: name the officer");
        try {
            if (!to_storage.is_identity())
                f.position = to_storage.apply(f.position);
        } catch (const Error& e) {
            throw Error(ErrorCode::invalid_argument, raw.where[i] + ": " + e.what());
        }
        if (!std::isfinite(f.position.lon) || !std::isfinite(f.position.lat) ||
            std::abs(f.position.lon) > 180 || std::abs(f.position.lat) > 90)
            throw Error(ErrorCode::invalid_argument,
                        raw.where[i] + ": the position is outside lon/lat range");
    }
    result.fixes = std::move(raw.fixes);
    result.untimed = raw.untimed;
    return result;
}

FixCleaner::Verdict FixCleaner::judge(const Fix& f) {
    if (f.accuracy_m && *f.accuracy_m > m_filter.max_accuracy_m)
        return Verdict::inaccurate;
    if (m_has_last && m_last_at == f.at)
        return Verdict::duplicate;
    if (m_has_last) {
        const double seconds = std::chrono::duration<double>(f.at - m_last_at).count();
        const double speed = geo::distance_m(m_last_position, f.position) / seconds;
        if (speed > m_filter.max_speed_mps && ++m_jumps <= m_filter.max_jumps_in_a_row)
            return Verdict::too_fast;
    }
    keep(f.position, f.at);
    return Verdict::keep;
}

void FixCleaner::keep(geo::LonLat position, Time at) {
    m_has_last = true;
    m_last_position = position;
    m_last_at = at;
    m_jumps = 0;
}

bool DroppedFixes::count(FixCleaner::Verdict v) {
    switch (v) {
    case FixCleaner::Verdict::keep:
        return true;
    case FixCleaner::Verdict::inaccurate:
        ++inaccurate;
        break;
    case FixCleaner::Verdict::too_fast:
        ++too_fast;
        break;
    case FixCleaner::Verdict::duplicate:
        ++duplicates;
        break;
    }
    return false;
}

void sort_by_officer_and_time(std::vector<Fix>& fixes) {
    std::ranges::stable_sort(fixes, [](const Fix& a, const Fix& b) {
        return std::tie(a.officer, a.at) < std::tie(b.officer, b.at);
    });
}

CleanFixes clean_fixes(std::vector<Fix> fixes, const FixFilter& filter) {
    sort_by_officer_and_time(fixes);
    CleanFixes out;
    out.kept.reserve(fixes.size());
    FixCleaner cleaner(filter);
    std::string officer; // of the fixes judged so far (a kept fix is moved out)
    for (std::size_t i = 0; i < fixes.size(); ++i) {
        if (i == 0 || fixes[i].officer != officer) {
            cleaner.reset();
            officer = fixes[i].officer;
        }
        if (out.count(cleaner.judge(fixes[i])))
            out.kept.push_back(std::move(fixes[i]));
    }
    return out;
}

} // namespace tessera::data
