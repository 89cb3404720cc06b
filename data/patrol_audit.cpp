#include "data/patrol_audit.hpp"

#include "data/point_csv.hpp"
#include "geo/error.hpp"
#include "geo/locate_index.hpp"
#include "geo/measure.hpp"
#include "geo/reach_map.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <thread>
#include <unordered_map>

namespace tessera::data {
namespace {

constexpr std::uint32_t no_grid = geo::LocateIndex::none;

// Distances between nearby fixes in the local plane of their latitude band (0.01 degrees): within
// 0.01 % of the geodesic for fixes a few kilometres apart at the latitudes of China. The scale is
// computed again only when a walk changes band, so a segment costs a few multiplications; the
// band, not the order of the fixes, decides it, so threads agree.
class LocalDistance {
public:
    double operator()(const geo::LonLat& a, const geo::LonLat& b) {
        const double band = std::floor(a.lat * 100);
        if (band != m_band) {
            m_band = band;
            m_scale = geo::metres_per_degree((band + 0.5) / 100);
        }
        const double dx = (b.lon - a.lon) * m_scale.lon, dy = (b.lat - a.lat) * m_scale.lat;
        return std::sqrt(dx * dx + dy * dy);
    }

private:
    double m_band = std::numeric_limits<double>::quiet_NaN();
    geo::MetresPerDegree m_scale;
};

// The per-grid figures one thread gathers, merged at the end.
struct Tally {
    std::vector<GridPatrol> grids;

    void close_stay(std::uint32_t grid, std::int64_t start, std::int64_t end, std::uint32_t officer,
                    std::int64_t min_dwell_ms) {
        if (grid == no_grid || end - start < min_dwell_ms)
            return;
        GridPatrol& g = grids[grid];
        g.visited = true;
        ++g.visits;
        if (!g.last_visit_ms || end > *g.last_visit_ms) {
            g.last_visit_ms = end;
            g.last_officer = officer;
        }
    }

    void merge(const Tally& other) {
        for (std::size_t i = 0; i < grids.size(); ++i) {
            GridPatrol& g = grids[i];
            const GridPatrol& o = other.grids[i];
            g.visited = g.visited || o.visited;
            g.visits += o.visits;
            g.fixes += o.fixes;
            g.distance_m += o.distance_m;
            if (o.last_visit_ms && (!g.last_visit_ms || *o.last_visit_ms > *g.last_visit_ms)) {
                g.last_visit_ms = o.last_visit_ms;
                g.last_officer = o.last_officer;
            }
        }
    }
};

} // namespace

int AuditRules::stale_days_for(std::string_view type) const {
    auto it = stale_days.find(type);
    return it != stale_days.end() ? it->second : default_stale_days;
}

double GridPatrol::area_share() const {
    return cells > 0 ? static_cast<double>(covered_cells) / static_cast<double>(cells) : 0;
}

double GridPatrol::household_share() const {
    return households > 0
               ? static_cast<double>(households_covered) / static_cast<double>(households)
               : 0;
}

double GridPatrol::coverage_share() const {
    return households > 0 ? household_share() : area_share();
}

struct PatrolAudit::Impl {
    std::vector<geo::MultiPolygon> grids;
    std::vector<HouseholdPoint> households;
    std::vector<std::uint32_t> household_grid;
    geo::LocateIndex index;
    geo::BBox extent; // the grids' box grown by the reach
    AuditRules rules;

    Impl(std::span<const geo::MultiPolygon> g, std::span<const HouseholdPoint> h, AuditRules r)
        : grids(g.begin(), g.end())
        , households(h.begin(), h.end())
        , index(g)
        , rules(std::move(r)) {
        for (const auto& grid : grids)
            extent.extend(geo::bbox_of(geo::Geometry{grid}));
        if (extent.empty())
            throw Error(ErrorCode::invalid_argument, "audit: the layer has no grids to audit");
        extent = geo::grown_by_m(extent, rules.reach_m + rules.cell_m);
        std::vector<geo::LonLat> at;
        for (const auto& p : households)
            at.push_back(p.position);
        household_grid.resize(at.size());
        index.locate(at, household_grid);
    }

