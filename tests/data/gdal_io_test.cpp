#include "data/gdal_io.hpp"
#include "geo/error.hpp"
#include "geo/offset_frames.hpp"
#include "tests/support/temp_dir.hpp"

#include <cmath>
#include <cpl_vsi.h>
#include <fstream>
#include <gtest/gtest.h>

using namespace tessera;
using namespace tessera::data;
using tessera::testing::TempDir;

namespace {

void write_file(const std::filesystem::path& p, const std::string& text) {
    std::ofstream f(p, std::ios::binary);
    f << text;
}

// Two grids sharing an edge (one with a hole), a two-part multipolygon, Chinese names, and every
// attribute type. Coordinates carry 12 decimals to check the 1e-9 degree round trip.
const char* grids_geojson = R"({"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"code":"411102001001001","name":"老街社区第一网格","households":412,"area_ha":12.75,"urban":true,"note":"东至人民路"},
  "geometry":{"type":"Polygon","coordinates":[[[114.012345678901,33.571234567891],[114.022345678901,33.571234567891],[114.022345678901,33.581234567891],[114.012345678901,33.581234567891],[114.012345678901,33.571234567891]],
   [[114.015,33.575],[114.016,33.575],[114.016,33.576],[114.015,33.576],[114.015,33.575]]]}},
 {"type":"Feature","properties":{"code":"411102001001002","name":"老街社区第二网格","households":365,"area_ha":9.5,"urban":false,"note":null},
  "geometry":{"type":"Polygon","coordinates":[[[114.022345678901,33.571234567891],[114.032345678901,33.571234567891],[114.032345678901,33.581234567891],[114.022345678901,33.581234567891],[114.022345678901,33.571234567891]]]}},
 {"type":"Feature","properties":{"code":"411102001001003","name":"两块网格","households":120,"area_ha":3.25,"urban":false,"note":"飞地"},
  "geometry":{"type":"MultiPolygon","coordinates":[[[[114.04,33.57],[114.05,33.57],[114.05,33.58],[114.04,33.58],[114.04,33.57]]],[[[114.06,33.57],[114.07,33.57],[114.07,33.58],[114.06,33.58],[114.06,33.57]]]]}}
]})";

// Largest coordinate difference between two geometries of the same shape, or infinity.
double max_difference(const geo::Geometry& a, const geo::Geometry& b) {
    std::vector<geo::LonLat> pa, pb;
    geo::for_each_coordinate(a, [&](const geo::LonLat& p) { pa.push_back(p); });
    geo::for_each_coordinate(b, [&](const geo::LonLat& p) { pb.push_back(p); });
    if (a.index() != b.index() || pa.size() != pb.size())
        return INFINITY;
    double d = 0;
    for (std::size_t i = 0; i < pa.size(); ++i)
        d = std::max({d, std::abs(pa[i].lon - pb[i].lon), std::abs(pa[i].lat - pb[i].lat)});
    return d;
}

const PropertyValue* property(const FeatureInput& f, const std::string& name) {
    for (const auto& [n, v] : f.properties)
        if (n == name)
            return &v;
    return nullptr;
}

class GdalIoTest : public ::testing::Test {
protected:
    TempDir dir;
    std::unique_ptr<Store> store = open_spatialite_store(dir / "t.db");

    ErrorCode import_error(const std::string& file_text, const std::string& name, ReadOptions ro,
                           std::string* message = nullptr) {
        write_file(dir / name, file_text);
        ImportOptions o;
        o.layer = "grid";
        o.read = ro;
        try {
            import_file(*store, dir / name, o);
        } catch (const Error& e) {
            if (message)
                *message = e.what();
            return e.code();
        }
        return ErrorCode::internal;
    }
};

} // namespace

