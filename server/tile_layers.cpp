// Tile contents by layer (server/tile_layers.hpp, docs/tiles.md).
#include "server/tile_layers.hpp"

#include "data/nearby.hpp"
#include "geo/footprint.hpp"
#include "geo/measure.hpp"
#include "tiles/mvt.hpp"
#include "tiles/simplify.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tessera::server {

// A boundary layer as the assignment engine holds it in memory: no SQL per tile. Public.
std::string boundary_tile(data::Assigner& assigner, std::string_view layer,
                          const tiles::TileFrame& frame, std::optional<data::Time> at) {
    auto drawing = assigner.features_in(layer, frame.query_box(), at);
    tiles::LayerWriter out{std::string(layer)};
    const auto kind = tiles::ValueRef::of(data::to_string(drawing.kind));
    const double tolerance = tiles::simplify_tolerance_m(frame);
    tiles::Simplifier simplify(tolerance);
    for (const auto& f : drawing.features) {
        auto g = tolerance > 0 ? tiles::encode_geometry(frame, simplify(*f.geometry, *f.junctions))
                               : tiles::encode_geometry(frame, *f.geometry);
        const std::optional<std::string>& parent = *f.parent_code;
        const tiles::PropertyRef props[] = {
            {"code", tiles::ValueRef::of(f.code)},
            {"name", tiles::ValueRef::of(f.name)},
            {"kind", kind},
            {"parent_code", tiles::ValueRef::of(parent ? std::string_view(*parent) : "")},
            {"version", tiles::ValueRef::of(f.version)},
        };
        out.add(static_cast<std::uint64_t>(f.id), g.type, g.commands, props);
    }
    return tiles::encode_tile(std::span(&out, 1));
}

// The open events `who` may see (docs/tiles.md, "The events layer"), from the desk's board. The
// feature id is the event id (as ST_AsMVT's feature_id_name does it), not repeated as a property.
std::string events_tile(data::EventDesk& desk, const data::Principal& who,
                        const tiles::TileFrame& frame) {
    auto events = desk.open_events_in(frame.query_box(), who, max_tile_events);
    tiles::LayerWriter out{std::string(data::events_layer)};
    // Tags numbered here: each key once, each distinct attribute once per tile (by its number
    // on the board), and the two times, which differ from event to event, as they come.
    constexpr auto& names = data::OpenEvent::attribute_names;
    std::array<std::uint32_t, names.size()> keys;
    for (std::size_t k = 0; k < names.size(); ++k)
        keys[k] = out.key_index(names[k]);
    const std::uint32_t reported_key = out.key_index("reported_at");
    const std::uint32_t deadline_key = out.key_index("deadline_at");
    constexpr std::uint32_t unseen = ~0u;
    std::vector<std::uint32_t> value_of; // board attribute number -> this tile's value index
    std::array<std::uint32_t, 2 * (names.size() + 2)> tags;
    for (const auto& entry : events) {
        const data::OpenEvent& e = *entry;
        auto point = tiles::encode_point(frame, e.mercator);
        if (!point)
            continue; // on the query box's edge but outside the buffered tile
        const auto texts = e.attributes();
        for (std::size_t k = 0; k < names.size(); ++k) {
            const std::uint32_t id = e.attribute_ids[k];
            if (id >= value_of.size())
                value_of.resize(id + 1, unseen);
            if (value_of[id] == unseen)
                value_of[id] = out.value_index(tiles::ValueRef::of(texts[k]));
            tags[2 * k] = keys[k];
            tags[2 * k + 1] = value_of[id];
        }
        tags[2 * names.size()] = reported_key;
        tags[2 * names.size() + 1] = out.value_index(tiles::ValueRef::of(e.reported_at_text));
        tags[2 * names.size() + 2] = deadline_key;
        tags[2 * names.size() + 3] = out.value_index(tiles::ValueRef::of(e.deadline_at_text));
        out.add_tagged(static_cast<std::uint64_t>(e.id), tiles::GeomType::point, *point, tags);
    }
    return tiles::encode_tile(std::span(&out, 1));
}