    // Adds the length of a-b to the grids it lies in: all to one grid when both ends are in it;
    // otherwise halved until the pieces are shorter than a metre, each piece to the grid of its
    // ends (split evenly between two). A segment that leaves and re-enters the grid of both ends
    // between two fixes counts for that grid alone.
    // The ends are taken by reference: passed in registers, the pair was stored to the stack
    // and read back whole, a stall (store forwarding) that cost a fifth of this function.
    void walk(const geo::LonLat& a, std::uint32_t ga, const geo::LonLat& b, std::uint32_t gb,
              LocalDistance& distance, Tally& tally, int depth = 0) const {
        if (ga == gb) {
            if (ga != no_grid)
                tally.grids[ga].distance_m += distance(a, b);
            return;
        }
        const double length = distance(a, b);
        if (length < 1 || depth > 40) {
            if (ga != no_grid)
                tally.grids[ga].distance_m += length / 2;
            if (gb != no_grid)
                tally.grids[gb].distance_m += length / 2;
            return;
        }
        const geo::LonLat mid{(a.lon + b.lon) / 2, (a.lat + b.lat) / 2};
        const std::uint32_t gm = index.locate(mid);
        walk(a, ga, mid, gm, distance, tally, depth + 1);
        walk(mid, gm, b, gb, distance, tally, depth + 1);
    }

