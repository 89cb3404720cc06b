// End to end: the real `tessera serve` binary (TESSERA_BINARY) on a free port and a temporary
// database, called over TCP.
#include "data/store.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace tessera;
using tessera::testing::HttpClient;
using tessera::testing::ServerProcess;
using tessera::testing::TempDir;
using json = nlohmann::json;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

namespace {

class ServerE2E : public ::testing::Test {
protected:
    TempDir dir;

    void SetUp() override {
        auto store = data::open_spatialite_store(dir / "e2e.db");
        store->create_layer({"county", data::LayerKind::county, "县区", std::nullopt, 0, "gcj02"});
        store->create_layer({"grid", data::LayerKind::grid, "网格", "county", 1, "EPSG:4326"});
        std::vector<data::FeatureInput> grids;
        for (int i = 0; i < 3; ++i) {
            double x = 114.0 + i * 0.01;
            grids.push_back(
                {"G" + std::to_string(i + 1),
                 "网格" + std::to_string(i + 1),
                 std::nullopt,
                 {},
                 geo::Polygon{
                     {{{x, 33.5}, {x + 0.01, 33.5}, {x + 0.01, 33.51}, {x, 33.51}, {x, 33.5}}}}});
        }
        store->replace_features("grid", {"e2e", "seed", std::nullopt}, grids);
    }
};

TEST_F(ServerE2E, HealthzAndLayersOverTcp) {
    ServerProcess server(dir);
    ASSERT_NE(server.port(), 0);
    HttpClient client(server.port());
    auto health = client.get("/healthz");
    EXPECT_EQ(health.status, 200) << health.body;
    EXPECT_EQ(json::parse(health.body)["status"], "ok");

    auto layers = client.get("/api/v1/layers");
    ASSERT_EQ(layers.status, 200) << layers.body;
    EXPECT_EQ(layers.header("content-type"), "application/json");
    json j = json::parse(layers.body);
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j[1]["name"], "grid");
    EXPECT_EQ(j[1]["feature_count"], 3);

    auto features = client.get("/api/v1/layers/grid/features?limit=2");
    ASSERT_EQ(features.status, 200) << features.body;
    EXPECT_EQ(features.header("content-type"), "application/geo+json");
    EXPECT_EQ(json::parse(features.body)["numberReturned"], 2);

    auto missing = client.get("/api/v1/layers/nope/features");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(json::parse(missing.body)["code"], "not_found");
}

TEST_F(ServerE2E, KeepAliveServesTwoRequestsOnOneConnection) {
    ServerProcess server(dir);
    HttpClient client(server.port());
    auto first = client.get("/healthz");
    EXPECT_EQ(first.status, 200);
    EXPECT_TRUE(first.keep_alive);
    auto second = client.get("/api/v1/layers");
    EXPECT_EQ(second.status, 200);
    // Both lines of the access log name the same client port: one connection.
    std::string remote = "127.0.0.1:" + std::to_string(client.local_port()) + " ";
    std::string log = server.stdout_text();
    for (int i = 0; i < 100 && log.find(remote + "GET /api/v1/layers 200") == std::string::npos;
         ++i) {
        std::this_thread::sleep_for(10ms);
        log = server.stdout_text();
    }
    EXPECT_NE(log.find(remote + "GET /healthz 200 "), std::string::npos) << log;
    EXPECT_NE(log.find(remote + "GET /api/v1/layers 200 "), std::string::npos) << log;
    EXPECT_FALSE(client.closed_by_peer(200ms));
}

TEST_F(ServerE2E, BodyOverTheLimitIs413AndTheConnectionCloses) {
    ServerProcess server(dir);
    HttpClient client(server.port());
    std::string big(2 << 20, 'x');
    auto reply = client.request(http::verb::post, "/api/v1/login", big,
                                {{"Content-Type", "application/json"}});
    EXPECT_EQ(reply.status, 413);
    EXPECT_EQ(json::parse(reply.body)["code"], "payload_too_large");
    EXPECT_FALSE(reply.keep_alive);
    EXPECT_TRUE(client.closed_by_peer(5000ms));

    // A body under the limit on a new connection is read and answered normally.
    HttpClient again(server.port());
    auto small = again.request(http::verb::post, "/api/v1/login", "{\"username\": 1}");
    EXPECT_EQ(small.status, 400);
}

