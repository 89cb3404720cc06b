// A small city for event tests: one county (411102, in city 411100) with one township T1, two
// communities C1 (west) and C2 (east), and three grids covering the southern half:
//
//   y 33.60 +-------------------------+-------------------------+
//           |  C1 (no grid up here)    |  C2                     |
//   y 33.55 +------------+------------+-------------------------+
//           |     G1     |     G2     |           G3            |
//   y 33.50 +------------+------------+-------------------------+
//        x 114.00     114.025      114.05                    114.10
//
// plus a camera looking north-east into G1, a drone flight, two departments, and buildings
// with addresses: 滨西社区1号楼 in G1, 滨东社区1号楼 in G3, and two called 幸福路8号 (one in
// G2 of 滨西社区, one in G3 of 滨东社区).
#pragma once

#include "data/store.hpp"
#include "tests/support/shapes.hpp"

namespace tessera::testing {

inline void seed_event_city(data::Store& store) {
    using data::LayerKind;
    auto when = data::parse_time("2025-01-01");
    store.create_layer({"county", LayerKind::county, "县区", std::nullopt, 0, "EPSG:4326"});
    store.create_layer({"township", LayerKind::township, "乡镇街道", "county", 0, "EPSG:4326"});
    store.create_layer({"community", LayerKind::community, "村社区", "township", 0, "EPSG:4326"});
    store.create_layer({"grid", LayerKind::grid, "网格", "community", 0, "EPSG:4326"});
    auto one = [&](const char* layer, data::FeatureInput f) {
        store.replace_features(layer, {"test", "seed", when}, std::vector{std::move(f)});
    };
    one("county", {"411102", "源汇区", "411100", {}, rect(114.0, 33.5, 114.1, 33.6)});
    one("township", {"T1", "老街街道", "411102", {}, rect(114.0, 33.5, 114.1, 33.6)});
    store.replace_features("community", {"test", "seed", when},
                           std::vector<data::FeatureInput>{
                               {"C1", "滨西社区", "T1", {}, rect(114.0, 33.5, 114.05, 33.6)},
                               {"C2", "滨东社区", "T1", {}, rect(114.05, 33.5, 114.1, 33.6)}});
    store.replace_features("grid", {"test", "seed", when},
                           std::vector<data::FeatureInput>{
                               {"G1", "第一网格", "C1", {}, rect(114.0, 33.5, 114.025, 33.55)},
                               {"G2", "第二网格", "C1", {}, rect(114.025, 33.5, 114.05, 33.55)},
                               {"G3", "第三网格", "C2", {}, rect(114.05, 33.5, 114.1, 33.55)}});
    // 40 m range, 60 degree view to the north-east from near G1's south-west corner.
    store.add_camera({0, "CAM1", "滨西路口", {114.001, 33.501}, 45, 60, 40, true});
    data::TimedPath path;
    path.points = {{114.06, 33.52}, {114.08, 33.53}};
    path.times = {*data::parse_time("2025-06-01T09:00:00Z"),
                  *data::parse_time("2025-06-01T09:10:00Z")};
    store.add_drone_flight({0, "F1", "违建巡查", path, 80});
    store.add_department({0, "D01", "城市管理局", {"garbage", "road_damage"}, "411100"});
    store.add_department({0, "D02", "住房和城乡建设局", {"illegal_construction"}, "411100"});
    store.add_building({0, "B1", {114.01, 33.52}, 24, "滨西社区1号楼", "C1"});
    store.add_building({0, "B2", {114.07, 33.52}, 36, "滨东社区1号楼", "C2"});
    store.add_building({0, "B3", {114.03, 33.52}, 2, "幸福路8号", "C1"});
    store.add_building({0, "B4", {114.09, 33.52}, 2, "幸福路8号", "C2"});
}

} // namespace tessera::testing
