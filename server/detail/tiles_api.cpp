// Vector tiles of the boundary layers (docs/tiles.md): /tiles/{layer}/{z}/{x}/{y}.mvt and the
// layer's TileJSON at /tiles/{layer}.json.
#include "server/detail/api.hpp"
#include "tiles/mvt.hpp"
#include "tiles/tile_geometry.hpp"

#include <cctype>
#include <charconv>

namespace tessera::server::detail {
namespace {

// The largest zoom TileJSON advertises; clients draw deeper zooms from these tiles. Requests up
// to tiles::max_zoom are served.
constexpr std::uint32_t advertised_max_zoom = 16;
std::optional<std::uint32_t> parse_tile_number(std::string_view s) {
    std::uint32_t v = 0;
    if (s.empty() || s.size() > 8)
        return std::nullopt;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size())
        return std::nullopt;
    return v;
}

// "name.ext" -> "name" when the extension matches.
std::optional<std::string> strip_suffix(std::string_view file, std::string_view ext) {
    if (file.size() <= ext.size() || !file.ends_with(ext))
        return std::nullopt;
    return std::string(file.substr(0, file.size() - ext.size()));
}

data::Layer layer_named(Services& services, const std::string& name) {
    auto layer = services.store.find_layer(name);
    if (!layer)
        throw Error(ErrorCode::not_found, "layer '" + name + "' does not exist");
    return *layer;
}

tiles::Value value_of(const std::optional<std::string>& s) {
    return tiles::Value::of(s.value_or(""));
}

// The scheme and host the client used, for absolute tile URLs in TileJSON; empty (relative
// URLs) when the Host header is missing or holds anything but a host name and port.
std::string origin_of(const Request& req) {
    auto host = req.header("Host");
    if (!host || host->empty())
        return {};
    for (char c : *host)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
              c == '[' || c == ']'))
            return {};
    auto proto = req.header("X-Forwarded-Proto");
    std::string scheme = proto && *proto == "https" ? "https" : "http";
    return scheme + "://" + std::string(*host);
}

} // namespace

Response get_tile(const Request& req, Services& services, const PathParams& params) {
    std::string name(param(params, "layer"));
    auto z = parse_tile_number(param(params, "z"));
    auto x = parse_tile_number(param(params, "x"));
    auto y = parse_tile_number(strip_suffix(param(params, "file"), ".mvt").value_or(""));
    tiles::TileId tile{z.value_or(0), x.value_or(0), y.value_or(0)};
    if (!z || !x || !y || !tiles::is_valid(tile))
        throw Error(ErrorCode::not_found,
                    "no tile here: tiles are /tiles/{layer}/{z}/{x}/{y}.mvt with z from 0 to " +
                        std::to_string(tiles::max_zoom) + " and x, y below 2^z");
    reject_unknown_params(parse_target(req.target), {});
    auto who = principal_of(req, services);

    // The layer as the assignment engine holds it in memory: no SQL per tile.
    tiles::TileFrame frame(tile);
    auto drawing = services.assigner.features_in(name, frame.query_box());
    tiles::LayerWriter out(name);
    std::string kind(data::to_string(drawing.kind));
    for (const auto& f : drawing.features) {
        if (!data::may(who ? &*who : nullptr, data::Action::view, data::Resource::boundary,
                       boundary_scope(drawing.kind, f.code, *f.parent_code)))
            continue;
        auto g = tiles::encode_geometry(frame, *f.geometry);
        const tiles::Property props[] = {
            {"code", tiles::Value::of(std::string(f.code))},
            {"name", tiles::Value::of(std::string(f.name))},
            {"kind", tiles::Value::of(kind)},
            {"parent_code", value_of(*f.parent_code)},
            {"version", tiles::Value::of(f.version)},
        };
        out.add(static_cast<std::uint64_t>(f.id), g.type, g.commands, props);
    }
    Response res;
    res.body = tiles::encode_tile(std::span(&out, 1));
    res.set_header("Content-Type", "application/vnd.mapbox-vector-tile");
    res.set_header("Cache-Control", "no-cache");
    return res;
}

Response get_tilejson(const Request& req, Services& services, const PathParams& params) {
    auto name = strip_suffix(param(params, "file"), ".json");
    if (!name)
        throw Error(ErrorCode::not_found,
                    "no such document: a layer's TileJSON is /tiles/{layer}.json");
    reject_unknown_params(parse_target(req.target), {});
    data::Layer layer = layer_named(services, *name);
    std::string url = origin_of(req) + "/tiles/" + percent_encode(*name) + "/{z}/{x}/{y}.mvt";
    json fields = {{"code", "String"},
                   {"name", "String"},
                   {"kind", "String"},
                   {"parent_code", "String"},
                   {"version", "Number"}};
    json out = {{"tilejson", "3.0.0"},
                {"name", layer.title},
                {"description", std::string(data::to_string(layer.kind)) + " layer '" + layer.name +
                                    "', version " + std::to_string(layer.version)},
                {"version", "1.0." + std::to_string(layer.version)},
                {"scheme", "xyz"},
                {"tiles", json::array({url})},
                {"minzoom", 0},
                {"maxzoom", advertised_max_zoom},
                {"vector_layers", json::array({{{"id", layer.name},
                                                {"description", layer.title},
                                                {"minzoom", 0},
                                                {"maxzoom", advertised_max_zoom},
                                                {"fields", fields}}})}};
    if (layer.extent && !layer.extent->empty()) {
        const auto& b = *layer.extent;
        out["bounds"] = {b.min_x, b.min_y, b.max_x, b.max_y};
        out["center"] = {(b.min_x + b.max_x) / 2, (b.min_y + b.max_y) / 2, 10};
    }
    return json_ok(out);
}

} // namespace tessera::server::detail
