#include "server/server.hpp"

#include "server/live.hpp"
#include "server/router.hpp"

#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace tessera::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = beast::error_code;
// Each connection runs on its own strand, named by its concrete type rather than through
// any_io_executor: no type-erased executor to copy and dispatch through on every operation.
using ConnectionExecutor = net::strand<net::io_context::executor_type>;
using Stream = beast::basic_stream<tcp, ConnectionExecutor>;
using Socket = net::basic_stream_socket<tcp, ConnectionExecutor>;

namespace {

class Session;

// The access log, written by its own thread: a response appends its line to a buffer (no system
// call on the I/O threads), and the writer flushes the buffer every 100 ms, at once when it
// passes 64 KiB, and on destruction. A crash loses at most the last 100 ms of lines.
class BufferedLog {
public:
    explicit BufferedLog(std::FILE* out)
        : m_out(out) {
        if (m_out)
            m_writer = std::thread([this] { write_loop(); });
    }
    ~BufferedLog() {
        if (!m_out)
            return;
        {
            std::lock_guard lock(m_mutex);
            m_done = true;
        }
        m_wake.notify_one();
        m_writer.join();
    }
    BufferedLog(const BufferedLog&) = delete;
    BufferedLog& operator=(const BufferedLog&) = delete;

    void append(std::string_view line) {
        if (!m_out)
            return;
        bool full;
        {
            std::lock_guard lock(m_mutex);
            m_pending.append(line);
            m_pending.push_back('\n');
            full = m_pending.size() >= flush_bytes;
        }
        if (full)
            m_wake.notify_one();
    }

private:
    static constexpr std::size_t flush_bytes = 64 * 1024;

    void write_loop() {
        std::string batch;
        std::unique_lock lock(m_mutex);
        for (;;) {
            m_wake.wait_for(lock, std::chrono::milliseconds(100),
                            [this] { return m_done || m_pending.size() >= flush_bytes; });
            batch.swap(m_pending);
            bool done = m_done;
            lock.unlock();
            if (!batch.empty()) {
                std::fwrite(batch.data(), 1, batch.size(), m_out);
                std::fflush(m_out);
                batch.clear();
            }
            if (done)
                return;
            lock.lock();
        }
    }

    std::FILE* m_out;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::string m_pending;
    bool m_done = false;
    std::thread m_writer;
};

// What all sessions share. Sessions hold it by shared_ptr, so it outlives every session even
// when the io_context is destroyed with handlers still queued.
struct Shared {
    Services& services;
    ServerConfig config;
    std::atomic<bool> stopping{false};

    std::mutex sessions_mutex;
    std::unordered_map<const Session*, std::weak_ptr<Session>> sessions;
    // The live feed's subscribers (WebSocket sessions), fed by the desk's listener.
    std::shared_ptr<LiveHub> live;

    BufferedLog access_log;

    Shared(Services& s, ServerConfig c)
        : services(s)
        , config(std::move(c))
        , live(std::make_shared<LiveHub>(s))
        , access_log(config.access_log) {
        connect_tile_cache(services);
        // The desk outlives no server in particular: hold the hub weakly.
        services.desk.subscribe(
            [weak = std::weak_ptr<LiveHub>(live)](const data::EventChange& change) {
                if (auto hub = weak.lock())
                    hub->publish(change);
            });
        // A committed redraw: every map loads the layer's tiles again.
        services.assigner.subscribe(
            [weak = std::weak_ptr<LiveHub>(live)](const data::Assigner::LayerChange& change) {
                if (auto hub = weak.lock())
                    hub->publish(change);
            });
    }

    void log(const std::string& line) { access_log.append(line); }
    // Live-feed connections not yet torn down (LiveSession objects).
    std::atomic<std::size_t> live_sessions{0};

    // HTTP connections and live-feed connections still open.
    std::size_t session_count() {
        std::lock_guard lock(sessions_mutex);
        return sessions.size() + live_sessions;
    }
};

// One live-feed subscription: a WebSocket that the server writes the hub's messages to, in
// order, one at a time. Messages from the client are read (so pings and the close handshake
// work) and ignored. A subscriber that falls `max_queue` messages behind is closed rather than
// buffered without bound.
class LiveSession : public LiveSubscriber, public std::enable_shared_from_this<LiveSession> {
public:
    static constexpr std::size_t max_queue = 4096;

    LiveSession(Stream&& stream, std::shared_ptr<Shared> shared)
        : m_ws(std::move(stream))
        , m_shared(std::move(shared)) {
        ++m_shared->live_sessions;
    }
    ~LiveSession() override { --m_shared->live_sessions; }

