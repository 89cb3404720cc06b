// Reading and cleaning officers' GPS fixes (data/fixes.hpp) from real files: the togeojson GPX
// suite (tests/fixtures/gpx) and, when ../shared is beside the checkout, the GeoLife
// trajectories, each counted against an independent scan of the file.
#include "data/fixes.hpp"
#include "geo/error.hpp"
#include "geo/measure.hpp"
#include "tests/support/temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

using namespace tessera;
using namespace tessera::data;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// An independent count: <trkpt> elements, and those with a <time> child.
struct Count {
    std::size_t points = 0, timed = 0;
};
Count scan_trkpts(const std::string& xml) {
    Count c;
    for (std::size_t at = xml.find("<trkpt"); at != std::string::npos;
         at = xml.find("<trkpt", at + 1)) {
        ++c.points;
        const std::size_t tag_end = xml.find('>', at);
        if (xml[tag_end - 1] == '/')
            continue; // <trkpt .../>
        const std::size_t close = xml.find("</trkpt>", at);
        if (xml.substr(tag_end, close - tag_end).find("<time>") != std::string::npos)
            ++c.timed;
    }
    return c;
}

std::string error_of(const fs::path& file, const FixReadOptions& options = {}) {
    try {
        read_fixes(file, options);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(Fixes, EveryTrackPointOfTheGpxSuiteIsReadOrTheFileRefused) {
    const fs::path dir = fs::path(TESSERA_FIXTURES) / "gpx";
    int files = 0, with_points = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".gpx")
            continue;
        ++files;
        const std::string name = entry.path().filename().string();
        const Count expected = scan_trkpts(slurp(entry.path()));
        if (name == "bad.gpx") {
            EXPECT_NE(error_of(entry.path(), {{}, "P1", {}}).find("lat=\"undefined\""),
                      std::string::npos)
                << error_of(entry.path(), {{}, "P1", {}});
            continue;
        }
        if (expected.points == 0) {
            EXPECT_NE(error_of(entry.path(), {{}, "P1", {}}).find("no track points"),
                      std::string::npos)
                << name;
            continue;
        }
        ++with_points;
        FixRead r = read_fixes(entry.path(), {{}, "P1", {}});
        EXPECT_EQ(r.format, "gpx");
        EXPECT_EQ(r.fixes.size(), expected.timed) << name;
        EXPECT_EQ(r.untimed, expected.points - expected.timed) << name;
    }
    EXPECT_EQ(files, 22);
    EXPECT_GE(with_points, 15);
}

TEST(Fixes, AGpxFixKeepsItsTimeAndPosition) {
    // run.gpx's first point: <trkpt lat="44.9..." lon="-93.2..."><time>2013-12-26T21:45:53Z...
    const fs::path run = fs::path(TESSERA_FIXTURES) / "gpx" / "run.gpx";
    const std::string xml = slurp(run);
    const auto at = xml.find("<trkpt");
    const auto lat_at = xml.find("lat=\"", at) + 5, lon_at = xml.find("lon=\"", at) + 5;
    const double lat = std::stod(xml.substr(lat_at)), lon = std::stod(xml.substr(lon_at));
    const auto t_at = xml.find("<time>", at) + 6;
    const std::string time = xml.substr(t_at, xml.find("</time>", t_at) - t_at);
    FixRead r = read_fixes(run, {{}, "P1", {}});
    ASSERT_FALSE(r.fixes.empty());
    EXPECT_DOUBLE_EQ(r.fixes[0].position.lon, lon);
    EXPECT_DOUBLE_EQ(r.fixes[0].position.lat, lat);
    EXPECT_EQ(r.fixes[0].at, *parse_time(time)) << time;
    EXPECT_EQ(r.fixes[0].officer, "P1");
    EXPECT_NE(error_of(run).find("name the officer"), std::string::npos);
}

TEST(Fixes, GeoLifeTrajectoriesAreReadWithoutLoss) {
    const fs::path shared = fs::path(TESSERA_SHARED_DATA) / "tracks";
    if (!fs::exists(shared))
        GTEST_SKIP() << "../shared/data/tracks is not beside the checkout (GeoLife may not ship)";
    std::size_t plt_files = 0, plt_fixes = 0;
    for (const auto& entry : fs::recursive_directory_iterator(shared)) {
        const auto ext = entry.path().extension();
        if (ext == ".plt") {
            // Independent count: the lines after the six header lines.
            std::istringstream lines(slurp(entry.path()));
            std::size_t n = 0;
            for (std::string line; std::getline(lines, line);)
                n += !line.empty();
            FixRead r = read_fixes(entry.path(), {{}, "geolife", {}});
            EXPECT_EQ(r.fixes.size(), n - 6) << entry.path();
            ++plt_files;
            plt_fixes += r.fixes.size();
        } else if (ext == ".gpx") {
            const Count expected = scan_trkpts(slurp(entry.path()));
            FixRead r = read_fixes(entry.path(), {{}, "geolife", {}});
            EXPECT_EQ(r.fixes.size(), expected.timed) << entry.path();
            EXPECT_EQ(r.untimed, expected.points - expected.timed) << entry.path();
        }
    }
    EXPECT_GT(plt_files, 0u);
    EXPECT_GT(plt_fixes, 1000u);
}

