#include "geo/error.hpp"

namespace tessera {

std::string_view to_string(ErrorCode code) {
    switch (code) {
    case ErrorCode::invalid_argument:
        return "invalid_argument";
    case ErrorCode::invalid_geometry:
        return "invalid_geometry";
    case ErrorCode::unknown_crs:
        return "unknown_crs";
    case ErrorCode::not_found:
        return "not_found";
    case ErrorCode::conflict:
        return "conflict";
    case ErrorCode::unauthorized:
        return "unauthorized";
    case ErrorCode::forbidden:
        return "forbidden";
    case ErrorCode::payload_too_large:
        return "payload_too_large";
    case ErrorCode::io_error:
        return "io_error";
    case ErrorCode::store_error:
        return "store_error";
    case ErrorCode::internal:
        return "internal";
    }
    return "internal";
}

} // namespace tessera
