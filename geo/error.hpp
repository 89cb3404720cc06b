// The one exception tree of Tessera. Every failure that ends a request or a command is a
// tessera::Error carrying a stable code; the server maps codes to HTTP statuses (docs/http.md)
// and the CLI prints "tessera: <message>". Expected outcomes (a point outside every grid, an
// invalid polygon during validation) are return values, not exceptions.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace tessera {

enum class ErrorCode {
    invalid_argument, // malformed input: bad number, missing field, bad option
    invalid_geometry, // a geometry that is not valid (self-intersection, NaN, out of range, ...)
    unknown_crs,      // a CRS that PROJ or Tessera does not know
    not_found,        // a named layer, feature or user does not exist
    conflict,         // creating something that exists, or a state that forbids the change
    unauthorized,     // no or expired credentials
    forbidden,        // credentials valid, jurisdiction does not allow it
    payload_too_large,
    io_error,    // a file cannot be read or written
    store_error, // the database failed
    internal,
};

// "invalid_argument", "invalid_geometry", ... (the wire form of the code).
std::string_view to_string(ErrorCode code);

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& message)
        : std::runtime_error(message)
        , m_code(code) {}
    ErrorCode code() const noexcept { return m_code; }

private:
    ErrorCode m_code;
};

} // namespace tessera
