// End to end: events through the real `tessera serve` binary over TCP. Intake from each
// channel, every transition and an illegal one, jurisdiction, duplicates, bad input, and
// escalation through all four levels on an accelerated clock.
#include "data/auth.hpp"
#include "data/store.hpp"
#include "geo/crs.hpp"
#include "tests/support/event_city.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/ws_client.hpp"

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace tessera;
using tessera::testing::HttpClient;
using tessera::testing::HttpReply;
using tessera::testing::ServerProcess;
using tessera::testing::TempDir;
using tessera::testing::WsClient;
using json = nlohmann::json;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

namespace {

constexpr const char* password = "e2e-password";
constexpr const char* app_key = "e2e-open311-app-key-0123456789abcdef";

class EventsE2E : public ::testing::Test {
protected:
    TempDir dir;

    void SetUp() override {
        auto store = data::open_spatialite_store(dir / "e2e.db");
        tessera::testing::seed_event_city(*store);
        data::Auth auth(*store);
        using K = data::Jurisdiction::Kind;
        auto user = [&](const char* name, data::Role role, data::Jurisdiction j) {
            auth.create_user({name, name, role, std::move(j), password, {}, {}});
        };
        user("admin", data::Role::admin, {K::everything, "", {}});
        user("city", data::Role::command_operator, {K::area, "411100", {}});
        user("officer1", data::Role::grid_officer, {K::grids, "", {"G1"}});
        user("officer3", data::Role::grid_officer, {K::grids, "", {"G3"}});
        user("citizen", data::Role::reporter, {K::none, "", {}});
        auth.create_user({"dept",
                          "dept",
                          data::Role::department_staff,
                          data::Jurisdiction{K::area, "411100", {}},
                          password,
                          {},
                          "D02"});
        auto app = auth.create_user(
            {"app", "随手拍", data::Role::reporter, {K::none, "", {}}, password, {}, {}});
        auth.register_api_key(app, "随手拍", app_key);
    }
};

// A logged-in client.
class Caller {
public:
    Caller(std::uint16_t port, const std::string& username)
        : m_client(port) {
        auto reply = m_client.request(http::verb::post, "/api/v1/login",
                                      json{{"username", username}, {"password", password}}.dump(),
                                      {{"Content-Type", "application/json"}});
        EXPECT_EQ(reply.status, 200) << reply.body;
        m_token = json::parse(reply.body)["token"].get<std::string>();
    }

    const std::string& token() const { return m_token; }

    HttpReply post(const std::string& target, const json& body) {
        return post_raw(target, body.dump());
    }
    HttpReply post_raw(const std::string& target, const std::string& body) {
        return m_client.request(
            http::verb::post, target, body,
            {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + m_token}});
    }
    HttpReply get(const std::string& target) {
        return m_client.get(target, {{"Authorization", "Bearer " + m_token}});
    }
    json get_json(const std::string& target) {
        auto reply = get(target);
        EXPECT_EQ(reply.status, 200) << target << ": " << reply.body;
        return json::parse(reply.body);
    }
    // Reports an event; returns its properties (with the timeline).
    json report(const json& body) {
        auto reply = post("/api/v1/events", body);
        EXPECT_EQ(reply.status, 201) << reply.body;
        if (reply.status != 201)
            return json::object();
        EXPECT_EQ(reply.header("content-type"), "application/geo+json");
        json feature = json::parse(reply.body);
        EXPECT_EQ(reply.header("location"),
                  "/api/v1/events/" + std::to_string(feature["id"].get<std::int64_t>()));
        return feature["properties"];
    }
    HttpReply act(std::int64_t id, const json& body) {
        return post("/api/v1/events/" + std::to_string(id) + "/actions", body);
    }
    // Takes an action that must succeed; returns the new properties.
    json must_act(std::int64_t id, const json& body) {
        auto reply = act(id, body);
        EXPECT_EQ(reply.status, 200) << body.dump() << ": " << reply.body;
        return reply.status == 200 ? json::parse(reply.body)["properties"] : json::object();
    }

private:
    HttpClient m_client;
    std::string m_token;
};

json point(double lon, double lat) {
    return json{{"type", "Point"}, {"coordinates", {lon, lat}}};
}

std::int64_t total(Caller& c, const std::string& query = "") {
    return c.get_json("/api/v1/events" + query)["numberMatched"].get<std::int64_t>();
}

} // namespace