    // The fixes [begin, end) (whole officers) into `tally` and `map`.
    void run_range(const FixColumns& fixes, std::size_t begin, std::size_t end,
                   std::int64_t from_ms, std::int64_t to_ms, geo::ReachMap& map,
                   Tally& tally) const {
        const std::int64_t max_gap_ms = rules.max_gap.count() * 1000;
        const std::int64_t min_dwell_ms = rules.min_dwell.count() * 1000;
        LocalDistance distance;
        std::vector<std::uint32_t> grid_of;
        constexpr std::size_t chunk = 1 << 16;
        std::size_t chunk_begin = begin;
        std::size_t prev = SIZE_MAX; // the officer's previous fix in the window
        std::uint32_t prev_grid = no_grid;
        std::uint32_t stay_grid = no_grid;
        std::int64_t stay_start = 0, stay_end = 0;
        for (std::size_t k = begin; k < end; ++k) {
            if (k == chunk_begin) { // locate the next chunk at once: the index pipelines it
                const std::size_t n = std::min(chunk, end - k);
                grid_of.resize(n);
                index.locate(fixes.position.subspan(k, n), grid_of);
                chunk_begin = k + n;
            }
            const std::uint32_t officer = fixes.officer[k];
            if (prev != SIZE_MAX && fixes.officer[prev] != officer) {
                tally.close_stay(stay_grid, stay_start, stay_end, fixes.officer[prev],
                                 min_dwell_ms);
                stay_grid = no_grid;
                prev = SIZE_MAX;
            }
            const std::int64_t t = fixes.time_ms[k];
            if (t < from_ms || t >= to_ms)
                continue;
            const std::uint32_t g = grid_of[k - (chunk_begin - grid_of.size())];
            const geo::LonLat p = fixes.position[k];
            const bool joined = prev != SIZE_MAX && t - fixes.time_ms[prev] <= max_gap_ms;
            if (joined) {
                map.mark(fixes.position[prev], p);
                walk(fixes.position[prev], prev_grid, p, g, distance, tally);
            } else {
                map.mark(p);
            }
            if (joined && g == stay_grid) {
                stay_end = t;
            } else {
                if (prev != SIZE_MAX)
                    tally.close_stay(stay_grid, stay_start, stay_end, officer, min_dwell_ms);
                stay_grid = g;
                stay_start = stay_end = t;
            }
            if (g != no_grid)
                ++tally.grids[g].fixes;
            prev = k;
            prev_grid = g;
        }
        if (prev != SIZE_MAX)
            tally.close_stay(stay_grid, stay_start, stay_end, fixes.officer[prev], min_dwell_ms);
    }
};

PatrolAudit::PatrolAudit(std::span<const geo::MultiPolygon> grids,
                         std::span<const HouseholdPoint> households, AuditRules rules) {
    if (!(rules.reach_m > 0) || !std::isfinite(rules.reach_m) || !(rules.cell_m > 0) ||
        !std::isfinite(rules.cell_m))
        throw Error(ErrorCode::invalid_argument,
                    "audit: the reach and the cell size must be positive metres");
    if (rules.min_dwell.count() < 0 || rules.max_gap.count() < 0)
        throw Error(ErrorCode::invalid_argument,
                    "audit: the dwell time and the gap must not be negative");
    if (!(rules.full_share >= 0 && rules.full_share <= 1))
        throw Error(ErrorCode::invalid_argument, "audit: the full share must be within 0..1");
    m_impl = std::make_unique<Impl>(grids, households, std::move(rules));
}

PatrolAudit::~PatrolAudit() = default;
PatrolAudit::PatrolAudit(PatrolAudit&&) noexcept = default;
PatrolAudit& PatrolAudit::operator=(PatrolAudit&&) noexcept = default;

const AuditRules& PatrolAudit::rules() const {
    return m_impl->rules;
}

std::vector<GridPatrol> PatrolAudit::run(const FixColumns& fixes, std::int64_t from_ms,
                                         std::int64_t to_ms, int threads) const {
    const Impl& m = *m_impl;
    geo::ReachMap map(m.extent, {m.rules.cell_m, m.rules.reach_m});
    // Split the fixes into runs of whole officers, one per thread, of about equal size.
    const std::size_t n = fixes.officer.size();
    threads = std::clamp(threads, 1, 64);
    std::vector<std::size_t> bounds{0};
    for (int t = 1; t < threads; ++t) {
        std::size_t at = std::max(bounds.back(), n * static_cast<std::size_t>(t) /
                                                     static_cast<std::size_t>(threads));
        while (at > 0 && at < n && fixes.officer[at] == fixes.officer[at - 1])
            ++at;
        bounds.push_back(at);
    }
    bounds.push_back(n);
    std::vector<Tally> tallies(bounds.size() - 1);
    for (auto& t : tallies)
        t.grids.resize(m.grids.size());
    {
        std::vector<std::jthread> workers;
        for (std::size_t t = 1; t < tallies.size(); ++t)
            workers.emplace_back([&, t] {
                m.run_range(fixes, bounds[t], bounds[t + 1], from_ms, to_ms, map, tallies[t]);
            });
        m.run_range(fixes, bounds[0], bounds[1], from_ms, to_ms, map, tallies[0]);
    }
    map.spread(threads);
    Tally& all = tallies[0];
    for (std::size_t t = 1; t < tallies.size(); ++t)
        all.merge(tallies[t]);
    // The area shares, a thread per stripe of grids.
    {
        const std::size_t g = m.grids.size();
        std::vector<std::jthread> workers;
        const auto measure = [&](std::size_t from, std::size_t to) {
            for (std::size_t i = from; i < to; ++i) {
                const auto share = map.measure(m.grids[i]);
                all.grids[i].cells = share.cells;
                all.grids[i].covered_cells = share.covered;
            }
        };
        const auto parts = static_cast<std::size_t>(threads);
        for (std::size_t t = 1; t < parts; ++t)
            workers.emplace_back(measure, g * t / parts, g * (t + 1) / parts);
        measure(0, g / parts);
    }
    for (std::size_t i = 0; i < m.households.size(); ++i) {
        const std::uint32_t g = m.household_grid[i];
        if (g == no_grid)
            continue;
        all.grids[g].households += m.households[i].households;
        if (map.covered(m.households[i].position))
            all.grids[g].households_covered += m.households[i].households;
    }
    return std::move(all.grids);
}

} // namespace tessera::data

