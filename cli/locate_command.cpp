// tessera locate: CSV "id,lon,lat" (header optional) -> CSV "id,grid_code,grid_name,
// layer_version,flags" in input order. Bad rows are reported on stderr with their line number
// and skipped; they are never written with a guessed grid.
#include "cli/commands.hpp"
#include "data/assignment.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace tessera::cli {
namespace {

struct FileCloser {
    void operator()(std::FILE* f) const {
        if (f && f != stdin && f != stdout)
            std::fclose(f);
    }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

bool parse_number(std::string_view s, double& out) {
    s = trim(s);
    if (!s.empty() && s.front() == '+')
        s.remove_prefix(1);
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(out);
}

// Writes a CSV field, quoted when it needs to be.
void put_field(std::string& out, std::string_view v) {
    if (v.find_first_of(",\"\n\r") == std::string_view::npos) {
        out.append(v);
        return;
    }
    out.push_back('"');
    for (char c : v) {
        if (c == '"')
            out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
}

struct Row {
    std::string id;
    geo::LonLat p;
};

} // namespace

int locate_command(Args args) {
    Options opts(args, {"db", "layer", "crs", "in", "out"}, {});
    if (!opts.positional().empty())
        throw Error(ErrorCode::invalid_argument,
                    "unexpected argument '" + opts.positional().front() +
                        "'; usage: tessera locate --db DB [--layer NAME] "
                        "[--crs CRS] [--in FILE] [--out FILE]");
    auto store = data::open_spatialite_store(opts.require("db"));
    data::Assigner assigner(*store);
    std::optional<std::string> layer;
    if (opts.has("layer"))
        layer = opts.get("layer");
    geo::CrsTransform to_wgs84(geo::Crs::parse(opts.get("crs", "wgs84")), geo::Crs::wgs84());

    FilePtr in(opts.has("in") ? std::fopen(opts.get("in").c_str(), "rb") : stdin);
    if (!in)
        throw Error(ErrorCode::io_error, "cannot read " + opts.get("in"));
    FilePtr out(opts.has("out") ? std::fopen(opts.get("out").c_str(), "wb") : stdout);
    if (!out)
        throw Error(ErrorCode::io_error, "cannot write " + opts.get("out"));

    std::string header = "id,grid_code,grid_name,layer_version,flags\n";
    std::fwrite(header.data(), 1, header.size(), out.get());

    constexpr std::size_t chunk = 1 << 20;
    std::vector<Row> rows;
    std::vector<geo::LonLat> points;
    std::size_t line_no = 0, bad = 0, total = 0;
    std::string line, buffer;

    auto flush = [&] {
        if (rows.empty())
            return;
        points.clear();
        for (const auto& r : rows)
            points.push_back(r.p);
        auto batch = assigner.locate_batch(points, layer);
        buffer.clear();
        std::string version = std::to_string(batch.layer_version);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            put_field(buffer, rows[i].id);
            buffer.push_back(',');
            if (batch.grid[i] >= 0) {
                auto g = static_cast<std::size_t>(batch.grid[i]);
                put_field(buffer, (*batch.codes)[g]);
                buffer.push_back(',');
                put_field(buffer, (*batch.names)[g]);
                buffer += "," + version + ",\n";
            } else {
                buffer +=
                    ",," + version + (batch.outside_grid[i] ? ",outside_grid\n" : ",unassigned\n");
            }
        }
        if (std::fwrite(buffer.data(), 1, buffer.size(), out.get()) != buffer.size())
            throw Error(ErrorCode::io_error, "write failed");
        total += rows.size();
        rows.clear();
    };

    char* raw = nullptr;
    std::size_t cap = 0;
    ssize_t n;
    while ((n = getline(&raw, &cap, in.get())) != -1) {
        ++line_no;
        std::string_view l(raw, static_cast<std::size_t>(n));
        while (!l.empty() && (l.back() == '\n' || l.back() == '\r'))
            l.remove_suffix(1);
        if (trim(l).empty())
            continue;
        // The id may be a quoted CSV field ("a,b" with "" for a quote).
        std::string quoted_id;
        std::size_t id_end = 0;
        if (!l.empty() && l.front() == '"') {
            std::size_t i = 1;
            for (; i < l.size(); ++i) {
                if (l[i] == '"') {
                    if (i + 1 < l.size() && l[i + 1] == '"') {
                        quoted_id.push_back('"');
                        ++i;
                        continue;
                    }
                    break;
                }
                quoted_id.push_back(l[i]);
            }
            id_end = i + 1;
        }
        auto c1 = l.find(',', id_end);
        auto c2 = c1 == std::string_view::npos ? c1 : l.find(',', c1 + 1);
        double lon = 0, lat = 0;
        bool ok = c2 != std::string_view::npos && l.find(',', c2 + 1) == std::string_view::npos &&
                  parse_number(l.substr(c1 + 1, c2 - c1 - 1), lon) &&
                  parse_number(l.substr(c2 + 1), lat);
        if (!ok) {
            if (line_no == 1)
                continue; // a header
            std::fprintf(
                stderr,
                "tessera locate: line %zu: expected id,lon,lat with numbers, got '%.*s'; skipped\n",
                line_no, static_cast<int>(std::min<std::size_t>(l.size(), 80)), l.data());
            ++bad;
            continue;
        }
        std::string id = id_end > 0 ? quoted_id : std::string(trim(l.substr(0, c1)));
        geo::LonLat p;
        try {
            p = to_wgs84.apply({lon, lat});
        } catch (const Error& e) {
            std::fprintf(stderr, "tessera locate: line %zu: %s; skipped\n", line_no, e.what());
            ++bad;
            continue;
        }
        if (p.lon < -180 || p.lon > 180 || p.lat < -90 || p.lat > 90) {
            std::fprintf(stderr, "tessera locate: line %zu: coordinates out of range; skipped\n",
                         line_no);
            ++bad;
            continue;
        }
        rows.push_back({std::move(id), p});
        if (rows.size() == chunk)
            flush();
    }
    std::free(raw);
    flush();
    std::fflush(out.get());
    std::fprintf(stderr, "tessera locate: %zu points located, %zu bad rows skipped\n", total, bad);
    return bad == 0 ? 0 : 3;
}

} // namespace tessera::cli
