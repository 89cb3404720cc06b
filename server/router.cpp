#include "server/router.hpp"

#include "server/detail/api.hpp"
#include "server/static_files.hpp"

#include <chrono>
#include <cstdio>

namespace tessera::server {
namespace {

using Handler = Response (*)(const Request&, Services&, const detail::PathParams&);

struct Route {
    std::string_view method;
    std::string_view pattern; // segments; "{name}" matches one non-empty segment
    Handler handler;
};

// The route table. docs/http.md documents every entry.
constexpr Route routes[] = {
    {"GET", "/healthz", detail::get_healthz},
    {"GET", "/metrics", detail::get_metrics},
    {"GET", "/api/v1/layers", detail::get_layers},
    {"GET", "/api/v1/layers/{name}/features", detail::get_features},
    {"GET", "/api/v1/layers/{name}/features/{code}/history", detail::get_feature_history},
    {"GET", "/api/v1/layers/{name}/features/{code}/people", detail::get_feature_people},
    {"GET", "/api/v1/layers/{name}/diff", detail::get_layer_diff},
    {"GET", "/api/v1/layers/{name}/changesets", detail::get_drafts},
    {"POST", "/api/v1/layers/{name}/changesets", detail::post_draft},
    {"GET", "/api/v1/layers/{name}/changesets/{id}", detail::get_draft},
    {"POST", "/api/v1/layers/{name}/changesets/{id}/operations", detail::post_draft_operation},
    {"POST", "/api/v1/layers/{name}/changesets/{id}/validate", detail::post_draft_validate},
    {"GET", "/api/v1/layers/{name}/changesets/{id}/impact", detail::get_draft_impact},
    {"POST", "/api/v1/layers/{name}/changesets/{id}/impact", detail::get_draft_impact},
    {"POST", "/api/v1/layers/{name}/changesets/{id}/commit", detail::post_draft_commit},
    {"POST", "/api/v1/layers/{name}/changesets/{id}/discard", detail::post_draft_discard},
    {"POST", "/api/v1/login", detail::post_login},
    {"GET", "/api/v1/me", detail::get_me},
    {"POST", "/api/v1/logout", detail::post_logout},
    {"GET", "/api/v1/locate", detail::get_locate},
    {"POST", "/api/v1/locate", detail::post_locate},
    {"GET", "/api/v1/categories", detail::get_categories},
    {"GET", "/api/v1/events", detail::get_events},
    {"POST", "/api/v1/events", detail::post_event},
    {"GET", "/api/v1/events/{id}", detail::get_event},
    {"GET", "/api/v1/events/{id}/nearby", detail::get_event_nearby},
    {"POST", "/api/v1/events/{id}/actions", detail::post_event_action},
    {"GET", "/api/v1/live", detail::get_live},
    {"GET", "/api/v1/kpis", detail::get_kpis},
    {"GET", "/api/v1/digest", detail::get_digest},
    {"GET", "/api/v1/coverage", detail::get_coverage},
    {"GET", "/api/v1/coverage/cameras", detail::get_camera_coverage},
    {"GET", "/api/v1/coverage/drones", detail::get_drone_coverage},
    {"GET", "/api/v1/positions", detail::get_positions},
    {"POST", "/api/v1/positions", detail::post_positions},
    {"GET", "/api/v1/location-queue", detail::get_location_queue},
    {"GET", "/api/v1/location-queue/{id}", detail::get_pending_report},
    {"POST", "/api/v1/location-queue/{id}/locate", detail::post_pending_locate},
    {"POST", "/api/v1/location-queue/{id}/discard", detail::post_pending_discard},
    {"GET", "/tiles/{file}", detail::get_tilejson},
    {"GET", "/tiles/{layer}/{z}/{x}/{file}", detail::get_tile},
    {"GET", "/ogcapi", detail::get_ogc_landing},
    {"GET", "/ogcapi/conformance", detail::get_ogc_conformance},
    {"GET", "/ogcapi/collections", detail::get_ogc_collections},
    {"GET", "/ogcapi/collections/{collection}", detail::get_ogc_collection},
    {"GET", "/ogcapi/collections/{collection}/items", detail::get_ogc_items},
    {"GET", "/ogcapi/collections/{collection}/items/{fid}", detail::get_ogc_item},
    {"GET", "/open311/v2/{document}", detail::get_open311_document},
    {"POST", "/open311/v2/{document}", detail::post_open311_request},
    {"GET", "/open311/v2/services/{service}", detail::get_open311_service},
    {"GET", "/open311/v2/requests/{request}", detail::get_open311_request},
    {"GET", "/open311/v2/tokens/{token}", detail::get_open311_token},
};

// Matches a raw path against a pattern; fills `params` with the percent-decoded values.
bool match(std::string_view pattern, std::string_view path, detail::PathParams& params) {
    params.clear();
    while (!pattern.empty() || !path.empty()) {
        if (pattern.empty() || path.empty() || pattern.front() != '/' || path.front() != '/')
            return false;
        pattern.remove_prefix(1);
        path.remove_prefix(1);
        auto ps = pattern.find('/');
        auto ts = path.find('/');
        std::string_view pseg = pattern.substr(0, ps);
        std::string_view tseg = path.substr(0, ts);
        pattern = ps == std::string_view::npos ? std::string_view{} : pattern.substr(ps);
        path = ts == std::string_view::npos ? std::string_view{} : path.substr(ts);
        if (pseg.size() > 2 && pseg.front() == '{' && pseg.back() == '}') {
            auto value = percent_decode(tseg, false);
            if (tseg.empty() || !value)
                return false;
            params.emplace_back(std::string(pseg.substr(1, pseg.size() - 2)), std::move(*value));
        } else if (pseg != tseg) {
            return false;
        }
    }
    return true;
}

bool is_api_path(std::string_view path) {
    return path == "/api" || path.starts_with("/api/") || path.starts_with("/open311/") ||
           path.starts_with("/tiles/") || path == "/ogcapi" || path.starts_with("/ogcapi/") ||
           path == "/healthz" || path == "/metrics";
}

std::string_view path_of(std::string_view target) {
    return target.substr(0, target.find('?'));
}

Response dispatch(const Request& req, Services& services, std::string_view& label) {
    Target target = parse_target(req.target);
    const bool head = req.method == "HEAD";
    std::string allow;
    detail::PathParams params;
    for (const Route& r : routes) {
        if (!match(r.pattern, target.path, params))
            continue;
        label = r.pattern;
        if (r.method == req.method || (head && r.method == "GET")) {
            return r.handler(req, services, params);
        }
        allow += (allow.empty() ? "" : ", ") + std::string(r.method);
        if (r.method == "GET")
            allow += ", HEAD";
    }
    if (!allow.empty()) {
        Response res = error_response(405, "method_not_allowed",
                                      req.method + " is not allowed on " + target.path +
                                          " (allowed: " + allow + ")");
        res.set_header("Allow", allow);
        return res;
    }
    if (is_api_path(target.path) || !services.web_root) {
        label = "unmatched";
        return error_response(404, "not_found", "no endpoint " + target.path);
    }
    label = "static";
    if (req.method != "GET" && !head) {
        Response res = error_response(405, "method_not_allowed",
                                      req.method + " is not allowed on static files");
        res.set_header("Allow", "GET, HEAD");
        return res;
    }
    return serve_static(req, *services.web_root);
}

} // namespace

std::string_view route_label(std::string_view path) {
    path = path_of(path);
    detail::PathParams params;
    for (const Route& r : routes)
        if (match(r.pattern, path, params))
            return r.pattern;
    if (is_api_path(path))
        return "unmatched";
    return "static";
}

Response handle(const Request& req, Services& services) {
    auto start = std::chrono::steady_clock::now();
    std::string_view label = "unmatched";
    Response res;
    try {
        res = dispatch(req, services, label);
    } catch (const Error& e) {
        int status = status_for(e.code());
        if (status >= 500) {
            std::fprintf(stderr, "tessera serve: %s %s: %s: %s\n", req.method.c_str(),
                         req.target.c_str(), std::string(to_string(e.code())).c_str(), e.what());
            res = error_response(status, to_string(e.code()),
                                 "internal error (details are in the server log)");
        } else {
            res = error_response(e);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tessera serve: %s %s: internal error: %s\n", req.method.c_str(),
                     req.target.c_str(), e.what());
        res = error_response(500, "internal", "internal error (details are in the server log)");
    }
    res.keep_alive = res.keep_alive && req.keep_alive;
    res.head_only = res.head_only || req.method == "HEAD";
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    services.metrics.observe(label, req.method, res.status, elapsed.count());
    return res;
}

} // namespace tessera::server
