// The request handler: routing, error mapping, metrics. A plain function of the request and the
// services, called by the Beast session for every complete request and directly by tests.
//
// Routing:
// - A path that matches a route pattern but not its method -> 405 with "Allow".
// - /api/... (and /healthz, /metrics) that matches no route -> 404 JSON.
// - Anything else is a static file under Services::web_root (static_files.hpp).
// - GET routes also answer HEAD (same headers, no body).
// Errors: a tessera::Error becomes {"code","message"} with status_for(code); any other exception
// becomes 500 "internal" (details go to stderr, not to the client). 5xx responses never carry
// store or SQL messages.
// Metrics: every call is counted under its route pattern (Metrics::observe).
#pragma once

#include "server/http.hpp"
#include "server/services.hpp"

#include <string_view>

namespace tessera::server {

Response handle(const Request& req, Services& services);

// The metrics label for a path: the matching route pattern ("/api/v1/layers/{name}/features"),
// "static" for a path served from web_root, or "unmatched". Used for requests rejected before
// they reach handle() (e.g. 413 from the session).
std::string_view route_label(std::string_view path);

} // namespace tessera::server