TEST_F(EventsE2E, EveryIntakeChannel) {
    ServerProcess server(dir);
    Caller officer(server.port(), "officer1");
    Caller citizen(server.port(), "citizen");
    Caller admin(server.port(), "admin");

    json o = officer.report({{"category", "garbage"},
                             {"description", "路口垃圾堆放"},
                             {"location", point(114.01, 33.52)},
                             {"accuracy", 8},
                             {"photos", {"https://example.org/1.jpg"}}});
    EXPECT_EQ(o["source"], "officer");
    EXPECT_EQ(o["grid_code"], "G1");
    EXPECT_EQ(o["community_code"], "C1");
    EXPECT_EQ(o["township_code"], "T1");
    EXPECT_EQ(o["county_code"], "411102");
    EXPECT_EQ(o["city_code"], "411100");
    EXPECT_EQ(o["status"], "dispatched"); // general: to the grid by rule
    EXPECT_EQ(o["timeline"].size(), 2u);
    EXPECT_GT(o["layer_version"].get<int>(), 0);

    // A citizen's mini-program sends GCJ-02: a point 2 m inside G1's east edge in WGS84 is
    // about 550 m off in GCJ-02 (beyond G2), and must still land in G1.
    geo::LonLat wgs{114.02498, 33.52};
    geo::LonLat gcj = geo::CrsTransform(geo::Crs::wgs84(), geo::Crs::parse("gcj02")).apply(wgs);
    json c = citizen.report(
        {{"category", "noise"}, {"location", point(gcj.lon, gcj.lat)}, {"crs", "gcj02"}});
    EXPECT_EQ(c["source"], "citizen");
    EXPECT_EQ(c["grid_code"], "G1");
    // A citizen cannot pretend to be a camera.
    EXPECT_EQ(citizen
                  .post("/api/v1/events",
                        {{"category", "noise"}, {"source", "camera"}, {"camera", "CAM1"}})
                  .status,
              403);

    json h = admin.report({{"category", "wage_arrears"},
                           {"source", "hotline"},
                           {"reporter", "13800000000"},
                           {"address", "滨东社区3号楼"},
                           {"location", point(114.07, 33.52)}});
    EXPECT_EQ(h["source"], "hotline");
    EXPECT_EQ(h["grid_code"], "G3");
    EXPECT_EQ(h["status"], "reported"); // complex: waits for the command center

    json cam = admin.report({{"category", "street_vendor"},
                             {"source", "camera"},
                             {"camera", "CAM1"},
                             {"alert_type", "占道经营识别"}});
    EXPECT_EQ(cam["camera_code"], "CAM1");
    EXPECT_EQ(cam["grid_code"], "G1");

    json footprint = {{"type", "Polygon"},
                      {"coordinates",
                       {{{114.06, 33.52},
                         {114.062, 33.52},
                         {114.062, 33.522},
                         {114.06, 33.522},
                         {114.06, 33.52}}}}};
    json drone = admin.report({{"category", "illegal_construction"},
                               {"source", "drone"},
                               {"flight", "F1"},
                               {"location", footprint}});
    EXPECT_EQ(drone["flight_code"], "F1");
    EXPECT_EQ(drone["grid_code"], "G3");
    EXPECT_EQ(drone["footprint"]["type"], "MultiPolygon"); // stored as a MultiPolygon
    auto one = admin.get_json("/api/v1/events/" + std::to_string(drone["id"].get<int>()));
    EXPECT_NEAR(one["geometry"]["coordinates"][0].get<double>(), 114.061, 1e-9);
    EXPECT_NEAR(one["geometry"]["coordinates"][1].get<double>(), 33.521, 1e-9);

    EXPECT_EQ(total(admin), 5);
    EXPECT_EQ(total(admin, "?grid=G3"), 2);
    EXPECT_EQ(total(admin, "?category=garbage&status=dispatched"), 1);
    EXPECT_EQ(total(admin, "?bbox=114.05,33.5,114.1,33.55"), 2);
}

TEST_F(EventsE2E, BadInputIsA4xxAndStoresNothing) {
    ServerProcess server(dir);
    Caller admin(server.port(), "admin");
    struct Case {
        std::string body;
        int status;
        std::string says;
    };
    const Case cases[] = {
        {"{\"category\": \"garbage\", ", 400, "JSON object"},
        {R"({"category": "no_such", "location": {"type":"Point","coordinates":[114.01,33.52]}})",
         400, "unknown category"},
        {R"({"category": "garbage", "location": {"type":"Point","coordinates":[114.01,95]}})", 400,
         "range"},
        {R"({"category": "garbage", "location": {"type":"Point","coordinates":[114.01]}})", 400,
         "position"},
        {R"({"category": "garbage", "crs": "EPSG:999999",
             "location": {"type":"Point","coordinates":[114.01,33.52]}})",
         400, "EPSG:999999"},
        {R"({"category": "garbage", "lat": 33.52})", 400, "unknown field 'lat'"},
        {R"({"category": "garbage"})", 400, "location"},
        {R"({"category": "garbage", "location": {"type":"Polygon","coordinates":[[[114,33.5],[114.01,33.5],[114,33.51]]]}})",
         400, "at least 4"},
        {R"({"category": "garbage", "photos": "x.jpg",
             "location": {"type":"Point","coordinates":[114.01,33.52]}})",
         400, "photos"},
    };
    for (const auto& c : cases) {
        auto reply = admin.post_raw("/api/v1/events", c.body);
        EXPECT_EQ(reply.status, c.status) << c.body << " -> " << reply.body;
        EXPECT_NE(reply.body.find(c.says), std::string::npos) << c.body << " -> " << reply.body;
    }
    EXPECT_EQ(total(admin), 0);
    // Not logged in: 401.
    HttpClient anonymous(server.port());
    EXPECT_EQ(anonymous.get("/api/v1/events").status, 401);
    EXPECT_EQ(anonymous
                  .request(http::verb::post, "/api/v1/events", R"({"category":"garbage"})",
                           {{"Content-Type", "application/json"}})
                  .status,
              401);
}

