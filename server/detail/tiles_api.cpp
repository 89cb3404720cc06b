// Vector tiles (docs/tiles.md): /tiles/{layer}/{z}/{x}/{y}.mvt and the
// layer's TileJSON at /tiles/{layer}.json.
#include "data/nearby.hpp"
#include "geo/measure.hpp"
#include "server/detail/api.hpp"
#include "server/tile_layers.hpp"
#include "tiles/simplify.hpp"

#include <charconv>

namespace tessera::server::detail {
namespace {

// The largest zoom TileJSON advertises, the first with every vertex (tiles/simplify.hpp);
// clients draw deeper zooms from these tiles. Requests up to tiles::max_zoom are served.
constexpr std::uint32_t advertised_max_zoom = tiles::full_detail_zoom;
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

// Who sees the same events or cameras tile: everyone whose visibility filter is the same.
std::string visibility_variant(const data::Principal& who) {
    auto v = data::event_visibility(who);
    if (!v)
        return "*";
    std::string key = "u" + std::to_string(v->reporter_user_id.value_or(0));
    for (const auto& c : v->codes)
        key += "," + c;
    return key;
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
    const Target target = parse_target(req.target);
    reject_unknown_params(target, {"at"});

    // Boundaries are public (cities post the grid map on walls); events, cameras, tracks and
    // drone flights need a login and each caller gets what they may see, cached per visibility.
    const bool scoped = data::is_reserved_layer_name(name);
    std::optional<data::Principal> who;
    if (scoped) {
        who = principal_of(req, services);
        if (!who)
            throw Error(ErrorCode::unauthorized, "log in to see the " + name + " layer");
    }
    // at=: a boundary layer as it was then (the history view); built each time, not cached.
    std::optional<data::Time> at;
    if (auto text = query_param(target, "at")) {
        if (scoped)
            throw bad_request("at= is for boundary layers; the " + name + " layer is live");
        at = data::parse_time(*text);
        if (!at)
            throw bad_request("at must be an ISO 8601 date or time");
    }
    // A cache hit needs no look-up of the layer: an unknown layer is never cached, because
    // building its tile throws not_found (Assigner::features_in).
    // Coverage tiles are drawn from the standing audit (server/coverage_cache.hpp); a refreshed
    // audit has a new generation, so its tiles have new keys.
    std::shared_ptr<const CoverageCache::Snapshot> coverage;
    std::string variant = scoped ? visibility_variant(*who) : std::string();
    if (name == data::coverage_layer) {
        coverage = services.coverage->get(services.store, services.desk.now());
        if (!coverage)
            throw Error(ErrorCode::not_found, "no grid layer to draw the coverage of");
        variant += "@" + std::to_string(coverage->generation);
    }
    tiles::TileKey key{name, tile, variant};
    std::shared_ptr<const tiles::CachedTile> cached;
    if (at)
        cached = tiles::make_cached_tile(
            boundary_tile(services.assigner, name, tiles::TileFrame(tile), at));
    else
        cached = services.tile_cache.find(key);
    if (!cached) {
        auto ticket = services.tile_cache.begin();
        tiles::TileFrame frame(tile);
        std::string built = name == data::events_layer ? events_tile(services.desk, *who, frame)
                            : name == data::cameras_layer
                                ? cameras_tile(services.store, services.assigner, *who, frame)
                            : name == data::tracks_layer
                                ? tracks_tile(services.store, services.assigner, *who, frame)
                            : name == data::drones_layer
                                ? drones_tile(services.store, services.assigner, *who, frame)
                            : name == data::coverage_layer
                                ? coverage_tile(coverage->report, services.assigner, *who, frame)
                                : boundary_tile(services.assigner, name, frame);
        cached = services.tile_cache.put(key, tiles::make_cached_tile(std::move(built)), ticket);
    }

    Response res;
    res.set_header("Content-Type", "application/vnd.mapbox-vector-tile");
    res.set_header("Cache-Control", scoped ? "private, no-cache" : "no-cache");
    res.set_header("Vary", scoped ? "Accept-Encoding, Authorization" : "Accept-Encoding");
    res.set_header("ETag", cached->etag);
    if (auto inm = req.header("If-None-Match"); inm && etag_matches(*inm, cached->etag)) {
        res.status = 304;
        return res;
    }
    if (!cached->body.empty() && accepts_gzip(req)) {
        res.set_header("Content-Encoding", "gzip");
        res.body = cached->gzip;
    } else {
        res.body = cached->body;
    }
    return res;
}

Response get_tilejson(const Request& req, Services& services, const PathParams& params) {
    auto name = strip_suffix(param(params, "file"), ".json");
    if (!name)
        throw Error(ErrorCode::not_found,
                    "no such document: a layer's TileJSON is /tiles/{layer}.json");
    reject_unknown_params(parse_target(req.target), {});
    std::string url = request_origin(req) + "/tiles/" + percent_encode(*name) + "/{z}/{x}/{y}.mvt";
    json out = {{"tilejson", "3.0.0"},
                {"scheme", "xyz"},
                {"tiles", json::array({url})},
                {"minzoom", 0},
                {"maxzoom", advertised_max_zoom}};
    json fields;
    std::string title;
    geo::BBox bounds;
    if (*name == data::events_layer) {
        // The events tiles need a login; this document does not (it holds no events).
        title = "事件";
        out["description"] = "Open events the caller may see (log in; Authorization: Bearer)";
        out["version"] = "1.0.0";
        fields = {{"category", "String"},   {"status", "String"},      {"severity", "String"},
                  {"level", "String"},      {"source", "String"},      {"grid_code", "String"},
                  {"owner_unit", "String"}, {"reported_at", "String"}, {"deadline_at", "String"}};
        bounds = layers_extent(services);
    } else if (*name == data::cameras_layer) {
        title = "视频监控";
        out["description"] = "Camera view cones the caller may see (log in; Authorization: "
                             "Bearer)";
        out["version"] = "1.0.0";
        fields = {{"code", "String"},        {"name", "String"},    {"online", "Boolean"},
                  {"heading_deg", "Number"}, {"fov_deg", "Number"}, {"range_m", "Number"}};
        bounds = layers_extent(services);
    } else if (*name == data::tracks_layer) {
        title = "巡查轨迹";
        out["description"] = "Officers' patrol tracks the caller may see, the latest " +
                             std::to_string(max_tile_paths) +
                             " per tile (log in; Authorization: Bearer)";
        out["version"] = "1.0.0";
        fields = {{"officer_code", "String"},
                  {"officer_name", "String"},
                  {"started_at", "String"},
                  {"ended_at", "String"},
                  {"length_m", "Number"}};
        bounds = layers_extent(services);
    } else if (*name == data::drones_layer) {
        title = "无人机航线";
        out["description"] = "Drone flight paths the caller may see, the latest " +
                             std::to_string(max_tile_paths) +
                             " per tile (log in; Authorization: Bearer)";
        out["version"] = "1.0.0";
        fields = {{"code", "String"},       {"purpose", "String"},  {"swath_m", "Number"},
                  {"started_at", "String"}, {"ended_at", "String"}, {"length_m", "Number"}};
        bounds = layers_extent(services);
    } else if (*name == data::coverage_layer) {
        title = "巡查覆盖";
        out["description"] = "Grids by their patrol coverage of the last 30 days, the ones the "
                             "caller may see (log in; Authorization: Bearer)";
        out["version"] = "1.0.0";
        fields = {{"code", "String"},           {"name", "String"},       {"type", "String"},
                  {"coverage_share", "Number"}, {"visited", "Boolean"},   {"visits", "Number"},
                  {"stale", "Boolean"},         {"stale_days", "Number"}, {"distance_m", "Number"},
                  {"last_visit", "String"}};
        bounds = layers_extent(services);
    } else {
        data::Layer layer = layer_named(services, *name);
        title = layer.title;
        out["description"] = std::string(data::to_string(layer.kind)) + " layer '" + layer.name +
                             "', version " + std::to_string(layer.version);
        out["version"] = "1.0." + std::to_string(layer.version);
        fields = {{"code", "String"},
                  {"name", "String"},
                  {"kind", "String"},
                  {"parent_code", "String"},
                  {"version", "Number"}};
        if (layer.extent)
            bounds = *layer.extent;
    }
    out["name"] = title;
    if (!bounds.empty()) {
        out["bounds"] = {bounds.min_x, bounds.min_y, bounds.max_x, bounds.max_y};
        out["center"] = {(bounds.min_x + bounds.max_x) / 2, (bounds.min_y + bounds.max_y) / 2, 10};
    }
    out["vector_layers"] = json::array({{{"id", *name},
                                         {"description", title},
                                         {"minzoom", 0},
                                         {"maxzoom", advertised_max_zoom},
                                         {"fields", fields}}});
    if (*name == data::drones_layer)
        out["vector_layers"].push_back({{"id", data::drone_footprints_layer},
                                        {"description", "无人机航拍范围"},
                                        {"minzoom", 0},
                                        {"maxzoom", advertised_max_zoom},
                                        {"fields", {{"code", "String"}, {"swath_m", "Number"}}}});
    return json_ok(out);
}

} // namespace tessera::server::detail

namespace tessera::server {

void connect_tile_cache(Services& services) {
    services.desk.subscribe([&cache = services.tile_cache](const data::EventChange& change) {
        geo::BBox where;
        where.extend(change.event.position);
        if (change.event.footprint)
            where.extend(geo::bbox_of(*change.event.footprint));
        cache.invalidate(data::events_layer, where);
    });
    // A boundary edit redraws that layer's tiles, and may move cameras, tracks and flights from
    // one jurisdiction to another (each belongs where its first point is located): their tiles
    // are dropped wherever such a thing is drawn.
    services.assigner.subscribe([&cache = services.tile_cache,
                                 &store = services.store](const data::Assigner::LayerChange& c) {
        for (const auto& area : c.areas) {
            cache.invalidate(c.layer, area);
            cache.invalidate(data::cameras_layer, geo::grown_by_m(area, data::max_camera_range_m));
            data::PathQuery crossing;
            crossing.bbox = area;
            for (const auto& t : store.patrol_tracks(crossing))
                if (area.contains(t.path.points.front()))
                    cache.invalidate(data::tracks_layer,
                                     geo::bbox_of(geo::LineString{t.path.points}));
            for (const auto& f : store.drone_flights(crossing))
                if (area.contains(f.path.points.front()))
                    cache.invalidate(data::drones_layer,
                                     geo::bbox_of(geo::LineString{f.path.points}));
        }
    });
}

} // namespace tessera::server
