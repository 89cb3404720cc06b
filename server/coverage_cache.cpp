#include "server/coverage_cache.hpp"

#include <algorithm>
#include <thread>

namespace tessera::server {

CoverageCache::CoverageCache(std::chrono::seconds max_age)
    : m_max_age(max_age) {}

std::shared_ptr<const CoverageCache::Snapshot> CoverageCache::get(data::Store& store,
                                                                  data::Time now) {
    {
        std::unique_lock lock(m_mutex);
        const auto fresh = [&] { return m_snapshot && now - m_snapshot->computed_at < m_max_age; };
        if (fresh())
            return m_snapshot;
        if (m_refreshing) {
            if (m_snapshot)
                return m_snapshot; // someone is refreshing it: the old one meanwhile
            m_done.wait(lock, [&] { return !m_refreshing; });
            if (m_snapshot)
                return m_snapshot;
        }
        m_refreshing = true;
    }
    std::shared_ptr<Snapshot> next;
    try {
        if (store.find_layer("grid")) {
            data::AuditQuery q;
            q.to = now;
            q.from = now - window;
            q.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
            next = std::make_shared<Snapshot>();
            next->report = data::audit_patrols(store, q);
            next->computed_at = now;
        }
    } catch (...) {
        std::lock_guard lock(m_mutex);
        m_refreshing = false;
        m_done.notify_all();
        throw;
    }
    std::lock_guard lock(m_mutex);
    if (next)
        next->generation = ++m_generation;
    m_snapshot = std::move(next);
    m_refreshing = false;
    m_done.notify_all();
    return m_snapshot;
}

} // namespace tessera::server
