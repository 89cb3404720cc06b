// Redrawing (issue 6): validating a whole grid layer, Tessera's way (an edge-for-edge proof, GEOS
// only where it fails) against overlay everywhere with GEOS, and a single-grid edit end to end
// (split, validate the draft, commit, refresh the assignment index and drop the tiles).
//
//   build/bench/bench/redraw_bench --db var/demo.db [--layer grid] [--edits 10]
//
// Works on a copy of the database, so the demo stays as it was. Each edit is checked: a point in
// the new piece must locate to the new grid after the refresh.
#include "data/assignment.hpp"
#include "data/redraw.hpp"
#include "data/validation.hpp"
#include "geo/error.hpp"
#include "geo/measure.hpp"
#include "geo/ops.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

using namespace tessera;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// The GEOS way, as a server without the proof would do it: per parent, the union of its
// children, the region minus the union (gaps), the union minus the region (outside), and the
// intersection of every pair of children whose boxes meet (overlaps). Returns the faults found
// of at least 1 m².
std::size_t
overlay_everywhere(const std::map<std::string, std::vector<geo::MultiPolygon>>& children,
                   const std::map<std::string, geo::MultiPolygon>& parents) {
    std::size_t faults = 0;
    auto count = [&](const geo::Geometry& g) {
        for (const auto& p : geo::as_multi_polygon(g).polygons)
            if (geo::area_m2(geo::Geometry{geo::MultiPolygon{{p}}}) >= 1.0)
                ++faults;
    };
    for (const auto& [code, parts] : children) {
        auto region = parents.find(code);
        if (region == parents.end())
            continue;
        const geo::MultiPolygon covered = geo::unary_union(parts);
        count(geo::difference(geo::Geometry{region->second}, geo::Geometry{covered}));
        count(geo::difference(geo::Geometry{covered}, geo::Geometry{region->second}));
        std::vector<geo::BBox> boxes;
        for (const auto& p : parts)
            boxes.push_back(geo::bbox_of(geo::Geometry{p}));
        for (std::size_t i = 0; i < parts.size(); ++i)
            for (std::size_t j = i + 1; j < parts.size(); ++j)
                if (boxes[i].intersects(boxes[j]))
                    count(geo::intersection(geo::Geometry{parts[i]}, geo::Geometry{parts[j]}));
    }
    return faults;
}

} // namespace

