// The live feed's hub without sockets: who hears which change, and when a subscription ends.
#include "data/auth.hpp"
#include "server/live.hpp"
#include "tests/support/event_city.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <mutex>
#include <nlohmann/json.hpp>

using namespace tessera;
using namespace tessera::server;
using tessera::testing::TempDir;
using json = nlohmann::json;

namespace {

class Recorder : public LiveSubscriber {
public:
    void send(std::shared_ptr<const std::string> message) override {
        std::lock_guard lock(m_mutex);
        m_messages.push_back(json::parse(*message));
    }
    void close(std::string reason) override {
        std::lock_guard lock(m_mutex);
        m_closed = std::move(reason);
    }
    std::vector<json> messages() {
        std::lock_guard lock(m_mutex);
        return m_messages;
    }
    // The ids of the events heard, in order.
    std::vector<std::int64_t> events() {
        std::vector<std::int64_t> out;
        for (const auto& m : messages())
            if (m["type"] == "event")
                out.push_back(m["event"]["id"].get<std::int64_t>());
        return out;
    }
    std::optional<std::string> closed() {
        std::lock_guard lock(m_mutex);
        return m_closed;
    }

private:
    std::mutex m_mutex;
    std::vector<json> m_messages;
    std::optional<std::string> m_closed;
};

class LiveHubTest : public ::testing::Test {
protected:
    TempDir dir;
    std::unique_ptr<data::Store> store = data::open_spatialite_store(dir / "live.db");
    bool seeded = (tessera::testing::seed_event_city(*store), true);
    data::Auth auth{*store};
    data::Assigner assigner{*store};
    data::EventDesk desk{*store, assigner};
    Metrics metrics;
    tiles::TileCache tile_cache{16 << 20};
    Services services{*store, auth, assigner, desk, metrics, tile_cache, std::nullopt};

    // Creates the user and subscribes it; returns the recorder and the login token.
    std::pair<std::shared_ptr<Recorder>, std::string>
    subscribe(LiveHub& hub, const char* name, data::Role role, data::Jurisdiction j) {
        auth.create_user({name, name, role, std::move(j), "live-password", {}, {}});
        auto login = auth.login(name, "live-password");
        EXPECT_TRUE(login);
        auto r = std::make_shared<Recorder>();
        hub.add(r, login->principal, login->token);
        return {r, login->token};
    }

    data::Event report(double lon, double lat, const char* category = "garbage",
                       const data::Principal* who = nullptr) {
        data::EventReport r;
        r.category = category;
        r.source = who ? data::EventSource::citizen : data::EventSource::officer;
        r.position = geo::LonLat{lon, lat};
        return desk.report(r, who, who ? who->username : "officer").event;
    }
};

using K = data::Jurisdiction::Kind;

} // namespace