    void start(const http::request<http::string_body>& upgrade, data::Principal who,
               std::string token) {
        beast::get_lowest_layer(m_ws).expires_never(); // the WebSocket's own timeouts instead
        // Pings after 150 s of silence, closed after 300 s; a peer that does not answer our close
        // frame within 5 s is dropped (so a shutdown does not wait on frozen clients).
        auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
        timeouts.handshake_timeout = std::chrono::seconds(5);
        m_ws.set_option(timeouts);
        m_ws.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(http::field::server, "Tessera"); }));
        m_ws.read_message_max(64 * 1024);
        m_ws.async_accept(upgrade, [self = shared_from_this(), who = std::move(who),
                                    token = std::move(token)](error_code ec) mutable {
            if (ec)
                return;
            self->m_open = true;
            self->m_shared->live->add(self, std::move(who), std::move(token));
            self->do_read();
        });
    }

    void send(std::shared_ptr<const std::string> message) override {
        net::post(m_ws.get_executor(), [self = shared_from_this(), message = std::move(message)] {
            if (self->m_closing)
                return;
            if (self->m_queue.size() >= max_queue)
                return self->begin_close(websocket::close_code::policy_error,
                                         "too slow: more than " + std::to_string(max_queue) +
                                             " messages behind; reconnect and reload");
            self->m_queue.push_back(std::move(message));
            if (self->m_queue.size() == 1 && self->m_open)
                self->do_write();
        });
    }

    void close(std::string reason) override {
        net::post(m_ws.get_executor(), [self = shared_from_this(), reason = std::move(reason)] {
            self->begin_close(websocket::close_code::going_away, reason);
        });
    }

private:
    void do_read() {
        m_ws.async_read(m_in, [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec) {
                self->m_shared->live->remove(self.get());
                return;
            }
            self->m_in.consume(self->m_in.size());
            self->do_read();
        });
    }

    void do_write() {
        m_ws.text(true);
        m_ws.async_write(net::buffer(*m_queue.front()),
                         [self = shared_from_this()](error_code ec, std::size_t) {
                             self->m_queue.pop_front();
                             if (ec) {
                                 self->m_queue.clear();
                                 return;
                             }
                             if (self->m_close_reason)
                                 return self->do_close();
                             if (!self->m_queue.empty())
                                 self->do_write();
                         });
    }

    // Called on the strand. The close frame goes after the write in progress, if any.
    void begin_close(websocket::close_code code, std::string reason) {
        if (m_closing || !m_open)
            return;
        m_closing = true;
        m_shared->live->remove(this);
        if (reason.size() > 120)
            reason.resize(120); // a close frame's reason is at most 123 bytes
        m_close_reason = websocket::close_reason(code, reason);
        bool writing = !m_queue.empty();
        m_queue.erase(m_queue.begin() + (writing ? 1 : 0), m_queue.end());
        if (!writing)
            do_close();
    }

    void do_close() {
        m_ws.async_close(*m_close_reason, [self = shared_from_this()](error_code) {});
    }

    websocket::stream<Stream> m_ws;
    std::shared_ptr<Shared> m_shared;
    beast::flat_buffer m_in;
    std::deque<std::shared_ptr<const std::string>> m_queue; // front: being written
    bool m_open = false;
    bool m_closing = false;
    std::optional<websocket::close_reason> m_close_reason;
};

std::string endpoint_string(const tcp::endpoint& ep) {
    auto addr = ep.address();
    std::string host = addr.to_string();
    if (addr.is_v6())
        host = "[" + host + "]";
    return host + ":" + std::to_string(ep.port());
}

// Reads requests, hands them to handle(), writes responses; nothing else.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(Socket&& socket, std::shared_ptr<Shared> shared)
        : m_executor(socket.get_executor())
        , m_stream(std::move(socket))
        , m_shared(std::move(shared)) {
        error_code ec;
        auto ep = m_stream.socket().remote_endpoint(ec);
        m_remote = ec ? std::string("-") : endpoint_string(ep);
    }
    ~Session() {
        std::lock_guard lock(m_shared->sessions_mutex);
        m_shared->sessions.erase(this);
    }

    void start() {
        {
            std::lock_guard lock(m_shared->sessions_mutex);
            m_shared->sessions.emplace(this, weak_from_this());
        }
        net::dispatch(m_stream.get_executor(),
                      beast::bind_front_handler(&Session::do_read, shared_from_this()));
    }

    // The connection's strand, kept apart from the stream, which a WebSocket upgrade moves away
    // while the server's shutdown may ask for it.
    ConnectionExecutor executor() const { return m_executor; }

    // Graceful shutdown of this connection; called on its strand. An idle connection (waiting for
    // the first byte of a request) closes now; one with a request in progress finishes it.
    void stop() {
        m_stopping = true;
        if (m_state == State::reading && m_buffer.size() == 0 && m_parser &&
            !m_parser->got_some()) {
            m_stream.close(); // the pending read completes with operation_aborted
        }
    }