TEST_F(EventsE2E, EveryTransitionAndAnIllegalOne) {
    ServerProcess server(dir);
    Caller city(server.port(), "city");
    Caller officer(server.port(), "officer1");
    Caller citizen(server.port(), "citizen");
    Caller dept(server.port(), "dept");

    // complex, by a citizen: reported, waiting for the command center.
    json e = citizen.report({{"category", "illegal_construction"},
                             {"location", point(114.01, 33.52)},
                             {"description", "楼顶加盖"}});
    std::int64_t id = e["id"];
    EXPECT_EQ(e["status"], "reported");

    // Illegal: resolve from reported. 409 with the actions the caller may take now.
    auto illegal = officer.act(id, {{"action", "resolve"}, {"note", "done"}});
    EXPECT_EQ(illegal.status, 409) << illegal.body;
    json conflict = json::parse(illegal.body);
    EXPECT_EQ(conflict["code"], "conflict");
    EXPECT_EQ(conflict["status"], "reported");
    EXPECT_EQ(conflict["allowed_actions"], json({"dispatch", "close", "escalate"}));

    e = city.must_act(id, {{"action", "dispatch"}});
    EXPECT_EQ(e["status"], "dispatched");
    e = officer.must_act(id, {{"action", "reject"}, {"note", "属于住建部门职责"}});
    EXPECT_EQ(e["status"], "rejected");
    e = city.must_act(id, {{"action", "dispatch"}, {"target", "D02"}}); // the whistle
    EXPECT_EQ(e["department_code"], "D02");
    e = dept.must_act(id, {{"action", "accept"}});
    EXPECT_EQ(e["status"], "accepted");
    e = dept.must_act(id, {{"action", "transfer"}, {"target", "D01"}});
    EXPECT_EQ(e["status"], "dispatched");
    EXPECT_EQ(e["department_code"], "D01");
    e = officer.must_act(id, {{"action", "escalate"}, {"note", "需要街道协调"}});
    EXPECT_EQ(e["level"], "community");
    e = officer.must_act(id, {{"action", "accept"}});
    e = officer.must_act(id, {{"action", "start"}});
    EXPECT_EQ(e["status"], "in_progress");
    // illegal_construction needs a photo of the result.
    EXPECT_EQ(officer.act(id, {{"action", "resolve"}, {"note", "已拆除"}}).status, 400);
    e = officer.must_act(
        id,
        {{"action", "resolve"}, {"note", "已拆除"}, {"photos", {"https://example.org/after.jpg"}}});
    EXPECT_EQ(e["status"], "resolved");
    // The citizen is not satisfied: reopened and re-dispatched.
    e = citizen.must_act(id, {{"action", "rate"}, {"satisfied", false}});
    EXPECT_EQ(e["status"], "dispatched");
    EXPECT_EQ(e["satisfied"], false);
    e = officer.must_act(id, {{"action", "accept"}});
    e = officer.must_act(id, {{"action", "resolve"},
                              {"note", "彻底拆除"},
                              {"photos", {"https://example.org/after2.jpg"}}});
    e = city.must_act(id, {{"action", "close"}});
    EXPECT_EQ(e["status"], "closed");
    EXPECT_TRUE(e["on_time"].is_boolean());
    EXPECT_TRUE(e["handling_minutes"].is_number());
    e = city.must_act(id, {{"action", "reopen"}, {"note", "回访发现反弹"}});
    EXPECT_EQ(e["status"], "dispatched");
    e = officer.must_act(id, {{"action", "accept"}});
    e = officer.must_act(id, {{"action", "resolve"},
                              {"note", "再次处理"},
                              {"photos", {"https://example.org/after3.jpg"}}});
    e = citizen.must_act(id, {{"action", "rate"}, {"satisfied", true}});
    EXPECT_EQ(e["status"], "closed");
    EXPECT_EQ(e["satisfied"], true);
    EXPECT_TRUE(e["allowed_actions"].is_array());

    json timeline = city.get_json("/api/v1/events/" + std::to_string(id))["properties"]["timeline"];
    std::vector<std::string> actions;
    for (const auto& t : timeline)
        actions.push_back(t["action"]);
    EXPECT_EQ(actions, (std::vector<std::string>{"report", "dispatch", "reject", "dispatch",
                                                 "accept", "transfer", "escalate", "accept",
                                                 "start", "resolve", "rate", "accept", "resolve",
                                                 "close", "reopen", "accept", "resolve", "rate"}));
    EXPECT_EQ(timeline[2]["note"], "属于住建部门职责");
    EXPECT_EQ(timeline[2]["from"], "dispatched");
    EXPECT_EQ(timeline[2]["to"], "rejected");

    // A bad action body is a 400; an unknown event a 404.
    EXPECT_EQ(city.act(id, {{"action", "fly"}}).status, 400);
    EXPECT_EQ(city.act(id, {{"action", "report"}}).status, 400);
    EXPECT_EQ(city.act(999999, {{"action", "dispatch"}}).status, 404);
}

