// The endpoint handlers behind handle() (router.cpp). Internal: call handle() instead, which adds
// routing, error mapping and metrics. Each handler parses and validates its input, calls the
// facades (Store, Auth, policy) and renders JSON; failures are thrown as tessera::Error.
#pragma once

#include "data/policy.hpp"
#include "geo/crs.hpp"
#include "server/http.hpp"
#include "server/services.hpp"

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tessera::server::detail {

// Decoded path parameters by name, e.g. {"name", "grid"} for /api/v1/layers/{name}/features.
using PathParams = std::vector<std::pair<std::string, std::string>>;

// The bearer token of "Authorization: Bearer <token>"; nullopt without an Authorization header.
// Throws Error(unauthorized) for another scheme or an empty token.
std::optional<std::string> bearer_token(const Request& req);
// The caller: nullopt when anonymous (no Authorization header). Throws Error(unauthorized) for a
// malformed, unknown or expired token, so a client learns that its token went stale.
std::optional<data::Principal> principal_of(const Request& req, Services& services);

// The caller, who must be logged in: Error(unauthorized) otherwise.
data::Principal require_login(const Request& req, Services& services);

using json = nlohmann::ordered_json;
using in_json = nlohmann::json; // request bodies

// ---- reading request bodies ----

// The field `name` of a JSON object, nullptr when absent or null.
const in_json* field(const in_json& body, const char* name);
// A string field, `fallback` when absent; a 400 when it is not a string.
std::string string_field(const in_json& body, const char* name, std::string fallback = {});
std::optional<std::string> optional_string(const in_json& body, const char* name);
// An array of strings, empty when absent; a 400 for anything else.
std::vector<std::string> string_list(const in_json& body, const char* name);
// A 400 naming the first field not in `allowed`.
void reject_unknown_fields(const in_json& body, std::initializer_list<std::string_view> allowed);
// The body as a JSON object; a 400 showing `shape` otherwise.
in_json parse_object(const Request& req, const char* shape);
// The {id} path parameter; a 404 naming `what` ("event", "draft") if it is not an id.
std::int64_t path_id(const PathParams& params, const char* what);

// ---- helpers shared by the handler files ----

// A JSON response (invalid UTF-8 in strings replaced by U+FFFD).
Response json_ok(const json& j, int status = 200);
// A GeoJSON response (application/geo+json), not to be cached.
Response geojson_ok(const json& j, int status = 200);
// A CSV download: a UTF-8 BOM first, so Excel and WPS open the Chinese names correctly.
Response csv_ok(std::string body, const std::string& filename);
// `v` rounded to `decimals` places, as a JSON number.
json rounded(double v, int decimals);
// The person with this staff number; a 404 ("no officer ...") when there is none.
data::Person officer_by_code(Services& services, std::string_view code);
// The value of a path parameter ("" if absent).
std::string_view param(const PathParams& params, std::string_view name);
// Error(invalid_argument, message): a 400.
Error bad_request(const std::string& message);
// Throws a 400 naming the first query parameter not in `allowed`.
void reject_unknown_params(const Target& t, std::initializer_list<std::string_view> allowed);
// "minx,miny,maxx,maxy" in EPSG:4326 degrees; throws a 400 explaining the form.
geo::BBox parse_bbox(std::string_view text);
// The scheme and host the client used ("http://host:8080"), for absolute links; empty (so links
// stay relative) when the Host header is missing or holds anything but a host name and port.
// "https" when X-Forwarded-Proto says so.
std::string request_origin(const Request& req);
// A positive decimal id ("42"), nullopt for anything else.
std::optional<std::int64_t> parse_id(std::string_view text);
// A non-negative integer >= min; throws a 400 naming the parameter.
std::size_t parse_count(std::string_view name, std::string_view text, std::size_t min);

// Caller coordinates in a CRS ("wgs84", "gcj02", an EPSG code) converted to WGS84, each checked:
// a 400 naming the point (`where`, e.g. "element 3") when it cannot be converted or falls
// outside the lon/lat range. Error(unknown_crs) from the constructor.
class BatchPoints {
public:
    explicit BatchPoints(const std::string& crs);
    void add(geo::LonLat p, const std::string& where);
    const std::vector<geo::LonLat>& points() const { return m_points; }

private:
    geo::CrsTransform m_transform;
    std::vector<geo::LonLat> m_points;
};

// The extent of all layers together (empty when none has features): where the events are.
geo::BBox layers_extent(Services& services);

// Where a boundary feature sits, for the policy: its parent area and, for admin layers, itself;
// its own code as the grid for grid layers.
data::Scope boundary_scope(data::LayerKind kind, std::string_view code,
                           const std::optional<std::string>& parent_code);

// DEFAULT and maximum page size of /api/v1/layers/{name}/features.
inline constexpr std::size_t default_feature_limit = 100;
inline constexpr std::size_t max_feature_limit = 10000;

// DEFAULT and maximum page size of /api/v1/events.
inline constexpr std::size_t default_event_limit = 100;
inline constexpr std::size_t max_event_limit = 1000;

// An event as a GeoJSON Feature (GET /api/v1/events/{id} without the timeline), with the actions
// `who` may take now.
json event_json(const data::Event& e, data::EventDesk& desk, const data::Principal* who,
                data::Time now);
// Timeline entries as a JSON array.
json timeline_json(const std::vector<data::TimelineEntry>& entries);

Response get_healthz(const Request& req, Services& services, const PathParams& params);
Response get_metrics(const Request& req, Services& services, const PathParams& params);
Response get_layers(const Request& req, Services& services, const PathParams& params);
Response get_features(const Request& req, Services& services, const PathParams& params);
Response post_login(const Request& req, Services& services, const PathParams& params);
Response get_me(const Request& req, Services& services, const PathParams& params);
Response post_logout(const Request& req, Services& services, const PathParams& params);
Response get_locate(const Request& req, Services& services, const PathParams& params);
Response post_locate(const Request& req, Services& services, const PathParams& params);
// ogcapi.cpp
Response get_ogc_landing(const Request& req, Services& services, const PathParams& params);
Response get_ogc_conformance(const Request& req, Services& services, const PathParams& params);
Response get_ogc_collections(const Request& req, Services& services, const PathParams& params);
Response get_ogc_collection(const Request& req, Services& services, const PathParams& params);
Response get_ogc_items(const Request& req, Services& services, const PathParams& params);
Response get_ogc_item(const Request& req, Services& services, const PathParams& params);
// tiles_api.cpp
Response get_tile(const Request& req, Services& services, const PathParams& params);
Response get_tilejson(const Request& req, Services& services, const PathParams& params);
// events_api.cpp
Response post_event(const Request& req, Services& services, const PathParams& params);
Response get_events(const Request& req, Services& services, const PathParams& params);
Response get_event(const Request& req, Services& services, const PathParams& params);
Response get_event_nearby(const Request& req, Services& services, const PathParams& params);
Response post_event_action(const Request& req, Services& services, const PathParams& params);
Response get_categories(const Request& req, Services& services, const PathParams& params);
// figures_api.cpp
Response get_kpis(const Request& req, Services& services, const PathParams& params);
Response get_digest(const Request& req, Services& services, const PathParams& params);
// GET /api/v1/live without a WebSocket handshake: 426 (server.cpp takes the handshakes).
Response get_live(const Request& req, Services& services, const PathParams& params);
Response get_location_queue(const Request& req, Services& services, const PathParams& params);
Response get_pending_report(const Request& req, Services& services, const PathParams& params);
Response post_pending_locate(const Request& req, Services& services, const PathParams& params);
Response post_pending_discard(const Request& req, Services& services, const PathParams& params);
// coverage_api.cpp
Response get_coverage(const Request& req, Services& services, const PathParams& params);
Response get_camera_coverage(const Request& req, Services& services, const PathParams& params);
Response get_drone_coverage(const Request& req, Services& services, const PathParams& params);
// positions_api.cpp
Response post_positions(const Request& req, Services& services, const PathParams& params);
Response get_positions(const Request& req, Services& services, const PathParams& params);
// redraw_api.cpp
Response post_draft(const Request& req, Services& services, const PathParams& params);
Response get_drafts(const Request& req, Services& services, const PathParams& params);
Response get_draft(const Request& req, Services& services, const PathParams& params);
Response post_draft_operation(const Request& req, Services& services, const PathParams& params);
Response post_draft_validate(const Request& req, Services& services, const PathParams& params);
Response get_draft_impact(const Request& req, Services& services, const PathParams& params);
Response post_draft_commit(const Request& req, Services& services, const PathParams& params);
Response post_draft_discard(const Request& req, Services& services, const PathParams& params);
Response get_feature_history(const Request& req, Services& services, const PathParams& params);
Response get_feature_people(const Request& req, Services& services, const PathParams& params);
Response get_layer_diff(const Request& req, Services& services, const PathParams& params);
// open311.cpp
Response get_open311_document(const Request& req, Services& services, const PathParams& params);
Response post_open311_request(const Request& req, Services& services, const PathParams& params);
Response get_open311_service(const Request& req, Services& services, const PathParams& params);
Response get_open311_request(const Request& req, Services& services, const PathParams& params);
Response get_open311_token(const Request& req, Services& services, const PathParams& params);

} // namespace tessera::server::detail
