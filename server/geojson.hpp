// RFC 7946 GeoJSON for the stored model. Coordinates are EPSG:4326 lon,lat as stored; polygon
// rings are written with the right-hand rule (exterior counter-clockwise, holes clockwise),
// reversing rings where needed.
#pragma once

#include "data/model.hpp"
#include "data/validation.hpp"
#include "geo/geometry.hpp"

#include <nlohmann/json.hpp>

namespace tessera::server {

nlohmann::ordered_json to_geojson(const geo::Geometry& g);

// Names of the properties every feature carries; stored attributes with the same names are left
// out so these always mean the same thing.
inline constexpr const char* reserved_feature_properties[] = {
    "code", "name", "parent_code", "version", "valid_from", "valid_to", "changeset_id"};

// {"type":"Feature","id":code,"geometry":...,"properties":{code, name, parent_code, version,
// valid_from, [valid_to,] changeset_id, ...stored attributes}}.
nlohmann::ordered_json to_geojson(const data::Feature& f);

nlohmann::ordered_json to_json(const data::PropertyValue& v);

// A validation finding as a Feature: the faulty area, or a point where it has none; its code,
// severity, message, the features involved and the location (lon, lat) as properties.
nlohmann::ordered_json to_geojson(const data::Finding& f);

// Reads an RFC 7946 geometry object (Point, LineString, Polygon and their Multi* forms).
// Strict: the type and coordinate nesting must match, positions are 2 or 3 finite numbers (a
// third is dropped), rings are closed with at least 4 positions. Coordinates are returned as
// sent (no CRS conversion, no range check). Throws Error(invalid_geometry) naming what is wrong
// ("location.coordinates[0][3]: ...") with `where` as the prefix.
geo::Geometry geometry_from_geojson(const nlohmann::json& j, const std::string& where);

} // namespace tessera::server
