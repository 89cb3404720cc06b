#include "server/http.hpp"

#include <nlohmann/json.hpp>

namespace tessera::server {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = static_cast<char>(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) {
    for (const auto& [k, v] : headers)
        if (iequals(k, name))
            return std::string_view(v);
    return std::nullopt;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

std::optional<std::string_view> Request::header(std::string_view name) const {
    return find_header(headers, name);
}

std::optional<std::string_view> Response::header(std::string_view name) const {
    return find_header(headers, name);
}

void Response::set_header(std::string name, std::string value) {
    for (auto& [k, v] : headers) {
        if (iequals(k, name)) {
            v = std::move(value);
            return;
        }
    }
    headers.emplace_back(std::move(name), std::move(value));
}

int status_for(ErrorCode code) {
    switch (code) {
    case ErrorCode::invalid_argument:
    case ErrorCode::invalid_geometry:
    case ErrorCode::unknown_crs:
        return 400;
    case ErrorCode::unauthorized:
        return 401;
    case ErrorCode::forbidden:
        return 403;
    case ErrorCode::not_found:
        return 404;
    case ErrorCode::conflict:
        return 409;
    case ErrorCode::payload_too_large:
        return 413;
    case ErrorCode::io_error:
    case ErrorCode::store_error:
    case ErrorCode::internal:
        return 500;
    }
    return 500;
}

Response json_response(int status, std::string body) {
    Response res;
    res.status = status;
    res.headers.emplace_back("Content-Type", "application/json");
    res.body = std::move(body);
    return res;
}

Response error_response(int status, std::string_view code, std::string_view message) {
    nlohmann::json j = {{"code", code}, {"message", message}};
    Response res =
        json_response(status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (status == 401)
        res.headers.emplace_back("WWW-Authenticate", "Bearer");
    return res;
}

Response error_response(const Error& e) {
    return error_response(status_for(e.code()), to_string(e.code()), e.what());
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size())
                return std::nullopt;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0)
                return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string percent_encode(std::string_view s, std::string_view keep) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved || keep.find(static_cast<char>(c)) != std::string_view::npos) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

Target parse_target(std::string_view target) {
    if (target.empty() || target.front() != '/')
        throw Error(ErrorCode::invalid_argument,
                    "request target must be an absolute path starting with '/'");
    Target t;
    auto q = target.find('?');
    t.path = std::string(target.substr(0, q));
    if (q == std::string_view::npos)
        return t;
    std::string_view query = target.substr(q + 1);
    if (auto hash = query.find('#'); hash != std::string_view::npos)
        query = query.substr(0, hash);
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty())
            continue;
        auto eq = pair.find('=');
        auto name = percent_decode(pair.substr(0, eq), true);
        auto value = percent_decode(
            eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
        if (!name || !value)
            throw Error(ErrorCode::invalid_argument,
                        "malformed percent-escape in query parameter '" + std::string(pair) + "'");
        t.query.emplace_back(std::move(*name), std::move(*value));
    }
    return t;
}

std::optional<std::string_view> query_param(const Target& t, std::string_view name) {
    for (const auto& [k, v] : t.query)
        if (k == name)
            return std::string_view(v);
    return std::nullopt;
}

// ---- conditional requests and content codings ----

namespace {

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// Whether `pred` holds for an item of a comma-separated header list (items trimmed).
template <class Pred>
bool any_item(std::string_view list, Pred pred) {
    while (!list.empty()) {
        auto comma = list.find(',');
        std::string_view item = trim_ows(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (pred(item))
            return true;
    }
    return false;
}

} // namespace

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
    auto strip_weak = [](std::string_view t) { return t.starts_with("W/") ? t.substr(2) : t; };
    return any_item(if_none_match, [&](std::string_view item) {
        return item == "*" || strip_weak(item) == strip_weak(etag);
    });
}

bool accepts_gzip(const Request& req) {
    auto header = req.header("Accept-Encoding");
    return header && any_item(*header, [](std::string_view item) {
               auto semi = item.find(';');
               std::string_view coding = trim_ows(item.substr(0, semi));
               if (!iequals(coding, "gzip") && coding != "*")
                   return false;
               auto q =
                   semi == std::string_view::npos ? std::string_view::npos : item.find("q=", semi);
               if (q == std::string_view::npos)
                   return true;
               auto v = trim_ows(item.substr(q + 2));
               return v.empty() || v.find_first_not_of("0.") != std::string_view::npos;
           });
}

} // namespace tessera::server
