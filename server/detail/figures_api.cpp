// The figures endpoints (docs/figures.md): KPIs and the daily digest, as JSON or CSV. Counting
// and rates are data::figures'; this file parses and renders.
#include "data/figures.hpp"
#include "data/point_csv.hpp"
#include "server/detail/api.hpp"

#include <cmath>
#include <cstdio>

namespace tessera::server::detail {
namespace {

json optional_number(const std::optional<double>& v, int decimals) {
    return v ? rounded(*v, decimals) : json(nullptr);
}

json kpis_json(const data::Kpis& k) {
    const data::EventStats& c = k.counts;
    json by_status = json::object();
    for (std::size_t i = 0; i < c.by_status.size(); ++i)
        by_status[std::string(to_string(static_cast<data::EventStatus>(i)))] = c.by_status[i];
    return json{{"code", c.unit},
                {"name", k.name},
                {"reported", c.reported},
                {"by_status", std::move(by_status)},
                {"duplicates", c.duplicates},
                {"closed", c.closed},
                {"on_time", c.on_time},
                {"on_time_rate", optional_number(k.on_time_rate, 3)},
                {"median_handling_minutes", optional_number(k.median_handling_minutes, 1)},
                {"backlog", c.open},
                {"overdue", c.overdue},
                {"escalated", c.escalated},
                {"escalation_rate", optional_number(k.escalation_rate, 3)},
                {"rated", c.rated},
                {"satisfied", c.satisfied},
                {"satisfaction_rate", optional_number(k.satisfaction_rate, 3)},
                {"repeats", c.repeats},
                {"repeat_rate", optional_number(k.repeat_rate, 3)}};
}

json report_json(const data::KpiReport& r) {
    json units = json::array();
    for (const auto& k : r.units)
        units.push_back(kpis_json(k));
    auto time = [](const std::optional<data::Time>& t) {
        return t ? json(data::format_time(*t)) : json(nullptr);
    };
    return json{{"area", r.area ? json{{"code", r.area->code},
                                       {"name", r.area->name},
                                       {"level", to_string(r.area->level)}}
                                : json(nullptr)},
                {"from", time(r.from)},
                {"to", time(r.to)},
                {"by", to_string(r.by)},
                {"total", kpis_json(r.total)},
                {"units", std::move(units)}};
}

std::string csv_field(const std::string& s) {
    std::string out;
    data::append_csv_field(out, s);
    return out;
}

std::string csv_number(const std::optional<double>& v, const char* format) {
    if (!v)
        return "";
    char buf[32];
    std::snprintf(buf, sizeof buf, format, *v);
    return buf;
}

std::string kpis_csv(const data::KpiReport& r) {
    std::string out = "code,name,reported,duplicates,closed,on_time_rate,median_handling_minutes,"
                      "backlog,overdue,escalated,escalation_rate,rated,satisfaction_rate,repeats,"
                      "repeat_rate\r\n";
    auto row = [&](const data::Kpis& k, const std::string& code) {
        const data::EventStats& c = k.counts;
        out += csv_field(code) + "," + csv_field(k.name) + "," + std::to_string(c.reported) + "," +
               std::to_string(c.duplicates) + "," + std::to_string(c.closed) + "," +
               csv_number(k.on_time_rate, "%.3f") + "," +
               csv_number(k.median_handling_minutes, "%.1f") + "," + std::to_string(c.open) + "," +
               std::to_string(c.overdue) + "," + std::to_string(c.escalated) + "," +
               csv_number(k.escalation_rate, "%.3f") + "," + std::to_string(c.rated) + "," +
               csv_number(k.satisfaction_rate, "%.3f") + "," + std::to_string(c.repeats) + "," +
               csv_number(k.repeat_rate, "%.3f") + "\r\n";
    };
    for (const auto& k : r.units)
        row(k, k.counts.unit);
    row(r.total, "total");
    return out;
}

bool wants_csv(const Target& target) {
    auto f = query_param(target, "format");
    if (!f || *f == "json")
        return false;
    if (*f == "csv")
        return true;
    throw bad_request("format must be json or csv, got '" + std::string(f->substr(0, 20)) + "'");
}

std::optional<std::string> area_param(const Target& target) {
    auto v = query_param(target, "area");
    return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

} // namespace

Response get_kpis(const Request& req, Services& services, const PathParams&) {
    Target target = parse_target(req.target);
    reject_unknown_params(target, {"area", "from", "to", "by", "format"});
    data::KpiRequest r;
    r.area = area_param(target);
    for (const char* name : {"from", "to"})
        if (auto v = query_param(target, name)) {
            auto t = data::parse_time(*v);
            if (!t)
                throw bad_request(std::string(name) + " must be an ISO 8601 date or time, got '" +
                                  std::string(v->substr(0, 40)) + "'");
            (std::string_view(name) == "from" ? r.from : r.to) = t;
        }
    if (auto v = query_param(target, "by")) {
        r.by = data::parse_stats_unit(*v);
        if (!r.by)
            throw bad_request("by must be total, grid, community, township, county, city or "
                              "category, got '" +
                              std::string(v->substr(0, 40)) + "'");
    }
    bool csv = wants_csv(target);
    data::Principal who = require_login(req, services);
    // DEFAULT window: the last 30 days.
    if (!r.from && !r.to)
        r.from = services.desk.now() - std::chrono::days(30);
    data::KpiReport report = data::kpis(services.desk, services.store, services.assigner, r, who);
    if (csv)
        return csv_ok(kpis_csv(report), "kpis.csv");
    Response res = json_ok(report_json(report));
    res.set_header("Cache-Control", "no-store");
    return res;
}

Response get_digest(const Request& req, Services& services, const PathParams&) {
    Target target = parse_target(req.target);
    reject_unknown_params(target, {"date", "area", "format"});
    auto date = query_param(target, "date");
    bool csv = wants_csv(target);
    data::Principal who = require_login(req, services);
    data::Digest d = data::digest(services.desk, services.store, services.assigner,
                                  date ? std::optional<std::string>(*date) : std::nullopt,
                                  area_param(target), who);
    if (csv)
        return csv_ok(kpis_csv(d.day), "digest-" + d.date + ".csv");
    json categories = json::array();
    for (const auto& k : d.by_category)
        categories.push_back(
            json{{"code", k.counts.unit}, {"name", k.name}, {"reported", k.counts.reported}});
    json red = json::array();
    for (const auto& e : d.red_open)
        red.push_back(json{{"id", e.id},
                           {"category", e.category},
                           {"grid_code", e.grid_code},
                           {"status", to_string(e.status)},
                           {"level", to_string(e.level)},
                           {"reported_at", data::format_time(e.reported_at)},
                           {"deadline_at", data::format_time(e.deadline_at)}});
    Response res =
        json_ok(json{{"title", "民情速报"},
                     {"date", d.date},
                     {"summary", d.summary},
                     {"day", report_json(d.day)},
                     {"by_category", std::move(categories)},
                     {"backlog", {{"open", d.backlog.open}, {"overdue", d.backlog.overdue}}},
                     {"red_open", std::move(red)}});
    res.set_header("Cache-Control", "no-store");
    return res;
}

} // namespace tessera::server::detail
