#include "data/figures.hpp"

#include "geo/error.hpp"

#include <algorithm>
#include <cstdio>

namespace tessera::data {
namespace {

constexpr auto china_offset = std::chrono::hours(8); // CST, no daylight saving

std::optional<double> ratio(std::int64_t num, std::int64_t den) {
    if (den <= 0)
        return std::nullopt;
    return static_cast<double>(num) / static_cast<double>(den);
}

StatsUnit level_below(StatsUnit u) {
    switch (u) {
    case StatsUnit::city:
        return StatsUnit::county;
    case StatsUnit::county:
        return StatsUnit::township;
    case StatsUnit::township:
        return StatsUnit::community;
    case StatsUnit::community:
    case StatsUnit::grid:
        return StatsUnit::grid;
    default:
        return StatsUnit::county;
    }
}

std::string percent(const std::optional<double>& r) {
    if (!r)
        return "—";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", *r * 100);
    return buf;
}

} // namespace

Kpis kpis_of(EventStats c, std::string name) {
    Kpis k;
    k.name = std::move(name);
    k.on_time_rate = ratio(c.on_time, c.closed);
    if (!c.handling_ms.empty()) {
        // The median: the middle value, or the mean of the two middle ones.
        const auto& h = c.handling_ms;
        std::size_t n = h.size();
        double ms = n % 2 ? static_cast<double>(h[n / 2])
                          : (static_cast<double>(h[n / 2 - 1]) + static_cast<double>(h[n / 2])) / 2;
        k.median_handling_minutes = ms / 60'000.0;
    }
    k.escalation_rate = ratio(c.escalated, c.reported - c.duplicates);
    k.satisfaction_rate = ratio(c.satisfied, c.rated);
    k.repeat_rate = ratio(c.repeats, c.reported);
    k.counts = std::move(c);
    return k;
}

KpiReport kpis(EventDesk& desk, Store& store, Assigner& assigner, const KpiRequest& request,
               const Principal& who) {
    KpiReport out;
    out.from = request.from;
    out.to = request.to;
    if (out.from && out.to && *out.from >= *out.to)
        throw Error(ErrorCode::invalid_argument, "the window is empty: from must be before to");
    StatsQuery q;
    q.from = request.from;
    q.to = request.to;
    q.now = desk.now();
    q.repeat_radius_m = desk.config().duplicate_radius_m;
    q.visible_to = event_visibility(who);
    StatsUnit level = StatsUnit::total;
    if (request.area) {
        out.area = assigner.area_info(*request.area);
        if (!out.area)
            throw Error(ErrorCode::not_found, "no area '" + request.area->substr(0, 40) + "'");
        q.area_codes = {out.area->code};
        level = out.area->level;
    }
    out.by = request.by.value_or(level_below(level));
    q.by = StatsUnit::total;
    out.total = kpis_of(store.event_stats(q).at(0), out.area ? out.area->name : "");
    if (out.by != StatsUnit::total) {
        q.by = out.by;
        for (auto& row : store.event_stats(q)) {
            std::string name;
            if (out.by == StatsUnit::category) {
                if (const Category* c = desk.category(row.unit))
                    name = c->name;
            } else if (auto info = assigner.area_info(row.unit)) {
                name = info->name;
            }
            out.units.push_back(kpis_of(std::move(row), std::move(name)));
        }
    }
    return out;
}

Digest digest(EventDesk& desk, Store& store, Assigner& assigner, std::optional<std::string> date,
              std::optional<std::string> area, const Principal& who) {
    using namespace std::chrono;
    Digest d;
    // The day, midnight to midnight China time.
    sys_days day;
    if (date) {
        auto t = parse_time(*date);
        if (!t || date->size() != 10)
            throw Error(ErrorCode::invalid_argument,
                        "date must be YYYY-MM-DD, got '" + date->substr(0, 40) + "'");
        day = floor<days>(*t);
    } else {
        day = floor<days>(desk.now() + china_offset) - days(1);
    }
    d.date = format_time(Time(day)).substr(0, 10);
    Time from = Time(day) - china_offset, to = from + days(1);

    KpiRequest r;
    r.area = area;
    r.from = from;
    r.to = to;
    d.day = kpis(desk, store, assigner, r, who);
    r.by = StatsUnit::category;
    d.by_category = kpis(desk, store, assigner, r, who).units;
    std::stable_sort(d.by_category.begin(), d.by_category.end(), [](const Kpis& a, const Kpis& b) {
        return a.counts.reported > b.counts.reported;
    });

    // Whatever is still open in the area, reported on any day up to the digest's end.
    KpiRequest open = r;
    open.from.reset();
    open.by = StatsUnit::total;
    d.backlog = kpis(desk, store, assigner, open, who).total.counts;
    EventQuery red;
    red.severity = Severity::red;
    red.open = true;
    red.reported_to = to;
    if (area)
        red.area_codes = {*area};
    red.limit = 20;
    d.red_open = desk.list(red, &who).events;
    std::reverse(d.red_open.begin(), d.red_open.end()); // oldest first

    const EventStats& c = d.day.total.counts;
    std::string where = d.day.area && !d.day.area->name.empty() ? d.day.area->name : "辖区";
    d.summary.push_back(d.date + " " + where + "新报事件 " + std::to_string(c.reported) +
                        " 件，其中重复报告 " + std::to_string(c.duplicates) + " 件；当日办结 " +
                        std::to_string(c.closed) + " 件，按时办结率 " +
                        percent(d.day.total.on_time_rate) + "。");
    d.summary.push_back("上报升级 " + std::to_string(c.escalated) + " 件，满意率 " +
                        percent(d.day.total.satisfaction_rate) + "，同一地点重复发生 " +
                        std::to_string(c.repeats) + " 件。");
    d.summary.push_back("当前辖区在办事件 " + std::to_string(d.backlog.open) + " 件，其中超期 " +
                        std::to_string(d.backlog.overdue) + " 件，红色预警 " +
                        std::to_string(d.red_open.size()) + " 件。");
    if (!d.by_category.empty() && d.by_category.front().counts.reported > 0)
        d.summary.push_back("当日最多的事项：" + d.by_category.front().name + "（" +
                            std::to_string(d.by_category.front().counts.reported) + " 件）。");
    return d;
}

} // namespace tessera::data
