// The point CSV of `tessera locate` and POST /api/v1/locate: rows "id,lon,lat" in, rows
// "id,grid_code,grid_name,layer_version,flags" out. One parser for the CLI and the server.
#pragma once

#include "data/assignment.hpp"
#include "geo/geometry.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tessera::data {

struct PointRow {
    std::string id;
    geo::LonLat position; // as written: in the caller's CRS
};

// A finite decimal number, surrounding blanks and a leading '+' allowed; nullopt otherwise.
std::optional<double> parse_finite_number(std::string_view text);

// Parses one line (without its newline). The id may be a quoted CSV field ("a,b", "" for a
// quote); lon and lat must be finite numbers. Returns nullopt and sets `error` for a bad line;
// an empty line gives nullopt with an empty error.
std::optional<PointRow> parse_point_line(std::string_view line, std::string& error);

// Appends one CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
void append_csv_field(std::string& out, std::string_view v);
// Appends one row of fields, each as append_csv_field writes it, and the line break.
void append_csv_row(std::string& out, std::span<const std::string> fields);

inline constexpr std::string_view assignment_csv_header =
    "id,grid_code,grid_name,layer_version,flags\n";

// Appends one output row; fields are quoted when they need to be.
void append_assignment_row(std::string& out, std::string_view id, std::string_view grid_code,
                           std::string_view grid_name, std::int64_t layer_version,
                           std::string_view flags);

// Appends the rows of a batch result; ids[i] belongs to batch.grid[i].
void append_assignment_rows(std::string& out, std::span<const std::string> ids,
                            const Assigner::Batch& batch);

} // namespace tessera::data
