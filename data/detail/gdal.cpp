#include "data/detail/gdal.hpp"

#include <cpl_error.h>
#include <mutex>

namespace tessera::data::detail {
namespace {
thread_local std::string t_last_error;

void CPL_STDCALL capture_handler(CPLErr level, CPLErrorNum, const char* msg) {
    if (level >= CE_Failure && msg)
        t_last_error = msg;
}
} // namespace

void gdal_register_once() {
    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
}

GdalErrorCapture::GdalErrorCapture() {
    t_last_error.clear();
    CPLPushErrorHandler(capture_handler);
}

GdalErrorCapture::~GdalErrorCapture() {
    CPLPopErrorHandler();
}

std::string GdalErrorCapture::last() const {
    return t_last_error.empty() ? std::string("unknown GDAL error") : t_last_error;
}

} // namespace tessera::data::detail