private:
    enum class State { reading, handling, writing, draining, closed };

    void do_read() {
        if (m_stopping || m_shared->stopping)
            return do_close();
        m_state = State::reading;
        m_parser.emplace();
        m_parser->body_limit(m_shared->config.max_body);
        m_parser->header_limit(16 * 1024);
        m_stream.expires_after(m_shared->config.io_timeout);
        http::async_read(m_stream, m_buffer, *m_parser,
                         beast::bind_front_handler(&Session::on_read, shared_from_this()));
    }

    void on_read(error_code ec, std::size_t) {
        m_start = std::chrono::steady_clock::now();
        if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
            ec == beast::error::timeout || ec == net::error::connection_reset ||
            ec == net::error::eof)
            return do_close();
        if (ec == http::error::body_limit) {
            const auto& header = m_parser->get();
            m_version = header.version();
            m_method = std::string(header.method_string());
            m_target = std::string(header.target());
            Response res = error_response(413, "payload_too_large",
                                          "request body exceeds the limit of " +
                                              std::to_string(m_shared->config.max_body) + " bytes");
            m_shared->services.metrics.observe(route_label(m_target), m_method, 413, 0);
            return do_write(std::move(res), /*close=*/true, /*drain=*/true);
        }
        if (ec == http::error::header_limit) {
            m_method = "-";
            m_target = "-";
            return do_write(
                error_response(431, "invalid_argument", "request header fields are too large"),
                true, true);
        }
        if (ec && ec.category() == http::make_error_code(http::error::body_limit).category()) {
            // Any other HTTP parse error: the stream cannot be trusted any more.
            m_method = "-";
            m_target = "-";
            return do_write(
                error_response(400, "invalid_argument", "malformed HTTP request: " + ec.message()),
                true, true);
        }
        if (ec)
            return do_close();

        auto msg = m_parser->release();
        Request req;
        req.method = std::string(msg.method_string());
        req.target = std::string(msg.target());
        for (const auto& field : msg)
            req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        req.body = std::move(msg.body());
        req.keep_alive = msg.keep_alive();
        m_method = req.method;
        m_target = req.target;
        m_version = msg.version();
        if (websocket::is_upgrade(msg))
            return upgrade(msg, req);

        m_state = State::handling;
        Response res = handle(req, m_shared->services);
        bool close = !res.keep_alive;
        try {
            do_write(std::move(res), close, false);
        } catch (const std::exception& e) {
            // E.g. a header value Beast refuses: answer 500 instead of a broken stream.
            std::fprintf(stderr, "tessera serve: %s %s: cannot write the response: %s\n",
                         m_method.c_str(), m_target.c_str(), e.what());
            do_write(
                error_response(500, "internal", "internal error (details are in the server log)"),
                true, false);
        }
    }

    // A WebSocket handshake: the live feed takes the connection over when the caller may
    // subscribe; anything else gets an ordinary HTTP answer and the connection closes.
    void upgrade(const http::request<http::string_body>& msg, const Request& req) {
        m_target = redact_token(req.target);
        LiveAdmission admission = admit_live(req, m_shared->services);
        if (!admission.who)
            return do_write(std::move(admission.refusal), true, false);
        m_status = 101;
        m_bytes = 0;
        log_access();
        auto live = std::make_shared<LiveSession>(std::move(m_stream), m_shared);
        live->start(msg, std::move(*admission.who), std::move(admission.token));
    }

    void do_write(Response res, bool close, bool drain) {
        m_close = close || m_stopping || m_shared->stopping;
        m_drain = drain;
        m_status = res.status;
        m_bytes = res.body.size();

        m_res = {};
        m_res.version(m_version);
        m_res.result(static_cast<unsigned>(res.status));
        for (auto& [name, value] : res.headers)
            m_res.insert(name, value);
        // 1xx, 204 and 304 carry neither a body nor Content-Length (RFC 9110 8.6).
        bool no_body = res.status == 204 || res.status == 304 || res.status < 200;
        if (no_body) {
            m_bytes = 0;
        } else if (res.head_only) {
            m_res.content_length(res.body.size());
            m_bytes = 0;
        } else {
            m_res.body() = std::move(res.body);
            m_res.prepare_payload();
        }
        m_res.set(http::field::server, "Tessera");
        m_res.keep_alive(!m_close);

        m_state = State::writing;
        m_stream.expires_after(m_shared->config.io_timeout);
        http::async_write(m_stream, m_res,
                          beast::bind_front_handler(&Session::on_write, shared_from_this()));
    }

    void log_access() {
        std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - m_start;
        auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now());
        m_shared->log(
            access_log_line(now, m_remote, m_method, m_target, m_status, m_bytes, ms.count()));
    }

    void on_write(error_code ec, std::size_t) {
        log_access();
        if (ec)
            return do_close();
        if (m_drain)
            return do_drain();
        if (m_close)
            return do_close();
        do_read();
    }

    // After an early error response: stop sending, then read and discard what the client is
    // still uploading (bounded in bytes and time), so its TCP stack does not answer our response
    // with a reset before the client has read it.
    void do_drain() {
        m_state = State::draining;
        error_code ec;
        m_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        if (ec)
            return do_close();
        m_drain_buffer.resize(64 * 1024);
        m_drained = 0;
        m_stream.expires_after(std::chrono::seconds(5));
        m_stream.async_read_some(net::buffer(m_drain_buffer),
                                 beast::bind_front_handler(&Session::on_drain, shared_from_this()));
    }

    void on_drain(error_code ec, std::size_t n) {
        m_drained += n;
        if (ec || m_drained > 64 * m_shared->config.max_body + (16u << 20))
            return do_close();
        m_stream.async_read_some(net::buffer(m_drain_buffer),
                                 beast::bind_front_handler(&Session::on_drain, shared_from_this()));
    }

    void do_close() {
        m_state = State::closed;
        error_code ec;
        m_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        m_stream.close();
    }

    ConnectionExecutor m_executor;
    Stream m_stream;
    std::shared_ptr<Shared> m_shared;
    std::string m_remote;
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    http::response<http::string_body> m_res;
    State m_state = State::reading;
    bool m_stopping = false;
    bool m_close = false;
    bool m_drain = false;
    unsigned m_version = 11;
    std::vector<char> m_drain_buffer;
    std::size_t m_drained = 0;
    // For the access log.
    std::chrono::steady_clock::time_point m_start;
    std::string m_method;
    std::string m_target;
    int m_status = 0;
    std::size_t m_bytes = 0;
};

} // namespace

