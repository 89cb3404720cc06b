// GCJ-02 ("Mars coordinates", mandated for consumer maps in China: AMap, Tencent, WeChat
// mini-programs) and BD-09 (Baidu's further offset of GCJ-02). Both are deterministic,
// non-linear offsets of WGS84 lon/lat by a few hundred metres.
//
// Contracts:
// - GCJ-02 is the identity outside mainland China's bounding box (lon 72.004..137.8347,
//   lat 0.8293..55.8271), as every public implementation does.
// - gcj02_to_wgs84 is the exact inverse: it iterates until wgs84_to_gcj02 reproduces the input
//   within 1e-12 degrees (sub-millimetre), not the common one-step approximation (~1 m off).
// - BD-09 is defined on top of GCJ-02 by Baidu's forward formula (applied everywhere, as
//   Baidu does); bd09_to_gcj02 is its exact inverse, refined from the published closed form.
// All functions are pure and thread-safe.
#pragma once

#include "geo/geometry.hpp"

namespace tessera::geo {

bool in_china_offset_area(LonLat p);

LonLat wgs84_to_gcj02(LonLat wgs);
LonLat gcj02_to_wgs84(LonLat gcj);
LonLat gcj02_to_bd09(LonLat gcj);
LonLat bd09_to_gcj02(LonLat bd);
LonLat wgs84_to_bd09(LonLat wgs);
LonLat bd09_to_wgs84(LonLat bd);

} // namespace tessera::geo
