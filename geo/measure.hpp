// Metric measures of stored (EPSG:4326) geometry on the WGS84 ellipsoid, using PROJ's
// implementation of Karney's geodesic algorithms: exact to nanometres, never "degrees squared".
// Pure and thread-safe.
#pragma once

#include "geo/geometry.hpp"

namespace tessera::geo {

// Geodesic distance between two points, metres.
double distance_m(LonLat a, LonLat b);
// The point `distance_m` metres from `from` along the geodesic leaving it at `azimuth_deg`
// (degrees clockwise from north), e.g. where a camera looks.
LonLat destination(LonLat from, double azimuth_deg, double distance_m);
// A camera's view cone: the geodesic sector from `apex` out to `range_m`, centred on
// `heading_deg` (clockwise from north) and `fov_deg` wide, as a closed counter-clockwise ring
// with a vertex on the arc at least every 5 degrees; a circle of that radius when `fov_deg` is
// 360 or more. REQUIRES: range_m > 0 and fov_deg > 0, all finite.
Polygon view_cone(LonLat apex, double heading_deg, double fov_deg, double range_m);
// Whether `p` lies in the view cone above: within `range_m` of `apex` along the geodesic, and
// leaving the apex at an azimuth within `fov_deg` / 2 of `heading_deg` (any azimuth when
// `fov_deg` is 360 or more). Exact: the arc, not view_cone's chords. The apex itself is in.
bool in_view_cone(LonLat apex, double heading_deg, double fov_deg, double range_m, LonLat p);
// `box` grown by at least `metres` on every side (more in longitude away from the equator),
// clamped to the valid latitudes: a box to query for whatever lies within that distance.
BBox grown_by_m(const BBox& box, double metres);
// Length of a line, metres. For polygons, the perimeter of all rings.
double length_m(const Geometry& g);

// Metres per degree of latitude (along a meridian) and of longitude (along a parallel) at
// latitude `lat_deg` on the WGS84 ellipsoid: the scale of a local plane for short distances.
struct MetresPerDegree {
    double lat = 0;
    double lon = 0;
};
MetresPerDegree metres_per_degree(double lat_deg);
// Area of a polygonal geometry (exterior minus holes), square metres; 0 for points and lines.
double area_m2(const Geometry& g);

} // namespace tessera::geo