TEST_F(GdalIoTest, ImportsGeoJsonWithDefaults) {
    write_file(dir / "grids.geojson", grids_geojson);
    ImportOptions o;
    o.layer = "grid";
    auto r = import_file(*store, dir / "grids.geojson", o);
    EXPECT_TRUE(r.created_layer);
    EXPECT_EQ(r.read.driver, "GeoJSON");
    EXPECT_EQ(r.read.source_crs, "EPSG:4326");
    EXPECT_EQ(r.read.code_field, "code");
    EXPECT_EQ(r.changeset.version, 1);
    auto page = store->features("grid", {});
    ASSERT_EQ(page.total, 3);
    const Feature& f = page.features[0];
    EXPECT_EQ(f.name, "老街社区第一网格");
    ASSERT_EQ(f.properties.size(), 4u);
    EXPECT_EQ(f.properties[0].first, "households");
    EXPECT_EQ(std::get<std::int64_t>(f.properties[0].second), 412);
    EXPECT_EQ(std::get<double>(f.properties[1].second), 12.75);
    EXPECT_EQ(std::get<bool>(f.properties[2].second), true);
    // Stored canonically: exterior counter-clockwise, hole clockwise.
    const auto& poly = std::get<geo::Polygon>(f.geometry);
    EXPECT_GT(geo::signed_area(poly.rings[0]), 0);
    EXPECT_LT(geo::signed_area(poly.rings[1]), 0);
    EXPECT_EQ(store->find_layer("grid")->source_crs, "EPSG:4326");
}

TEST_F(GdalIoTest, DeclaredGcj02IsConvertedToWgs84) {
    write_file(dir / "c.geojson", grids_geojson);
    ImportOptions o;
    o.layer = "county";
    o.kind = LayerKind::county;
    o.read.crs = "gcj02";
    import_file(*store, dir / "c.geojson", o);
    auto f = store->features("county", {}).features.at(1);
    const auto& ring = std::get<geo::Polygon>(f.geometry).rings[0];
    geo::LonLat expected = geo::gcj02_to_wgs84({114.022345678901, 33.571234567891});
    EXPECT_NEAR(ring[0].lon, expected.lon, 1e-12);
    EXPECT_NEAR(ring[0].lat, expected.lat, 1e-12);
    EXPECT_GT(std::abs(ring[0].lon - 114.022345678901), 0.004); // really moved (~550 m)
    EXPECT_EQ(store->find_layer("county")->source_crs, "gcj02");
}

class RoundTrip : public GdalIoTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(RoundTrip, KeepsGeometryAndAttributes) {
    std::string format = GetParam();
    write_file(dir / "in.geojson", grids_geojson);
    ImportOptions o;
    o.layer = "grid";
    import_file(*store, dir / "in.geojson", o);
    auto original = store->features("grid", {}).features;

