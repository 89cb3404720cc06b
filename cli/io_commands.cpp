#include "cli/commands.hpp"
#include "data/gdal_io.hpp"
#include "data/redraw.hpp"
#include "geo/error.hpp"

#include <cstdio>

namespace tessera::cli {

namespace {

// A redrawn layer (a surveyor's file) as a draft changeset of an existing layer, validated but
// not committed (docs/redrawing.md): the draft is reviewed and committed over the API.
int import_as_draft(data::Store& store, const std::string& file, const data::ImportOptions& o,
                    const std::string& title) {
    if (!store.find_layer(o.layer))
        throw Error(ErrorCode::not_found,
                    "layer '" + o.layer + "' does not exist; a draft redraws an existing layer");
    if (title.empty())
        throw Error(ErrorCode::invalid_argument, "--draft needs a title");
    data::ReadResult read = data::read_features(file, o.read);
    data::Redraw redraw(store);
    data::Draft d = store.create_draft(o.layer, {o.author, title, std::nullopt});
    auto op = redraw.import_layer(d.id, read.features, o.author);
    data::ValidationReport report = redraw.validate(d.id);
    std::printf("draft %lld of layer '%s': %zu features read from %s, %zu changed or removed; "
                "validation: %zu errors, %zu warnings\n",
                static_cast<long long>(d.id), o.layer.c_str(), read.features.size(), file.c_str(),
                op.codes.size(), report.errors(), report.findings.size() - report.errors());
    for (const auto& f : report.findings)
        std::printf("%s\t%s\t%s\n", std::string(data::to_string(f.severity)).c_str(),
                    f.code.c_str(), f.message.c_str());
    return 0;
}

} // namespace

int import_command(Args args) {
    Options opts(args,
                 {"db", "layer", "kind", "parent-layer", "crs", "code-field", "name-field",
                  "parent-field", "source-layer", "precedence", "author", "reason", "draft"},
                 {});
    if (opts.positional().size() != 1)
        throw Error(
            ErrorCode::invalid_argument,
            "usage: tessera import --db DB --layer NAME [--kind KIND] [--parent-layer NAME] "
            "[--crs CRS] [--code-field F] [--name-field F] [--draft TITLE] FILE");
    data::ImportOptions o;
    o.layer = opts.require("layer");
    std::string kind = opts.get("kind", "grid");
    auto parsed = data::parse_layer_kind(kind);
    if (!parsed)
        throw Error(ErrorCode::invalid_argument,
                    "unknown --kind '" + kind +
                        "'; use county, township, community, grid, micro_grid or exclusive_grid");
    o.kind = *parsed;
    if (opts.has("parent-layer"))
        o.parent_layer = opts.get("parent-layer");
    o.precedence = static_cast<int>(
        opts.get_int("precedence", o.kind == data::LayerKind::exclusive_grid ? 10 : 0));
    o.author = opts.get("author", "tessera import");
    o.reason = opts.get("reason");
    if (opts.has("crs"))
        o.read.crs = opts.get("crs");
    if (opts.has("code-field"))
        o.read.code_field = opts.get("code-field");
    if (opts.has("name-field"))
        o.read.name_field = opts.get("name-field");
    if (opts.has("parent-field"))
        o.read.parent_field = opts.get("parent-field");
    if (opts.has("source-layer"))
        o.read.source_layer = opts.get("source-layer");

    auto store = data::open_spatialite_store(opts.require("db"));
    std::string file = opts.positional()[0];
    if (opts.has("draft"))
        return import_as_draft(*store, file, o, opts.get("draft"));
    auto r = data::import_file(*store, file, o);
    std::printf(
        "imported %zu features from %s (%s, %s, code field '%s') into layer '%s' version %lld%s\n",
        r.read.features.size(), file.c_str(), r.read.driver.c_str(), r.read.source_crs.c_str(),
        r.read.code_field.c_str(), o.layer.c_str(), static_cast<long long>(r.changeset.version),
        r.created_layer ? " (new layer)" : "");
    return 0;
}

int export_command(Args args) {
    Options opts(args, {"db", "layer", "format", "at"}, {"force"});
    if (opts.positional().size() != 1)
        throw Error(ErrorCode::invalid_argument,
                    "usage: tessera export --db DB --layer NAME --format GeoJSON|GPKG|\"ESRI "
                    "Shapefile\"|KML|FlatGeobuf "
                    "[--at TIME] [--force] OUT");
    data::ExportOptions o;
    o.layer = opts.require("layer");
    o.format = opts.get("format", "GeoJSON");
    o.overwrite = opts.has("force");
    if (opts.has("at")) {
        o.at = data::parse_time(opts.get("at"));
        if (!o.at)
            throw Error(ErrorCode::invalid_argument, "--at needs an ISO 8601 date or time");
    }
    auto store = data::open_spatialite_store(opts.require("db"));
    std::string out = opts.positional()[0];
    std::size_t n = data::export_layer(*store, o, out);
    std::printf("exported %zu features of layer '%s' to %s (%s, EPSG:4326)\n", n, o.layer.c_str(),
                out.c_str(), data::normalise_format(o.format).c_str());
    return 0;
}

} // namespace tessera::cli
