#include "server/metrics.hpp"

#include <charconv>

namespace tessera::server {
namespace {

// Label values escape backslash, double quote and newline (exposition format 0.0.4).
std::string escape_label(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out.push_back(c);
    }
    return out;
}

// Shortest text that reads back as the same double ("0.0005", not "0.00050000000000000001").
std::string format_double(double v) {
    char buf[400]; // fixed notation of any finite double fits
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

} // namespace

std::string_view normalize_method(std::string_view method) {
    static constexpr std::string_view known[] = {"GET",   "HEAD",    "POST",    "PUT",  "DELETE",
                                                 "PATCH", "OPTIONS", "CONNECT", "TRACE"};
    for (auto k : known)
        if (k == method)
            return k;
    return "OTHER";
}

void Metrics::observe(std::string_view route, std::string_view method, int status, double seconds) {
    std::lock_guard lock(m_mutex);
    auto key = std::make_tuple(std::string(route), std::string(normalize_method(method)), status);
    ++m_requests[key];
    auto it = m_latency.find(route);
    if (it == m_latency.end())
        it = m_latency.emplace(std::string(route), Histogram{}).first;
    Histogram& h = it->second;
    for (std::size_t i = 0; i < bucket_bounds.size(); ++i) {
        if (seconds <= bucket_bounds[i]) {
            ++h.buckets[i];
            break;
        }
    }
    ++h.count;
    h.sum += seconds;
}

std::uint64_t Metrics::request_count(std::string_view route, std::string_view method,
                                     int status) const {
    std::lock_guard lock(m_mutex);
    auto it = m_requests.find(
        std::make_tuple(std::string(route), std::string(normalize_method(method)), status));
    return it == m_requests.end() ? 0 : it->second;
}

std::string Metrics::render(data::Store& store) const {
    // Ask the store first, outside our lock: it may be slow and may throw.
    data::StoreStats stats = store.stats();
    std::vector<data::Layer> layers = store.layers();

    std::string out;
    {
        std::lock_guard lock(m_mutex);
        out += "# HELP tessera_http_requests_total HTTP requests by route pattern, method and "
               "status.\n";
        out += "# TYPE tessera_http_requests_total counter\n";
        for (const auto& [key, count] : m_requests) {
            const auto& [route, method, status] = key;
            out += "tessera_http_requests_total{route=\"" + escape_label(route) + "\",method=\"" +
                   escape_label(method) + "\",status=\"" + std::to_string(status) + "\"} " +
                   std::to_string(count) + "\n";
        }
        out += "# HELP tessera_http_request_duration_seconds Time to handle a request, by route "
               "pattern.\n";
        out += "# TYPE tessera_http_request_duration_seconds histogram\n";
        for (const auto& [route, h] : m_latency) {
            std::string label = "route=\"" + escape_label(route) + "\"";
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < bucket_bounds.size(); ++i) {
                cumulative += h.buckets[i];
                out += "tessera_http_request_duration_seconds_bucket{" + label + ",le=\"" +
                       format_double(bucket_bounds[i]) + "\"} " + std::to_string(cumulative) + "\n";
            }
            out += "tessera_http_request_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " +
                   std::to_string(h.count) + "\n";
            out += "tessera_http_request_duration_seconds_sum{" + label + "} " +
                   format_double(h.sum) + "\n";
            out += "tessera_http_request_duration_seconds_count{" + label + "} " +
                   std::to_string(h.count) + "\n";
        }
    }
    out += "# HELP tessera_store_size_bytes Size of the database file(s) on disk.\n";
    out += "# TYPE tessera_store_size_bytes gauge\n";
    out += "tessera_store_size_bytes " + std::to_string(stats.size_bytes) + "\n";
    out += "# HELP tessera_store_schema_version Schema version of the open database.\n";
    out += "# TYPE tessera_store_schema_version gauge\n";
    out += "tessera_store_schema_version " + std::to_string(stats.schema_version) + "\n";
    out += "# HELP tessera_layer_features Current features per layer.\n";
    out += "# TYPE tessera_layer_features gauge\n";
    for (const auto& l : layers)
        out += "tessera_layer_features{layer=\"" + escape_label(l.name) + "\"} " +
               std::to_string(l.feature_count) + "\n";
    out += "# HELP tessera_layer_version Current version (committed changesets) per layer.\n";
    out += "# TYPE tessera_layer_version gauge\n";
    for (const auto& l : layers)
        out += "tessera_layer_version{layer=\"" + escape_label(l.name) + "\"} " +
               std::to_string(l.version) + "\n";
    return out;
}

} // namespace tessera::server