namespace {

// Whether `who` sees every thing on the ground, so that no position needs locating.
bool sees_everything(const data::Principal& who) {
    return !data::event_visibility(who).has_value();
}

} // namespace

std::string cameras_tile(data::Store& store, data::Assigner& assigner, const data::Principal& who,
                         const tiles::TileFrame& frame) {
    // The cameras near enough for their cones to reach the tile.
    const geo::BBox box = geo::grown_by_m(frame.query_box(), data::max_camera_range_m);
    const bool sees_all = sees_everything(who);
    tiles::LayerWriter out{std::string(data::cameras_layer)};
    for (const auto& c : store.cameras(box)) {
        if (!sees_all && !data::may_see_at(assigner, who, data::Resource::camera, c.position))
            continue;
        auto g = tiles::encode_geometry(frame, geo::as_multi_polygon(geo::view_cone(
                                                   c.position, c.heading_deg, c.fov_deg,
                                                   std::min(c.range_m, data::max_camera_range_m))));
        const tiles::PropertyRef props[] = {
            {"code", tiles::ValueRef::of(c.code)},
            {"name", tiles::ValueRef::of(c.name)},
            {"online", tiles::ValueRef::of(c.online)},
            {"heading_deg", tiles::ValueRef::of(c.heading_deg)},
            {"fov_deg", tiles::ValueRef::of(c.fov_deg)},
            {"range_m", tiles::ValueRef::of(c.range_m)},
        };
        out.add(static_cast<std::uint64_t>(c.id), g.type, g.commands, props);
    }
    return tiles::encode_tile(std::span(&out, 1));
}

namespace {

// The paths (tracks, flights) a tile draws: those whose boxes meet it, the latest that started.
data::PathQuery paths_in(const tiles::TileFrame& frame) {
    data::PathQuery query;
    query.bbox = frame.query_box();
    query.limit = max_tile_paths;
    return query;
}

// Drops the paths `who` may not see: a path belongs where it starts.
template <class Path>
void keep_visible(std::vector<Path>& paths, data::Assigner& assigner, const data::Principal& who,
                  data::Resource resource) {
    if (!sees_everything(who))
        std::erase_if(paths, [&](const Path& p) {
            return !data::may_see_at(assigner, who, resource, p.path.points.front());
        });
}

// What every path feature carries besides its own attributes.
struct DrawnPath {
    tiles::EncodedGeometry geometry;
    std::string started_at, ended_at;
    double length_m = 0;
};

DrawnPath draw(const tiles::TileFrame& frame, data::TimedPath& path) { // takes the points
    const geo::Geometry line = geo::LineString{std::move(path.points)};
    return {tiles::encode_geometry(frame, line), data::format_time(path.times.front()),
            data::format_time(path.times.back()), std::round(geo::length_m(line))};
}

} // namespace

std::string tracks_tile(data::Store& store, data::Assigner& assigner, const data::Principal& who,
                        const tiles::TileFrame& frame) {
    std::vector<data::PatrolTrack> tracks = store.patrol_tracks(paths_in(frame));
    keep_visible(tracks, assigner, who, data::Resource::track);
    std::vector<std::int64_t> person_ids;
    for (const auto& t : tracks)
        person_ids.push_back(t.person_id);
    std::ranges::sort(person_ids);
    person_ids.erase(std::unique(person_ids.begin(), person_ids.end()), person_ids.end());
    std::vector<data::Person> people = store.people_with_ids(person_ids); // by id

    tiles::LayerWriter out{std::string(data::tracks_layer)};
    for (auto& t : tracks) {
        auto person = std::ranges::lower_bound(people, t.person_id, {}, &data::Person::id);
        const bool known = person != people.end() && person->id == t.person_id;
        const DrawnPath d = draw(frame, t.path);
        const tiles::PropertyRef props[] = {
            {"officer_code", tiles::ValueRef::of(known ? std::string_view(person->code) : "")},
            {"officer_name", tiles::ValueRef::of(known ? std::string_view(person->name) : "")},
            {"started_at", tiles::ValueRef::of(d.started_at)},
            {"ended_at", tiles::ValueRef::of(d.ended_at)},
            {"length_m", tiles::ValueRef::of(d.length_m)},
        };
        out.add(static_cast<std::uint64_t>(t.id), d.geometry.type, d.geometry.commands, props);
    }
    return tiles::encode_tile(std::span(&out, 1));
}