TEST_F(ServerE2E, MaxBodyIsConfigurable) {
    ServerProcess server(dir, {"--max-body", "16"});
    HttpClient client(server.port());
    auto reply =
        client.request(http::verb::post, "/api/v1/login", R"({"username":"a","password":"b"})");
    EXPECT_EQ(reply.status, 413);
}

TEST_F(ServerE2E, ServesTheWebApp) {
    ServerProcess server(dir);
    HttpClient client(server.port());
    auto index = client.get("/");
    EXPECT_EQ(index.status, 200);
    EXPECT_EQ(index.header("content-type"), "text/html; charset=utf-8");
    EXPECT_NE(index.body.find("<script src=\"app.js\">"), std::string::npos) << index.body;
    // The bundle (make web) that calls the API.
    auto app = client.get("/app.js");
    EXPECT_EQ(app.status, 200);
    EXPECT_EQ(app.header("content-type"), "text/javascript; charset=utf-8");
    EXPECT_NE(app.body.find("/api/v1/login"), std::string::npos);
    auto traversal = client.get("/%2e%2e/CMakeLists.txt");
    EXPECT_EQ(traversal.status, 400);
}

TEST_F(ServerE2E, SigtermWithAnIdleKeepAliveConnectionExitsZero) {
    ServerProcess server(dir);
    HttpClient client(server.port());
    ASSERT_EQ(client.get("/healthz").status, 200); // the connection stays open and idle
    server.signal(SIGTERM);
    ASSERT_TRUE(server.exited(5000ms)) << "still running 5 s after SIGTERM";
    EXPECT_TRUE(WIFEXITED(server.status())) << "status " << server.status();
    EXPECT_EQ(WEXITSTATUS(server.status()), 0) << server.stderr_text();
    EXPECT_TRUE(client.closed_by_peer(1000ms));
    // The listening socket is gone too.
    EXPECT_THROW(HttpClient(server.port(), "127.0.0.1", 2s), std::runtime_error);
}

TEST_F(ServerE2E, SigtermLetsARequestInFlightFinish) {
    ServerProcess server(dir);
    HttpClient client(server.port());
    const std::string body = R"({"username":"nobody","password":"whatever"})";
    std::string head = "POST /api/v1/login HTTP/1.1\r\nHost: localhost\r\n"
                       "Content-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n";
    // Half the request, then the signal, then the rest: the server has started reading this
    // request, so it must answer it before it exits.
    client.send_raw(head + body.substr(0, 10));
    std::this_thread::sleep_for(200ms);
    server.signal(SIGTERM);
    std::this_thread::sleep_for(200ms);
    EXPECT_FALSE(server.exited(0ms)) << "exited with a request in flight";
    client.send_raw(body.substr(10));
    auto reply = client.read_reply();
    EXPECT_EQ(reply.status, 401) << reply.body;
    EXPECT_FALSE(reply.keep_alive); // "Connection: close" while shutting down
    ASSERT_TRUE(server.exited(5000ms));
    EXPECT_TRUE(WIFEXITED(server.status()));
    EXPECT_EQ(WEXITSTATUS(server.status()), 0) << server.stderr_text();
}

TEST_F(ServerE2E, SigintAlsoExitsZero) {
    ServerProcess server(dir);
    server.signal(SIGINT);
    ASSERT_TRUE(server.exited(5000ms));
    EXPECT_TRUE(WIFEXITED(server.status()));
    EXPECT_EQ(WEXITSTATUS(server.status()), 0) << server.stderr_text();
}

TEST_F(ServerE2E, MissingDatabaseFailsToStart) {
    std::string db = (dir / "missing.db").string();
    pid_t pid = fork();
    if (pid == 0) {
        int null = ::open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        execl(TESSERA_BINARY, TESSERA_BINARY, "serve", "--db", db.c_str(), "--port", "0",
              static_cast<char*>(nullptr));
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 2);
    EXPECT_FALSE(std::filesystem::exists(dir / "missing.db"));
}

} // namespace
