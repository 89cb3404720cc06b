#include "cli/commands.hpp"
#include "data/point_csv.hpp"
#include "geo/error.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>

namespace tessera::cli {

Options::Options(Args args, std::vector<std::string> with_value, std::vector<std::string> flags) {
    auto known = [](const std::vector<std::string>& list, const std::string& n) {
        return std::find(list.begin(), list.end(), n) != list.end();
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.size() > 2 && a.starts_with("--")) {
            std::string name = a.substr(2);
            std::string value;
            if (auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
            } else if (known(with_value, name)) {
                if (i + 1 >= args.size())
                    throw Error(ErrorCode::invalid_argument, "option --" + name + " needs a value");
                value = args[++i];
            }
            if (!known(with_value, name) && !known(flags, name))
                throw Error(ErrorCode::invalid_argument, "unknown option --" + name);
            m_values.emplace_back(name, value);
        } else {
            m_positional.push_back(a);
        }
    }
}

bool Options::has(std::string_view name) const {
    return std::any_of(m_values.begin(), m_values.end(),
                       [&](const auto& kv) { return kv.first == name; });
}

std::string Options::get(std::string_view name, std::string_view fallback) const {
    for (auto it = m_values.rbegin(); it != m_values.rend(); ++it)
        if (it->first == name)
            return it->second;
    return std::string(fallback);
}

std::string Options::require(std::string_view name) const {
    if (!has(name))
        throw Error(ErrorCode::invalid_argument, "missing required option --" + std::string(name));
    return get(name);
}

double Options::get_number(std::string_view name, double fallback, double min, double max) const {
    if (!has(name))
        return fallback;
    const std::string text = get(name);
    auto v = data::parse_finite_number(text);
    if (!v || *v < min || *v > max) {
        char range[96];
        std::snprintf(range, sizeof range, " takes a number in %g..%g, got '", min, max);
        throw Error(ErrorCode::invalid_argument, "--" + std::string(name) + range + text + "'");
    }
    return *v;
}

std::string Options::database() const {
    std::string db = require("db");
    if (!std::filesystem::exists(db))
        throw Error(ErrorCode::invalid_argument, "no database at " + db);
    return db;
}

void Options::refuse_positional() const {
    if (!m_positional.empty())
        throw Error(ErrorCode::invalid_argument, "unexpected argument '" + m_positional[0] + "'");
}

std::filesystem::path output_option(const Options& opts) {
    if (!opts.has("out"))
        return {};
    std::filesystem::path out = opts.get("out");
    if (std::filesystem::exists(out) && !opts.has("force"))
        throw Error(ErrorCode::invalid_argument,
                    out.string() + " exists (add --force to overwrite)");
    return out;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
    std::filesystem::path partial = path;
    partial += ".partial";
    {
        std::ofstream file(partial, std::ios::binary | std::ios::trunc);
        file.write(content.data(), static_cast<std::streamsize>(content.size()));
        if (!file.flush())
            throw Error(ErrorCode::io_error, "cannot write " + partial.string());
    }
    std::filesystem::rename(partial, path);
}

long long Options::get_int(std::string_view name, long long fallback) const {
    if (!has(name))
        return fallback;
    std::string v = get(name);
    long long out = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || ptr != v.data() + v.size())
        throw Error(ErrorCode::invalid_argument,
                    "option --" + std::string(name) + " needs an integer, got '" + v + "'");
    return out;
}

