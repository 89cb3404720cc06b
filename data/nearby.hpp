// What is around a place on the ground, for dispatch (docs/events.md, "Around an event"): the
// officers whose latest known position is near it and the cameras whose view cones cover it,
// each limited to what the caller may see.
#pragma once

#include "data/assignment.hpp"
#include "data/policy.hpp"
#include "data/store.hpp"

#include <cstddef>
#include <vector>

namespace tessera::data {

// How far a camera is taken to see at most. Street cameras see 20 to 300 m; the map draws cones
// to this range, and a look-up for the cameras seeing a place searches this far.
constexpr double max_camera_range_m = 1000;

// Where a thing standing at `position` belongs for the jurisdiction rules: the grid and the
// areas above that the assignment engine locates there.
Scope scope_at(Assigner& assigner, geo::LonLat position);
// Whether `who` may view a `resource` standing at `position` (there: scope_at).
bool may_see_at(Assigner& assigner, const Principal& who, Resource resource, geo::LonLat position);

struct NearbyOfficer {
    Person person;
    geo::LonLat position; // their latest position (Store::latest_positions)
    Time at{};            // when they were there
    double distance_m = 0;
};

// The officers whose latest position (Store::latest_positions) is within `radius_m` of `where`,
// fixed at or after `since`, and who `who` may see there (Resource::person at that position),
// nearest first, at most `limit`.
std::vector<NearbyOfficer> officers_near(Store& store, Assigner& assigner, const Principal& who,
                                         geo::LonLat where, double radius_m, Time since,
                                         std::size_t limit);

struct NearbyCamera {
    Camera camera;
    double distance_m = 0;
};

// The cameras whose view cone (range capped at max_camera_range_m) covers `where` exactly
// (geo::in_view_cone) and that `who` may see (Resource::camera where the camera stands), nearest
// first.
std::vector<NearbyCamera> cameras_seeing(Store& store, Assigner& assigner, const Principal& who,
                                         geo::LonLat where);

} // namespace tessera::data
