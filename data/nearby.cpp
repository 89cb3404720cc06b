#include "data/nearby.hpp"

#include "geo/measure.hpp"

#include <algorithm>
#include <map>

namespace tessera::data {
namespace {

geo::BBox box_around(geo::LonLat where, double radius_m) {
    geo::BBox box;
    box.extend(where);
    return geo::grown_by_m(box, radius_m);
}

} // namespace

bool may_see_at(Assigner& assigner, const Principal& who, Resource resource, geo::LonLat position) {
    return may(&who, Action::view, resource, scope_at(assigner, position));
}

Scope scope_at(Assigner& assigner, geo::LonLat position) {
    LocateQuery q;
    q.position = position;
    q.with_owners = false;
    Assignment a = assigner.locate(q);
    Scope scope;
    for (const auto* area : {&a.community, &a.township, &a.county})
        if (*area)
            scope.areas.push_back((*area)->code);
    if (a.city_code)
        scope.areas.push_back(*a.city_code);
    if (a.grid)
        scope.grid = a.grid->code;
    return scope;
}

std::vector<NearbyOfficer> officers_near(Store& store, Assigner& assigner, const Principal& who,
                                         geo::LonLat where, double radius_m, Time since,
                                         std::size_t limit) {
    // Whoever walked near lately: the people with a track crossing the box since then. Their
    // latest position is the end of their latest track, which may lie elsewhere.
    PathQuery near;
    near.bbox = box_around(where, radius_m);
    near.ended_after = since;
    std::vector<std::int64_t> ids;
    for (const auto& t : store.patrol_tracks(near))
        ids.push_back(t.person_id);
    std::ranges::sort(ids);
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());

    std::map<std::int64_t, NearbyOfficer> found;
    for (std::int64_t id : ids) {
        PathQuery latest;
        latest.person_id = id;
        latest.limit = 1;
        auto tracks = store.patrol_tracks(latest);
        if (tracks.empty())
            continue;
        const TimedPath& path = tracks.front().path;
        if (path.times.back() < since)
            continue;
        const double d = geo::distance_m(where, path.points.back());
        if (d > radius_m || !may_see_at(assigner, who, Resource::person, path.points.back()))
            continue;
        found[id] = {Person{}, path.points.back(), path.times.back(), d};
    }
    std::vector<std::int64_t> kept;
    for (const auto& [id, officer] : found)
        kept.push_back(id);
    std::vector<NearbyOfficer> out;
    for (auto& p : store.people_with_ids(kept)) {
        NearbyOfficer o = found.at(p.id);
        o.person = std::move(p);
        out.push_back(std::move(o));
    }
    std::ranges::sort(out, {}, &NearbyOfficer::distance_m);
    if (out.size() > limit)
        out.resize(limit);
    return out;
}

std::vector<NearbyCamera> cameras_seeing(Store& store, Assigner& assigner, const Principal& who,
                                         geo::LonLat where) {
    std::vector<NearbyCamera> out;
    for (auto& c : store.cameras(box_around(where, max_camera_range_m))) {
        const double range = std::min(c.range_m, max_camera_range_m);
        if (!geo::in_view_cone(c.position, c.heading_deg, c.fov_deg, range, where) ||
            !may_see_at(assigner, who, Resource::camera, c.position))
            continue;
        const double d = geo::distance_m(c.position, where);
        out.push_back({std::move(c), d});
    }
    std::ranges::sort(out, {}, &NearbyCamera::distance_m);
    return out;
}

} // namespace tessera::data
