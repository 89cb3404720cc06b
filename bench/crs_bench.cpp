// CRS conversion throughput: Tessera's GCJ-02 forward formula and exact inverse, BD-09, and a
// PROJ pipeline (EPSG:4326 -> EPSG:4547) for scale. Points: a fixed pseudo-random cloud over Luohe.
#include "geo/crs.hpp"
#include "geo/offset_frames.hpp"

#include <benchmark/benchmark.h>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

using namespace tessera::geo;

namespace {

const std::vector<LonLat>& points() {
    static const std::vector<LonLat> pts = [] {
        std::mt19937_64 rng(42);
        std::uniform_real_distribution<double> lon(113.4, 114.3), lat(33.3, 34.0);
        std::vector<LonLat> v(100'000);
        for (auto& p : v)
            p = {lon(rng), lat(rng)};
        return v;
    }();
    return pts;
}

void BM_wgs84_to_gcj02(benchmark::State& state) {
    const auto& pts = points();
    double sum = 0;
    for (auto _ : state)
        for (const auto& p : pts)
            sum += wgs84_to_gcj02(p).lon;
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * pts.size()));
}

void BM_gcj02_to_wgs84_exact(benchmark::State& state) {
    std::vector<LonLat> gcj;
    for (const auto& p : points())
        gcj.push_back(wgs84_to_gcj02(p));
    // Check: the inverse reproduces the original points.
    for (std::size_t i = 0; i < gcj.size(); ++i) {
        LonLat back = gcj02_to_wgs84(gcj[i]);
        if (std::abs(back.lon - points()[i].lon) > 1e-11 ||
            std::abs(back.lat - points()[i].lat) > 1e-11)
            throw std::runtime_error("gcj02_to_wgs84 is wrong");
    }
    double sum = 0;
    for (auto _ : state)
        for (const auto& p : gcj)
            sum += gcj02_to_wgs84(p).lon;
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * gcj.size()));
}

void BM_bd09_to_wgs84(benchmark::State& state) {
    std::vector<LonLat> bd;
    for (const auto& p : points())
        bd.push_back(wgs84_to_bd09(p));
    double sum = 0;
    for (auto _ : state)
        for (const auto& p : bd)
            sum += bd09_to_wgs84(p).lon;
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * bd.size()));
}

void BM_proj_wgs84_to_epsg4547(benchmark::State& state) {
    CrsTransform t(Crs::wgs84(), Crs::parse("EPSG:4547"));
    const auto& pts = points();
    double sum = 0;
    for (auto _ : state)
        for (const auto& p : pts)
            sum += t.apply(p).lon;
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * pts.size()));
}

} // namespace

BENCHMARK(BM_wgs84_to_gcj02)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_gcj02_to_wgs84_exact)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_bd09_to_wgs84)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_proj_wgs84_to_epsg4547)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
