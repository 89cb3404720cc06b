// The live feed (GET /api/v1/live, a WebSocket): every change to an event, as it happens, to
// each subscriber that may see the event (docs/http.md#live-feed).
//
// LiveHub is the socket-free half: it keeps the subscribers with their principals, hears the
// EventDesk's changes and hands each subscriber the messages meant for it. The WebSocket
// sessions (server.cpp) implement LiveSubscriber. Tests drive the hub directly.
//
// Thread-safety: every member may be called from any thread. publish() runs on the thread that
// stored the change; it never blocks on a subscriber's socket (send() only queues).
#pragma once

#include "data/event_desk.hpp"
#include "server/http.hpp"
#include "server/services.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tessera::server {

// Whether a WebSocket handshake may subscribe: the path must be /api/v1/live and the caller
// logged in, by "Authorization: Bearer <token>" or "?access_token=<token>" (browsers cannot set
// headers on a WebSocket).
struct LiveAdmission {
    std::optional<data::Principal> who; // set: accept the WebSocket
    std::string token;
    Response refusal; // otherwise: the HTTP answer (404, 400, 401)
};
LiveAdmission admit_live(const Request& req, Services& services);

// The target with the value of any access_token parameter replaced, for the access log.
std::string redact_token(std::string_view target);

class LiveSubscriber {
public:
    virtual ~LiveSubscriber() = default;
    // Queues one text message; must not block.
    virtual void send(std::shared_ptr<const std::string> message) = 0;
    // Ends the subscription with a close frame giving the reason; must not block.
    virtual void close(std::string reason) = 0;
};

class LiveHub {
public:
    // `recheck`: how often a subscriber's token is checked again, so a logged-out or expired
    // session stops receiving (at its next message after this time).
    explicit LiveHub(Services& services,
                     std::chrono::milliseconds recheck = std::chrono::seconds(30));

    // Registers a subscriber authenticated by `token` as `who`, and sends it the hello message
    // ({"type": "hello", "user", "role"}). The hub holds it weakly: a subscriber that is
    // destroyed simply stops receiving.
    void add(const std::shared_ptr<LiveSubscriber>& subscriber, data::Principal who,
             std::string token);
    void remove(const LiveSubscriber* subscriber);
    // Sends the change to every subscriber who may see the event:
    // {"type": "event", "action", "event": <the Feature of GET /api/v1/events/{id}, with this
    // subscriber's allowed_actions>, "entry": <the timeline entry>}.
    void publish(const data::EventChange& change);
    // Tells every subscriber that a boundary layer changed (a committed redraw), so maps load its
    // tiles again: {"type": "layer", "layer", "bbox": [minx, miny, maxx, maxy]} over everything
    // that changed. Boundaries are public: no filter.
    void publish(const data::Assigner::LayerChange& change);
    // Closes every subscription (server shutdown).
    void close_all(const std::string& reason);
    std::size_t size();

private:
    struct Entry {
        std::weak_ptr<LiveSubscriber> subscriber;
        const LiveSubscriber* key = nullptr;
        data::Principal who;
        std::string token;
        std::chrono::steady_clock::time_point checked;
    };

    Services& m_services;
    std::chrono::milliseconds m_recheck;
    std::mutex m_mutex;
    std::vector<Entry> m_entries;
};

} // namespace tessera::server
