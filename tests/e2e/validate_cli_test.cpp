// `tessera validate` as a user runs it: the real binary, findings on stdout, a summary on
// stderr, GeoJSON that GDAL reads, and an exit status that says whether errors remain.
#include "data/store.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/shapes.hpp"
#include "tests/support/temp_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <ogr_api.h>
#include <sstream>
#include <sys/wait.h>

using namespace tessera;
using tessera::testing::read_file;
using tessera::testing::rect;

namespace {

// Community C = [114.00, 114.02] x [33.50, 33.52]; grid G1 covers its west half, and G2 the
// east half unless `gap`, when G2 stops 0.001 degrees short.
void write_layers(const std::filesystem::path& db, bool gap) {
    auto store = data::open_spatialite_store(db);
    store->create_layer(
        {"community", data::LayerKind::community, "", std::nullopt, 0, "EPSG:4326"});
    store->create_layer({"grid", data::LayerKind::grid, "", "community", 0, "EPSG:4326"});
    data::ChangesetInfo cs{"t", "fixture", {}};
    store->replace_features("community", cs,
                            std::vector<data::FeatureInput>{
                                {"C", "社区", std::nullopt, {}, rect(114.0, 33.5, 114.02, 33.52)}});
    store->replace_features(
        "grid", cs,
        std::vector<data::FeatureInput>{
            {"G1", "一", "C", {}, rect(114.0, 33.5, 114.01, 33.52)},
            {"G2", "二", "C", {}, rect(114.01, 33.5, gap ? 114.019 : 114.02, 33.52)}});
}

int run(const std::string& args, const std::filesystem::path& out,
        const std::filesystem::path& err) {
    return tessera::testing::run_tessera("validate " + args, out, err);
}

} // namespace

TEST(ValidateCli, AGapIsAnErrorWithItsPolygonInGeoJson) {
    tessera::testing::TempDir dir;
    write_layers(dir / "v.db", true);
    const auto geojson = dir / "findings.geojson";
    int status = run("--db " + (dir / "v.db").string() + " --layer grid --out " + geojson.string(),
                     dir / "out.txt", dir / "err.txt");
    EXPECT_EQ(status, 3) << "errors remain";
    std::string out = read_file(dir / "out.txt");
    EXPECT_NE(out.find("error   gap"), std::string::npos) << out;
    EXPECT_NE(read_file(dir / "err.txt").find("2 features: 1 errors, 0 warnings"),
              std::string::npos)
        << read_file(dir / "err.txt");

    OGRRegisterAll();
    OGRDataSourceH ds = OGROpen(geojson.c_str(), 0, nullptr);
    ASSERT_NE(ds, nullptr) << "GDAL reads the findings";
    OGRLayerH layer = OGR_DS_GetLayer(ds, 0);
    ASSERT_EQ(OGR_L_GetFeatureCount(layer, 1), 1);
    OGRFeatureH f = OGR_L_GetNextFeature(layer);
    EXPECT_STREQ(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "code")), "gap");
    EXPECT_STREQ(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "severity")), "error");
    EXPECT_EQ(wkbFlatten(OGR_G_GetGeometryType(OGR_F_GetGeometryRef(f))), wkbMultiPolygon);
    OGR_F_Destroy(f);
    OGR_DS_Destroy(ds);

    // The file is not overwritten without --force.
    EXPECT_EQ(run("--db " + (dir / "v.db").string() + " --layer grid --out " + geojson.string(),
                  dir / "out.txt", dir / "err.txt"),
              2);
}

TEST(ValidateCli, ACleanLayerExitsZeroAndBadOptionsAreRefused) {
    tessera::testing::TempDir dir;
    write_layers(dir / "v.db", false);
    const std::string db = "--db " + (dir / "v.db").string();
    EXPECT_EQ(run(db + " --layer grid", dir / "out.txt", dir / "err.txt"), 0);
    EXPECT_EQ(read_file(dir / "out.txt"), "");
    EXPECT_EQ(
        run(db + " --layer grid --households urban=500-300", dir / "out.txt", dir / "err.txt"), 2);
    EXPECT_NE(read_file(dir / "err.txt").find("TYPE=MIN-MAX"), std::string::npos);
    EXPECT_EQ(run(db + " --layer nothing", dir / "out.txt", dir / "err.txt"), 1);
    EXPECT_EQ(run("--db " + (dir / "none.db").string() + " --layer grid", dir / "out.txt",
                  dir / "err.txt"),
              2);
}

TEST(ValidateCli, ARedrawnFileComesInAsADraftWithItsValidation) {
    tessera::testing::TempDir dir;
    write_layers(dir / "v.db", false);
    // The surveyor's file: G1 as it was, G2 stopping short of the community's east edge.
    const auto file = dir / "survey.geojson";
    std::ofstream(file) << R"({"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"code":"G1","name":"一","parent_code":"C"},
         "geometry":{"type":"Polygon","coordinates":[[[114.0,33.5],[114.01,33.5],[114.01,33.52],[114.0,33.52],[114.0,33.5]]]}},
        {"type":"Feature","properties":{"code":"G2","name":"二","parent_code":"C"},
         "geometry":{"type":"Polygon","coordinates":[[[114.01,33.5],[114.019,33.5],[114.019,33.52],[114.01,33.52],[114.01,33.5]]]}}]})";
    std::string cmd = std::string(TESSERA_BINARY) + " import --db " + (dir / "v.db").string() +
                      " --layer grid --crs wgs84 --draft 'survey 2026' " + file.string() + " > " +
                      (dir / "out.txt").string() + " 2>&1";
    int status = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << read_file(dir / "out.txt");
    const std::string out = read_file(dir / "out.txt");
    EXPECT_NE(out.find("draft 1 of layer 'grid': 2 features read"), std::string::npos) << out;
    EXPECT_NE(out.find("1 changed or removed; validation: 1 errors"), std::string::npos) << out;
    EXPECT_NE(out.find("error\tgap"), std::string::npos) << out;

    auto store = data::open_spatialite_store(dir / "v.db");
    EXPECT_EQ(store->find_layer("grid")->version, 1) << "a draft, not a commit";
    auto changes = store->draft_changes(1);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].code, "G2");
}
