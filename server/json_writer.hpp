// A streaming JSON writer for responses of a fixed shape on hot paths (single locate): it appends
// straight to the body string, with no intermediate tree and no allocation beyond the body's own.
// Everything else builds nlohmann::json values; both produce RFC 8259 text.
//
//   JsonWriter w(body);
//   w.begin_object().key("status").value("assigned").key("lon").value(114.01).end_object();
//
// Commas are inserted automatically; containers nest at most 31 deep. Strings are escaped
// (control characters as \u00XX); valid UTF-8 passes through, each byte of an invalid sequence
// becomes U+FFFD (as nlohmann::json's error_handler_t::replace does). Non-finite doubles are
// written as null (JSON has no NaN).
#pragma once

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::server {

// Bytes in the well-formed UTF-8 sequence starting s (RFC 3629: no overlongs, no
// surrogates, nothing past U+10FFFF), or 0.
inline std::size_t utf8_length(std::string_view s) {
    auto at = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char b = at(0);
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xBF; // range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        if (b == 0xE0)
            lo = 0xA0;
        if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        if (b == 0xF0)
            lo = 0x90;
        if (b == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (s.size() < n || at(1) < lo || at(1) > hi)
        return 0;
    for (std::size_t i = 2; i < n; ++i)
        if (at(i) < 0x80 || at(i) > 0xBF)
            return 0;
    return n;
}

class JsonWriter {
public:
    explicit JsonWriter(std::string& out)
        : m_out(out) {}

    JsonWriter& begin_object() { return open('{'); }
    JsonWriter& end_object() { return close('}'); }
    JsonWriter& begin_array() { return open('['); }
    JsonWriter& end_array() { return close(']'); }

    // Inside an object: the next member's name; a value must follow.
    JsonWriter& key(std::string_view k) {
        separate();
        string_body(k);
        m_out.push_back(':');
        m_after_key = true;
        return *this;
    }

    JsonWriter& value(std::string_view s) {
        separate();
        string_body(s);
        return *this;
    }
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(bool b) {
        separate();
        m_out += b ? "true" : "false";
        return *this;
    }
    JsonWriter& value(std::int64_t n) {
        separate();
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof buf, n);
        m_out.append(buf, r.ptr);
        return *this;
    }
    JsonWriter& value(int n) { return value(static_cast<std::int64_t>(n)); }
    // Shortest text that reads back as the same double.
    JsonWriter& value(double d) {
        if (!std::isfinite(d))
            return null();
        separate();
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, d);
        m_out.append(buf, r.ptr);
        return *this;
    }
    JsonWriter& null() {
        separate();
        m_out += "null";
        return *this;
    }

private:
    JsonWriter& open(char c) {
        separate();
        m_out.push_back(c);
        m_first[++m_depth] = true;
        return *this;
    }
    JsonWriter& close(char c) {
        m_out.push_back(c);
        --m_depth;
        return *this;
    }
    // A comma before every value or key but the first in its container; none after a key.
    void separate() {
        if (m_after_key) {
            m_after_key = false;
            return;
        }
        if (m_depth > 0 && !m_first[m_depth])
            m_out.push_back(',');
        m_first[m_depth] = false;
    }
    void string_body(std::string_view s) {
        static constexpr char hex[] = "0123456789abcdef";
        m_out.push_back('"');
        for (std::size_t i = 0; i < s.size(); ++i) {
            char ch = s[i];
            auto u = static_cast<unsigned char>(ch);
            switch (ch) {
            case '"':
                m_out += "\\\"";
                break;
            case '\\':
                m_out += "\\\\";
                break;
            case '\n':
                m_out += "\\n";
                break;
            case '\r':
                m_out += "\\r";
                break;
            case '\t':
                m_out += "\\t";
                break;
            default:
                if (u >= 0x80) {
                    std::size_t n = utf8_length(s.substr(i));
                    if (n == 0) {
                        m_out += "\xEF\xBF\xBD";
                    } else {
                        m_out.append(s.substr(i, n));
                        i += n - 1;
                    }
                } else if (u < 0x20) {
                    m_out += "\\u00";
                    m_out.push_back(hex[u >> 4]);
                    m_out.push_back(hex[u & 15]);
                } else {
                    m_out.push_back(ch);
                }
            }
        }
        m_out.push_back('"');
    }

    std::string& m_out;
    std::array<bool, 32> m_first{}; // per open container: nothing written in it yet
    int m_depth = 0;
    bool m_after_key = false;
};

} // namespace tessera::server
