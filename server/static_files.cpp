#include "server/static_files.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace tessera::server {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    return s;
}

std::string etag_for(const fs::path& file) {
    auto size = fs::file_size(file);
    auto mtime = fs::last_write_time(file).time_since_epoch().count();
    char buf[64];
    std::snprintf(buf, sizeof buf, "W/\"%llx-%llx\"", static_cast<unsigned long long>(size),
                  static_cast<unsigned long long>(mtime));
    return buf;
}

} // namespace

fs::path resolve_static_path(const fs::path& root, std::string_view raw_path) {
    auto reject = [&](const char* why) {
        return Error(ErrorCode::invalid_argument, std::string("illegal path: ") + why);
    };
    if (raw_path.empty() || raw_path.front() != '/')
        throw reject("must start with '/'");
    auto decoded = percent_decode(raw_path, false);
    if (!decoded)
        throw reject("malformed percent-escape");
    std::string_view rest = *decoded;
    rest.remove_prefix(1);
    fs::path out = root;
    while (!rest.empty()) {
        auto slash = rest.find('/');
        std::string_view segment = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        if (segment.empty())
            throw reject("empty segment");
        if (segment == "." || segment == "..")
            throw reject("'.' and '..' segments are not allowed");
        for (unsigned char c : segment)
            if (c < 0x20 || c == 0x7f || c == '\\')
                throw reject("control character or backslash");
        if (segment.front() == '.')
            throw Error(ErrorCode::not_found, "no such file");
        out /= fs::path(std::string(segment));
    }
    return out;
}

std::string_view content_type_for(const fs::path& file) {
    static const std::pair<std::string_view, std::string_view> table[] = {
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".geojson", "application/geo+json"},
        {".map", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".md", "text/markdown; charset=utf-8"},
        {".csv", "text/csv; charset=utf-8"},
        {".xml", "application/xml"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".ico", "image/vnd.microsoft.icon"},
        {".woff", "font/woff"},
        {".woff2", "font/woff2"},
        {".ttf", "font/ttf"},
        {".otf", "font/otf"},
        {".wasm", "application/wasm"},
        {".pbf", "application/x-protobuf"},
        {".mvt", "application/vnd.mapbox-vector-tile"},
        {".pdf", "application/pdf"},
    };
    std::string ext = lower(file.extension().string());
    for (const auto& [e, type] : table)
        if (e == ext)
            return type;
    return "application/octet-stream";
}

Response serve_static(const Request& req, const fs::path& root) {
    std::string raw_path = parse_target(req.target).path;
    fs::path file = resolve_static_path(root, raw_path);
    std::error_code ec;
    if (fs::is_directory(file, ec)) {
        if (!raw_path.ends_with('/')) {
            Response res;
            res.status = 301;
            std::string location = raw_path + "/";
            if (auto q = req.target.find('?'); q != std::string::npos)
                location += req.target.substr(q);
            res.set_header("Location", location);
            res.set_header("Content-Type", "text/plain; charset=utf-8");
            res.body = "moved to " + location + "\n";
            return res;
        }
        file /= "index.html";
    }
    if (!fs::is_regular_file(file, ec))
        return error_response(404, "not_found", "no such file: " + raw_path);

    Response res;
    std::string etag = etag_for(file);
    res.set_header("ETag", etag);
    res.set_header("Cache-Control", "no-cache");
    if (auto inm = req.header("If-None-Match"); inm && etag_matches(*inm, etag)) {
        res.status = 304;
        return res;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(ErrorCode::io_error, "cannot read " + file.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    res.body = std::move(ss).str();
    res.set_header("Content-Type", std::string(content_type_for(file)));
    res.head_only = req.method == "HEAD";
    return res;
}

} // namespace tessera::server
