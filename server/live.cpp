#include "server/live.hpp"

#include "server/detail/api.hpp"

#include <algorithm>

namespace tessera::server {

LiveAdmission admit_live(const Request& req, Services& services) {
    LiveAdmission out;
    try {
        Target target = parse_target(req.target);
        if (target.path != "/api/v1/live")
            throw Error(ErrorCode::not_found, "no WebSocket endpoint at " +
                                                  target.path.substr(0, 80) +
                                                  " (the live feed is /api/v1/live)");
        detail::reject_unknown_params(target, {"access_token"});
        std::optional<std::string> token = detail::bearer_token(req);
        if (!token)
            if (auto t = query_param(target, "access_token"))
                token = std::string(*t);
        if (!token || token->empty())
            throw Error(ErrorCode::unauthorized,
                        "log in first: send 'Authorization: Bearer <token>' or ?access_token=");
        out.who = services.auth.authenticate(*token);
        if (!out.who)
            throw Error(ErrorCode::unauthorized, "invalid or expired token");
        out.token = std::move(*token);
    } catch (const Error& e) {
        out.who.reset();
        out.refusal = error_response(e);
        out.refusal.keep_alive = false;
    }
    return out;
}

std::string redact_token(std::string_view target) {
    std::string out(target);
    for (std::size_t at = out.find("access_token="); at != std::string::npos;
         at = out.find("access_token=", at + 1)) {
        if (at > 0 && out[at - 1] != '?' && out[at - 1] != '&')
            continue;
        std::size_t start = at + std::string_view("access_token=").size();
        std::size_t end = out.find('&', start);
        out.replace(start, (end == std::string::npos ? out.size() : end) - start, "REDACTED");
    }
    return out;
}

LiveHub::LiveHub(Services& services, std::chrono::milliseconds recheck)
    : m_services(services)
    , m_recheck(recheck) {}

void LiveHub::add(const std::shared_ptr<LiveSubscriber>& subscriber, data::Principal who,
                  std::string token) {
    detail::json hello = {{"type", "hello"},
                          {"user", who.username},
                          {"role", to_string(who.role)},
                          {"recheck_seconds", m_recheck.count() / 1000}};
    subscriber->send(std::make_shared<const std::string>(hello.dump()));
    std::lock_guard lock(m_mutex);
    m_entries.push_back({subscriber, subscriber.get(), std::move(who), std::move(token),
                         std::chrono::steady_clock::now()});
}

void LiveHub::remove(const LiveSubscriber* subscriber) {
    std::lock_guard lock(m_mutex);
    std::erase_if(m_entries, [&](const Entry& e) { return e.key == subscriber; });
}

std::size_t LiveHub::size() {
    std::lock_guard lock(m_mutex);
    std::erase_if(m_entries, [](const Entry& e) { return e.subscriber.expired(); });
    return m_entries.size();
}

void LiveHub::close_all(const std::string& reason) {
    std::vector<std::shared_ptr<LiveSubscriber>> live;
    {
        std::lock_guard lock(m_mutex);
        for (auto& e : m_entries)
            if (auto s = e.subscriber.lock())
                live.push_back(std::move(s));
        m_entries.clear();
    }
    for (auto& s : live)
        s->close(reason);
}

void LiveHub::publish(const data::Assigner::LayerChange& change) {
    geo::BBox all;
    for (const auto& b : change.areas)
        all.extend(b);
    if (all.empty())
        return;
    const auto message = std::make_shared<const std::string>(detail::json{
        {"type", "layer"},
        {"layer", change.layer},
        {"bbox", {all.min_x, all.min_y, all.max_x, all.max_y}}}.dump());
    std::vector<std::shared_ptr<LiveSubscriber>> live;
    {
        std::lock_guard lock(m_mutex);
        std::erase_if(m_entries, [](const Entry& e) { return e.subscriber.expired(); });
        for (auto& e : m_entries)
            if (auto sub = e.subscriber.lock())
                live.push_back(std::move(sub));
    }
    for (auto& sub : live)
        sub->send(message);
}

void LiveHub::publish(const data::EventChange& change) {
    struct Delivery {
        std::shared_ptr<LiveSubscriber> subscriber;
        data::Principal who;
        std::string token;
        bool recheck;
    };
    std::vector<Delivery> deliveries;
    auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(m_mutex);
        std::erase_if(m_entries, [](const Entry& e) { return e.subscriber.expired(); });
        for (auto& e : m_entries) {
            bool recheck = now - e.checked >= m_recheck;
            if (recheck)
                e.checked = now;
            if (auto s = e.subscriber.lock())
                deliveries.push_back({std::move(s), e.who, e.token, recheck});
        }
    }
    data::Scope scope = data::scope_of(change.event);
    detail::json entry = detail::timeline_json({change.entry}).at(0);
    for (auto& d : deliveries) {
        if (d.recheck && !m_services.auth.authenticate(d.token)) {
            remove(d.subscriber.get());
            d.subscriber->close("session ended: log in again");
            continue;
        }
        if (!data::may(&d.who, data::Action::view, data::Resource::event, scope))
            continue;
        detail::json message = {{"type", "event"},
                                {"action", to_string(change.entry.action)},
                                {"event", detail::event_json(change.event, m_services.desk, &d.who,
                                                             m_services.desk.now())},
                                {"entry", entry}};
        d.subscriber->send(std::make_shared<const std::string>(
            message.dump(-1, ' ', false, detail::json::error_handler_t::replace)));
    }
}

} // namespace tessera::server
