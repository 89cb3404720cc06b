#include "cli/commands.hpp"
#include "data/auth.hpp"
#include "data/demo_city.hpp"
#include "data/store.hpp"
#include "geo/error.hpp"
#include "server/metrics.hpp"
#include "server/server.hpp"

#include <cstdio>
#include <filesystem>

#ifndef TESSERA_DEFAULT_WEB_DIR
#define TESSERA_DEFAULT_WEB_DIR "web"
#endif

namespace tessera::cli {
namespace {

// The demo users that exist in this database, with their passwords (see data/demo_city.hpp).
void print_demo_logins(data::Store& store) {
    bool any = false;
    for (const auto& login : data::demo_logins()) {
        if (!store.find_user(login.username))
            continue;
        if (!any)
            std::printf("Demo logins (user / password / role / scope):\n");
        any = true;
        std::printf("  %-9s %-14s %-17s %s\n", login.username.c_str(), login.password.c_str(),
                    login.role.c_str(), login.scope.c_str());
    }
    if (!any)
        std::printf("No demo users in this database (build one with `tessera demo`).\n");
    data::Auth auth(store);
    if (auth.has_api_key(data::demo_api_key()))
        std::printf("Open311 api_key of the citizens' reporting app (/open311/v2/): %s\n",
                    std::string(data::demo_api_key()).c_str());
}

} // namespace

int serve_command(Args args) {
    Options opts(args,
                 {"db", "host", "port", "threads", "web", "max-body", "clock-start", "clock-rate",
                  "escalate-every-ms", "tile-cache-mb"},
                 {"print-demo-logins"});
    if (!opts.positional().empty())
        throw Error(ErrorCode::invalid_argument,
                    "unexpected argument '" + opts.positional().front() + "'");
    std::filesystem::path db = opts.require("db");
    if (!std::filesystem::exists(db))
        throw Error(ErrorCode::invalid_argument,
                    "database '" + db.string() +
                        "' does not exist (create one with `tessera demo` or `tessera import`)");

    server::ServerConfig config;
    config.host = opts.get("host", "127.0.0.1");
    long long port = opts.get_int("port", 8080);
    if (port < 0 || port > 65535)
        throw Error(ErrorCode::invalid_argument,
                    "--port must be 0..65535, got " + std::to_string(port));
    config.port = static_cast<std::uint16_t>(port);
    long long threads = opts.get_int("threads", 2);
    if (threads < 1 || threads > 256)
        throw Error(ErrorCode::invalid_argument,
                    "--threads must be 1..256, got " + std::to_string(threads));
    config.threads = static_cast<int>(threads);
    long long max_body = opts.get_int("max-body", 1 << 20);
    if (max_body < 0)
        throw Error(ErrorCode::invalid_argument, "--max-body must be >= 0");
    config.max_body = static_cast<std::size_t>(max_body);

    std::optional<std::filesystem::path> web =
        std::filesystem::path(opts.get("web", TESSERA_DEFAULT_WEB_DIR));
    if (!std::filesystem::is_directory(*web)) {
        std::fprintf(stderr, "tessera serve: web directory '%s' not found; serving the API only\n",
                     web->string().c_str());
        web.reset();
    }

    // The event clock: real time, or (for demonstrations and tests) a clock starting at
    // --clock-start and running --clock-rate times faster. Login tokens keep real time.
    data::EventDesk::Clock clock;
    if (opts.has("clock-start") || opts.has("clock-rate")) {
        data::Time start = data::system_clock_now();
        if (opts.has("clock-start")) {
            auto t = data::parse_time(opts.get("clock-start", ""));
            if (!t)
                throw Error(ErrorCode::invalid_argument,
                            "--clock-start must be an ISO 8601 time such as 2026-01-01T08:00:00Z");
            start = *t;
        }
        long long rate = opts.get_int("clock-rate", 1);
        if (rate < 1 || rate > 10'000'000)
            throw Error(ErrorCode::invalid_argument, "--clock-rate must be 1..10000000");
        clock = data::accelerated_clock(start, static_cast<double>(rate));
    }
    long long tile_cache_mb = opts.get_int("tile-cache-mb", 256);
    if (tile_cache_mb < 0 || tile_cache_mb > (1 << 20))
        throw Error(ErrorCode::invalid_argument, "--tile-cache-mb must be 0..1048576");
    long long escalate_every = opts.get_int("escalate-every-ms", 60'000);
    if (escalate_every < 1)
        throw Error(ErrorCode::invalid_argument, "--escalate-every-ms must be >= 1");

    auto store = data::open_spatialite_store(db);
    data::Auth auth(*store);
    server::Metrics metrics;
    data::Assigner assigner(*store);
    assigner.refresh(); // build the point-location indexes before the first request
    data::EventDesk desk(*store, assigner, data::DeskConfig{}, clock);
    tiles::TileCache tile_cache(static_cast<std::size_t>(tile_cache_mb) << 20);
    server::Services services{*store, auth, assigner, desk, metrics, tile_cache, web};
    server::Server http(services, config);

    if (opts.has("print-demo-logins"))
        print_demo_logins(*store);
    std::string host = config.host;
    if (host == "127.0.0.1" || host == "0.0.0.0" || host == "::" || host == "::1")
        host = "localhost";
    std::printf("Tessera serving http://%s:%u/\n", host.c_str(), unsigned(http.port()));
    std::fflush(stdout);

    {
        data::EscalationScheduler scheduler(
            desk, std::chrono::milliseconds(escalate_every), [](const std::string& line) {
                std::fprintf(stderr, "tessera serve: %s\n", line.c_str());
            });
        http.run();
    }
    std::fprintf(stderr, "tessera serve: stopped\n");
    return 0;
}

} // namespace tessera::cli
