#include "data/gdal_io.hpp"

#include "data/detail/gdal.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"
#include "geo/validate.hpp"
#include "geo/wkb.hpp"

#include <algorithm>
#include <cctype>
#include <cpl_conv.h>
#include <limits>
#include <map>
#include <set>

namespace tessera::data {
namespace {

using namespace detail;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Collects every problem of a file; throws them together (STYLE: a problem reporter instead of
// throw-on-first-problem).
class ProblemReport {
public:
    explicit ProblemReport(std::string file)
        : m_file(std::move(file)) {}

    void add(ErrorCode code, std::string message) {
        if (m_problems.empty())
            m_first_code = code;
        m_problems.push_back(std::move(message));
    }
    bool empty() const { return m_problems.empty(); }

    [[noreturn]] void raise() const {
        constexpr std::size_t shown = 20;
        std::string msg =
            m_file + ": " + std::to_string(m_problems.size()) +
            (m_problems.size() == 1 ? " problem, nothing imported" : " problems, nothing imported");
        for (std::size_t i = 0; i < std::min(shown, m_problems.size()); ++i)
            msg += "\n  - " + m_problems[i];
        if (m_problems.size() > shown)
            msg += "\n  ... and " + std::to_string(m_problems.size() - shown) + " more";
        throw Error(m_first_code, msg);
    }

private:
    std::string m_file;
    ErrorCode m_first_code = ErrorCode::invalid_argument;
    std::vector<std::string> m_problems;
};

std::vector<std::string> field_names(OGRFeatureDefnH defn) {
    std::vector<std::string> out;
    int n = OGR_FD_GetFieldCount(defn);
    for (int i = 0; i < n; ++i)
        out.emplace_back(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
    return out;
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v)
        s += (s.empty() ? "" : ", ") + x;
    return s.empty() ? "(none)" : s;
}

int pick_field(const std::vector<std::string>& fields, const std::optional<std::string>& wanted,
               std::initializer_list<const char*> defaults, const char* role,
               const std::string& file) {
    auto index_of = [&](const std::string& name) {
        auto it = std::find(fields.begin(), fields.end(), name);
        return it == fields.end() ? -1 : static_cast<int>(it - fields.begin());
    };
    if (wanted) {
        int i = index_of(*wanted);
        if (i < 0)
            throw Error(ErrorCode::invalid_argument, file + ": no field '" + *wanted +
                                                         "' for the " + role +
                                                         "; fields are: " + join(fields));
        return i;
    }
    for (const char* d : defaults) {
        int i = index_of(d);
        if (i >= 0)
            return i;
    }
    return -1;
}

geo::Crs source_crs(OGRLayerH layer, const ReadOptions& options, const std::string& file) {
    if (options.crs)
        return geo::Crs::parse(*options.crs);
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    if (!srs)
        throw Error(
            ErrorCode::unknown_crs,
            file + " declares no CRS; pass --crs (e.g. --crs wgs84, --crs gcj02, --crs EPSG:4547)");
    SrsPtr clone(OSRClone(srs));
    OSRAutoIdentifyEPSG(clone.get());
    const char* auth = OSRGetAuthorityName(clone.get(), nullptr);
    const char* code = OSRGetAuthorityCode(clone.get(), nullptr);
    if (auth && code && std::string(auth) == "EPSG")
        return geo::Crs::parse(std::string("EPSG:") + code);
    char* wkt = nullptr;
    const char* opts[] = {"FORMAT=WKT2_2019", nullptr};
    if (OSRExportToWktEx(clone.get(), &wkt, opts) != OGRERR_NONE || !wkt)
        throw Error(ErrorCode::unknown_crs, file + ": cannot read its CRS");
    std::string text = wkt;
    CPLFree(wkt);
    return geo::Crs::parse(text);
}

PropertyValue field_value(OGRFeatureH f, int i, OGRFieldDefnH defn) {
    if (!OGR_F_IsFieldSetAndNotNull(f, i))
        return std::monostate{};
    switch (OGR_Fld_GetType(defn)) {
    case OFTInteger:
        if (OGR_Fld_GetSubType(defn) == OFSTBoolean)
            return OGR_F_GetFieldAsInteger(f, i) != 0;
        return static_cast<std::int64_t>(OGR_F_GetFieldAsInteger(f, i));
    case OFTInteger64:
        return static_cast<std::int64_t>(OGR_F_GetFieldAsInteger64(f, i));
    case OFTReal:
        return OGR_F_GetFieldAsDouble(f, i);
    default:
        return std::string(OGR_F_GetFieldAsString(f, i));
    }
}

// A polygonal OGR geometry as a geo::Geometry (curves linearised, collections of polygons
// accepted); nullopt with a reason otherwise.
std::optional<geo::Geometry> read_polygonal(OGRGeometryH g, std::string& why) {
    if (!g) {
        why = "has no geometry";
        return std::nullopt;
    }
    OgrGeometryPtr owned;
    OGRwkbGeometryType type = wkbFlatten(OGR_G_GetGeometryType(g));
    if (OGR_GT_IsNonLinear(type) || type == wkbGeometryCollection) {
        owned.reset(OGR_G_ForceToMultiPolygon(OGR_G_Clone(g)));
        g = owned.get();
        type = wkbFlatten(OGR_G_GetGeometryType(g));
    }
    if (type != wkbPolygon && type != wkbMultiPolygon) {
        why = std::string("is a ") + OGRGeometryTypeToName(type) +
              ", expected a Polygon or MultiPolygon";
        return std::nullopt;
    }
    if (OGR_G_IsEmpty(g)) {
        why = "has an empty geometry";
        return std::nullopt;
    }
    std::string wkb(static_cast<std::size_t>(OGR_G_WkbSize(g)), '\0');
    OGR_G_ExportToIsoWkb(g, wkbNDR, reinterpret_cast<unsigned char*>(wkb.data()));
    return geo::from_wkb({reinterpret_cast<const std::uint8_t*>(wkb.data()), wkb.size()});
}

// Single-part multipolygons become polygons: one canonical form whatever the format stored.
void canonicalise(geo::Geometry& g) {
    if (auto* mp = std::get_if<geo::MultiPolygon>(&g); mp && mp->polygons.size() == 1) {
        geo::Polygon p = std::move(mp->polygons[0]);
        g = std::move(p);
    }
    geo::orient_rfc7946(g);
}

std::string open_path(const std::filesystem::path& file) {
    std::string ext = lower(file.extension().string());
    if (ext == ".zip")
        return "/vsizip/" + std::filesystem::absolute(file).string();
    return file.string();
}

} // namespace

ReadResult read_features(const std::filesystem::path& file, const ReadOptions& options) {
    gdal_register_once();
    GdalErrorCapture capture;
    const std::string name = file.filename().string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        throw Error(ErrorCode::io_error, file.string() + ": no such file");

    std::vector<const char*> open_options;
    if (lower(file.extension().string()) == ".csv") {
        open_options = {"GEOM_POSSIBLE_NAMES=WKT,wkt,geometry,geom,the_geom,WKT_GEOM",
                        "KEEP_GEOM_COLUMNS=NO"};
    }
    open_options.push_back(nullptr);
    DatasetPtr ds(GDALOpenEx(open_path(file).c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr,
                             open_options.data(), nullptr));
    if (!ds)
        throw Error(ErrorCode::invalid_argument,
                    name + ": cannot read it as a vector file (" + capture.last() + ")");
    ReadResult result;
    result.driver = GDALGetDriverShortName(GDALGetDatasetDriver(ds.get()));

    OGRLayerH layer = nullptr;
    if (options.source_layer) {
        layer = GDALDatasetGetLayerByName(ds.get(), options.source_layer->c_str());
        if (!layer)
            throw Error(ErrorCode::not_found, name + ": no layer '" + *options.source_layer + "'");
    } else if (GDALDatasetGetLayerCount(ds.get()) > 0) {
        layer = GDALDatasetGetLayer(ds.get(), 0);
    }
    if (!layer)
        throw Error(ErrorCode::invalid_argument, name + ": the file holds no layer");

    if (OGR_L_GetFeatureCount(layer, TRUE) == 0)
        throw Error(ErrorCode::invalid_argument, name + " has no features");
    geo::Crs crs = source_crs(layer, options, name);
    result.source_crs = crs.id();
    geo::CrsTransform to_storage(crs, geo::Crs::wgs84());

    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    std::vector<std::string> fields = field_names(defn);
    int code_i =
        pick_field(fields, options.code_field,
                   {"code", "adcode", "gid", "id", "CODE", "ADCODE", "GID", "ID", "编码", "代码"},
                   "feature code", name);
    if (code_i < 0)
        throw Error(ErrorCode::invalid_argument,
                    name + ": no code field found; pass --code-field (fields are: " + join(fields) +
                        ")");
    int name_i = pick_field(fields, options.name_field,
                            {"name", "NAME", "Name", "名称", "mc", "MC"}, "feature name", name);
    int parent_i = pick_field(fields, options.parent_field, {"parent_code", "parent", "PARENT"},
                              "parent code", name);
    result.code_field = fields[static_cast<std::size_t>(code_i)];
    result.name_field = name_i >= 0 ? fields[static_cast<std::size_t>(name_i)] : result.code_field;

    ProblemReport report(name);
    std::set<std::string> seen;
    OGR_L_ResetReading(layer);
    std::size_t index = 0;
    while (FeaturePtr f{OGR_L_GetNextFeature(layer)}) {
        ++index;
        FeatureInput in;
        std::string where = "feature #" + std::to_string(index);
        if (OGR_F_IsFieldSetAndNotNull(f.get(), code_i))
            in.code = OGR_F_GetFieldAsString(f.get(), code_i);
        if (in.code.empty()) {
            report.add(ErrorCode::invalid_argument,
                       where + " has no code (field '" + result.code_field + "' is empty)");
            continue;
        }
        where = "feature '" + in.code + "' (#" + std::to_string(index) + ")";
        if (!seen.insert(in.code).second) {
            report.add(ErrorCode::invalid_argument, where + ": duplicate code");
            continue;
        }
        in.name = name_i >= 0 && OGR_F_IsFieldSetAndNotNull(f.get(), name_i)
                      ? OGR_F_GetFieldAsString(f.get(), name_i)
                      : in.code;
        if (parent_i >= 0 && OGR_F_IsFieldSetAndNotNull(f.get(), parent_i))
            in.parent_code = OGR_F_GetFieldAsString(f.get(), parent_i);
        for (int i = 0; i < static_cast<int>(fields.size()); ++i) {
            if (i == code_i || i == name_i || i == parent_i)
                continue;
            in.properties.emplace_back(fields[static_cast<std::size_t>(i)],
                                       field_value(f.get(), i, OGR_FD_GetFieldDefn(defn, i)));
        }
        std::string why;
        auto geometry = read_polygonal(OGR_F_GetGeometryRef(f.get()), why);
        if (!geometry) {
            report.add(ErrorCode::invalid_geometry, where + " " + why);
            continue;
        }
        if (auto p = geo::find_problem(*geometry, crs.is_geographic())) {
            report.add(ErrorCode::invalid_geometry, where + ": " + p->message);
            continue;
        }
        try {
            to_storage.apply(*geometry);
        } catch (const Error& e) {
            report.add(ErrorCode::invalid_geometry, where + ": " + e.what());
            continue;
        }
        canonicalise(*geometry);
        if (auto p = geo::find_problem(*geometry)) {
            report.add(ErrorCode::invalid_geometry,
                       where + " after conversion to EPSG:4326: " + p->message);
            continue;
        }
        in.geometry = std::move(*geometry);
        result.features.push_back(std::move(in));
    }
    if (!report.empty())
        report.raise();
    if (result.features.empty())
        throw Error(ErrorCode::invalid_argument, name + " has no features");
    return result;
}

ImportResult import_file(Store& store, const std::filesystem::path& file,
                         const ImportOptions& options) {
    ImportResult result;
    result.read = read_features(file, options.read);
    auto tx = store.begin();
    auto layer = store.find_layer(options.layer);
    if (!layer) {
        store.create_layer({options.layer, options.kind, options.layer, options.parent_layer,
                            options.precedence, result.read.source_crs});
        result.created_layer = true;
    } else if (layer->kind != options.kind) {
        throw Error(ErrorCode::conflict, "layer '" + options.layer + "' exists with kind " +
                                             std::string(to_string(layer->kind)) + ", not " +
                                             std::string(to_string(options.kind)));
    }
    std::string reason =
        options.reason.empty() ? "import of " + file.filename().string() : options.reason;
    result.changeset =
        store.replace_features(options.layer, {options.author, reason, {}}, result.read.features);
    tx->commit();
    return result;
}

std::string normalise_format(std::string_view format) {
    std::string f = lower(std::string(format));
    if (f == "geojson" || f == "json")
        return "GeoJSON";
    if (f == "gpkg" || f == "geopackage")
        return "GPKG";
    if (f == "esri shapefile" || f == "shapefile" || f == "shp")
        return "ESRI Shapefile";
    if (f == "kml" || f == "libkml")
        return "LIBKML";
    if (f == "flatgeobuf" || f == "fgb")
        return "FlatGeobuf";
    throw Error(ErrorCode::invalid_argument,
                "unknown format '" + std::string(format) +
                    "'; use GeoJSON, GPKG, \"ESRI Shapefile\", KML or FlatGeobuf");
}

namespace {

// What a property holds across all features; decides its OGR field type.
struct FieldKind {
    bool has_bool = false, has_int = false, has_double = false, has_string = false;
    bool ints_fit_32 = true;

