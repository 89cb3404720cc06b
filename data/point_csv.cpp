#include "data/point_csv.hpp"

#include <charconv>
#include <cmath>
#include <vector>

namespace tessera::data {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

} // namespace

namespace {

bool needs_quotes(std::string_view v) {
    for (char c : v)
        if (c == ',' || c == '"' || c == '\n' || c == '\r')
            return true;
    return false;
}

} // namespace

void append_csv_field(std::string& out, std::string_view v) {
    if (!needs_quotes(v)) {
        out.append(v);
        return;
    }
    out.push_back('"');
    for (char c : v) {
        if (c == '"')
            out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
}

void append_csv_row(std::string& out, std::span<const std::string> fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0)
            out += ',';
        append_csv_field(out, fields[i]);
    }
    out += '\n';
}

std::optional<double> parse_finite_number(std::string_view s) {
    s = trim(s);
    if (!s.empty() && s.front() == '+')
        s.remove_prefix(1);
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

std::optional<PointRow> parse_point_line(std::string_view l, std::string& error) {
    error.clear();
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r'))
        l.remove_suffix(1);
    if (trim(l).empty())
        return std::nullopt;
    PointRow row;
    std::size_t id_end = 0;
    if (l.front() == '"') {
        std::size_t i = 1;
        for (; i < l.size(); ++i) {
            if (l[i] == '"') {
                if (i + 1 < l.size() && l[i + 1] == '"') {
                    row.id.push_back('"');
                    ++i;
                    continue;
                }
                break;
            }
            row.id.push_back(l[i]);
        }
        if (i >= l.size()) {
            error = "unterminated quoted id";
            return std::nullopt;
        }
        id_end = i + 1;
    }
    auto c1 = l.find(',', id_end);
    auto c2 = c1 == std::string_view::npos ? c1 : l.find(',', c1 + 1);
    std::optional<double> lon, lat;
    if (c2 != std::string_view::npos && l.find(',', c2 + 1) == std::string_view::npos) {
        lon = parse_finite_number(l.substr(c1 + 1, c2 - c1 - 1));
        lat = parse_finite_number(l.substr(c2 + 1));
    }
    if (!lon || !lat) {
        error = "expected id,lon,lat with numbers, got '" + std::string(l.substr(0, 80)) + "'";
        return std::nullopt;
    }
    row.position = {*lon, *lat};
    if (id_end == 0)
        row.id = std::string(trim(l.substr(0, c1)));
    return row;
}

void append_assignment_row(std::string& out, std::string_view id, std::string_view grid_code,
                           std::string_view grid_name, std::int64_t layer_version,
                           std::string_view flags) {
    append_csv_field(out, id);
    out.push_back(',');
    append_csv_field(out, grid_code);
    out.push_back(',');
    append_csv_field(out, grid_name);
    out.push_back(',');
    out += std::to_string(layer_version);
    out.push_back(',');
    out.append(flags);
    out.push_back('\n');
}

void append_assignment_rows(std::string& out, std::span<const std::string> ids,
                            const Assigner::Batch& b) {
    // Each grid's "code,name,version," is rendered once, on first use.
    const std::string version = std::to_string(b.layer_version);
    std::vector<std::string> grid_fields(b.codes ? b.codes->size() : 0);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        append_csv_field(out, ids[i]);
        out.push_back(',');
        if (b.grid[i] >= 0) {
            auto g = static_cast<std::size_t>(b.grid[i]);
            std::string& f = grid_fields[g];
            if (f.empty()) {
                append_csv_field(f, (*b.codes)[g]);
                f.push_back(',');
                append_csv_field(f, (*b.names)[g]);
                f += ',' + version + ',';
            }
            out += f;
        } else {
            out += ",,";
            out += version;
            out += b.outside_grid[i] ? ",outside_grid" : ",unassigned";
        }
        out.push_back('\n');
    }
}

} // namespace tessera::data
