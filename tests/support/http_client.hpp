// A small blocking HTTP/1.1 client for end-to-end tests: one TCP connection (kept alive between
// requests), every operation bounded by a timeout so a broken server fails a test instead of
// hanging it. Built on Boost.Beast; header-only.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace tessera::testing {

struct HttpReply {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers; // names in lower case
    bool keep_alive = false;

    std::string header(const std::string& lower_case_name) const {
        auto it = headers.find(lower_case_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

class HttpClient {
public:
    explicit HttpClient(std::uint16_t port, std::string host = "127.0.0.1",
                        std::chrono::seconds timeout = std::chrono::seconds(20))
        : m_stream(m_ioc)
        , m_timeout(timeout) {
        boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address(host), port);
        boost::beast::error_code result = boost::asio::error::would_block;
        m_stream.expires_after(m_timeout);
        m_stream.async_connect(ep, [&](boost::beast::error_code ec) { result = ec; });
        run();
        if (result)
            throw std::runtime_error("connect to " + host + ":" + std::to_string(port) +
                                     " failed: " + result.message());
    }

    HttpReply request(boost::beast::http::verb method, const std::string& target,
                      const std::string& body = {},
                      const std::map<std::string, std::string>& headers = {}) {
        namespace http = boost::beast::http;
        http::request<http::string_body> req{method, target, 11};
        req.set(http::field::host, "localhost");
        for (const auto& [k, v] : headers)
            req.set(k, v);
        if (!body.empty() || method == http::verb::post) {
            req.body() = body;
            req.prepare_payload();
        }
        boost::beast::error_code result = boost::asio::error::would_block;
        m_stream.expires_after(m_timeout);
        http::async_write(m_stream, req,
                          [&](boost::beast::error_code ec, std::size_t) { result = ec; });
        run();
        if (result)
            throw std::runtime_error("writing " + target + " failed: " + result.message());
        return read_reply(target);
    }

    HttpReply get(const std::string& target,
                  const std::map<std::string, std::string>& headers = {}) {
        return request(boost::beast::http::verb::get, target, {}, headers);
    }

    // Sends bytes as they are (e.g. half a request), without reading anything.
    void send_raw(const std::string& bytes) {
        boost::beast::error_code result = boost::asio::error::would_block;
        m_stream.expires_after(m_timeout);
        boost::asio::async_write(m_stream, boost::asio::buffer(bytes),
                                 [&](boost::beast::error_code ec, std::size_t) { result = ec; });
        run();
        if (result)
            throw std::runtime_error("sending failed: " + result.message());
    }

    // Reads one response (after send_raw).
    HttpReply read_reply(const std::string& what = "the request") {
        namespace http = boost::beast::http;
        http::response_parser<http::string_body> parser;
        parser.body_limit(256u << 20);
        boost::beast::error_code result = boost::asio::error::would_block;
        m_stream.expires_after(m_timeout);
        http::async_read(m_stream, m_buffer, parser,
                         [&](boost::beast::error_code ec, std::size_t) { result = ec; });
        run();
        if (result)
            throw std::runtime_error("reading the reply to " + what +
                                     " failed: " + result.message());
        auto& res = parser.get();
        HttpReply reply;
        reply.status = static_cast<int>(res.result_int());
        reply.body = res.body();
        reply.keep_alive = res.keep_alive();
        for (const auto& field : res) {
            std::string name(field.name_string());
            for (auto& c : name)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            reply.headers[name] = std::string(field.value());
        }
        return reply;
    }

    // The local port of this connection (to tell connections apart in the server's log).
    std::uint16_t local_port() const { return m_stream.socket().local_endpoint().port(); }

    // True when the server closes the connection (a read ends with EOF or reset) within `wait`;
    // false when it stays open.
    bool closed_by_peer(std::chrono::milliseconds wait) {
        char byte = 0;
        boost::beast::error_code result = boost::asio::error::would_block;
        m_stream.expires_after(wait);
        m_stream.async_read_some(boost::asio::buffer(&byte, 1),
                                 [&](boost::beast::error_code ec, std::size_t) { result = ec; });
        run();
        return result && result != boost::beast::error::timeout;
    }

private:
    void run() {
        m_ioc.restart();
        m_ioc.run();
    }

    boost::asio::io_context m_ioc;
    boost::beast::tcp_stream m_stream;
    boost::beast::flat_buffer m_buffer;
    std::chrono::seconds m_timeout;
};

} // namespace tessera::testing
