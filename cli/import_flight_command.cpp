// tessera import-flight: a drone's flight log (GPX, CSV, GeoJSON or GeoLife PLT, through
// data::read_fixes) into the store as a drone flight with its swath width, cleaned of noise like
// officers' fixes; then the closed events its footprint saw again are marked re-inspected
// (docs/coverage.md, "Drones"). What was read, dropped, stored and marked is said on stderr.
#include "cli/commands.hpp"
#include "data/fixes.hpp"
#include "data/sensor_audit.hpp"
#include "geo/error.hpp"

#include <chrono>
#include <cstdio>

namespace tessera::cli {

int import_flight_command(Args args) {
    Options opts(args, {"db", "code", "swath", "purpose", "crs", "format", "max-speed"}, {});
    if (opts.positional().size() != 1)
        throw Error(ErrorCode::invalid_argument,
                    "usage: tessera import-flight --db DB --code CODE --swath METRES "
                    "[--purpose TEXT] [--crs CRS] [--format gpx|csv|geojson|plt] FILE");
    const std::string db = opts.database();
    const std::string code = opts.require("code");
    const double swath = opts.get_number("swath", 0, 0.1, 5000);
    if (swath <= 0)
        throw Error(ErrorCode::invalid_argument,
                    "--swath: the width the camera images on the ground, in metres");
    const std::string& file = opts.positional().front();
    data::FixReadOptions read;
    read.officer = code; // the fixes are the flight's, whatever the file names
    if (opts.has("crs"))
        read.crs = opts.get("crs");
    if (opts.has("format"))
        read.format = opts.get("format");
    data::FixRead r = data::read_fixes(file, read);
    for (auto& f : r.fixes)
        f.officer = code;
    data::FixFilter filter;
    filter.max_speed_mps = opts.get_number("max-speed", 40, 0.001, 1e4); // fast survey drones
    const data::CleanFixes clean = data::clean_fixes(std::move(r.fixes), filter);
    std::fprintf(stderr,
                 "tessera import-flight: %s: %zu points (%s, %s), %zu dropped: %zu inaccurate, "
                 "%zu too fast, %zu duplicates\n",
                 file.c_str(), clean.kept.size() + clean.dropped(), r.format.c_str(),
                 r.source_crs.c_str(), clean.dropped(), clean.inaccurate, clean.too_fast,
                 clean.duplicates);
    if (clean.kept.size() < 2)
        throw Error(ErrorCode::invalid_argument,
                    file + ": a flight needs at least two timed points, " +
                        std::to_string(clean.kept.size()) + " left");

    data::DroneFlight flight;
    flight.code = code;
    flight.purpose = opts.get("purpose", "");
    flight.swath_m = swath;
    for (const auto& f : clean.kept) {
        flight.path.points.push_back(f.position);
        flight.path.times.push_back(f.at);
    }
    auto store = data::open_spatialite_store(db);
    if (store->find_drone_flight(code))
        throw Error(ErrorCode::conflict, "a drone flight with the code '" + code +
                                             "' is stored already; give this one its own code");
    store->add_drone_flight(flight);
    const data::FlightFootprint footprint = data::footprint_of(flight);
    std::fprintf(stderr,
                 "tessera import-flight: stored flight %s: %.1f km in %.0f min, imaging %.2f km2 "
                 "(swath %g m)\n",
                 code.c_str(), footprint.length_m / 1000,
                 std::chrono::duration<double>(footprint.ended - footprint.started).count() / 60,
                 footprint.footprint_m2 / 1e6, swath);
    std::vector<data::Reinspection> seen =
        data::find_reinspections(*store, std::span(&footprint, 1));
    const std::size_t marked = data::mark_reinspections(
        *store, seen, "import-flight",
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()));
    std::fprintf(stderr,
                 "tessera import-flight: %zu closed events seen again, marked re-inspected\n",
                 marked);
    return 0;
}

} // namespace tessera::cli
