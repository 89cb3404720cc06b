// `tessera audit` as a user runs it: the real binary over a store with two grids and one
// officer's walk, CSV out, a summary on stderr, and bad options refused without writing.
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

// Grids G1 = [114.00, 114.01] and G2 = [114.01, 114.02] x [33.50, 33.51], rural and urban. P1
// walks G1 along its middle on 20 November 2026 (Beijing), 20 minutes, a fix every 30 s.
void write_city(const std::filesystem::path& db) {
    auto store = data::open_spatialite_store(db);
    store->create_layer({"grid", data::LayerKind::grid, "", std::nullopt, 0, "EPSG:4326"});
    store->replace_features("grid", {"t", "fixture", {}},
                            std::vector<data::FeatureInput>{{"G1",
                                                             "一网格",
                                                             std::nullopt,
                                                             {{"type", std::string("rural")}},
                                                             rect(114.0, 33.5, 114.01, 33.51)},
                                                            {"G2",
                                                             "二网格",
                                                             std::nullopt,
                                                             {{"type", std::string("urban")}},
                                                             rect(114.01, 33.5, 114.02, 33.51)}});
    const auto p1 =
        store->add_person({0, "P1", "王五", data::PersonRole::full_time_officer, "", {"G1"}, {}});
    data::TimedPath path;
    const data::Time start = data::parse_time("2026-11-20T09:00:00+08:00").value();
    for (int k = 0; k <= 40; ++k) {
        path.points.push_back({114.001 + 0.0002 * k, 33.505});
        path.times.push_back(start + std::chrono::seconds(30 * k));
    }
    store->add_patrol_track({0, p1, path});
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

int run(const std::string& args, const std::filesystem::path& out,
        const std::filesystem::path& err) {
    return tessera::testing::run_tessera("audit " + args, out, err);
}

} // namespace

TEST(AuditCli, WritesOneRowPerGridWithTheVisitAndTheStaleRule) {
    tessera::testing::TempDir dir;
    write_city(dir / "a.db");
    const auto csv = dir / "audit.csv";
    ASSERT_EQ(run("--db " + (dir / "a.db").string() + " --from 2026-11-16 --to 2026-11-22 --out " +
                      csv.string(),
                  dir / "out.txt", dir / "err.txt"),
              0)
        << read_file(dir / "err.txt");
    const auto rows = lines(read_file(csv));
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0], "\xEF\xBB\xBF"
                       "code,name,type,visited,visits,distance_m,coverage_share,area_share,"
                       "household_share,households,last_visit,officer,officer_name,responsible,"
                       "stale,stale_days");
    // G1: one visit of 20 minutes, 40 x 0.0002 degrees of longitude walked (745 m at 33.505 N);
    // the band 100 m wide along 745 m plus the round ends, of 1.11 km x 0.93 km: about 8 %; so
    // not fully patrolled, and stale.
    EXPECT_TRUE(rows[1].starts_with("G1,一网格,rural,true,1,74")) << rows[1];
    EXPECT_TRUE(rows[1].ends_with(",2026-11-20T01:20:00.000Z,P1,王五,P1,true,30")) << rows[1];
    EXPECT_TRUE(rows[2].starts_with("G2,二网格,urban,false,0,0.0,")) << rows[2];
    EXPECT_TRUE(rows[2].ends_with(",,,,,true,45")) << rows[2];
    const std::string err = read_file(dir / "err.txt");
    EXPECT_NE(err.find("2 grids"), std::string::npos) << err;
    EXPECT_NE(err.find("1 tracks, 41 fixes; 1 visited, 2 stale"), std::string::npos) << err;

    // With a full share of 5 %, G1's walk patrols it fully; stdout without --out.
    ASSERT_EQ(run("--db " + (dir / "a.db").string() +
                      " --from 2026-11-16 --to 2026-11-22 --full-share 0.05",
                  dir / "out.txt", dir / "err.txt"),
              0);
    EXPECT_TRUE(lines(read_file(dir / "out.txt"))[1].ends_with(",false,30"));
    // A window that ends before the walk: not visited, and stale.
    ASSERT_EQ(run("--db " + (dir / "a.db").string() + " --from 2026-11-01 --to 2026-11-19",
                  dir / "out.txt", dir / "err.txt"),
              0);
    EXPECT_TRUE(lines(read_file(dir / "out.txt"))[1].starts_with("G1,一网格,rural,false,0,0.0,"));
}

