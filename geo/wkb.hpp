// Well-Known Binary (ISO/OGC simple features, 2D) for moving geometry between Tessera's types
// and storage engines (SpatiaLite's GeomFromWKB/AsBinary, PostGIS, GEOS).
#pragma once

#include "geo/geometry.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace tessera::geo {

// Little-endian 2D WKB.
std::string to_wkb(const Geometry& g);

// Reads 2D WKB of either byte order; Z and M ordinates (ISO 1000/2000/3000 or EWKB flags)
// are accepted and dropped. Throws Error(invalid_geometry) on truncated or unknown input.
Geometry from_wkb(std::span<const std::uint8_t> wkb);

} // namespace tessera::geo
