// Request counters and latency histograms, rendered in the Prometheus text exposition format
// 0.0.4 by GET /metrics.
//
// Thread-safety: observe() and render() may be called from any thread (one mutex).
// Label cardinality stays bounded: `route` is a route pattern ("/api/v1/layers/{name}/features",
// "static", "unmatched"), never a raw target; `method` is one of the standard methods or "OTHER".
#pragma once

#include "data/store.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace tessera::server {

class Metrics {
public:
    // Upper bounds of the latency histogram buckets, in seconds (+Inf is implicit).
    static constexpr std::array<double, 14> bucket_bounds = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    // Counts one request and its handling time (seconds).
    void observe(std::string_view route, std::string_view method, int status, double seconds);

    // The full exposition: tessera_http_requests_total{route,method,status} (counter),
    // tessera_http_request_duration_seconds{route} (histogram), and from the store
    // tessera_store_size_bytes (gauge), tessera_layer_features{layer} and
    // tessera_layer_version{layer} (gauges). Throws what the store throws.
    std::string render(data::Store& store) const;

    // The request count for one label set (0 if never seen); for tests and diagnostics.
    std::uint64_t request_count(std::string_view route, std::string_view method, int status) const;

private:
    struct Histogram {
        std::array<std::uint64_t, bucket_bounds.size()> buckets{}; // non-cumulative
        std::uint64_t count = 0;
        double sum = 0;
    };
    mutable std::mutex m_mutex;
    std::map<std::tuple<std::string, std::string, int>, std::uint64_t, std::less<>> m_requests;
    std::map<std::string, Histogram, std::less<>> m_latency;
};

// "GET", "POST", ... for the standard methods, "OTHER" for anything else.
std::string_view normalize_method(std::string_view method);

} // namespace tessera::server