struct Server::Impl {
    net::io_context ioc; // first: destroyed last, after every I/O object below
    // Serialises the shutdown machinery (signals, drain timer).
    net::strand<net::io_context::executor_type> control;
    std::shared_ptr<Shared> shared;
    tcp::acceptor acceptor;
    net::signal_set signals;
    net::steady_timer drain_timer;
    net::steady_timer retry_timer;
    std::chrono::steady_clock::time_point drain_deadline;
    std::uint16_t port = 0;
    std::atomic<bool> shutdown_started{false};

    Impl(Services& services, ServerConfig config)
        : ioc(std::max(1, config.threads))
        , control(net::make_strand(ioc))
        , shared(std::make_shared<Shared>(services, std::move(config)))
        , acceptor(net::make_strand(ioc))
        , signals(control, SIGINT, SIGTERM)
        , drain_timer(control)
        , retry_timer(acceptor.get_executor()) {}

    void listen() {
        const ServerConfig& c = shared->config;
        error_code ec;
        tcp::endpoint endpoint;
        auto address = net::ip::make_address(c.host, ec);
        if (!ec) {
            endpoint = tcp::endpoint(address, c.port);
        } else {
            tcp::resolver resolver(ioc);
            auto results = resolver.resolve(c.host, std::to_string(c.port), ec);
            if (ec || results.empty())
                throw Error(ErrorCode::invalid_argument,
                            "cannot resolve host '" + c.host + "': " + ec.message());
            endpoint = results.begin()->endpoint();
        }
        auto fail = [&](const char* what) {
            return Error(ErrorCode::io_error, std::string("cannot ") + what + " " + c.host + ":" +
                                                  std::to_string(c.port) + ": " + ec.message());
        };
        acceptor.open(endpoint.protocol(), ec);
        if (ec)
            throw fail("open a socket for");
        acceptor.set_option(net::socket_base::reuse_address(true), ec);
        acceptor.bind(endpoint, ec);
        if (ec)
            throw fail("bind");
        acceptor.listen(net::socket_base::max_listen_connections, ec);
        if (ec)
            throw fail("listen on");
        port = acceptor.local_endpoint().port();
    }