namespace {

struct Command {
    std::function<int(Args)> run;
    const char* usage;
};

const std::map<std::string, Command>& commands() {
    static const std::map<std::string, Command> table = {
        {"locate",
         {locate_command, "locate --db DB [--layer NAME] [--crs CRS] [--in FILE] [--out FILE]\n"
                          "        [--threads N]                   "
                          "CSV id,lon,lat -> id,grid_code,grid_name,layer_version,flags"}},
        {"serve",
         {serve_command,
          "serve --db DB [--host 127.0.0.1] [--port 8080] [--threads 2] [--web DIR]\n"
          "        [--max-body BYTES] [--tile-cache-mb 256] [--print-demo-logins]\n"
          "                                   serve the API, the tiles and the web app"}},
        {"demo",
         {demo_command,
          "demo --db DB [--grids 9660] [--seed 1] [--patrol-days 30] [--now TIME] [--force]\n"
          "                                        build the Luohe demo city"}},
        {"import",
         {import_command,
          "import --db DB --layer NAME [--kind KIND] [--parent-layer NAME] [--crs CRS]\n"
          "         [--code-field F] [--name-field F] [--parent-field F] FILE\n"
          "                                        import a layer (GeoJSON, GPKG, SHP/zip, KML, "
          "FGB, CSV+WKT)"}},
        {"export",
         {export_command, "export --db DB --layer NAME --format FORMAT [--at TIME] [--force] OUT\n"
                          "                                        export a layer (GeoJSON, GPKG, "
                          "\"ESRI Shapefile\", KML, FlatGeobuf)"}},
        {"validate",
         {validate_command,
          "validate --db DB --layer NAME [--out FILE.geojson] [--force]\n"
          "         [--households urban=300-500,rural=30-300] [--min-area 1000] [--tolerance 1]\n"
          "                                        check a layer: geometry, gaps, overlaps, "
          "containment, households"}},
        {"import-fixes",
         {import_fixes_command,
          "import-fixes --db DB [--officer CODE] [--crs CRS] [--format gpx|csv|geojson|plt]\n"
          "      [--max-accuracy 100] [--max-speed 50] [--gap 10] FILE...\n"
          "                                        officers' GPS fixes into patrol tracks, "
          "noise dropped"}},
        {"import-flight",
         {import_flight_command,
          "import-flight --db DB --code CODE --swath METRES [--purpose TEXT] [--crs CRS]\n"
          "      [--format gpx|csv|geojson|plt] FILE\n"
          "                                        a drone's flight log; marks the closed "
          "events it saw again"}},
        {"audit",
         {audit_command,
          "audit --db DB --from DATE --to DATE [--out FILE.csv] [--layer grid] [--force]\n"
          "      [--dwell 5] [--gap 10] [--reach 50] [--cell 5] [--full-share 0.8]\n"
          "      [--stale rural=30,urban=45] [--threads N]\n"
          "                                        patrol coverage per grid: visits, distance, "
          "share, stale\n"
          "  audit --of cameras --db DB [--out FILE.csv] [--layer grid]\n"
          "                                        camera coverage per grid: share in view, "
          "blind spots, households unseen\n"
          "  audit --of drones --db DB --from DATE --to DATE [--plan AREA] [--mark-reinspected]\n"
          "                                        drone coverage per grid, a plan's gaps, "
          "closed events seen again"}},
        {"transform",
         {transform_command,
          "transform --from CRS --to CRS LON LAT   convert one coordinate pair"}},
    };
    return table;
}

void print_usage(std::FILE* out) {
    std::fprintf(out, "usage: tessera <command> [options]\n\ncommands:\n");
    for (const auto& [name, cmd] : commands())
        std::fprintf(out, "  %s\n", cmd.usage);
}

} // namespace
} // namespace tessera::cli

int main(int argc, char** argv) {
    using namespace tessera;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        cli::print_usage(args.empty() ? stderr : stdout);
        return args.empty() ? 2 : 0;
    }
    auto it = cli::commands().find(args[0]);
    if (it == cli::commands().end()) {
        std::fprintf(stderr, "tessera: unknown command '%s'\n\n", args[0].c_str());
        cli::print_usage(stderr);
        return 2;
    }
    try {
        return it->second.run(cli::Args(args).subspan(1));
    } catch (const Error& e) {
        std::fprintf(stderr, "tessera %s: %s\n", args[0].c_str(), e.what());
        return e.code() == ErrorCode::invalid_argument ? 2 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tessera %s: internal error: %s\n", args[0].c_str(), e.what());
        return 1;
    }
}
