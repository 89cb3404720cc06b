// The command center's figures (docs/figures.md): KPIs per grid, community, township, county or
// city over a time window, and the daily digest (民情速报). Counted by the store
// (Store::event_stats) over the events the caller may see; turned into rates here.
#pragma once

#include "data/assignment.hpp"
#include "data/event_desk.hpp"

namespace tessera::data {

struct Kpis {
    EventStats counts;
    std::string name; // the unit's name ("" for the total or an unknown code)
    // nullopt where the denominator is zero.
    std::optional<double> on_time_rate;            // on_time / closed
    std::optional<double> median_handling_minutes; // of the closed ones
    std::optional<double> escalation_rate;         // escalated / (reported - duplicates)
    std::optional<double> satisfaction_rate;       // satisfied / rated
    std::optional<double> repeat_rate;             // repeats / reported
};

struct KpiReport {
    std::optional<Assigner::AreaInfo> area; // the area asked for, if any
    std::optional<Time> from, to;
    StatsUnit by = StatsUnit::total;
    Kpis total;
    std::vector<Kpis> units; // by `by`, ordered by code; empty for by = total
};

struct KpiRequest {
    std::optional<std::string> area; // DEFAULT: everything the caller may see
    std::optional<Time> from, to;
    std::optional<StatsUnit> by; // DEFAULT: the level below the area (counties for none)
};

// Rates from counts.
Kpis kpis_of(EventStats counts, std::string name = {});

// The KPIs of the events reported in [from, to) in `area` that `who` may see. Error(not_found)
// for an unknown area code; Error(invalid_argument) for from >= to.
KpiReport kpis(EventDesk& desk, Store& store, Assigner& assigner, const KpiRequest& request,
               const Principal& who);

// The daily digest (民情速报): one day's figures for an area.
struct Digest {
    std::string date; // YYYY-MM-DD, China Standard Time (UTC+8, the day the digest is about)
    KpiReport day;    // the day's KPIs, by the level below the area
    std::vector<Kpis> by_category;    // the day's reports by category, most first
    EventStats backlog;               // every open event in the area, whenever reported
    std::vector<Event> red_open;      // open red events in the area, oldest first (at most 20)
    std::vector<std::string> summary; // the lines a command center reads out
};

// `date` as YYYY-MM-DD (DEFAULT: yesterday in China Standard Time).
Digest digest(EventDesk& desk, Store& store, Assigner& assigner, std::optional<std::string> date,
              std::optional<std::string> area, const Principal& who);

} // namespace tessera::data