TEST_F(EventsE2E, AnOfficerOfOneGridCannotReadOrActOnAnothersEvents) {
    ServerProcess server(dir);
    Caller officer1(server.port(), "officer1");
    Caller officer3(server.port(), "officer3");
    Caller citizen(server.port(), "citizen");
    std::int64_t a =
        officer1.report({{"category", "noise"}, {"location", point(114.01, 33.52)}})["id"];
    std::int64_t b =
        officer3.report({{"category", "noise"}, {"location", point(114.07, 33.52)}})["id"];

    EXPECT_EQ(officer3.get("/api/v1/events/" + std::to_string(a)).status, 404);
    auto act = officer3.act(a, {{"action", "accept"}});
    EXPECT_EQ(act.status, 404) << act.body;
    EXPECT_EQ(officer1.get("/api/v1/events/" + std::to_string(b)).status, 404);
    EXPECT_EQ(citizen.get("/api/v1/events/" + std::to_string(a)).status, 404);

    json listed = officer3.get_json("/api/v1/events");
    ASSERT_EQ(listed["numberMatched"], 1);
    EXPECT_EQ(listed["features"][0]["id"], b);
    // Asking for grid G1 does not widen what officer3 sees.
    EXPECT_EQ(total(officer3, "?grid=G1"), 0);
    EXPECT_EQ(total(citizen), 0);
    // And nothing changed on A.
    EXPECT_EQ(officer1.get_json("/api/v1/events/" + std::to_string(a))["properties"]["status"],
              "dispatched");
}

TEST_F(EventsE2E, ARepeatReportIsLinkedAsADuplicate) {
    ServerProcess server(dir);
    Caller citizen(server.port(), "citizen");
    Caller city(server.port(), "city");
    json first = citizen.report({{"category", "garbage"}, {"location", point(114.01, 33.52)}});
    json again = citizen.report({{"category", "garbage"}, {"location", point(114.0101, 33.5201)}});
    EXPECT_EQ(again["duplicate_of"], first["id"]);
    EXPECT_EQ(again["status"], "closed");
    EXPECT_EQ(total(city, "?open=true"), 1);
}

TEST_F(EventsE2E, HotlineTicketsWithOnlyAnAddressArePlacedOrQueuedNeverGuessed) {
    ServerProcess server(dir);
    Caller hotline(server.port(), "city"); // the 12345 hotline is a city command-center seat
    Caller officer1(server.port(), "officer1");

    // One building has this address: placed there, assigned like any report.
    json placed = hotline.report({{"category", "garbage"},
                                  {"source", "hotline"},
                                  {"address", "源汇区滨西社区１号楼"},
                                  {"reporter", "138****0000"}});
    EXPECT_EQ(placed["grid_code"], "G1");
    EXPECT_EQ(placed["source"], "hotline");
    EXPECT_NE(placed["timeline"][0]["note"].get<std::string>().find("building B1"),
              std::string::npos);

    // Two buildings have this one: 202, queued with the candidates, no event.
    auto queued =
        hotline.post("/api/v1/events",
                     {{"category", "garbage"}, {"source", "hotline"}, {"address", "幸福路8号"}});
    ASSERT_EQ(queued.status, 202) << queued.body;
    json pending = json::parse(queued.body);
    std::string at = "/api/v1/location-queue/" + std::to_string(pending["id"].get<int>());
    EXPECT_EQ(queued.header("location"), at);
    EXPECT_EQ(pending["status"], "waiting");
    EXPECT_EQ(pending["candidates"], json({"B3", "B4"}));
    EXPECT_EQ(total(hotline), 1);

    json queue = hotline.get_json("/api/v1/location-queue");
    ASSERT_EQ(queue["numberMatched"], 1);
    EXPECT_EQ(queue["reports"][0]["address"], "幸福路8号");
    // A grid officer neither sees nor places it.
    EXPECT_EQ(officer1.get(at).status, 404);
    EXPECT_EQ(officer1.get_json("/api/v1/location-queue")["numberMatched"], 0);
    EXPECT_EQ(officer1.post(at + "/locate", {{"location", point(114.03, 33.52)}}).status, 404);
    // Bad placings change nothing.
    EXPECT_EQ(hotline.post(at + "/locate", json::object()).status, 400);
    EXPECT_EQ(hotline.post(at + "/locate", {{"location", point(114.03, 95)}}).status, 400);
    EXPECT_EQ(
        hotline.post(at + "/locate", {{"location", point(114.03, 33.52)}, {"crs", "nope"}}).status,
        400);
    EXPECT_EQ(hotline.get_json(at)["status"], "waiting");

    auto located = hotline.post(
        at + "/locate", {{"location", point(114.03, 33.52)}, {"note", "来电人确认：西边那栋"}});
    ASSERT_EQ(located.status, 201) << located.body;
    json event = json::parse(located.body)["properties"];
    EXPECT_EQ(event["grid_code"], "G2");
    EXPECT_EQ(located.header("location"),
              "/api/v1/events/" + std::to_string(event["id"].get<int>()));
    json after = hotline.get_json(at);
    EXPECT_EQ(after["status"], "located");
    EXPECT_EQ(after["event_id"], event["id"]);
    EXPECT_EQ(hotline.post(at + "/locate", {{"location", point(114.03, 33.52)}}).status, 409);
    EXPECT_EQ(hotline.get_json("/api/v1/location-queue")["numberMatched"], 0);
    EXPECT_EQ(hotline.get_json("/api/v1/location-queue?status=all")["numberMatched"], 1);
    EXPECT_EQ(total(hotline), 2);

    // An unknown address, then discarded with a reason.
    auto unknown =
        hotline.post("/api/v1/events",
                     {{"category", "noise"}, {"source", "hotline"}, {"address", "人民路100号"}});
    ASSERT_EQ(unknown.status, 202) << unknown.body;
    std::string unknown_at =
        "/api/v1/location-queue/" + std::to_string(json::parse(unknown.body)["id"].get<int>());
    EXPECT_EQ(hotline.post(unknown_at + "/discard", json::object()).status, 400);
    auto discarded = hotline.post(unknown_at + "/discard", {{"note", "外地地址"}});
    ASSERT_EQ(discarded.status, 200) << discarded.body;
    EXPECT_EQ(json::parse(discarded.body)["status"], "discarded");
    EXPECT_EQ(total(hotline), 2);
}

