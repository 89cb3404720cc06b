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
    // Their latest positions (a track's end or a lone fix an app sent) in the box, lately.
    PositionQuery near;
    near.bbox = box_around(where, radius_m);
    near.since = since;
    std::map<std::int64_t, NearbyOfficer> found;
    for (const auto& p : store.latest_positions(near)) {
        const double d = geo::distance_m(where, p.position);
        if (d > radius_m || !may_see_at(assigner, who, Resource::person, p.position))
            continue;
        found[p.person_id] = {Person{}, p.position, p.at, d};
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