TEST(AuditCli, BadOptionsAreRefusedAndNothingIsWritten) {
    tessera::testing::TempDir dir;
    write_city(dir / "a.db");
    const std::string db = "--db " + (dir / "a.db").string();
    const auto csv = dir / "audit.csv";
    const std::string out = " --out " + csv.string();
    for (const std::string& bad :
         {db + " --from 2026-11-22 --to 2026-11-01" + out,
          db + " --from yesterday --to 2026-11-22" + out,
          db + " --from 2026-11-01 --to 2026-11-22 --reach -5" + out,
          db + " --from 2026-11-01 --to 2026-11-22 --stale rural=soon" + out,
          db + " --from 2026-11-01 --to 2026-11-22 --layer nope" + out,
          "--db " + (dir / "missing.db").string() + " --from 2026-11-01 --to 2026-11-22" + out}) {
        EXPECT_NE(run(bad, dir / "out.txt", dir / "err.txt"), 0) << bad;
        EXPECT_FALSE(read_file(dir / "err.txt").empty()) << bad;
        EXPECT_FALSE(std::filesystem::exists(csv)) << bad;
    }
}

TEST(ImportFixesCli, FixesBecomeTracksTheAuditSeesAndABadFileStoresNothing) {
    tessera::testing::TempDir dir;
    write_city(dir / "a.db");
    const std::string db = "--db " + (dir / "a.db").string();
    // P1 walks G2 on 21 November, 10 minutes, with one wild fix (a jump) and one of 300 m
    // accuracy; the coordinates are GCJ-02, as a mini-program reports them.
    {
        std::ofstream csv(dir / "walk.csv");
        csv << "officer,time,lon,lat,accuracy\n";
        for (int k = 0; k <= 20; ++k) {
            char line[128];
            std::snprintf(line, sizeof line, "P1,2026-11-21T10:%02d:%02d+08:00,%.6f,33.5035,%d\n",
                          k / 2, k % 2 * 30, 114.0168 + 0.0002 * k, k == 7 ? 300 : 10);
            csv << line;
            if (k == 12)
                csv << "P1,2026-11-21T10:06:10+08:00,114.5,33.9,10\n";
        }
    }
    std::string cmd = std::string(TESSERA_BINARY) + " import-fixes " + db + " --crs gcj02 " +
                      (dir / "walk.csv").string() + " 2> " + (dir / "err.txt").string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(dir / "err.txt");
    const std::string err = read_file(dir / "err.txt");
    EXPECT_NE(err.find("walk.csv: 22 fixes (csv"), std::string::npos) << err;
    EXPECT_NE(err.find("dropped 2 of 22: 1 inaccurate"), std::string::npos) << err;
    EXPECT_NE(err.find("1 too fast"), std::string::npos) << err;
    EXPECT_NE(err.find("stored 20 fixes of 1 officers: 1 new patrol tracks, 0 tracks extended"),
              std::string::npos)
        << err;

    ASSERT_EQ(run(db + " --from 2026-11-21 --to 2026-11-21", dir / "out.txt", dir / "err.txt"), 0);
    const auto rows = lines(read_file(dir / "out.txt"));
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_TRUE(rows[2].starts_with("G2,二网格,urban,true,1,")) << rows[2];
    EXPECT_TRUE(rows[2].find(",2026-11-21T02:10:00.000Z,P1,王五,") != std::string::npos) << rows[2];

    // The same file again stores nothing: its fixes are in the store already.
    ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(dir / "err.txt");
    EXPECT_NE(read_file(dir / "err.txt").find("dropped 22 of 22: 1 inaccurate"), std::string::npos)
        << read_file(dir / "err.txt");
    EXPECT_NE(read_file(dir / "err.txt").find("20 duplicates"), std::string::npos);
    EXPECT_NE(read_file(dir / "err.txt").find("stored 0 fixes"), std::string::npos);

    // An officer the store does not know: refused, nothing stored.
    {
        std::ofstream csv(dir / "stranger.csv");
        csv << "P7,2026-11-21T11:00:00+08:00,114.015,33.505\n"
            << "P7,2026-11-21T11:00:30+08:00,114.0152,33.505\n";
    }
    cmd = std::string(TESSERA_BINARY) + " import-fixes " + db + " " +
          (dir / "stranger.csv").string() + " 2> " + (dir / "err.txt").string();
    EXPECT_NE(std::system(cmd.c_str()), 0);
    EXPECT_NE(read_file(dir / "err.txt").find("'P7'"), std::string::npos);
    ASSERT_EQ(run(db + " --from 2026-11-21 --to 2026-11-21", dir / "out.txt", dir / "err.txt"), 0);
    // The fixture's walk (41 fixes, read for the stale periods) and the imported one alone.
    EXPECT_NE(read_file(dir / "err.txt").find("2 tracks, 61 fixes"), std::string::npos)
        << read_file(dir / "err.txt");
}