int main(int argc, char** argv) {
    std::string db, layer_name = "grid";
    int edits = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--db"))
            db = argv[i + 1];
        else if (!std::strcmp(argv[i], "--layer"))
            layer_name = argv[i + 1];
        else if (!std::strcmp(argv[i], "--edits"))
            edits = std::stoi(argv[i + 1]);
    }
    if (db.empty()) {
        std::fprintf(stderr, "usage: redraw_bench --db DB [--layer grid] [--edits 10]\n");
        return 2;
    }
    const auto copy = std::filesystem::temp_directory_path() / "tessera_redraw_bench.db";
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(copy.string() + suffix);
    std::filesystem::copy_file(db, copy);
    auto store = data::open_spatialite_store(copy);
    auto layer = store->find_layer(layer_name);
    if (!layer || !layer->parent_layer) {
        std::fprintf(stderr, "no layer '%s' with a parent layer in %s\n", layer_name.c_str(),
                     db.c_str());
        return 1;
    }

    // ---- whole-layer validation ----
    auto t = Clock::now();
    data::ValidationReport report = data::validate_layer(*store, layer_name);
    const double ours = ms_since(t);

    data::FeatureQuery all;
    all.limit = std::numeric_limits<std::size_t>::max();
    std::map<std::string, std::vector<geo::MultiPolygon>> children;
    for (const auto& f : store->features(layer_name, all).features)
        if (f.parent_code)
            children[*f.parent_code].push_back(geo::as_multi_polygon(f.geometry));
    std::map<std::string, geo::MultiPolygon> parents;
    for (const auto& f : store->features(*layer->parent_layer, all).features)
        parents.emplace(f.code, geo::as_multi_polygon(f.geometry));
    t = Clock::now();
    const std::size_t geos_faults = overlay_everywhere(children, parents);
    const double geos = ms_since(t);
    std::printf("validate %s: %zu features in %zu parents\n", layer_name.c_str(), report.features,
                children.size());
    std::printf("  tessera (proof, GEOS where it fails, incl. reading): %8.1f ms, %zu errors\n",
                ours, report.errors());
    std::printf("  GEOS overlay everywhere (geometry in memory):         %8.1f ms, %zu faults\n",
                geos, geos_faults);
    std::printf("  ratio: %.1fx\n", geos / ours);

    // ---- single-grid edits, end to end ----
    data::Assigner assigner(*store);
    t = Clock::now();
    assigner.refresh();
    std::printf("first assignment index build: %.1f ms\n", ms_since(t));
    data::Redraw redraw(*store);
    std::vector<data::Feature> grids = store->features(layer_name, all).features;
    std::printf("\n%-12s %8s %9s %8s %9s %8s\n", "grid", "split", "validate", "commit", "refresh",
                "total");
    std::vector<double> totals;
    for (int k = 0; k < edits; ++k) {
        const data::Feature& g = grids[(grids.size() / static_cast<std::size_t>(edits + 1)) *
                                       static_cast<std::size_t>(k + 1)];
        const geo::BBox b = geo::bbox_of(g.geometry);
        const double mid = (b.min_y + b.max_y) / 2, margin = (b.max_x - b.min_x) * 0.1;
        const geo::LineString line{{{b.min_x - margin, mid}, {b.max_x + margin, mid}}};
        data::Draft d = store->create_draft(layer_name, {"bench", "split " + g.code, std::nullopt});

        auto t0 = Clock::now();
        try {
            redraw.apply(d.id, data::edit::Split{g.code, line, {g.code + "-N"}}, "bench");
        } catch (const Error& e) {
            std::printf("%-12s skipped: %s\n", g.code.c_str(), e.what());
            store->discard_draft(d.id);
            continue;
        }
        const double split_ms = ms_since(t0);
        auto t1 = Clock::now();
        const std::size_t errors = redraw.validate(d.id).errors();
        const double validate_ms = ms_since(t1);
        if (errors > 0) {
            std::printf("%-12s skipped: %zu validation errors around it\n", g.code.c_str(), errors);
            store->discard_draft(d.id);
            continue;
        }
        auto t2 = Clock::now();
        redraw.commit(d.id, {"bench", "split", std::nullopt});
        const double commit_ms = ms_since(t2);
        auto t3 = Clock::now();
        assigner.refresh();
        const double refresh_ms = ms_since(t3);
        const double total = ms_since(t0);
        totals.push_back(total);
        std::printf("%-12s %8.1f %9.1f %8.1f %9.1f %8.1f\n", g.code.c_str(), split_ms, validate_ms,
                    commit_ms, refresh_ms, total);

        // Check: both pieces locate to their own code now.
        data::FeatureQuery q;
        q.code = g.code + "-N";
        auto piece = store->features(layer_name, q).features;
        if (piece.empty()) {
            std::fprintf(stderr, "FAIL: no piece %s-N after the commit\n", g.code.c_str());
            return 1;
        }
        data::LocateQuery lq;
        lq.position = geo::point_on_surface(piece.front().geometry);
        auto a = assigner.locate(lq);
        if (!a.grid || a.grid->code != g.code + "-N") {
            std::fprintf(stderr, "FAIL: a point of %s-N locates to %s\n", g.code.c_str(),
                         a.grid ? a.grid->code.c_str() : "nothing");
            return 1;
        }
    }
    if (!totals.empty()) {
        std::sort(totals.begin(), totals.end());
        std::printf("single-grid edit end to end: median %.1f ms, max %.1f ms over %zu edits\n",
                    totals[totals.size() / 2], totals.back(), totals.size());
    }
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(copy.string() + suffix);
    return 0;
}