TEST_F(EventsE2E, TheLiveFeedDeliversEveryChangeToThoseWhoMaySeeIt) {
    ServerProcess server(dir);
    Caller officer1(server.port(), "officer1");
    Caller officer3(server.port(), "officer3");
    Caller city(server.port(), "city");
    // A browser passes the token in the query; other clients may send the header.
    WsClient feed1(server.port(), "/api/v1/live?access_token=" + officer1.token());
    WsClient feed3(server.port(), "/api/v1/live",
                   {{"Authorization", "Bearer " + officer3.token()}});
    WsClient feed_city(server.port(), "/api/v1/live?access_token=" + city.token());
    auto next = [](WsClient& feed) { return json::parse(feed.read()); };
    EXPECT_EQ(next(feed1)["user"], "officer1");
    EXPECT_EQ(next(feed3)["user"], "officer3");
    EXPECT_EQ(next(feed_city)["type"], "hello");

    std::int64_t a =
        officer1.report({{"category", "garbage"}, {"location", point(114.01, 33.52)}})["id"];
    std::int64_t b =
        officer3.report({{"category", "garbage"}, {"location", point(114.07, 33.52)}})["id"];
    json m = next(feed1);
    EXPECT_EQ(m["type"], "event");
    EXPECT_EQ(m["event"]["id"], a);
    EXPECT_EQ(m["action"], "dispatch");
    EXPECT_EQ(m["event"]["properties"]["status"], "dispatched");
    EXPECT_EQ(next(feed_city)["event"]["id"], a);
    EXPECT_EQ(next(feed_city)["event"]["id"], b);
    // officer3's first message is B: A, in G1, was never sent to it.
    EXPECT_EQ(next(feed3)["event"]["id"], b);

    officer1.must_act(a, {{"action", "accept"}});
    json accepted = next(feed1);
    EXPECT_EQ(accepted["action"], "accept");
    EXPECT_EQ(accepted["entry"]["actor"], "officer1");
    EXPECT_EQ(accepted["event"]["properties"]["status"], "accepted");
    EXPECT_EQ(next(feed_city)["action"], "accept");

    // Refused handshakes are plain HTTP answers; a plain GET is told to upgrade.
    auto declined = [&](const std::string& target) {
        try {
            WsClient c(server.port(), target);
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_NE(declined("/api/v1/live").find("HTTP 401"), std::string::npos);
    EXPECT_NE(declined("/api/v1/live?access_token=wrong").find("HTTP 401"), std::string::npos);
    EXPECT_NE(declined("/api/v1/other?access_token=" + city.token()).find("HTTP 404"),
              std::string::npos);
    auto plain = city.get("/api/v1/live");
    EXPECT_EQ(plain.status, 426) << plain.body;
    EXPECT_EQ(plain.header("upgrade"), "websocket");

    // Shutting down closes subscriptions with a reason, and the server exits.
    server.signal(SIGTERM);
    EXPECT_THROW(feed1.read(), std::runtime_error);
    EXPECT_TRUE(feed1.closed());
    EXPECT_EQ(feed1.reason(), "server shutting down");
    EXPECT_TRUE(server.exited(20s));
    // The token never reaches the access log (flushed at exit).
    EXPECT_EQ(server.stdout_text().find(city.token()), std::string::npos);
    EXPECT_NE(server.stdout_text().find("/api/v1/live?access_token=REDACTED 101"),
              std::string::npos)
        << server.stdout_text();
}

TEST_F(EventsE2E, KpisAndTheDailyDigestAsJsonAndCsv) {
    ServerProcess server(dir);
    Caller city(server.port(), "city");
    Caller officer1(server.port(), "officer1");
    officer1.report({{"category", "garbage"}, {"location", point(114.01, 33.52)}});
    officer1.report({{"category", "garbage"}, {"location", point(114.0101, 33.5201)}}); // repeat
    city.report({{"category", "noise"}, {"location", point(114.07, 33.52)}});

    json k = city.get_json("/api/v1/kpis?area=T1&by=grid");
    EXPECT_EQ(k["area"]["name"], "老街街道");
    EXPECT_EQ(k["by"], "grid");
    EXPECT_EQ(k["total"]["reported"], 3);
    EXPECT_EQ(k["total"]["duplicates"], 1);
    EXPECT_EQ(k["total"]["repeats"], 1);
    EXPECT_EQ(k["total"]["backlog"], 2);
    EXPECT_TRUE(k["total"]["on_time_rate"].is_null()); // nothing closed yet
    ASSERT_EQ(k["units"].size(), 2u);
    EXPECT_EQ(k["units"][0]["code"], "G1");
    EXPECT_EQ(k["units"][0]["by_status"]["closed"], 1);
    // The officer's figures hold their grid only.
    EXPECT_EQ(officer1.get_json("/api/v1/kpis")["total"]["reported"], 2);

    auto csv = city.get("/api/v1/kpis?area=T1&by=grid&format=csv");
    ASSERT_EQ(csv.status, 200) << csv.body;
    EXPECT_EQ(csv.header("content-type"), "text/csv; charset=utf-8");
    ASSERT_TRUE(csv.body.starts_with("\xEF\xBB\xBF"
                                     "code,name,reported,"));
    EXPECT_NE(csv.body.find("\r\nG1,第一网格,2,1,"), std::string::npos) << csv.body;
    EXPECT_NE(csv.body.find("\r\ntotal,老街街道,3,"), std::string::npos) << csv.body;

    // Today's digest (the server's clock is the real one).
    std::time_t t = std::time(nullptr) + 8 * 3600;
    char today[16];
    std::strftime(today, sizeof today, "%Y-%m-%d", std::gmtime(&t));
    json d = city.get_json(std::string("/api/v1/digest?area=411102&date=") + today);
    EXPECT_EQ(d["title"], "民情速报");
    EXPECT_EQ(d["date"], today);
    EXPECT_EQ(d["day"]["total"]["reported"], 3);
    EXPECT_EQ(d["by_category"][0]["code"], "garbage");
    EXPECT_FALSE(d["summary"].empty());
    auto digest_csv = city.get(std::string("/api/v1/digest?format=csv&date=") + today);
    EXPECT_EQ(digest_csv.status, 200);
    EXPECT_EQ(digest_csv.header("content-disposition"),
              std::string("attachment; filename=\"digest-") + today + ".csv\"");

    EXPECT_EQ(HttpClient(server.port()).get("/api/v1/kpis").status, 401);
    EXPECT_EQ(city.get("/api/v1/kpis?by=street").status, 400);
    EXPECT_EQ(city.get("/api/v1/kpis?area=nowhere").status, 404);
    EXPECT_EQ(city.get("/api/v1/kpis?format=xls").status, 400);
    EXPECT_EQ(city.get("/api/v1/digest?date=yesterday").status, 400);
}

TEST_F(EventsE2E, OverdueEventsEscalateThroughAllFourLevelsOnAnAcceleratedClock) {
    // 20,000x: the 2-hour red deadline passes in 0.36 s; the scheduler looks every 20 ms.
    ServerProcess server(dir, {"--clock-start", "2026-03-02T08:00:00Z", "--clock-rate", "20000",
                               "--escalate-every-ms", "20"});
    Caller city(server.port(), "city");
    json e = city.report({{"category", "fire_hazard"}, // red, complex
                          {"location", point(114.01, 33.52)}});
    std::int64_t id = e["id"];
    EXPECT_EQ(e["level"], "grid");
    EXPECT_GE(e["reported_at"].get<std::string>(), std::string("2026-03-02T08:00"));
    std::string path = "/api/v1/events/" + std::to_string(id);
    json p;
    for (int i = 0; i < 600; ++i) {
        p = city.get_json(path)["properties"];
        if (p["level"] == "county")
            break;
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(p["level"], "county") << p.dump();
    std::vector<std::string> levels;
    for (const auto& t : p["timeline"])
        if (t["action"] == "escalate") {
            EXPECT_EQ(t["actor"], "system");
            EXPECT_NE(t["note"].get<std::string>().find("overdue"), std::string::npos);
            levels.push_back(t["target"]);
        }
    EXPECT_EQ(levels, (std::vector<std::string>{"community", "township", "county"}));
    EXPECT_NE(server.stderr_text().find("escalated 1 overdue event"), std::string::npos);
}

// ---- Open311 GeoReport v2 ----

namespace {

const std::filesystem::path open311_schemas =
    std::filesystem::path(TESSERA_SHARED_DATA) / "open311/json-schema";

// Runs tests/tools/check_open311.py on a body; returns "" when it passes, else its complaint.
std::string check(const TempDir& dir, const std::string& body,
                  const std::vector<std::string>& args) {
    static int n = 0;
    auto file = dir / ("body" + std::to_string(++n));
    std::ofstream(file, std::ios::binary) << body;
    std::string cmd =
        std::string("/usr/bin/python3 ") + TESSERA_SOURCE_DIR + "/tests/tools/check_open311.py";
    for (const auto& a : args)
        cmd += " '" + a + "'";
    cmd += " '" + file.string() + "' > '" + file.string() + ".out' 2>&1";
    int rc = std::system(cmd.c_str());
    std::string out = tessera::testing::read_file(file.string() + ".out");
    return WIFEXITED(rc) && WEXITSTATUS(rc) == 0 ? "" : "exit " + std::to_string(rc) + ": " + out;
}

std::string check_json(const TempDir& dir, const std::string& body, const std::string& schema) {
    return check(dir, body, {"json", open311_schemas.string(), schema});
}

std::string check_xml(const TempDir& dir, const std::string& body, const std::string& root,
                      const std::string& item) {
    return check(dir, body, {"xml", root, item});
}

class Open311E2E : public EventsE2E {
protected:
    void SetUp() override {
        if (!std::filesystem::exists(open311_schemas / "request.json"))
            GTEST_SKIP() << "the GeoReport v2 JSON schemas are in ../shared/data/open311, "
                            "which is absent";
        if (std::system("/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1") != 0)
            GTEST_SKIP() << "python3-jsonschema is not installed (scripts/install-deps.sh "
                            "installs it)";
        EventsE2E::SetUp();
    }

    HttpReply post_form(HttpClient& client, const std::string& target, const std::string& form) {
        return client.request(http::verb::post, target, form,
                              {{"Content-Type", "application/x-www-form-urlencoded"}});
    }
};

} // namespace

TEST_F(Open311E2E, ServiceListAndDefinitionsFollowTheSchemas) {
    ServerProcess server(dir);
    HttpClient client(server.port());
    auto services = client.get("/open311/v2/services.json");
    ASSERT_EQ(services.status, 200) << services.body;
    EXPECT_EQ(check_json(dir, services.body, "services.json"), "");
    json list = json::parse(services.body);
    ASSERT_GT(list.size(), 40u);
    for (const auto& s : list)
        EXPECT_TRUE(s["service_code"].is_string());
    auto xml = client.get("/open311/v2/services.xml");
    EXPECT_EQ(xml.status, 200);
    EXPECT_EQ(xml.header("content-type"), "text/xml; charset=utf-8");
    EXPECT_EQ(check_xml(dir, xml.body, "services", "service"), "");

    auto definition = client.get("/open311/v2/services/garbage.json");
    ASSERT_EQ(definition.status, 200) << definition.body;
    EXPECT_EQ(check_json(dir, definition.body, "service-definition.json"), "");
    auto discovery = client.get("/open311/v2/discovery.json");
    EXPECT_EQ(discovery.status, 200);
    EXPECT_EQ(json::parse(discovery.body)["endpoints"][0]["formats"][1], "application/json");
    EXPECT_EQ(check_xml(dir, client.get("/open311/v2/discovery.xml").body, "discovery", "*"), "");
    // The checks can fail: a numeric service_code breaks the schema, a stray tag the XML.
    EXPECT_NE(check_json(dir, R"([{"service_code": 1, "service_name": "x", "metadata": false,
                                   "type": "realtime"}])",
                         "services.json"),
              "");
    EXPECT_NE(check_xml(dir, "<services><service></services>", "services", "service"), "");

    // Errors come in the spec's shape, in the requested format.
    auto missing = client.get("/open311/v2/services/no_such.json");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(json::parse(missing.body)[0]["code"], 404);
    auto missing_xml = client.get("/open311/v2/services/no_such.xml");
    EXPECT_EQ(missing_xml.status, 404);
    EXPECT_EQ(check_xml(dir, missing_xml.body, "errors", "error"), "");
    EXPECT_EQ(client.get("/open311/v2/services").status, 404); // no format
}