    std::string ext = format == "GeoJSON"          ? ".geojson"
                      : format == "GPKG"           ? ".gpkg"
                      : format == "ESRI Shapefile" ? ".shp"
                      : format == "KML"            ? ".kml"
                                                   : ".fgb";
    auto out = dir / ("out" + ext);
    EXPECT_EQ(export_layer(*store, {"grid", format, {}, false}, out), 3u);
    auto back = read_features(out, {});
    ASSERT_EQ(back.features.size(), original.size());
    // FlatGeobuf returns features in the order of its spatial index: match them by code.
    std::sort(back.features.begin(), back.features.end(),
              [](const auto& x, const auto& y) { return x.code < y.code; });
    for (std::size_t i = 0; i < original.size(); ++i) {
        const auto& a = original[i];
        const auto& b = back.features[i];
        EXPECT_EQ(b.code, a.code) << format;
        EXPECT_EQ(b.name, a.name) << format;
        EXPECT_LE(max_difference(a.geometry, b.geometry), 1e-9) << format << " " << a.code;
        for (const auto& [name, value] : a.properties) {
            const PropertyValue* got = property(b, name);
            ASSERT_TRUE(got) << format << " lost attribute " << name;
            if (std::holds_alternative<std::monostate>(value)) {
                // Shapefile (DBF) has no null for strings: it reads back as empty.
                EXPECT_TRUE(std::holds_alternative<std::monostate>(*got) ||
                            (format == "ESRI Shapefile" && *got == PropertyValue(std::string())))
                    << format << " " << name;
            } else if (std::holds_alternative<bool>(value) &&
                       std::holds_alternative<std::int64_t>(*got)) {
                // Formats without a boolean type keep it as 0/1.
                EXPECT_EQ(std::get<std::int64_t>(*got), std::get<bool>(value) ? 1 : 0) << format;
            } else {
                EXPECT_EQ(*got, value) << format << " " << a.code << " " << name;
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Formats, RoundTrip,
                         ::testing::Values("GeoJSON", "GPKG", "ESRI Shapefile", "KML",
                                           "FlatGeobuf"),
                         [](const auto& param_info) {
                             std::string n = param_info.param;
                             n.erase(std::remove(n.begin(), n.end(), ' '), n.end());
                             return n;
                         });

TEST_F(GdalIoTest, ReadsCsvWithWktAndZippedShapefile) {
    write_file(
        dir / "g.csv",
        "code,name,WKT\n"
        "A1,甲,\"POLYGON((114 33.5,114.01 33.5,114.01 33.51,114 33.51,114 33.5))\"\n"
        "A2,乙,\"POLYGON((114.01 33.5,114.02 33.5,114.02 33.51,114.01 33.51,114.01 33.5))\"\n");
    ReadOptions ro;
    ro.crs = "wgs84";
    auto csv = read_features(dir / "g.csv", ro);
    ASSERT_EQ(csv.features.size(), 2u);
    EXPECT_EQ(csv.features[1].name, "乙");
    EXPECT_TRUE(csv.features[1].properties.empty()) << "the WKT column leaked into the attributes";
    // Without --crs a CSV is refused: it declares none.
    EXPECT_THROW(read_features(dir / "g.csv", {}), Error);

    // Zip a shapefile export with GDAL's own virtual file system, then import the .zip.
    write_file(dir / "in.geojson", grids_geojson);
    ImportOptions o;
    o.layer = "grid";
    import_file(*store, dir / "in.geojson", o);
    export_layer(*store, {"grid", "shp", {}, false}, dir / "grid.shp");
    std::string zip = (dir / "grid.zip").string();
    for (const char* ext : {".shp", ".shx", ".dbf", ".prj", ".cpg"}) {
        std::ifstream in(dir / (std::string("grid") + ext), std::ios::binary);
        ASSERT_TRUE(in) << ext;
        std::string bytes((std::istreambuf_iterator<char>(in)), {});
        std::string member = "/vsizip/" + zip + "/grid" + ext;
        VSILFILE* f = VSIFOpenL(member.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        VSIFWriteL(bytes.data(), 1, bytes.size(), f);
        VSIFCloseL(f);
    }
    auto zipped = read_features(dir / "grid.zip", {});
    EXPECT_EQ(zipped.driver, "ESRI Shapefile");
    EXPECT_EQ(zipped.features.size(), 3u);
}

TEST_F(GdalIoTest, InvalidGeometryNamesTheFeatureAndWritesNothing) {
    std::string message;
    std::string bowtie = R"({"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"code":"OK1","name":"好"},"geometry":{"type":"Polygon","coordinates":[[[114,33],[114.1,33],[114.1,33.1],[114,33],[114,33]]]}},
      {"type":"Feature","properties":{"code":"BAD7","name":"坏"},"geometry":{"type":"Polygon","coordinates":[[[114,33],[114.1,33.1],[114.1,33],[114,33.1],[114,33]]]}},
      {"type":"Feature","properties":{"code":"FAR","name":"远"},"geometry":{"type":"Polygon","coordinates":[[[200,33],[201,33],[201,34],[200,33]]]}}
    ]})";
    EXPECT_EQ(import_error(bowtie, "bowtie.geojson", {}, &message), ErrorCode::invalid_geometry);
    EXPECT_NE(message.find("BAD7"), std::string::npos) << message;
    EXPECT_NE(message.find("Self-intersection"), std::string::npos) << message;
    EXPECT_NE(message.find("FAR"), std::string::npos) << "every problem is reported: " << message;
    EXPECT_NE(message.find("nothing imported"), std::string::npos) << message;
    EXPECT_FALSE(store->find_layer("grid")) << "a rejected file created the layer";
}

