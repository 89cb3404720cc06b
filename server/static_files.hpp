// Static files from one directory (the web app), served at "/".
//
// Safety: the request path is percent-decoded exactly once and then split on '/'. A path is
// rejected with 400 when it contains a ".." or "." segment, a backslash, a NUL or another control
// character, an empty segment ("//"), or does not start with '/'; so "/../x", "/%2e%2e/x",
// "/a/%2E%2E%2Fb" and "//etc/passwd" never leave the root. Segments starting with '.' (".git",
// ".env") are hidden: 404. Symbolic links inside the root are followed.
#pragma once

#include "server/http.hpp"

#include <filesystem>
#include <optional>
#include <string_view>

namespace tessera::server {

// The file a raw (still percent-encoded) request path refers to under `root`, lexically; it may
// not exist. A path ending in '/' maps to the directory itself. Throws Error(invalid_argument) for
// a rejected path (see above), Error(not_found) for a hidden segment.
std::filesystem::path resolve_static_path(const std::filesystem::path& root,
                                          std::string_view raw_path);

// "text/html; charset=utf-8", "application/javascript", ... by extension (case-insensitive);
// "application/octet-stream" for unknown ones.
std::string_view content_type_for(const std::filesystem::path& file);

// GET or HEAD of a static file. Directories answer with their index.html, or with a 301 to the
// path with a trailing '/' when it is missing. Weak ETag from size and modification time;
// a matching If-None-Match answers 304. Missing files: 404 JSON.
// REQUIRES: req.method is GET or HEAD.
Response serve_static(const Request& req, const std::filesystem::path& root);

} // namespace tessera::server
