// Internal to data/: owner types for GDAL/OGR handles. GDAL errors are collected by a scoped
// handler and thrown by the caller with context.
#pragma once

#include <gdal.h>
#include <memory>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <string>

namespace tessera::data::detail {

void gdal_register_once();

struct DatasetDeleter {
    void operator()(GDALDatasetH h) const { GDALClose(h); }
};
using DatasetPtr = std::unique_ptr<std::remove_pointer_t<GDALDatasetH>, DatasetDeleter>;

struct FeatureDeleter {
    void operator()(OGRFeatureH h) const { OGR_F_Destroy(h); }
};
using FeaturePtr = std::unique_ptr<std::remove_pointer_t<OGRFeatureH>, FeatureDeleter>;

struct GeometryDeleter {
    void operator()(OGRGeometryH h) const { OGR_G_DestroyGeometry(h); }
};
using OgrGeometryPtr = std::unique_ptr<std::remove_pointer_t<OGRGeometryH>, GeometryDeleter>;

struct SrsDeleter {
    void operator()(OGRSpatialReferenceH h) const { OSRRelease(h); }
};
using SrsPtr = std::unique_ptr<std::remove_pointer_t<OGRSpatialReferenceH>, SrsDeleter>;

struct FieldDefnDeleter {
    void operator()(OGRFieldDefnH h) const { OGR_Fld_Destroy(h); }
};
using FieldDefnPtr = std::unique_ptr<std::remove_pointer_t<OGRFieldDefnH>, FieldDefnDeleter>;

// While alive, GDAL's messages go to this object instead of stderr; last() is the latest error.
class GdalErrorCapture {
public:
    GdalErrorCapture();
    ~GdalErrorCapture();
    GdalErrorCapture(const GdalErrorCapture&) = delete;
    GdalErrorCapture& operator=(const GdalErrorCapture&) = delete;
    std::string last() const;
};

} // namespace tessera::data::detail