TEST_F(GdalIoTest, RejectsBadFilesClearly) {
    std::string msg;
    EXPECT_EQ(
        import_error(R"({"type":"FeatureCollection","features":[]})", "empty.geojson", {}, &msg),
        ErrorCode::invalid_argument);
    EXPECT_NE(msg.find("no features"), std::string::npos) << msg;

    std::string line =
        R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"L1"},"geometry":{"type":"LineString","coordinates":[[114,33],[115,34]]}}]})";
    EXPECT_EQ(import_error(line, "line.geojson", {}, &msg), ErrorCode::invalid_geometry);
    EXPECT_NE(msg.find("expected a Polygon"), std::string::npos) << msg;

    std::string nocode =
        R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"label":"x"},"geometry":{"type":"Polygon","coordinates":[[[114,33],[115,33],[115,34],[114,33]]]}}]})";
    EXPECT_EQ(import_error(nocode, "nocode.geojson", {}, &msg), ErrorCode::invalid_argument);
    EXPECT_NE(msg.find("label"), std::string::npos) << "lists the fields: " << msg;

    std::string dup = std::string(grids_geojson);
    dup.replace(dup.find("411102001001002"), 15, "411102001001001");
    EXPECT_EQ(import_error(dup, "dup.geojson", {}, &msg), ErrorCode::invalid_argument);
    EXPECT_NE(msg.find("duplicate"), std::string::npos) << msg;

    std::string truncated = std::string(grids_geojson).substr(0, 400);
    EXPECT_NE(import_error(truncated, "cut.geojson", {}, &msg), ErrorCode::internal) << msg;

    ReadOptions mars;
    mars.crs = "EPSG:999999";
    EXPECT_EQ(import_error(grids_geojson, "ok.geojson", mars, &msg), ErrorCode::unknown_crs);

    ReadOptions wrong_field;
    wrong_field.code_field = "nope";
    EXPECT_EQ(import_error(grids_geojson, "ok2.geojson", wrong_field, &msg),
              ErrorCode::invalid_argument);

    EXPECT_EQ(import_error("not a vector file at all", "junk.geojson", {}, &msg),
              ErrorCode::invalid_argument);
    EXPECT_THROW(read_features(dir / "missing.geojson", {}), Error);
    EXPECT_FALSE(store->find_layer("grid"));
}

TEST_F(GdalIoTest, ShapefileWithoutPrjNeedsCrs) {
    write_file(dir / "in.geojson", grids_geojson);
    ImportOptions o;
    o.layer = "grid";
    import_file(*store, dir / "in.geojson", o);
    export_layer(*store, {"grid", "ESRI Shapefile", {}, false}, dir / "np.shp");
    std::filesystem::remove(dir / "np.prj");
    try {
        read_features(dir / "np.shp", {});
        ADD_FAILURE() << "read a shapefile with no CRS";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::unknown_crs);
        EXPECT_NE(std::string(e.what()).find("--crs"), std::string::npos);
    }
    ReadOptions ro;
    ro.crs = "EPSG:4490";
    EXPECT_EQ(read_features(dir / "np.shp", ro).features.size(), 3u);
}

TEST_F(GdalIoTest, ExportRefusesToOverwriteAndExportsPastVersions) {
    write_file(dir / "in.geojson", grids_geojson);
    ImportOptions o;
    o.layer = "grid";
    import_file(*store, dir / "in.geojson", o);
    export_layer(*store, {"grid", "GeoJSON", {}, false}, dir / "a.geojson");
    EXPECT_THROW(export_layer(*store, {"grid", "GeoJSON", {}, false}, dir / "a.geojson"), Error);
    EXPECT_EQ(export_layer(*store, {"grid", "GeoJSON", {}, true}, dir / "a.geojson"), 3u);
    EXPECT_THROW(export_layer(*store, {"grid", "DXF", {}, false}, dir / "a.dxf"), Error);
    EXPECT_THROW(export_layer(*store, {"nope", "GeoJSON", {}, false}, dir / "b.geojson"), Error);
    EXPECT_FALSE(std::filesystem::exists(dir / "b.geojson"));
}
