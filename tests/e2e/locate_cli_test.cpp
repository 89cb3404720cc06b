// `tessera locate` as a user runs it: the real binary, CSV in, CSV out, errors on stderr.
#include "data/store.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/shapes.hpp"
#include "tests/support/temp_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <sys/wait.h>

using namespace tessera;

using tessera::testing::read_file;
using tessera::testing::rect;

namespace {

// Two grids side by side: W west of 114.01, E east of it.
void write_west_east_grids(const std::filesystem::path& db) {
    auto store = data::open_spatialite_store(db);
    store->create_layer({"grid", data::LayerKind::grid, "", std::nullopt, 0, "EPSG:4326"});
    std::vector<data::FeatureInput> g = {
        {"W", "西", std::nullopt, {}, rect(114.0, 33.5, 114.01, 33.52)},
        {"E", "东", std::nullopt, {}, rect(114.01, 33.5, 114.02, 33.52)}};
    store->replace_features("grid", {"t", "fixture", {}}, g);
}

} // namespace

TEST(LocateCli, CsvInCsvOutWithLineNumberedErrors) {
    tessera::testing::TempDir dir;
    {
        auto store = data::open_spatialite_store(dir / "c.db");
        store->create_layer({"county", data::LayerKind::county, "", std::nullopt, 0, "EPSG:4326"});
        store->create_layer({"grid", data::LayerKind::grid, "", "county", 0, "EPSG:4326"});
        data::ChangesetInfo cs{"t", "fixture", {}};
        std::vector<data::FeatureInput> c = {
            {"C", "县", std::nullopt, {}, rect(114.0, 33.5, 114.04, 33.52)}};
        std::vector<data::FeatureInput> g = {
            {"G1", "第一网格", "C", {}, rect(114.0, 33.5, 114.01, 33.52)},
            {"G2", "第二,网格", "C", {}, rect(114.01, 33.5, 114.02, 33.52)}};
        store->replace_features("county", cs, c);
        store->replace_features("grid", cs, g);
    }
    std::ofstream(dir / "in.csv") << "id,lon,lat\n"
                                  << "p1,114.005,33.51\n"
                                  << "p2,114.01,33.51\n"    // on the shared edge: east
                                  << "p3,114.03,33.51\n"    // in the county, no grid
                                  << "p4,not-a-number,33\n" // bad row, line 5
                                  << "p5,114.0,95\n"        // out of range, line 6
                                  << "\"p,6\",110,30\n";    // nowhere
    std::string cmd = std::string(TESSERA_BINARY) + " locate --db " + (dir / "c.db").string() +
                      " --in " + (dir / "in.csv").string() + " --out " +
                      (dir / "out.csv").string() + " 2> " + (dir / "err.txt").string();
    int status = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 3) << "bad rows make the exit status non-zero";
    EXPECT_EQ(read_file(dir / "out.csv"), "id,grid_code,grid_name,layer_version,flags\n"
                                          "p1,G1,第一网格,1,\n"
                                          "p2,G2,\"第二,网格\",1,\n"
                                          "p3,,,1,outside_grid\n"
                                          "\"p,6\",,,1,unassigned\n");
    std::string err = read_file(dir / "err.txt");
    EXPECT_NE(err.find("line 5"), std::string::npos) << err;
    EXPECT_NE(err.find("line 6"), std::string::npos) << err;
    EXPECT_NE(err.find("4 points located, 2 bad rows skipped"), std::string::npos) << err;
}

TEST(LocateCli, Gcj02InputLandsInTheSameGrid) {
    tessera::testing::TempDir dir;
    write_west_east_grids(dir / "c.db");
    // GCJ-02 of WGS84 (114.0049, 33.51): reads as the east grid unless declared.
    std::ofstream(dir / "in.csv") << "a,114.010785843,33.508447742\n";
    auto run = [&](const std::string& crs) {
        std::string cmd = std::string(TESSERA_BINARY) + " locate --db " + (dir / "c.db").string() +
                          crs + " --in " + (dir / "in.csv").string() + " --out " +
                          (dir / "out.csv").string() + " 2>/dev/null";
        EXPECT_EQ(std::system(cmd.c_str()), 0);
        return read_file(dir / "out.csv");
    };
    EXPECT_NE(run(" --crs gcj02").find("a,W,西"), std::string::npos);
    EXPECT_NE(run("").find("a,E,东"), std::string::npos);
}

TEST(LocateCli, LargeInputKeepsOrderAndLineNumbersAcrossBlocksAndThreads) {
    // Over 16 MiB (more than one read block), three threads, CRLF line ends, bad rows deep in
    // the file and no newline after the last row.
    tessera::testing::TempDir dir;
    write_west_east_grids(dir / "c.db");
    const int rows = 800'000;
    std::string in = "id,lon,lat\r\n", want = "id,grid_code,grid_name,layer_version,flags\n";
    std::vector<int> bad_lines;
    for (int i = 0; i < rows; ++i) {
        int line = i + 2;
        if (i % 99'991 == 5'000) {
            in += "broken-" + std::to_string(i) + ",x,y";
            bad_lines.push_back(line);
        } else {
            bool east = (i * 7) % 3 == 0;
            in += "point-number-" + std::to_string(i) + (east ? ",114.015" : ",114.005") + ",33.51";
            want += "point-number-" + std::to_string(i) + (east ? ",E,东,1,\n" : ",W,西,1,\n");
        }
        if (i + 1 < rows)
            in += "\r\n";
    }
    ASSERT_GT(in.size(), std::size_t{17} << 20);
    std::ofstream(dir / "in.csv", std::ios::binary) << in;
    std::string cmd = std::string(TESSERA_BINARY) + " locate --threads 3 --db " +
                      (dir / "c.db").string() + " --in " + (dir / "in.csv").string() + " --out " +
                      (dir / "out.csv").string() + " 2> " + (dir / "err.txt").string();
    int status = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 3);
    EXPECT_TRUE(read_file(dir / "out.csv") == want) << "rows differ from the input order";
    std::string err = read_file(dir / "err.txt");
    for (int line : bad_lines)
        EXPECT_NE(err.find("line " + std::to_string(line) + ":"), std::string::npos) << line << "\n"
                                                                                     << err;
    EXPECT_NE(err.find(std::to_string(rows - bad_lines.size()) + " points located, " +
                       std::to_string(bad_lines.size()) + " bad rows skipped"),
              std::string::npos)
        << err;
}
