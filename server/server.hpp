// The HTTP/1.1 server: Boost.Beast, asynchronous, keep-alive, on a small thread pool. Sessions
// only read, write and time out; every complete request goes to handle() (router.hpp).
//
// - Body limit: a request whose body exceeds ServerConfig::max_body is answered 413 (JSON) and
//   the connection is closed after the rest of the upload is drained (so the client sees the
//   response rather than a reset).
// - Timeouts: reading a request (including the idle time between keep-alive requests) and
//   writing a response each have ServerConfig::io_timeout; on expiry the connection is closed.
// - Shutdown: on SIGTERM or SIGINT (or stop()), the listening socket is closed, idle keep-alive
//   connections are closed, requests in flight are answered (with "Connection: close"), and
//   run() returns once all connections are gone or after ServerConfig::drain_timeout.
//   A second signal during the drain stops at once.
// - Access log: one line per response on ServerConfig::access_log (access_log_line()), written
//   by a thread of its own every 100 ms (and at shutdown), never by the I/O threads.
#pragma once

#include "data/model.hpp"
#include "server/services.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace tessera::server {

struct ServerConfig {
    std::string host = "127.0.0.1"; // an IP address or a host name resolving to one
    std::uint16_t port = 8080;      // 0: the system picks a free port (see Server::port())
    int threads = 2;                // threads running the I/O and the handlers; >= 1
    std::size_t max_body = 1 << 20; // bytes
    std::chrono::seconds io_timeout{30};
    std::chrono::seconds drain_timeout{10};
    std::FILE* access_log = stdout; // nullptr: no access log
};

class Server {
public:
    // Binds and listens, and installs the SIGTERM/SIGINT handlers. Throws Error(io_error) when
    // the address cannot be bound, Error(invalid_argument) for a bad host or thread count.
    // `services` must outlive the Server.
    Server(Services& services, ServerConfig config);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // The port actually listened on (useful with port 0).
    std::uint16_t port() const;

    // Serves until shutdown completes (see above). Call once, from one thread.
    void run();
    // Starts the graceful shutdown, as SIGTERM does. Thread-safe; may be called before run().
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// "2025-06-01T08:00:00.123Z 127.0.0.1:51234 GET /api/v1/layers 200 1834 0.734": time (ISO 8601
// UTC), remote address:port, method, target, status, response body bytes, milliseconds from the
// complete request to the written response.
std::string access_log_line(data::Time time, std::string_view remote, std::string_view method,
                            std::string_view target, int status, std::size_t bytes, double ms);

} // namespace tessera::server
