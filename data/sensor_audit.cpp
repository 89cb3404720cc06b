#include "data/sensor_audit.hpp"

#include "data/nearby.hpp"
#include "data/point_csv.hpp"
#include "geo/error.hpp"
#include "geo/footprint.hpp"
#include "geo/locate_index.hpp"
#include "geo/measure.hpp"
#include "geo/ops.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <thread>

namespace tessera::data {
namespace {

// Calls f(i) for every i < n, spread over `threads` threads taking indices in turn. Each thread
// keeps its own GEOS context (geo/detail/geos.hpp). The first exception is rethrown.
template <class F>
void for_each_index(std::size_t n, int threads, F&& f) {
    const std::size_t workers =
        std::min<std::size_t>(n, static_cast<std::size_t>(std::max(1, threads)));
    if (workers <= 1) {
        for (std::size_t i = 0; i < n; ++i)
            f(i);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::atomic<bool> failed{false};
    {
        std::vector<std::jthread> pool;
        for (std::size_t w = 0; w < workers; ++w)
            pool.emplace_back([&] {
                try {
                    for (std::size_t i = next++; i < n && !failed; i = next++)
                        f(i);
                } catch (...) {
                    if (!failed.exchange(true))
                        failure = std::current_exception();
                }
            });
    }
    if (failure)
        std::rethrow_exception(failure);
}

// The views (cones, footprints) whose boxes meet each grid's box: candidates for the overlay.
// Grids: any of the audits' per-grid records (AuditedGrid and those built on it).
template <class Grid>
std::vector<std::vector<std::size_t>> views_meeting(const std::vector<Grid>& grids,
                                                    std::span<const geo::BBox> views) {
    std::vector<std::vector<std::size_t>> out(grids.size());
    // Views sorted by west edge; a grid looks at those starting west of its east edge.
    std::vector<std::size_t> order(views.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::ranges::sort(order, {}, [&](std::size_t i) { return views[i].min_x; });
    double widest = 0;
    for (const auto& v : views)
        widest = std::max(widest, v.max_x - v.min_x);
    for (std::size_t g = 0; g < grids.size(); ++g) {
        const geo::BBox box = geo::bbox_of(grids[g].shape);
        if (box.empty())
            continue;
        auto first = std::ranges::lower_bound(order, box.min_x - widest, {},
                                              [&](std::size_t i) { return views[i].min_x; });
        for (auto it = first; it != order.end() && views[*it].min_x <= box.max_x; ++it)
            if (views[*it].intersects(box))
                out[g].push_back(*it);
        std::ranges::sort(out[g]);
    }
    return out;
}

template <class Grid>
std::vector<geo::MultiPolygon> shapes_of(const std::vector<Grid>& grids) {
    std::vector<geo::MultiPolygon> out;
    out.reserve(grids.size());
    for (const auto& g : grids)
        out.push_back(g.shape);
    return out;
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

} // namespace

// ---- cameras ----

CameraReport audit_cameras(Store& store, const CameraAuditQuery& query) {
    AuditedLayer layer = audited_grids(store, query.layer, query.include, max_camera_range_m);
    CameraReport report;
    report.layer = query.layer;
    for (auto& g : layer.grids) {
        GridCameras c;
        static_cast<AuditedGrid&>(c) = std::move(g);
        report.grids.push_back(std::move(c));
    }
    if (layer.around && layer.around->empty())
        return report;
    const geo::LocateIndex index(shapes_of(report.grids));

    const std::vector<Camera> cameras = store.cameras(layer.around);
    std::vector<const Camera*> online;
    std::vector<geo::MultiPolygon> cones;
    std::vector<geo::BBox> boxes;
    for (const auto& cam : cameras) {
        const std::uint32_t at = index.locate(cam.position);
        if (at != geo::LocateIndex::none) {
            (cam.online ? report.grids[at].online : report.grids[at].offline) += 1;
            (cam.online ? report.online : report.offline) += 1;
        }
        if (!cam.online)
            continue;
        online.push_back(&cam);
        cones.push_back(
            geo::as_multi_polygon(geo::view_cone(cam.position, cam.heading_deg, cam.fov_deg,
                                                 std::min(cam.range_m, max_camera_range_m))));
        boxes.push_back(geo::bbox_of(cones.back()));
    }
    const auto meeting = views_meeting(report.grids, boxes);

    // Households: each building with households, located, seen when inside a cone reaching its
    // grid (exactly, by geo::in_view_cone).
    std::vector<std::vector<std::pair<geo::LonLat, std::int64_t>>> homes(report.grids.size());
    for (const auto& b : store.buildings(layer.around)) {
        const std::uint32_t at =
            b.households > 0 ? index.locate(b.position) : geo::LocateIndex::none;
        if (at != geo::LocateIndex::none)
            homes[at].emplace_back(b.position, b.households);
    }

    for_each_index(report.grids.size(), query.threads, [&](std::size_t i) {
        GridCameras& g = report.grids[i];
        std::vector<geo::MultiPolygon> views;
        for (std::size_t v : meeting[i])
            views.push_back(cones[v]);
        if (g.shape.polygons.empty())
            return;
        geo::Covered c = geo::covered_by(g.shape, views, query.min_piece_m2);
        g.area_m2 = c.area_m2;
        g.covered_m2 = c.covered_m2;
        g.blind_spots = std::move(c.uncovered);
        const geo::PreparedArea grid(geo::Geometry{g.shape});
        g.cones = static_cast<std::int64_t>(std::ranges::count_if(
            meeting[i], [&](std::size_t v) { return grid.intersects(geo::Geometry{cones[v]}); }));
        for (const auto& [position, households] : homes[i]) {
            g.households += households;
            const bool seen = std::ranges::any_of(meeting[i], [&](std::size_t v) {
                const Camera& cam = *online[v];
                return geo::in_view_cone(cam.position, cam.heading_deg, cam.fov_deg,
                                         std::min(cam.range_m, max_camera_range_m), position);
            });
            if (!seen) {
                g.households_unseen += households;
                ++g.buildings_unseen;
            }
        }
    });
    return report;
}

std::string camera_audit_csv(const CameraReport& report) {
    std::string out = "code,name,type,covered_share,covered_m2,area_m2,blind_spots,blind_spot_m2,"
                      "cameras_online,cameras_offline,cones,households,households_unseen,"
                      "buildings_unseen\n";
    for (const auto& g : report.grids)
        append_csv_row(out, std::vector<std::string>{
                                g.code, g.name, g.type, fixed(g.covered_share(), 3),
                                fixed(g.covered_m2, 1), fixed(g.area_m2, 1),
                                std::to_string(g.blind_spots.polygons.size()),
                                fixed(geo::area_m2(g.blind_spots), 1), std::to_string(g.online),
                                std::to_string(g.offline), std::to_string(g.cones),
                                std::to_string(g.households), std::to_string(g.households_unseen),
                                std::to_string(g.buildings_unseen)});
    return out;
}

// ---- drones ----

DroneReport audit_drones(Store& store, const DroneAuditQuery& query) {
    if (query.from >= query.to)
        throw Error(ErrorCode::invalid_argument, "audit: the window must end after it starts");
    AuditedLayer layer = audited_grids(store, query.layer, query.include, max_swath_m / 2);
    DroneReport report;
    report.layer = query.layer;
    report.from = query.from;
    report.to = query.to;
    for (auto& g : layer.grids) {
        GridFlights f;
        static_cast<AuditedGrid&>(f) = std::move(g);
        report.grids.push_back(std::move(f));
    }
    if (layer.around && layer.around->empty())
        return report;

    PathQuery flights_query;
    flights_query.ended_after = query.from;
    flights_query.started_before = query.to;
    flights_query.bbox = layer.around;
    std::vector<DroneFlight> flights = store.drone_flights(flights_query);
    std::erase_if(flights, [&](const DroneFlight& f) {
        return f.path.times.empty() || f.path.times.front() >= query.to;
    });
    report.flights.resize(flights.size());
    for_each_index(flights.size(), query.threads,
                   [&](std::size_t i) { report.flights[i] = footprint_of(flights[i]); });
    std::ranges::sort(report.flights, {},
                      [](const FlightFootprint& f) { return std::pair(f.started, f.code); });
    std::vector<geo::BBox> boxes;
    std::vector<geo::MultiPolygon> footprints;
    for (const auto& f : report.flights) {
        boxes.push_back(geo::bbox_of(f.footprint));
        footprints.push_back(f.footprint);
    }
    const auto meeting = views_meeting(report.grids, boxes);
    for_each_index(report.grids.size(), query.threads, [&](std::size_t i) {
        GridFlights& g = report.grids[i];
        if (g.shape.polygons.empty())
            return;
        const geo::PreparedArea grid(geo::Geometry{g.shape});
        std::vector<geo::MultiPolygon> views;
        for (std::size_t v : meeting[i]) {
            if (!grid.intersects(geo::Geometry{footprints[v]}))
                continue;
            views.push_back(footprints[v]);
            g.flights.push_back(report.flights[v].code);
            g.last_flown = std::max(g.last_flown.value_or(Time{}), report.flights[v].ended);
        }
        geo::Covered c = geo::covered_by(g.shape, views, query.min_piece_m2);
        g.area_m2 = c.area_m2;
        g.covered_m2 = c.covered_m2;
        g.unflown = std::move(c.uncovered);
    });
    // Flights that reach none of the audited grids are not the caller's to see.
    if (layer.around) {
        std::set<std::string, std::less<>> reaching;
        for (const auto& g : report.grids)
            reaching.insert(g.flights.begin(), g.flights.end());
        std::erase_if(report.flights,
                      [&](const FlightFootprint& f) { return !reaching.contains(f.code); });
        footprints.clear();
        for (const auto& f : report.flights)
            footprints.push_back(f.footprint);
    }

    if (query.plan) {
        geo::Covered c = geo::covered_by(*query.plan, footprints, query.min_piece_m2);
        report.plan = PlanCoverage{c.area_m2, c.covered_m2, std::move(c.uncovered)};
    }

    report.reinspected = find_reinspections(store, report.flights, query.events_visible_to);
    return report;
}

std::vector<Reinspection>
find_reinspections(Store& store, std::span<const FlightFootprint> flights,
                   const std::optional<EventQuery::Visibility>& visible_to) {
    // Closed events under a footprint, closed before that flight started.
    std::map<std::int64_t, Reinspection> found;
    for (const auto& f : flights) {
        EventQuery q;
        q.status = EventStatus::closed;
        q.bbox = geo::bbox_of(f.footprint);
        q.visible_to = visible_to;
        q.limit = std::numeric_limits<std::size_t>::max();
        q.count_total = false;
        if (q.bbox->empty())
            continue;
        const geo::PreparedArea seen(geo::Geometry{f.footprint});
        for (const auto& e : store.events(q).events) {
            if (!e.closed_at || *e.closed_at >= f.started || !seen.covers(e.position))
                continue;
            Reinspection& r = found[e.id];
            if (r.event_id != 0 && r.flown_at >= f.started)
                continue;
            r = {e.id, e.category, e.grid_code, e.position, *e.closed_at, f.code, f.started, false};
        }
    }
    std::vector<Reinspection> out;
    for (auto& [id, r] : found) {
        for (const auto& entry : store.timeline(id))
            if (entry.action == EventAction::reinspect && entry.target == r.flight_code)
                r.marked = true;
        out.push_back(std::move(r));
    }
    return out;
}

FlightFootprint footprint_of(const DroneFlight& f) {
    FlightFootprint out;
    out.code = f.code;
    out.purpose = f.purpose;
    if (!f.path.times.empty()) {
        out.started = f.path.times.front();
        out.ended = f.path.times.back();
    }
    out.swath_m = f.swath_m;
    out.length_m = geo::length_m(geo::Geometry{geo::LineString{f.path.points}});
    out.footprint = geo::swath(f.path.points, f.swath_m);
    out.footprint_m2 = geo::area_m2(out.footprint);
    return out;
}

std::string drone_audit_csv(const DroneReport& report) {
    std::string out = "code,name,type,covered_share,covered_m2,area_m2,unflown_pieces,unflown_m2,"
                      "flights,last_flown\n";
    for (const auto& g : report.grids) {
        std::string flights;
        for (const auto& code : g.flights)
            flights += (flights.empty() ? "" : " ") + code;
        append_csv_row(out,
                       std::vector<std::string>{g.code, g.name, g.type, fixed(g.covered_share(), 3),
                                                fixed(g.covered_m2, 1), fixed(g.area_m2, 1),
                                                std::to_string(g.unflown.polygons.size()),
                                                fixed(geo::area_m2(g.unflown), 1), flights,
                                                g.last_flown ? format_time(*g.last_flown) : ""});
    }
    return out;
}

std::optional<Feature> area_feature(Store& store, std::string_view code) {
    FeatureQuery q;
    q.code = std::string(code);
    q.limit = 1;
    for (const auto& layer : store.layers())
        for (auto& f : store.features(layer.name, q).features)
            if (geo::dimension_of(geo::type_of(f.geometry)) == geo::Dimension::polygonal)
                return std::move(f);
    return std::nullopt;
}

std::size_t mark_reinspections(Store& store, std::vector<Reinspection>& found,
                               const std::string& actor, Time now) {
    std::size_t marked = 0;
    for (auto& r : found) {
        if (r.marked)
            continue;
        auto e = store.event(r.event_id);
        if (!e || e->status != EventStatus::closed)
            continue;
        TimelineEntry entry;
        entry.event_id = e->id;
        entry.at = now;
        entry.actor = actor;
        entry.action = EventAction::reinspect;
        entry.from = e->status;
        entry.to = e->status;
        entry.note = "seen again by drone flight " + r.flight_code + " on " +
                     format_time(r.flown_at) + ", after it was closed";
        entry.target = r.flight_code;
        Event updated = *e;
        updated.updated_at = now;
        store.update_event(updated, e->status, entry);
        r.marked = true;
        ++marked;
    }
    return marked;
}

} // namespace tessera::data