TEST_F(LiveHubTest, EachSubscriberHearsTheChangesItMaySeeAndNothingElse) {
    LiveHub hub(services);
    desk.subscribe([&](const data::EventChange& c) { hub.publish(c); });
    auto [g1, t1] = subscribe(hub, "officer1", data::Role::grid_officer, {K::grids, "", {"G1"}});
    auto [g3, t3] = subscribe(hub, "officer3", data::Role::grid_officer, {K::grids, "", {"G3"}});
    auto [city, tc] = subscribe(hub, "city", data::Role::command_operator, {K::area, "411100", {}});
    auto [citizen, tz] = subscribe(hub, "citizen", data::Role::reporter, {K::none, "", {}});
    ASSERT_EQ(hub.size(), 4u);
    EXPECT_EQ(g1->messages().at(0)["type"], "hello");
    EXPECT_EQ(g1->messages().at(0)["user"], "officer1");

    data::Event a = report(114.01, 33.52); // G1
    data::Event b = report(114.07, 33.52); // G3
    auto me = auth.authenticate(tz);
    data::Event c = report(114.02, 33.58, "noise", &*me); // C1, above the grids: the citizen's

    EXPECT_EQ(g1->events(), (std::vector<std::int64_t>{a.id}));
    EXPECT_EQ(g3->events(), (std::vector<std::int64_t>{b.id}));
    EXPECT_EQ(city->events(), (std::vector<std::int64_t>{a.id, b.id, c.id}));
    EXPECT_EQ(citizen->events(), (std::vector<std::int64_t>{c.id}));

    // A message carries the event as the API shows it to this subscriber, and the entry.
    json m = g1->messages().back();
    EXPECT_EQ(m["action"], "dispatch"); // general: dispatched to G1 by rule at intake
    EXPECT_EQ(m["event"]["properties"]["grid_code"], "G1");
    EXPECT_EQ(m["event"]["properties"]["status"], "dispatched");
    EXPECT_EQ(m["event"]["properties"]["allowed_actions"],
              json({"accept", "reject", "transfer", "escalate"}));
    EXPECT_EQ(m["entry"]["actor"], "system");

    // An action is a change too.
    auto officer = auth.authenticate(t1);
    data::ActionRequest accept;
    accept.action = data::EventAction::accept;
    desk.act(a.id, accept, *officer);
    EXPECT_EQ(g1->messages().back()["action"], "accept");
    EXPECT_EQ(g1->messages().back()["entry"]["actor"], "officer1");
    EXPECT_EQ(city->events().size(), 4u);
    EXPECT_EQ(g3->events().size(), 1u);
}

TEST_F(LiveHubTest, EverySubscriberHearsThatABoundaryLayerChanged) {
    LiveHub hub(services);
    assigner.subscribe([&](const data::Assigner::LayerChange& c) { hub.publish(c); });
    assigner.refresh();
    auto [officer, t1] =
        subscribe(hub, "officer1", data::Role::grid_officer, {K::grids, "", {"G1"}});
    auto [citizen, t2] = subscribe(hub, "citizen", data::Role::reporter, {K::none, "", {}});
    // G3 shrinks to its western half (a redraw committed through the store).
    std::vector<data::FeatureInput> grids;
    for (auto& f : store->features("grid", {}).features)
        grids.push_back({f.code, f.name, f.parent_code, f.properties,
                         f.code == "G3"
                             ? geo::Geometry(tessera::testing::rect(114.05, 33.5, 114.075, 33.55))
                             : f.geometry});
    store->replace_features("grid", {"editor", "G3 shrinks", std::nullopt}, grids);
    ASSERT_TRUE(assigner.refresh());
    for (auto* sub : {officer.get(), citizen.get()}) {
        const json m = sub->messages().back();
        EXPECT_EQ(m["type"], "layer");
        EXPECT_EQ(m["layer"], "grid");
        EXPECT_EQ(m["bbox"], json({114.05, 33.5, 114.1, 33.55})) << "G3's old and new shape";
    }
}

TEST_F(LiveHubTest, SubscriptionsEndWithTheSubscriberOrItsSession) {
    LiveHub hub(services, std::chrono::milliseconds(0)); // recheck the token at every message
    desk.subscribe([&](const data::EventChange& c) { hub.publish(c); });
    auto [stays, t1] =
        subscribe(hub, "city", data::Role::command_operator, {K::area, "411100", {}});
    auto [leaves, t2] =
        subscribe(hub, "city2", data::Role::command_operator, {K::area, "411100", {}});
    auto [gone, t3] =
        subscribe(hub, "city3", data::Role::command_operator, {K::area, "411100", {}});
    gone.reset(); // the connection went away
    EXPECT_EQ(hub.size(), 2u);

    auth.logout(t2);
    report(114.01, 33.52);
    EXPECT_EQ(stays->events().size(), 1u);
    EXPECT_TRUE(leaves->events().empty());
    ASSERT_TRUE(leaves->closed());
    EXPECT_NE(leaves->closed()->find("log in again"), std::string::npos);
    EXPECT_EQ(hub.size(), 1u);

    hub.close_all("server shutting down");
    EXPECT_EQ(stays->closed(), "server shutting down");
    EXPECT_EQ(hub.size(), 0u);
}
