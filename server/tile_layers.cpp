// Tile contents by layer (server/tile_layers.hpp, docs/tiles.md).
#include "server/tile_layers.hpp"

#include "tiles/mvt.hpp"

namespace tessera::server {

// A boundary layer as the assignment engine holds it in memory: no SQL per tile. Public.
std::string boundary_tile(data::Assigner& assigner, std::string_view layer,
                          const tiles::TileFrame& frame) {
    auto drawing = assigner.features_in(layer, frame.query_box());
    tiles::LayerWriter out{std::string(layer)};
    const auto kind = tiles::ValueRef::of(data::to_string(drawing.kind));
    for (const auto& f : drawing.features) {
        auto g = tiles::encode_geometry(frame, *f.geometry);
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
    for (const auto& entry : events) {
        const data::OpenEvent& e = *entry;
        auto point = tiles::encode_point(frame, e.position);
        if (!point)
            continue; // on the query box's edge but outside the buffered tile
        const tiles::PropertyRef props[] = {
            {"category", tiles::ValueRef::of(e.category)},
            {"status", tiles::ValueRef::of(data::to_string(e.status))},
            {"severity", tiles::ValueRef::of(data::to_string(e.severity))},
            {"level", tiles::ValueRef::of(data::to_string(e.level))},
            {"source", tiles::ValueRef::of(data::to_string(e.source))},
            {"grid_code", tiles::ValueRef::of(e.grid_code)},
            {"owner_unit", tiles::ValueRef::of(e.owner_unit)},
            {"reported_at", tiles::ValueRef::of(e.reported_at_text)},
            {"deadline_at", tiles::ValueRef::of(e.deadline_at_text)},
        };
        out.add(static_cast<std::uint64_t>(e.id), tiles::GeomType::point, *point, props);
    }
    return tiles::encode_tile(std::span(&out, 1));
}

} // namespace tessera::server
