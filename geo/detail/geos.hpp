// Internal to geo/: owner types for GEOS handles and conversions to and from geo types.
// GEOS is used only through the reentrant C API with one context per thread; GEOS error
// messages are stored by the handler and the caller throws them.
#pragma once

#define GEOS_USE_ONLY_R_API
#include "geo/geometry.hpp"

#include <geos_c.h>
#include <memory>
#include <string>

namespace tessera::geo::detail {

// The calling thread's GEOS context (created on first use, destroyed at thread exit).
GEOSContextHandle_t geos_context();
// The last error or notice message GEOS reported on this thread ("" if none).
const std::string& geos_last_error();

struct GeomDeleter {
    void operator()(GEOSGeometry* g) const { GEOSGeom_destroy_r(geos_context(), g); }
};
using GeomPtr = std::unique_ptr<GEOSGeometry, GeomDeleter>;

struct PreparedDeleter {
    void operator()(const GEOSPreparedGeometry* g) const {
        GEOSPreparedGeom_destroy_r(geos_context(), g);
    }
};
using PreparedPtr = std::unique_ptr<const GEOSPreparedGeometry, PreparedDeleter>;

// Takes ownership of a GEOS result; throws Error(internal) with GEOS's message on NULL.
GeomPtr own(GEOSGeometry* g, const char* what);

GeomPtr to_geos(const Geometry& g);
GeomPtr to_geos(const Polygon& p);
GeomPtr to_geos_point(LonLat p);
// Converts Point/LineString/Polygon/Multi*; a GeometryCollection's polygonal parts are
// gathered into a MultiPolygon. Throws Error(internal) on other types.
Geometry from_geos(const GEOSGeometry* g);

} // namespace tessera::geo::detail
