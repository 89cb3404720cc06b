// tessera validate: the findings of a layer's validation (data/validation.hpp), one line each on
// stdout (severity, code, message, location), a summary on stderr, and with --out the findings
// as GeoJSON for a GIS (each faulty area as its polygon, other findings as points). Exit
// status 3 when errors remain, 0 when only warnings or nothing.
#include "cli/commands.hpp"
#include "data/validation.hpp"
#include "geo/error.hpp"
#include "server/geojson.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace tessera::cli {
namespace {

using json = nlohmann::ordered_json;

// "urban=300-500,rural=30-300"
std::map<std::string, data::ValidationRules::Range> parse_household_rules(const std::string& text) {
    std::map<std::string, data::ValidationRules::Range> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find(',', start);
        std::string item =
            text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        std::size_t eq = item.find('='), dash = item.find('-', eq == std::string::npos ? 0 : eq);
        data::ValidationRules::Range r;
        auto number = [&](std::string_view s, std::int64_t& v) {
            auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            return !s.empty() && ec == std::errc() && ptr == s.data() + s.size() && v >= 0;
        };
        if (eq == std::string::npos || eq == 0 || dash == std::string::npos ||
            !number(std::string_view(item).substr(eq + 1, dash - eq - 1), r.min) ||
            !number(std::string_view(item).substr(dash + 1), r.max) || r.min > r.max)
            throw Error(ErrorCode::invalid_argument,
                        "--households takes TYPE=MIN-MAX[,TYPE=MIN-MAX...], e.g. "
                        "urban=300-500,rural=30-300; got '" +
                            item + "'");
        out[item.substr(0, eq)] = r;
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    return out;
}

} // namespace

int validate_command(Args args) {
    Options opts(args, {"db", "layer", "out", "households", "min-area", "tolerance"}, {"force"});
    opts.refuse_positional();
    const std::string db = opts.database();
    data::ValidationRules rules;
    if (opts.has("households"))
        rules.households = parse_household_rules(opts.get("households"));
    rules.min_area_m2 = static_cast<double>(opts.get_int("min-area", 1'000));
    if (opts.has("tolerance"))
        rules.fault_min_area_m2 = static_cast<double>(opts.get_int("tolerance", 1));
    if (rules.min_area_m2 < 0 || rules.fault_min_area_m2 < 0)
        throw Error(ErrorCode::invalid_argument,
                    "--min-area and --tolerance are square metres >= 0");
    const std::filesystem::path out = output_option(opts);

    auto store = data::open_spatialite_store(db);
    const auto started = std::chrono::steady_clock::now();
    data::ValidationReport report = data::validate_layer(*store, opts.require("layer"), rules);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;

    for (const auto& f : report.findings)
        std::printf("%-7s %-22s %s (%.6f, %.6f)\n",
                    std::string(data::to_string(f.severity)).c_str(), f.code.c_str(),
                    f.message.c_str(), f.location.lon, f.location.lat);
    const std::size_t errors = report.errors();
    std::fprintf(stderr,
                 "tessera validate: layer %s version %lld, %zu features: %zu errors, %zu warnings "
                 "(%.2f s)\n",
                 report.layer.c_str(), static_cast<long long>(report.version), report.features,
                 errors, report.findings.size() - errors, took.count());
    if (!out.empty()) {
        json collection = {{"type", "FeatureCollection"}, {"features", json::array()}};
        for (const auto& f : report.findings)
            collection["features"].push_back(server::to_geojson(f));
        write_file_atomically(out, collection.dump() + '\n');
        std::fprintf(stderr, "tessera validate: findings written to %s\n", out.string().c_str());
    }
    return errors > 0 ? 3 : 0;
}

} // namespace tessera::cli