namespace tessera::data {
namespace {

std::int64_t unix_ms(Time t) {
    return t.time_since_epoch().count();
}

// The officers' fixes of `tracks` in columns, officers numbered by their place in `people`.
struct TrackColumns {
    std::vector<std::int64_t> people; // person id per officer number
    std::vector<std::uint32_t> officer;
    std::vector<std::int64_t> time_ms;
    std::vector<geo::LonLat> position;

    explicit TrackColumns(std::vector<PatrolTrack> tracks) {
        std::ranges::sort(tracks, [](const PatrolTrack& a, const PatrolTrack& b) {
            return std::tie(a.person_id, a.path.times.front()) <
                   std::tie(b.person_id, b.path.times.front());
        });
        for (const auto& t : tracks) {
            if (people.empty() || people.back() != t.person_id)
                people.push_back(t.person_id);
            const auto number = static_cast<std::uint32_t>(people.size() - 1);
            for (std::size_t i = 0; i < t.path.points.size(); ++i) {
                // Overlapping tracks of one officer: keep the times in order.
                if (!officer.empty() && officer.back() == number &&
                    unix_ms(t.path.times[i]) < time_ms.back())
                    continue;
                officer.push_back(number);
                time_ms.push_back(unix_ms(t.path.times[i]));
                position.push_back(t.path.points[i]);
            }
        }
    }

    FixColumns columns() const { return {officer, time_ms, position}; }
};

} // namespace

std::optional<Time> parse_window_time(std::string_view text, bool end) {
    const bool day_only = text.size() == 10;
    auto t = parse_time(day_only ? std::string(text) + "T00:00:00+08:00" : std::string(text));
    if (t && day_only && end)
        *t += std::chrono::days(1);
    return t;
}

AuditedLayer audited_grids(Store& store, const std::string& layer,
                           const std::function<bool(const Feature&)>& include, double margin_m) {
    if (!store.find_layer(layer))
        throw Error(ErrorCode::not_found, "audit: no layer named '" + layer + "'");
    FeatureQuery all;
    all.limit = std::numeric_limits<std::size_t>::max();
    auto features = store.features(layer, all).features;
    AuditedLayer out;
    if (include) {
        std::erase_if(features, [&](const Feature& f) { return !include(f); });
        out.around.emplace();
        for (const auto& f : features)
            out.around->extend(geo::bbox_of(f.geometry));
        if (!out.around->empty())
            out.around = geo::grown_by_m(*out.around, margin_m);
    }
    std::ranges::sort(features, {}, &Feature::code);
    for (auto& f : features) {
        AuditedGrid g;
        g.code = std::move(f.code);
        g.name = std::move(f.name);
        g.type = text_property(f.properties, "type").value_or("");
        g.parent_code = std::move(f.parent_code);
        if (geo::dimension_of(geo::type_of(f.geometry)) == geo::Dimension::polygonal)
            g.shape = geo::as_multi_polygon(f.geometry);
        out.grids.push_back(std::move(g));
    }
    return out;
}

AuditReport audit_patrols(Store& store, const AuditQuery& query) {
    if (query.from >= query.to)
        throw Error(ErrorCode::invalid_argument, "audit: the window must end after it starts");
    AuditedLayer layer = audited_grids(store, query.layer, query.include, query.rules.reach_m);
    const std::optional<geo::BBox>& around = layer.around;

    AuditReport report;
    report.layer = query.layer;
    report.from = query.from;
    report.to = query.to;
    report.rules = query.rules;
    std::vector<geo::MultiPolygon> shapes;
    std::set<int> periods;
    for (auto& grid : layer.grids) {
        GridAudit g;
        shapes.push_back(std::move(grid.shape));
        static_cast<AuditedGrid&>(g) = std::move(grid);
        g.stale_days = query.rules.stale_days_for(g.type);
        periods.insert(g.stale_days);
        report.grids.push_back(std::move(g));
    }
    if (around && around->empty())
        return report; // the caller sees none of the layer's grids
    std::vector<HouseholdPoint> households;
    for (const auto& b : store.buildings(around))
        households.push_back({b.position, b.households});
    const PatrolAudit audit(shapes, households, query.rules);

    // The fixes of the window and of every stale period, which end where the window ends.
    Time earliest = query.from;
    if (!periods.empty())
        earliest = std::min(earliest, query.to - std::chrono::days(*periods.rbegin()));
    PathQuery tracks_query;
    tracks_query.ended_after = earliest;
    tracks_query.started_before = query.to;
    tracks_query.bbox = around;
    auto tracks = store.patrol_tracks(tracks_query);
    std::erase_if(tracks, [&](const PatrolTrack& t) { return t.path.times.front() >= query.to; });
    report.tracks = static_cast<std::int64_t>(tracks.size());
    const TrackColumns fixes(std::move(tracks));
    report.fixes = static_cast<std::int64_t>(fixes.officer.size());

    const std::int64_t to_ms = unix_ms(query.to);
    const auto window = audit.run(fixes.columns(), unix_ms(query.from), to_ms, query.threads);
    std::map<int, std::vector<GridPatrol>> stale_periods;
    for (int days : periods) {
        const std::int64_t since_ms = unix_ms(query.to - std::chrono::days(days));
        stale_periods[days] = since_ms == unix_ms(query.from)
                                  ? window
                                  : audit.run(fixes.columns(), since_ms, to_ms, query.threads);
    }

    std::unordered_map<std::int64_t, Person> person_by_id;
    std::unordered_map<std::string, std::vector<Person>> responsible;
    for (auto& p : store.people()) {
        for (const auto& code : p.grid_codes)
            responsible[code].push_back(p);
        person_by_id.emplace(p.id, std::move(p));
    }
    for (std::size_t i = 0; i < report.grids.size(); ++i) {
        GridAudit& g = report.grids[i];
        g.patrol = window[i];
        if (g.patrol.last_officer != no_officer) {
            auto it = person_by_id.find(fixes.people[g.patrol.last_officer]);
            if (it != person_by_id.end())
                g.last_officer = it->second;
        }
        const GridPatrol& recent = stale_periods.at(g.stale_days)[i];
        g.stale = !(recent.visited && recent.coverage_share() >= query.rules.full_share);
        if (auto it = responsible.find(g.code); it != responsible.end())
            g.responsible = it->second;
        g.shape = std::move(shapes[i]);
    }
    return report;
}

} // namespace tessera::data

