// Plain HTTP request and response values passed between the Beast session (server.cpp) and the
// handlers. Handlers never see a socket or a Beast type: they take a Request and return a
// Response, so they can be called directly in tests.
//
// Also: the one table from tessera::ErrorCode to HTTP status (docs/http.md), the JSON error
// shape {"code": "...", "message": "..."}, and target/query parsing.
#pragma once

#include "geo/error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::server {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
    std::string method = "GET"; // as sent, upper case: "GET", "POST", ...
    std::string target = "/";   // origin-form: "/path?query"
    Headers headers;
    std::string body;
    bool keep_alive = true;

    // The first header with this name (case-insensitive), or nullopt.
    std::optional<std::string_view> header(std::string_view name) const;
};

struct Response {
    int status = 200;
    Headers headers;
    std::string body;
    // When true, the body is not sent but Content-Length still states its size (HEAD).
    bool head_only = false;
    bool keep_alive = true;

    std::optional<std::string_view> header(std::string_view name) const;
    // Replaces an existing header of that name (case-insensitive) or appends one.
    void set_header(std::string name, std::string value);
};

// The HTTP status for an error code (the table in docs/http.md):
// invalid_argument, invalid_geometry, unknown_crs -> 400; unauthorized -> 401; forbidden -> 403;
// not_found -> 404; conflict -> 409; payload_too_large -> 413; everything else -> 500.
int status_for(ErrorCode code);

// A JSON response with Content-Type application/json. `body` must be valid JSON text.
Response json_response(int status, std::string body);
// {"code": code, "message": message} with the given status. 401 responses carry
// "WWW-Authenticate: Bearer".
Response error_response(int status, std::string_view code, std::string_view message);
// The error response for a tessera::Error, through status_for.
Response error_response(const Error& e);

// ---- conditional requests and content codings ----

// True when an If-None-Match list contains `etag` or "*" (weak comparison, RFC 9110 13.1.2).
bool etag_matches(std::string_view if_none_match, std::string_view etag);
// Whether the request's Accept-Encoding takes gzip: a "gzip" or "*" coding without q=0.
bool accepts_gzip(const Request& req);

// ---- targets ----

// Decodes %XX escapes. With `plus_is_space` (query strings), '+' becomes ' '.
// Returns nullopt for a malformed escape ("%4", "%zz").
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);
// Encodes everything but unreserved characters (RFC 3986 section 2.3) and, if `keep`, those in it.
std::string percent_encode(std::string_view s, std::string_view keep = {});

struct Target {
    std::string path; // raw (still percent-encoded), always starts with '/'
    std::vector<std::pair<std::string, std::string>> query; // decoded, in order
};
// Splits "/path?a=1&b=2". Throws Error(invalid_argument) for a target that is not origin-form
// (does not start with '/') or a query with a malformed escape.
Target parse_target(std::string_view target);

// The value of the first query parameter `name`, or nullopt.
std::optional<std::string_view> query_param(const Target& t, std::string_view name);

} // namespace tessera::server
