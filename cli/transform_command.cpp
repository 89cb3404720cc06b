#include "cli/commands.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"

#include <charconv>
#include <cstdio>

namespace tessera::cli {
namespace {

double parse_number(const std::string& s, const char* what) {
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size())
        throw Error(ErrorCode::invalid_argument,
                    std::string(what) + " '" + s + "' is not a number");
    return v;
}

} // namespace

int transform_command(Args args) {
    Options opts(args, {"from", "to"}, {});
    if (opts.positional().size() != 2)
        throw Error(
            ErrorCode::invalid_argument,
            "usage: tessera transform --from CRS --to CRS X Y  (lon lat, or easting northing)");
    geo::CrsTransform t(geo::Crs::parse(opts.get("from", "wgs84")),
                        geo::Crs::parse(opts.get("to", "wgs84")));
    geo::LonLat in{parse_number(opts.positional()[0], "X"),
                   parse_number(opts.positional()[1], "Y")};
    geo::LonLat out = t.apply(in);
    // Degrees to 1e-9 (0.1 mm), metres to 1e-4.
    int decimals = t.to().is_geographic() ? 9 : 4;
    std::printf("%.*f %.*f\n", decimals, out.lon, decimals, out.lat);
    return 0;
}

} // namespace tessera::cli