// A drone's log imported as a flight: stored with its swath, and the closed event under its strip
// marked re-inspected; then the drone and camera audits over the same grids.
TEST(AuditCli, ImportsAFlightMarksWhatItSawAgainAndAuditsDronesAndCameras) {
    tessera::testing::TempDir dir;
    const auto db = dir / "a.db";
    write_city(db);
    std::int64_t seen_id = 0;
    {
        auto store = data::open_spatialite_store(db);
        data::Event e;
        e.category = "illegal_building";
        e.description = "违建";
        e.position = {114.005, 33.5051};
        e.grid_code = "G1";
        e.status = data::EventStatus::closed;
        e.reported_at = data::parse_time("2026-11-18T09:00:00+08:00").value();
        e.updated_at = e.deadline_at = e.reported_at + std::chrono::hours(24);
        e.closed_at = e.updated_at;
        seen_id = store
                      ->add_event(e, {{0,
                                       0,
                                       e.reported_at,
                                       "officer1",
                                       data::EventAction::report,
                                       std::nullopt,
                                       data::EventStatus::closed,
                                       "",
                                       {}}})
                      .id;
        store->add_camera({0, "CAM1", "一网格中心", {114.005, 33.505}, 0, 360, 100, true});
    }
    // Along 33.505 N from G1 into G2, a point every 10 s at 10 m/s, on 21 November.
    std::ofstream(dir / "flight.csv") << "officer,time,lon,lat\n"
                                         "x,2026-11-21T09:00:00+08:00,114.002,33.505\n"
                                         "x,2026-11-21T09:00:50+08:00,114.00738,33.505\n"
                                         "x,2026-11-21T09:01:40+08:00,114.01276,33.505\n"
                                         "x,2026-11-21T09:02:30+08:00,114.01814,33.505\n";
    const std::string at = " --db " + db.string();
    ASSERT_EQ(tessera::testing::run_tessera("import-flight" + at +
                                                " --code UAV1 --swath 100 --purpose 违建巡查 " +
                                                (dir / "flight.csv").string(),
                                            dir / "out.txt", dir / "err.txt"),
              0)
        << read_file(dir / "err.txt");
    const std::string said = read_file(dir / "err.txt");
    EXPECT_NE(said.find("4 points"), std::string::npos) << said;
    EXPECT_NE(said.find("1 closed events seen again"), std::string::npos) << said;
    {
        auto store = data::open_spatialite_store(db);
        auto flight = store->find_drone_flight("UAV1");
        ASSERT_TRUE(flight);
        EXPECT_EQ(flight->swath_m, 100);
        EXPECT_EQ(flight->path.points.size(), 4u);
        const auto timeline = store->timeline(seen_id);
        ASSERT_EQ(timeline.size(), 2u);
        EXPECT_EQ(timeline[1].action, data::EventAction::reinspect);
        EXPECT_EQ(timeline[1].target, std::optional<std::string>("UAV1"));
    }
    // The same code again is refused, and nothing changes.
    EXPECT_NE(tessera::testing::run_tessera("import-flight" + at + " --code UAV1 --swath 100 " +
                                                (dir / "flight.csv").string(),
                                            dir / "out.txt", dir / "err.txt"),
              0);
    EXPECT_NE(read_file(dir / "err.txt").find("stored already"), std::string::npos);

    const auto drones = dir / "drones.csv";
    ASSERT_EQ(run("--of drones" + at + " --from 2026-11-20 --to 2026-11-22 --plan G2 --out " +
                      drones.string(),
                  dir / "out.txt", dir / "err.txt"),
              0)
        << read_file(dir / "err.txt");
    const auto rows = lines(read_file(drones));
    ASSERT_EQ(rows.size(), 3u);
    // A strip 100 m wide across each grid of about 930 m x 1,110 m: 9 %.
    EXPECT_TRUE(rows[1].starts_with("G1,一网格,rural,0.0")) << rows[1];
    EXPECT_NE(rows[1].find(",UAV1,"), std::string::npos) << rows[1];
    EXPECT_NE(read_file(dir / "err.txt").find("1 closed events seen again"), std::string::npos);
    EXPECT_NE(read_file(dir / "err.txt").find("plan G2:"), std::string::npos);

    const auto cameras = dir / "cameras.csv";
    ASSERT_EQ(
        run("--of cameras" + at + " --out " + cameras.string(), dir / "out.txt", dir / "err.txt"),
        0)
        << read_file(dir / "err.txt");
    const auto cam_rows = lines(read_file(cameras));
    ASSERT_EQ(cam_rows.size(), 3u);
    EXPECT_NE(cam_rows[1].find(",1,0,1,"), std::string::npos)
        << "one online camera, none offline, one cone: " << cam_rows[1];
    EXPECT_NE(run("--of satellites" + at, dir / "out.txt", dir / "err.txt"), 0);
}