std::string drones_tile(data::Store& store, data::Assigner& assigner, const data::Principal& who,
                        const tiles::TileFrame& frame) {
    std::vector<data::DroneFlight> flights = store.drone_flights(paths_in(frame));
    keep_visible(flights, assigner, who, data::Resource::drone_flight);
    tiles::LayerWriter out{std::string(data::drones_layer)};
    tiles::LayerWriter footprints{std::string(data::drone_footprints_layer)};
    for (auto& f : flights) {
        const auto strip = tiles::encode_geometry(frame, geo::swath(f.path.points, f.swath_m));
        const tiles::PropertyRef strip_props[] = {
            {"code", tiles::ValueRef::of(f.code)},
            {"swath_m", tiles::ValueRef::of(f.swath_m)},
        };
        if (!strip.commands.empty())
            footprints.add(static_cast<std::uint64_t>(f.id), strip.type, strip.commands,
                           strip_props);
        const DrawnPath d = draw(frame, f.path);
        const tiles::PropertyRef props[] = {
            {"code", tiles::ValueRef::of(f.code)},
            {"purpose", tiles::ValueRef::of(f.purpose)},
            {"swath_m", tiles::ValueRef::of(f.swath_m)},
            {"started_at", tiles::ValueRef::of(d.started_at)},
            {"ended_at", tiles::ValueRef::of(d.ended_at)},
            {"length_m", tiles::ValueRef::of(d.length_m)},
        };
        out.add(static_cast<std::uint64_t>(f.id), d.geometry.type, d.geometry.commands, props);
    }
    const tiles::LayerWriter layers[] = {std::move(out), std::move(footprints)};
    return tiles::encode_tile(std::span(layers));
}

std::string coverage_tile(const data::AuditReport& audit, data::Assigner& assigner,
                          const data::Principal& who, const tiles::TileFrame& frame) {
    const geo::BBox box = frame.query_box();
    tiles::LayerWriter out{std::string(data::coverage_layer)};
    std::uint64_t id = 0;
    for (const auto& g : audit.grids) {
        ++id; // the grid's place in the report, by code
        if (!geo::bbox_of(g.shape).intersects(box))
            continue;
        data::Scope scope;
        if (g.parent_code)
            scope.areas = assigner.areas_from(*g.parent_code);
        scope.grid = g.code;
        if (!data::may(&who, data::Action::view, data::Resource::track, scope))
            continue;
        const auto geometry = tiles::encode_geometry(frame, g.shape);
        if (geometry.commands.empty())
            continue;
        const std::string last_visit =
            g.patrol.last_visit_ms
                ? data::format_time(data::Time(std::chrono::milliseconds(*g.patrol.last_visit_ms)))
                : std::string();
        const double share = std::round(g.patrol.coverage_share() * 1000) / 1000;
        const double distance = std::round(g.patrol.distance_m);
        const tiles::PropertyRef props[] = {
            {"code", tiles::ValueRef::of(g.code)},
            {"name", tiles::ValueRef::of(g.name)},
            {"type", tiles::ValueRef::of(g.type)},
            {"coverage_share", tiles::ValueRef::of(share)},
            {"visited", tiles::ValueRef::of(g.patrol.visited)},
            {"visits", tiles::ValueRef::of(g.patrol.visits)},
            {"stale", tiles::ValueRef::of(g.stale)},
            {"stale_days", tiles::ValueRef::of(static_cast<std::int64_t>(g.stale_days))},
            {"distance_m", tiles::ValueRef::of(distance)},
            {"last_visit", tiles::ValueRef::of(last_visit)},
        };
        out.add(id, geometry.type, geometry.commands, props);
    }
    return tiles::encode_tile(std::span(&out, 1));
}

} // namespace tessera::server