    void do_accept() {
        acceptor.async_accept(net::make_strand(ioc), [this](error_code ec, Socket socket) {
            if (ec == net::error::operation_aborted || shared->stopping || !acceptor.is_open())
                return;
            if (ec) {
                // Typically EMFILE: back off instead of spinning.
                std::fprintf(stderr, "tessera serve: accept: %s\n", ec.message().c_str());
                retry_timer.expires_after(std::chrono::milliseconds(100));
                retry_timer.async_wait([this](error_code wait_ec) {
                    if (!wait_ec && !shared->stopping)
                        do_accept();
                });
                return;
            }
            std::make_shared<Session>(std::move(socket), shared)->start();
            do_accept();
        });
    }

    void wait_for_signal() {
        signals.async_wait([this](error_code ec, int) {
            if (ec)
                return;
            if (!shutdown_started) {
                begin_shutdown();
                wait_for_signal(); // a second signal stops at once
            } else {
                std::fprintf(stderr, "tessera serve: second signal, stopping now\n");
                ioc.stop();
            }
        });
    }

    void begin_shutdown() {
        if (shutdown_started.exchange(true))
            return;
        shared->stopping = true;
        net::post(acceptor.get_executor(), [this] {
            error_code ec;
            acceptor.close(ec);
            retry_timer.cancel();
        });
        std::vector<std::shared_ptr<Session>> live;
        {
            std::lock_guard lock(shared->sessions_mutex);
            for (auto& [ptr, weak] : shared->sessions)
                if (auto s = weak.lock())
                    live.push_back(std::move(s));
        }
        for (auto& s : live)
            net::post(s->executor(), [s] { s->stop(); });
        shared->live->close_all("server shutting down");
        drain_deadline = std::chrono::steady_clock::now() + shared->config.drain_timeout;
        poll_drain();
    }

    // Polls until every connection is gone (then lets run() return) or the deadline passes.
    void poll_drain() {
        drain_timer.expires_after(std::chrono::milliseconds(20));
        drain_timer.async_wait([this](error_code ec) {
            if (ec)
                return;
            if (shared->session_count() == 0) {
                signals.cancel();
                return;
            }
            if (std::chrono::steady_clock::now() >= drain_deadline) {
                std::fprintf(stderr,
                             "tessera serve: %zu connection(s) still open after the drain "
                             "timeout, stopping\n",
                             shared->session_count());
                ioc.stop();
                return;
            }
            poll_drain();
        });
    }
};

Server::Server(Services& services, ServerConfig config) {
    if (config.threads < 1 || config.threads > 256)
        throw Error(ErrorCode::invalid_argument,
                    "threads must be between 1 and 256, got " + std::to_string(config.threads));
    m_impl = std::make_unique<Impl>(services, std::move(config));
    m_impl->listen();
    m_impl->wait_for_signal();
    m_impl->do_accept();
}

Server::~Server() = default;

std::uint16_t Server::port() const {
    return m_impl->port;
}

void Server::run() {
    // A handler that throws must not take the server down: log it and keep running. (Sessions
    // catch what handle() and Beast throw; this is the last line of defence.)
    auto run_loop = [this] {
        for (;;) {
            try {
                m_impl->ioc.run();
                return;
            } catch (const std::exception& e) {
                std::fprintf(stderr, "tessera serve: unexpected exception: %s\n", e.what());
            }
        }
    };
    int n = m_impl->shared->config.threads;
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(n - 1));
    for (int i = 1; i < n; ++i)
        pool.emplace_back(run_loop);
    run_loop();
    for (auto& t : pool)
        t.join();
}

void Server::stop() {
    net::post(m_impl->control, [impl = m_impl.get()] { impl->begin_shutdown(); });
}

std::string access_log_line(data::Time time, std::string_view remote, std::string_view method,
                            std::string_view target, int status, std::size_t bytes, double ms) {
    // Without printf: there is one line per request, formatted on the I/O thread.
    std::string line = data::format_time(time);
    auto number = [&line](auto v, auto... format) {
        char buf[32];
        line += ' ';
        line.append(buf, std::to_chars(buf, buf + sizeof buf, v, format...).ptr);
    };
    line += ' ';
    line += remote.empty() ? std::string_view("-") : remote;
    line += ' ';
    line += method.empty() ? std::string_view("-") : method;
    line += ' ';
    line += target.empty() ? std::string_view("-") : target;
    number(status);
    number(bytes);
    number(ms, std::chars_format::fixed, 3);
    return line;
}

} // namespace tessera::server