    void add(const PropertyValue& v) {
        if (std::holds_alternative<bool>(v))
            has_bool = true;
        if (const auto* i = std::get_if<std::int64_t>(&v)) {
            has_int = true;
            ints_fit_32 &= *i >= std::numeric_limits<std::int32_t>::min() &&
                           *i <= std::numeric_limits<std::int32_t>::max();
        }
        if (std::holds_alternative<double>(v))
            has_double = true;
        if (std::holds_alternative<std::string>(v))
            has_string = true;
    }
    bool is_bool() const { return has_bool && !has_int && !has_double && !has_string; }
    // 32-bit integers where they suffice: more formats keep them typed (KML, older readers).
    OGRFieldType type() const {
        if (has_string || (has_bool && (has_int || has_double)))
            return OFTString;
        if (has_double)
            return OFTReal;
        if (has_int)
            return ints_fit_32 ? OFTInteger : OFTInteger64;
        if (has_bool)
            return OFTInteger;
        return OFTString;
    }
};

void remove_output(const std::filesystem::path& out) {
    std::error_code ec;
    std::filesystem::remove_all(out, ec);
    if (lower(out.extension().string()) == ".shp")
        for (const char* ext : {".shx", ".dbf", ".prj", ".cpg", ".qix"}) {
            auto sibling = out;
            sibling.replace_extension(ext);
            std::filesystem::remove(sibling, ec);
        }
}

} // namespace

std::size_t export_layer(Store& store, const ExportOptions& options,
                         const std::filesystem::path& out) {
    gdal_register_once();
    std::string format = normalise_format(options.format);
    if (!store.find_layer(options.layer))
        throw Error(ErrorCode::not_found, "layer '" + options.layer + "' does not exist");
    std::error_code ec;
    if (std::filesystem::exists(out, ec)) {
        if (!options.overwrite)
            throw Error(ErrorCode::conflict,
                        out.string() + " exists; pass --force to overwrite it");
        remove_output(out);
    }
    FeatureQuery q;
    q.at = options.at;
    q.limit = std::numeric_limits<std::size_t>::max();
    FeaturePage page = store.features(options.layer, q);

    GdalErrorCapture capture;
    GDALDriverH driver = GDALGetDriverByName(format.c_str());
    if (!driver)
        throw Error(ErrorCode::internal, "GDAL has no " + format + " driver");

    // Properties become fields; their type is the narrowest that holds every value.
    std::vector<std::string> names;
    std::map<std::string, FieldKind> kinds;
    bool any_parent = false, any_multi = false;
    for (const auto& f : page.features) {
        any_parent |= f.parent_code.has_value();
        any_multi |= std::holds_alternative<geo::MultiPolygon>(f.geometry);
        for (const auto& [name, value] : f.properties) {
            auto [it, inserted] = kinds.try_emplace(name);
            if (inserted)
                names.push_back(name);
            it->second.add(value);
        }
    }

    try {
        DatasetPtr ds(GDALCreate(driver, out.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
        if (!ds)
            throw Error(ErrorCode::io_error,
                        "cannot create " + out.string() + ": " + capture.last());
        SrsPtr srs(OSRNewSpatialReference(nullptr));
        OSRImportFromEPSG(srs.get(), 4326);
        OSRSetAxisMappingStrategy(srs.get(), OAMS_TRADITIONAL_GIS_ORDER);
        std::vector<const char*> layer_options;
        if (format == "ESRI Shapefile")
            layer_options.push_back("ENCODING=UTF-8");
        layer_options.push_back(nullptr);
        OGRLayerH layer = GDALDatasetCreateLayer(ds.get(), options.layer.c_str(), srs.get(),
                                                 any_multi ? wkbMultiPolygon : wkbPolygon,
                                                 const_cast<char**>(layer_options.data()));
        if (!layer)
            throw Error(ErrorCode::io_error, "cannot create layer: " + capture.last());

        std::vector<std::string> reserved = {"code", "name"};
        if (any_parent)
            reserved.push_back("parent_code");
        auto add_field = [&](const std::string& name, OGRFieldType type, bool is_bool) {
            FieldDefnPtr fd(OGR_Fld_Create(name.c_str(), type));
            if (is_bool && type == OFTInteger)
                OGR_Fld_SetSubType(fd.get(), OFSTBoolean);
            if (OGR_L_CreateField(layer, fd.get(), TRUE) != OGRERR_NONE)
                throw Error(ErrorCode::io_error,
                            "cannot create field '" + name + "': " + capture.last());
        };
        for (const auto& r : reserved)
            add_field(r, OFTString, false);
        for (const auto& n : names) {
            std::string field =
                std::find(reserved.begin(), reserved.end(), n) != reserved.end() ? n + "_attr" : n;
            add_field(field, kinds[n].type(), kinds[n].is_bool());
        }
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
        // Field indices by property name, after the driver's possible renaming (Shapefile: 10
        // chars).
        std::map<std::string, int> index;
        for (std::size_t i = 0; i < names.size(); ++i)
            index[names[i]] = static_cast<int>(reserved.size() + i);

        for (const auto& f : page.features) {
            FeaturePtr of(OGR_F_Create(defn));
            OGR_F_SetFieldString(of.get(), 0, f.code.c_str());
            OGR_F_SetFieldString(of.get(), 1, f.name.c_str());
            if (any_parent && f.parent_code)
                OGR_F_SetFieldString(of.get(), 2, f.parent_code->c_str());
            for (const auto& [name, value] : f.properties) {
                int i = index.at(name);
                std::visit(
                    [&](const auto& v) {
                        using T = std::decay_t<decltype(v)>;
                        if constexpr (std::is_same_v<T, std::monostate>)
                            OGR_F_SetFieldNull(of.get(), i);
                        else if constexpr (std::is_same_v<T, bool>)
                            OGR_F_SetFieldInteger(of.get(), i, v ? 1 : 0);
                        else if constexpr (std::is_same_v<T, std::int64_t>)
                            OGR_F_SetFieldInteger64(of.get(), i, v);
                        else if constexpr (std::is_same_v<T, double>)
                            OGR_F_SetFieldDouble(of.get(), i, v);
                        else
                            OGR_F_SetFieldString(of.get(), i, v.c_str());
                    },
                    value);
            }
            geo::Geometry g = f.geometry;
            if (any_multi)
                g = geo::as_multi_polygon(g);
            std::string wkb = geo::to_wkb(g);
            OGRGeometryH og = nullptr;
            if (OGR_G_CreateFromWkb(reinterpret_cast<const unsigned char*>(wkb.data()), srs.get(),
                                    &og, static_cast<int>(wkb.size())) != OGRERR_NONE)
                throw Error(ErrorCode::internal,
                            "cannot convert feature '" + f.code + "' for GDAL");
            OGR_F_SetGeometryDirectly(of.get(), og);
            if (OGR_L_CreateFeature(layer, of.get()) != OGRERR_NONE)
                throw Error(ErrorCode::io_error,
                            "cannot write feature '" + f.code + "': " + capture.last());
        }
    } catch (...) {
        remove_output(out);
        throw;
    }
    return page.features.size();
}

} // namespace tessera::data