TEST_F(Open311E2E, PostAndReadRequestsWithAnApiKey) {
    ServerProcess server(dir);
    HttpClient client(server.port());
    std::string form = std::string("api_key=") + app_key +
                       "&jurisdiction_id=411100&service_code=garbage&lat=33.52&long=114.01"
                       "&description=%E8%B7%AF%E5%8F%A3%E5%9E%83%E5%9C%BE&first_name=%E8%8A%B3"
                       "&last_name=%E7%8E%8B&media_url=https%3A%2F%2Fexample.org%2F1.jpg";
    auto posted = post_form(client, "/open311/v2/requests.json", form);
    ASSERT_EQ(posted.status, 201) << posted.body;
    json created = json::parse(posted.body);
    ASSERT_TRUE(created[0]["service_request_id"].is_string());
    std::string id = created[0]["service_request_id"];
    EXPECT_EQ(posted.header("location"), "/open311/v2/requests/" + id + ".json");

    auto one = client.get("/open311/v2/requests/" + id + ".json?api_key=" + app_key);
    ASSERT_EQ(one.status, 200) << one.body;
    EXPECT_EQ(check_json(dir, one.body, "requests.json"), "");
    json r = json::parse(one.body)[0];
    EXPECT_EQ(r["service_code"], "garbage");
    EXPECT_EQ(r["status"], "open");
    EXPECT_EQ(r["description"], "路口垃圾");
    EXPECT_EQ(r["media_url"], "https://example.org/1.jpg");
    EXPECT_EQ(r["extended_attributes"]["grid_code"], "G1");
    EXPECT_EQ(r["extended_attributes"]["community_code"], "C1");
    EXPECT_EQ(r["extended_attributes"]["township_code"], "T1");
    EXPECT_EQ(r["extended_attributes"]["level"], "grid");
    EXPECT_NEAR(r["lat"].get<double>(), 33.52, 1e-9);

    // The same report as XML: well-formed, <service_requests><request>.
    auto as_xml =
        post_form(client, "/open311/v2/requests.xml",
                  std::string("api_key=") + app_key + "&service_code=noise&lat=33.52&long=114.07");
    EXPECT_EQ(as_xml.status, 201) << as_xml.body;
    EXPECT_EQ(check_xml(dir, as_xml.body, "service_requests", "request"), "");

    // The list, with the spec's filters; the app sees the requests it sent, nothing else.
    Caller admin(server.port(), "admin");
    admin.report({{"category", "garbage"}, {"location", point(114.06, 33.52)}});
    auto list = client.get(std::string("/open311/v2/requests.json?api_key=") + app_key);
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_EQ(check_json(dir, list.body, "requests.json"), "");
    EXPECT_EQ(json::parse(list.body).size(), 2u);
    auto garbage = client.get(std::string("/open311/v2/requests.json?service_code=garbage&"
                                          "status=open&api_key=") +
                              app_key);
    EXPECT_EQ(json::parse(garbage.body).size(), 1u);
    auto closed =
        client.get(std::string("/open311/v2/requests.json?status=closed&api_key=") + app_key);
    EXPECT_EQ(json::parse(closed.body).size(), 0u);
    auto xml_list = client.get(std::string("/open311/v2/requests.xml?api_key=") + app_key);
    EXPECT_EQ(check_xml(dir, xml_list.body, "service_requests", "request"), "");
    // Logged in as the city's operator, through the same endpoint: all three.
    auto city = admin.get("/open311/v2/requests.json");
    EXPECT_EQ(json::parse(city.body).size(), 3u);
}

