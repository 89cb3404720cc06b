// Officers' GPS fixes for coverage audits (docs/coverage.md): reading them from the files their
// apps and devices write (GPX 1.0/1.1 through GDAL, CSV officer,time,lon,lat[,accuracy], GeoJSON,
// GeoLife PLT), in any CRS (phones in mini-programs report GCJ-02), and cleaning them: fixes
// with poor accuracy or an impossible speed are dropped, and counted.
//
// Reading is all-or-nothing: a malformed file throws one Error naming the line or point, and
// nothing is returned. Thread-safety: free functions, safe from any thread.
#pragma once

#include "data/model.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tessera::data {

struct Fix {
    std::string officer; // person code; from the options for files that do not say
    Time at{};
    geo::LonLat position; // EPSG:4326
    std::optional<double> accuracy_m;
};

struct FixReadOptions {
    // The CRS of the coordinates. DEFAULT: WGS84 (GPX and GeoLife are WGS84 by definition;
    // pass gcj02 for a phone's mini-program export).
    std::optional<std::string> crs;
    // Whose fixes these are, for formats without an officer column (GPX, PLT, GeoJSON without
    // an "officer" property).
    std::optional<std::string> officer;
    // "gpx", "csv", "geojson" or "plt". DEFAULT: from the file's extension.
    std::optional<std::string> format;
};

struct FixRead {
    std::vector<Fix> fixes; // in file order
    std::string format;
    std::string source_crs;
    std::size_t untimed = 0; // points without a time (of no use to an audit), not in `fixes`
};

// Throws Error(io_error) for a missing file, Error(invalid_argument) for a malformed one (the
// message names the line or point), Error(unknown_crs).
FixRead read_fixes(const std::filesystem::path& file, const FixReadOptions& options = {});

struct FixFilter {
    double max_accuracy_m = 100; // fixes reporting a worse accuracy are dropped
    double max_speed_mps = 50;   // faster than this from the last kept fix: a jump, dropped
    // After this many jumps in a row the fixes are believed and the last kept one was the
    // outlier: the track goes on from the current fix.
    int max_jumps_in_a_row = 3;
};

// Judges one officer's fixes in time order against the last one kept (FixFilter): clean_fixes
// for a file, store_fixes (data/positions.hpp) for fixes joining those the store holds.
class FixCleaner {
public:
    enum class Verdict { keep, inaccurate, too_fast, duplicate };

    explicit FixCleaner(const FixFilter& filter)
        : m_filter(filter) {}
    // The verdict on the next fix; a kept one becomes the last (keep() is implied).
    Verdict judge(const Fix& f);
    // Takes a fix as the last kept one without judging it (one already stored).
    void keep(geo::LonLat position, Time at);
    // Forgets the last kept fix (the next officer's fixes begin).
    void reset() { m_has_last = false; }

private:
    FixFilter m_filter;
    bool m_has_last = false;
    geo::LonLat m_last_position;
    Time m_last_at{};
    int m_jumps = 0;
};

// The fixes dropped by FixCleaner's verdicts, by reason.
struct DroppedFixes {
    std::size_t inaccurate = 0, too_fast = 0, duplicates = 0;
    std::size_t dropped() const { return inaccurate + too_fast + duplicates; }
    // Counts a verdict; true when the fix is kept.
    bool count(FixCleaner::Verdict v);
};

struct CleanFixes : DroppedFixes {
    std::vector<Fix> kept; // by officer, then time
};

// Sorts by officer, then time, keeping the order of fixes with both equal.
void sort_by_officer_and_time(std::vector<Fix>& fixes);

// Sorts the fixes by officer and time and drops duplicates (the same officer and time),
// inaccurate fixes and jumps (FixFilter).
CleanFixes clean_fixes(std::vector<Fix> fixes, const FixFilter& filter = {});

} // namespace tessera::data
