#include "cli/commands.hpp"
#include "data/demo_city.hpp"
#include "geo/error.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>

namespace tessera::cli {

int demo_command(Args args) {
    Options opts(args, {"db", "grids", "seed", "samples", "patrol-days", "now"}, {"force"});
    std::filesystem::path db = opts.require("db");
    data::DemoOptions o;
    o.samples_dir = opts.get("samples", TESSERA_SAMPLES_DIR);
    o.grids = static_cast<int>(opts.get_int("grids", 9660));
    o.seed = static_cast<std::uint64_t>(opts.get_int("seed", 1));
    o.patrol_days = static_cast<int>(opts.get_int("patrol-days", 30));
    if (o.patrol_days < 0 || o.patrol_days > 366)
        throw Error(ErrorCode::invalid_argument, "--patrol-days must be between 0 and 366");
    if (opts.has("now")) {
        o.now = data::parse_time(opts.get("now"));
        if (!o.now)
            throw Error(ErrorCode::invalid_argument, "--now needs an ISO 8601 date or time");
    }
    o.progress = [](const std::string& line) {
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
    };
    std::error_code ec;
    if (std::filesystem::exists(db, ec)) {
        if (!opts.has("force"))
            throw Error(ErrorCode::conflict, db.string() + " exists; pass --force to replace it");
        for (const char* suffix : {"", "-wal", "-shm"})
            std::filesystem::remove(db.string() + suffix, ec);
    }
    auto start = std::chrono::steady_clock::now();
    std::printf("building the Luohe demo city: %d grids, seed %llu -> %s\n", o.grids,
                static_cast<unsigned long long>(o.seed), db.c_str());
    try {
        auto store = data::open_spatialite_store(db);
        auto summary = data::build_demo_city(*store, o);
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("done in %.1f s:", s);
        for (const auto& [layer, n] : summary.layer_counts)
            std::printf(" %s %lld,", layer.c_str(), static_cast<long long>(n));
        std::printf(
            " %lld households in %lld buildings, %lld people, %lld cameras\n",
            static_cast<long long>(summary.households), static_cast<long long>(summary.buildings),
            static_cast<long long>(summary.people), static_cast<long long>(summary.cameras));
    } catch (...) {
        // Leave nothing half-built behind.
        for (const char* suffix : {"", "-wal", "-shm"})
            std::filesystem::remove(db.string() + suffix, ec);
        throw;
    }
    return 0;
}

} // namespace tessera::cli