TEST_F(Open311E2E, AnAddressOnlyRequestGetsATokenUntilItIsLocated) {
    ServerProcess server(dir);
    HttpClient client(server.port());
    std::string key = std::string("api_key=") + app_key;
    // 滨东社区1号楼, percent-encoded: one building, a request id at once.
    auto placed = post_form(client, "/open311/v2/requests.json",
                            key + "&service_code=garbage&address_string=%E6%BB%A8%E4%B8%9C%E7%A4"
                                  "%BE%E5%8C%BA1%E5%8F%B7%E6%A5%BC");
    ASSERT_EQ(placed.status, 201) << placed.body;
    EXPECT_TRUE(json::parse(placed.body)[0]["service_request_id"].is_string());

    // 幸福路8号: two buildings, so a token and no request id (the spec's "batch" answer).
    auto queued = post_form(client, "/open311/v2/requests.json",
                            key + "&service_code=garbage&address_string=%E5%B9%B8%E7%A6%8F%E8%B7"
                                  "%AF8%E5%8F%B7");
    ASSERT_EQ(queued.status, 201) << queued.body;
    json answer = json::parse(queued.body)[0];
    ASSERT_TRUE(answer["token"].is_string()) << queued.body;
    EXPECT_FALSE(answer.contains("service_request_id"));
    std::string token = answer["token"];
    auto before = client.get("/open311/v2/tokens/" + token + ".json?" + key);
    ASSERT_EQ(before.status, 200) << before.body;
    EXPECT_EQ(json::parse(before.body), json::parse(R"([{"token": ")" + token + R"("}])"));
    EXPECT_EQ(client.get("/open311/v2/tokens/" + token + ".json").status, 401);
    EXPECT_EQ(client.get("/open311/v2/tokens/999.json?" + key).status, 404);

    Caller city(server.port(), "city");
    auto located = city.post("/api/v1/location-queue/" + token + "/locate",
                             {{"location", point(114.09, 33.52)}});
    ASSERT_EQ(located.status, 201) << located.body;
    std::string id = std::to_string(json::parse(located.body)["id"].get<int>());
    auto after = client.get("/open311/v2/tokens/" + token + ".xml?" + key);
    ASSERT_EQ(after.status, 200) << after.body;
    EXPECT_EQ(check_xml(dir, after.body, "service_requests", "request"), "");
    EXPECT_NE(after.body.find("<service_request_id>" + id + "</service_request_id>"),
              std::string::npos)
        << after.body;
    // The app now reads the request like any other; it is still the app's report.
    auto one = client.get("/open311/v2/requests/" + id + ".json?" + key);
    ASSERT_EQ(one.status, 200) << one.body;
    EXPECT_EQ(check_json(dir, one.body, "requests.json"), "");
    EXPECT_EQ(json::parse(one.body)[0]["extended_attributes"]["grid_code"], "G3");
}

