// A small blocking WebSocket client for end-to-end tests (the live feed), every operation
// bounded by a timeout so a broken server fails a test instead of hanging it. Built on
// Boost.Beast; header-only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace tessera::testing {

class WsClient {
public:
    // Connects and performs the handshake for `target`; throws std::runtime_error when the
    // server declines (the message includes the HTTP status it answered).
    WsClient(std::uint16_t port, const std::string& target,
             std::map<std::string, std::string> headers = {},
             std::chrono::seconds timeout = std::chrono::seconds(20))
        : m_ws(m_ioc)
        , m_timeout(timeout) {
        namespace beast = boost::beast;
        boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
        beast::error_code result = boost::asio::error::would_block;
        auto& tcp = beast::get_lowest_layer(m_ws);
        tcp.expires_after(m_timeout);
        tcp.async_connect(ep, [&](beast::error_code ec) { result = ec; });
        run();
        if (result)
            throw std::runtime_error("connect failed: " + result.message());
        m_ws.set_option(beast::websocket::stream_base::decorator(
            [headers](beast::websocket::request_type& req) {
                for (const auto& [k, v] : headers)
                    req.set(k, v);
            }));
        result = boost::asio::error::would_block;
        tcp.expires_after(m_timeout);
        m_ws.async_handshake(m_response, "127.0.0.1:" + std::to_string(port), target,
                             [&](beast::error_code ec) { result = ec; });
        run();
        if (result)
            throw std::runtime_error("handshake declined with HTTP " +
                                     std::to_string(m_response.result_int()) + ": " +
                                     result.message());
    }

    // The next text message; throws std::runtime_error when none arrives within `wait` or the
    // server closes the connection (closed() then says so and reason() why).
    std::string read(std::chrono::milliseconds wait = std::chrono::seconds(10)) {
        namespace beast = boost::beast;
        beast::flat_buffer buffer;
        beast::error_code result = boost::asio::error::would_block;
        beast::get_lowest_layer(m_ws).expires_after(wait);
        m_ws.async_read(buffer, [&](beast::error_code ec, std::size_t) { result = ec; });
        run();
        if (result == beast::websocket::error::closed)
            m_closed = true;
        if (result)
            throw std::runtime_error("no message: " + result.message());
        return beast::buffers_to_string(buffer.data());
    }

    bool closed() const { return m_closed; }
    std::string reason() const { return std::string(m_ws.reason().reason.c_str()); }

private:
    void run() {
        m_ioc.restart();
        m_ioc.run();
    }

    boost::asio::io_context m_ioc;
    boost::beast::websocket::stream<boost::beast::tcp_stream> m_ws;
    boost::beast::websocket::response_type m_response;
    std::chrono::seconds m_timeout;
    bool m_closed = false;
};

} // namespace tessera::testing
