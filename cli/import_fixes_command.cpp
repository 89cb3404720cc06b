// tessera import-fixes: officers' GPS fixes from GPX, CSV, GeoJSON or GeoLife PLT files into the
// store as patrol tracks (data/fixes.hpp), cleaned of noise, with what was read, dropped and
// stored said per file on stderr. All files are read and checked before anything is stored, and
// then stored in one transaction: a bad file leaves the store as it was.
#include "cli/commands.hpp"
#include "data/positions.hpp"
#include "geo/error.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>

namespace tessera::cli {
int import_fixes_command(Args args) {
    Options opts(args, {"db", "officer", "crs", "format", "max-accuracy", "max-speed", "gap"}, {});
    if (opts.positional().empty())
        throw Error(ErrorCode::invalid_argument,
                    "usage: tessera import-fixes --db DB [--officer CODE] [--crs CRS] "
                    "[--format gpx|csv|geojson|plt] FILE...");
    const std::string db = opts.database();
    data::FixReadOptions read;
    if (opts.has("officer"))
        read.officer = opts.get("officer");
    if (opts.has("crs"))
        read.crs = opts.get("crs");
    if (opts.has("format"))
        read.format = opts.get("format");
    data::StoreFixOptions store_options;
    data::FixFilter& filter = store_options.filter;
    filter.max_accuracy_m = opts.get_number("max-accuracy", filter.max_accuracy_m, 0.001, 1e6);
    filter.max_speed_mps = opts.get_number("max-speed", filter.max_speed_mps, 0.001, 1e6);
    store_options.max_gap = std::chrono::seconds(
        static_cast<std::int64_t>(60 * opts.get_number("gap", 10, 0.001, 1440)));

    std::vector<data::Fix> all;
    for (const auto& file : opts.positional()) {
        data::FixRead r = data::read_fixes(file, read);
        std::fprintf(
            stderr, "tessera import-fixes: %s: %zu fixes (%s, %s)%s\n", file.c_str(),
            r.fixes.size(), r.format.c_str(), r.source_crs.c_str(),
            r.untimed > 0
                ? (", " + std::to_string(r.untimed) + " points without a time left out").c_str()
                : "");
        all.insert(all.end(), std::make_move_iterator(r.fixes.begin()),
                   std::make_move_iterator(r.fixes.end()));
    }
    auto store = data::open_spatialite_store(db);
    const data::FixReceipt r = data::store_fixes(*store, std::move(all), store_options);
    std::fprintf(stderr,
                 "tessera import-fixes: dropped %zu of %zu: %zu inaccurate (worse than %g m), "
                 "%zu too fast (over %g m/s), %zu duplicates (also of fixes stored before)\n",
                 r.dropped(), r.received, r.inaccurate, filter.max_accuracy_m, r.too_fast,
                 filter.max_speed_mps, r.duplicates);
    std::fprintf(stderr,
                 "tessera import-fixes: stored %zu fixes of %zu officers: %zu new patrol tracks, "
                 "%zu tracks extended%s\n",
                 r.stored, r.officers, r.tracks_started, r.tracks_extended,
                 r.lone > 0 ? (", " + std::to_string(r.lone) +
                               " lone fixes with no other within the gap (not a track)")
                                  .c_str()
                            : "");
    return 0;
}

} // namespace tessera::cli
