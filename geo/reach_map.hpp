// The ground within reach of tracks: which part of a grid (or which of its households) lies within
// a given distance of where officers walked (docs/coverage.md, "Coverage share").
//
// Design: a raster of square cells of `cell_m` metres over an extent, in blocks of 64 x 64 cells
// allocated only where tracks pass. A track marks every cell its segments pass through; spread()
// then covers every cell whose centre is within `reach_m` of the centre of a marked cell. A point
// is covered when its cell is. measure() counts the cells whose centre lies in a polygon, and how
// many of them are covered, by scanning the polygon's rows.
//
// Accuracy: a point is covered when the centre of its cell is within reach of the centre of a
// cell the track passes through, and both centres are at most half a cell's diagonal away from
// the point and the track. So every point within reach minus one cell diagonal (7.1 m for 5 m
// cells) of the track is covered, and none further than reach plus one diagonal: a coverage share
// is as good as the cell size.
// Distances are measured in a local plane whose metres per degree of longitude are taken per
// row of cells (WGS84 ellipsoid), so the reach stays a circle in metres at any latitude.
//
// Coordinates are lon/lat degrees (EPSG:4326). Thread-safety: mark() may be called from any
// number of threads at once; spread() alone; covered() and measure() from any number of threads
// once spread() has returned.
#pragma once

#include "geo/geometry.hpp"

#include <cstdint>
#include <memory>

namespace tessera::geo {

class ReachMap {
public:
    struct Options {
        double cell_m = 5;   // DEFAULT 5 m
        double reach_m = 50; // DEFAULT 50 m
    };

    // A map over `extent` (anything outside it is never marked nor covered); grow the extent by
    // the reach when tracks just outside it should cover ground inside it. Throws
    // Error(invalid_argument) for an empty or non-finite extent, a cell or reach that is not
    // positive and finite, or an extent of more than 2^31 cells on a side.
    ReachMap(const BBox& extent, const Options& options);
    ~ReachMap();
    ReachMap(ReachMap&&) noexcept;
    ReachMap& operator=(ReachMap&&) noexcept;
    ReachMap(const ReachMap&) = delete;
    ReachMap& operator=(const ReachMap&) = delete;

    // Marks the cells the segment a-b passes through (a alone when a == b). Non-finite points
    // are ignored.
    void mark(LonLat a, LonLat b);
    void mark(LonLat p) { mark(p, p); }

    // Covers the cells within reach of the marked ones, on `threads` threads. Call once, after
    // every mark().
    void spread(int threads = 1);

    bool covered(LonLat p) const;

    struct Share {
        std::int64_t cells = 0;   // cells whose centre is in the polygon
        std::int64_t covered = 0; // of them, covered
        double fraction() const {
            return cells > 0 ? static_cast<double>(covered) / static_cast<double>(cells) : 0;
        }
    };
    // Even-odd over all rings, so holes are left out. A polygon smaller than a cell may hold no
    // cell centre: then cells = 0.
    Share measure(const MultiPolygon& area) const;

    std::int64_t marked_cells() const;
    // Heap memory held, bytes.
    std::size_t memory_bytes() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace tessera::geo
