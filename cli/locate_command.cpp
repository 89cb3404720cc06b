// tessera locate: CSV "id,lon,lat" (header optional) -> CSV "id,grid_code,grid_name,
// layer_version,flags" in input order. Bad rows are reported on stderr with their line number
// and skipped; they are never written with a guessed grid. Exit status 3 when rows were skipped.
// The input is read in blocks of 16 MiB of whole lines, and each block is split between
// --threads threads (DEFAULT: one per core) that parse, convert, locate and format their share;
// the shares are written in input order.
#include "cli/commands.hpp"
#include "data/assignment.hpp"
#include "data/point_csv.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
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

// One slice of a block of input lines, handled by one thread: parsed, converted to WGS84,
// located and written to its own buffer. Bad rows are kept with their line number within the
// slice until the slices before it have been counted.
struct Slice {
    std::string_view text; // whole lines
    bool first_of_input = false;
    std::size_t lines = 0;
    std::vector<std::pair<std::size_t, std::string>> bad; // (line within the slice, message)
    std::vector<std::string> ids;
    std::vector<geo::LonLat> points;
    std::string out;
};

void run_slice(Slice& s, data::Assigner& assigner, const std::optional<std::string>& layer,
               const geo::Crs& crs) {
    // PROJ objects are not shareable between threads: one transform per slice.
    geo::CrsTransform to_wgs84(crs, geo::Crs::wgs84());
    std::string error;
    std::string_view rest = s.text;
    while (!rest.empty()) {
        std::size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        ++s.lines;
        auto row = data::parse_point_line(line, error);
        if (!row) {
            if (!error.empty() && !(s.first_of_input && s.lines == 1)) // blank line or header
                s.bad.emplace_back(s.lines, error);
            continue;
        }
        geo::LonLat p;
        try {
            p = to_wgs84.apply(row->position);
        } catch (const Error& e) {
            s.bad.emplace_back(s.lines, e.what());
            continue;
        }
        if (p.lon < -180 || p.lon > 180 || p.lat < -90 || p.lat > 90) {
            s.bad.emplace_back(s.lines, "coordinates out of range");
            continue;
        }
        s.ids.push_back(std::move(row->id));
        s.points.push_back(p);
    }
    auto batch = assigner.locate_batch(s.points, layer);
    s.out.reserve(s.points.size() * 48);
    data::append_assignment_rows(s.out, s.ids, batch);
}

} // namespace

int locate_command(Args args) {
    Options opts(args, {"db", "layer", "crs", "in", "out", "threads"}, {});
    if (!opts.positional().empty())
        throw Error(ErrorCode::invalid_argument,
                    "unexpected argument '" + opts.positional().front() +
                        "'; usage: tessera locate --db DB [--layer NAME] "
                        "[--crs CRS] [--in FILE] [--out FILE] [--threads N]");
    long long threads =
        opts.get_int("threads", std::clamp<long long>(std::thread::hardware_concurrency(), 1, 16));
    if (threads < 1 || threads > 256)
        throw Error(ErrorCode::invalid_argument, "--threads must be between 1 and 256");
    auto store = data::open_spatialite_store(opts.require("db"));
    data::Assigner assigner(*store);
    std::optional<std::string> layer;
    if (opts.has("layer"))
        layer = opts.get("layer");
    geo::Crs crs = geo::Crs::parse(opts.get("crs", "wgs84"));
    // Loads the layers and checks the layer name before any input is read.
    assigner.locate_batch({}, layer);

    FilePtr in(opts.has("in") ? std::fopen(opts.get("in").c_str(), "rb") : stdin);
    if (!in)
        throw Error(ErrorCode::io_error, "cannot read " + opts.get("in"));
    FilePtr out(opts.has("out") ? std::fopen(opts.get("out").c_str(), "wb") : stdout);
    if (!out)
        throw Error(ErrorCode::io_error, "cannot write " + opts.get("out"));
    auto write = [&](std::string_view text) {
        if (std::fwrite(text.data(), 1, text.size(), out.get()) != text.size())
            throw Error(ErrorCode::io_error, "write failed");
    };
    write(data::assignment_csv_header);

    // Blocks of whole lines (the tail of a read waits for the next one), each cut into one
    // slice per thread.
    constexpr std::size_t block_bytes = 16 << 20;
    std::string block;
    std::size_t line_base = 0, bad = 0, total = 0;
    bool first = true, eof = false;
    while (!eof) {
        std::size_t kept = block.size();
        block.resize(kept + block_bytes);
        std::size_t got = std::fread(block.data() + kept, 1, block_bytes, in.get());
        block.resize(kept + got);
        if (got == 0) {
            if (std::ferror(in.get()))
                throw Error(ErrorCode::io_error, "read failed");
            eof = true;
        }
        std::size_t usable = block.size();
        if (!eof) {
            std::size_t nl = block.rfind('\n');
            if (nl == std::string::npos)
                continue; // one line longer than a block so far: read on
            usable = nl + 1;
        }
        std::string_view text(block.data(), usable);
        std::vector<Slice> slices(static_cast<std::size_t>(threads));
        for (std::size_t k = 0; k < slices.size(); ++k) {
            std::size_t cut =
                k + 1 == slices.size() ? text.size() : text.size() / (slices.size() - k);
            if (cut < text.size()) {
                std::size_t nl = text.find('\n', cut);
                cut = nl == std::string_view::npos ? text.size() : nl + 1;
            }
            slices[k].text = text.substr(0, cut);
            slices[k].first_of_input = first && k == 0;
            text.remove_prefix(cut);
        }
        first = false;
        {
            std::vector<std::jthread> workers;
            std::vector<std::exception_ptr> failures(slices.size());
            for (std::size_t k = 1; k < slices.size(); ++k)
                workers.emplace_back([&, k] {
                    try {
                        run_slice(slices[k], assigner, layer, crs);
                    } catch (...) {
                        failures[k] = std::current_exception();
                    }
                });
            try {
                run_slice(slices[0], assigner, layer, crs);
            } catch (...) {
                failures[0] = std::current_exception();
            }
            workers.clear(); // joins
            for (auto& f : failures)
                if (f)
                    std::rethrow_exception(f);
        }
        for (Slice& s : slices) {
            for (const auto& [line, message] : s.bad)
                std::fprintf(stderr, "tessera locate: line %zu: %s; skipped\n", line_base + line,
                             message.c_str());
            bad += s.bad.size();
            line_base += s.lines;
            total += s.points.size();
            write(s.out);
        }
        block.erase(0, usable);
    }
    if (std::fflush(out.get()) != 0)
        throw Error(ErrorCode::io_error, "write failed");
    std::fprintf(stderr, "tessera locate: %zu points located, %zu bad rows skipped\n", total, bad);
    return bad == 0 ? 0 : 3;
}

} // namespace tessera::cli