TEST(Fixes, CsvInGcj02IsConvertedAndBadLinesNamed) {
    tessera::testing::TempDir dir;
    const fs::path csv = dir / "fixes.csv";
    std::ofstream(csv) << "officer,time,lon,lat,accuracy\n"
                          "P1,2026-03-01T08:00:00+08:00,114.0300,33.5800,5\n"
                          "P1,2026-03-01T08:00:10+08:00,114.0301,33.5801,\n";
    FixRead r = read_fixes(csv, {"gcj02", {}, {}});
    ASSERT_EQ(r.fixes.size(), 2u);
    EXPECT_EQ(r.source_crs, "gcj02");
    // GCJ-02 is offset from WGS84 by a few hundred metres in Henan.
    const double shift = geo::distance_m(r.fixes[0].position, {114.03, 33.58});
    EXPECT_GT(shift, 100);
    EXPECT_LT(shift, 1000);
    EXPECT_EQ(r.fixes[0].accuracy_m, 5.0);
    EXPECT_FALSE(r.fixes[1].accuracy_m);
    EXPECT_EQ(r.fixes[0].at, *parse_time("2026-03-01T00:00:00Z"));

    std::ofstream(csv) << "P1,2026-03-01T08:00:00Z,114.03,33.58\n"
                          "P1,2026-03-01T08:00:10Z,114.03,33.58\n"
                          "P1,yesterday,114.03,33.58\n";
    EXPECT_NE(error_of(csv).find("fixes.csv line 3"), std::string::npos) << error_of(csv);
    std::ofstream(csv) << "P1,2026-03-01T08:00:00Z,214.03,33.58\n";
    EXPECT_NE(error_of(csv).find("outside lon/lat range"), std::string::npos) << error_of(csv);
    EXPECT_NE(error_of(csv, {"not-a-crs", {}, {}}).size(), 0u);
    EXPECT_NE(error_of(dir / "missing.csv").find("no such file"), std::string::npos);
}

TEST(Fixes, CleaningDropsInaccurateDuplicateAndImpossibleFixesAndSaysHowMany) {
    const Time t0 = *parse_time("2026-03-01T08:00:00Z");
    auto at = [&](int s) { return t0 + std::chrono::seconds(s); };
    // Walking east at about 1.1 m/s (0.00001 degrees a second), with noise injected.
    std::vector<Fix> fixes;
    for (int s = 0; s <= 60; s += 10)
        fixes.push_back({"P1", at(s), {114.0 + s * 0.00001, 33.5}, 5.0});
    fixes.push_back({"P1", at(25), {114.01, 33.5}, 5.0});        // 900 m off in 5 s: a jump
    fixes.push_back({"P1", at(35), {114.00035, 33.5}, 300.0});   // accuracy 300 m
    fixes.push_back({"P1", at(20), {114.0002, 33.5}, 5.0});      // the same time again
    fixes.push_back({"P2", at(0), {114.1, 33.6}, std::nullopt}); // another officer
    CleanFixes c = clean_fixes(fixes);
    EXPECT_EQ(c.too_fast, 1u);
    EXPECT_EQ(c.inaccurate, 1u);
    EXPECT_EQ(c.duplicates, 1u);
    EXPECT_EQ(c.dropped(), 3u);
    ASSERT_EQ(c.kept.size(), 8u);
    for (std::size_t i = 1; i < 7; ++i)
        EXPECT_LT(c.kept[i - 1].at, c.kept[i].at);
    EXPECT_EQ(c.kept.back().officer, "P2");

    // A first fix that was the outlier: after three jumps in a row the track is believed.
    std::vector<Fix> late;
    late.push_back({"P3", at(0), {114.5, 33.5}, std::nullopt});
    for (int s = 10; s <= 60; s += 10)
        late.push_back({"P3", at(s), {114.0 + s * 0.00001, 33.5}, std::nullopt});
    CleanFixes d = clean_fixes(late);
    EXPECT_EQ(d.too_fast, 3u);
    EXPECT_EQ(d.kept.size(), 4u) << "the outlier and the fixes from the fourth on";
}