TEST_F(Open311E2E, BadRequestsAreRefusedInTheSpecsErrorFormat) {
    ServerProcess server(dir);
    HttpClient client(server.port());
    std::string key = std::string("api_key=") + app_key;
    struct Case {
        std::string form;
        int status;
        std::string says;
    };
    const Case cases[] = {
        {"service_code=garbage&lat=33.52&long=114.01", 403, "api_key was not provided"},
        {"api_key=wrong-key-wrong-key-wrong-key-wrong&service_code=garbage&lat=33.52&long=114.01",
         403, "invalid api_key"},
        {key + "&lat=33.52&long=114.01", 400, "service_code was not provided"},
        {key + "&service_code=nope&lat=33.52&long=114.01", 404, "service_code 'nope'"},
        {key + "&service_code=garbage&lat=95&long=114.01", 400, "range"},
        {key + "&service_code=garbage&lat=abc&long=114.01", 400, "lat must be a number"},
        {key + "&service_code=garbage&lat=33.52", 400, "together"},
        {key + "&service_code=garbage&address_string=%20%20", 400, "address"},
        {key + "&service_code=garbage&lat=33.52&long=114.01&attribute[X]=1", 400, "attribute"},
        {key + "&service_code=garbage&lat=33.52&long=114.01&colour=red", 400, "colour"},
    };
    for (const auto& c : cases) {
        auto reply = post_form(client, "/open311/v2/requests.json", c.form);
        EXPECT_EQ(reply.status, c.status) << c.form << " -> " << reply.body;
        json body = json::parse(reply.body, nullptr, false);
        ASSERT_TRUE(body.is_array()) << reply.body;
        EXPECT_EQ(body[0]["code"], c.status);
        EXPECT_NE(body[0]["description"].get<std::string>().find(c.says), std::string::npos)
            << c.form << " -> " << reply.body;
    }
    // Nothing was stored; and without a key or a login, requests are not public here.
    Caller admin(server.port(), "admin");
    EXPECT_EQ(total(admin), 0);
    auto anonymous = client.get("/open311/v2/requests.json");
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_EQ(json::parse(anonymous.body)[0]["code"], 401);
}