namespace tessera::data {

std::string audit_csv(const AuditReport& report) {
    std::string out = "code,name,type,visited,visits,distance_m,coverage_share,area_share,"
                      "household_share,households,last_visit,officer,officer_name,responsible,"
                      "stale,stale_days\n";
    char number[64];
    const auto share = [&](double v) {
        std::snprintf(number, sizeof number, "%.3f", v);
        return std::string(number);
    };
    for (const auto& g : report.grids) {
        const GridPatrol& p = g.patrol;
        std::string responsible;
        for (const auto& person : g.responsible)
            responsible += (responsible.empty() ? "" : " ") + person.code;
        std::snprintf(number, sizeof number, "%.1f", p.distance_m);
        const std::string distance = number;
        const std::vector<std::string> fields{
            g.code,
            g.name,
            g.type,
            p.visited ? "true" : "false",
            std::to_string(p.visits),
            distance,
            share(p.coverage_share()),
            share(p.area_share()),
            p.households > 0 ? share(p.household_share()) : "",
            std::to_string(p.households),
            p.last_visit_ms ? format_time(Time(std::chrono::milliseconds(*p.last_visit_ms))) : "",
            g.last_officer ? g.last_officer->code : "",
            g.last_officer ? g.last_officer->name : "",
            responsible,
            g.stale ? "true" : "false",
            std::to_string(g.stale_days)};
        append_csv_row(out, fields);
    }
    return out;
}

} // namespace tessera::data
