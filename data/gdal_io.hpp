// Import and export of layers through GDAL/OGR: GeoJSON, GeoPackage, Shapefile (also zipped),
// KML, FlatGeobuf and CSV with a WKT column.
//
// Import is all-or-nothing: every feature is read, converted to EPSG:4326 and validated first;
// any problem (broken geometry, unknown CRS, no features, wrong geometry type, missing or
// duplicate codes) throws one Error listing every problem with the feature it is in, and nothing
// is written. Stored polygons are oriented as RFC 7946 asks (exterior counter-clockwise).
#pragma once

#include "data/store.hpp"

#include <filesystem>
#include <functional>

namespace tessera::data {

struct ReadOptions {
    // The CRS of the file's coordinates. Overrides what the file declares: Chinese boundary
    // files are usually GCJ-02 while their GeoJSON claims WGS84. Required when the file
    // declares none (Shapefile without .prj, CSV).
    std::optional<std::string> crs;
    // Attribute holding the feature code. DEFAULT: the first of code, adcode, gid, id, CODE,
    // ADCODE, GID, ID, 编码, 代码 present in the file.
    std::optional<std::string> code_field;
    // DEFAULT: the first of name, NAME, Name, 名称, mc, MC present; else the code.
    std::optional<std::string> name_field;
    // DEFAULT: the first of parent_code, parent, PARENT present; else none.
    std::optional<std::string> parent_field;
    // Layer inside a multi-layer source (GeoPackage). DEFAULT: the first layer.
    std::optional<std::string> source_layer;
};

struct ReadResult {
    std::vector<FeatureInput> features; // in EPSG:4326
    std::string driver;                 // GDAL driver short name, e.g. "GeoJSON"
    std::string source_crs;             // id of the CRS the coordinates were read in
    std::string code_field;
    std::string name_field;
};

// Reads polygonal features. Throws Error(invalid_geometry | unknown_crs | invalid_argument |
// io_error) naming each offending feature (by code when known, else by its position).
ReadResult read_features(const std::filesystem::path& file, const ReadOptions& options);

struct ImportOptions {
    std::string layer;
    LayerKind kind = LayerKind::grid; // used when the layer is created
    std::optional<std::string> parent_layer;
    int precedence = 0;
    std::string author = "tessera import";
    std::string reason; // DEFAULT: "import of <file name>"
    ReadOptions read;
};

struct ImportResult {
    Changeset changeset;
    ReadResult read;
    bool created_layer = false;
};

// Reads and validates `file`, then creates the layer if needed and replaces its features as one
// changeset. Nothing is written when anything fails.
ImportResult import_file(Store& store, const std::filesystem::path& file,
                         const ImportOptions& options);

// "GeoJSON", "GPKG", "ESRI Shapefile", "KML", "FlatGeobuf" (GDAL driver names; case-insensitive,
// also "geojson", "gpkg", "shp", "shapefile", "kml", "fgb", "flatgeobuf").
std::string normalise_format(std::string_view format);

struct ExportOptions {
    std::string layer;
    std::string format = "GeoJSON";
    std::optional<Time> at; // DEFAULT: the current version
    bool overwrite = false;
};

// Writes the layer's features (code, name, parent_code and every stored attribute) in EPSG:4326.
// Throws Error(conflict) when `out` exists and overwrite is false; removes a partial output on
// failure. Returns the number of features written.
std::size_t export_layer(Store& store, const ExportOptions& options,
                         const std::filesystem::path& out);

} // namespace tessera::data
