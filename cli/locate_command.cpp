// tessera locate: CSV "id,lon,lat" (header optional) -> CSV "id,grid_code,grid_name,
// layer_version,flags" in input order. Bad rows are reported on stderr with their line number
// and skipped; they are never written with a guessed grid. Exit status 3 when rows were skipped.
#include "cli/commands.hpp"
#include "data/assignment.hpp"
#include "data/point_csv.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"

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
    std::fwrite(data::assignment_csv_header.data(), 1, data::assignment_csv_header.size(),
                out.get());

    constexpr std::size_t chunk = 1 << 20;
    std::vector<std::string> ids;
    std::vector<geo::LonLat> points;
    std::size_t line_no = 0, bad = 0, total = 0;
    std::string buffer, error;

    auto flush = [&] {
        if (points.empty())
            return;
        auto batch = assigner.locate_batch(points, layer);
        buffer.clear();
        data::append_assignment_rows(buffer, ids, batch);
        if (std::fwrite(buffer.data(), 1, buffer.size(), out.get()) != buffer.size())
            throw Error(ErrorCode::io_error, "write failed");
        total += points.size();
        points.clear();
        ids.clear();
    };

    char* raw = nullptr;
    std::size_t cap = 0;
    ssize_t n;
    while ((n = getline(&raw, &cap, in.get())) != -1) {
        ++line_no;
        auto row =
            data::parse_point_line(std::string_view(raw, static_cast<std::size_t>(n)), error);
        if (!row) {
            if (error.empty() || line_no == 1)
                continue; // blank line or header
            std::fprintf(stderr, "tessera locate: line %zu: %s; skipped\n", line_no, error.c_str());
            ++bad;
            continue;
        }
        geo::LonLat p;
        try {
            p = to_wgs84.apply(row->position);
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
        ids.push_back(std::move(row->id));
        points.push_back(p);
        if (points.size() == chunk)
            flush();
    }
    std::free(raw);
    flush();
    std::fflush(out.get());
    std::fprintf(stderr, "tessera locate: %zu points located, %zu bad rows skipped\n", total, bad);
    return bad == 0 ? 0 : 3;
}

} // namespace tessera::cli
