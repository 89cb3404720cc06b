#include "data/open_events.hpp"

#include "data/workflow.hpp"

#include <algorithm>
#include <limits>
#include <mutex>

namespace tessera::data {

OpenEvent OpenEvent::of(const Event& e) {
    OpenEvent o;
    o.id = e.id;
    o.position = e.position;
    o.mercator = geo::to_mercator(e.position);
    o.category = e.category;
    o.status = e.status;
    o.severity = e.severity;
    o.level = e.level;
    o.source = e.source;
    o.grid_code = e.grid_code;
    o.community_code = e.community_code;
    o.township_code = e.township_code;
    o.county_code = e.county_code;
    o.city_code = e.city_code;
    o.owner_unit = responsible_unit(e);
    o.reporter_user_id = e.reporter_user_id;
    o.reported_at = e.reported_at;
    o.deadline_at = e.deadline_at;
    o.reported_at_text = format_time(e.reported_at);
    o.deadline_at_text = format_time(e.deadline_at);
    return o;
}

std::array<std::string_view, 7> OpenEvent::attributes() const {
    return {category,          to_string(status), to_string(severity), to_string(level),
            to_string(source), grid_code,         owner_unit};
}

bool OpenEvent::visible_to(const std::optional<EventQuery::Visibility>& v) const {
    if (!v)
        return true;
    if (v->reporter_user_id && reporter_user_id == v->reporter_user_id)
        return true;
    for (const auto& c : v->codes)
        if (c == grid_code || c == community_code || c == township_code || c == county_code ||
            c == city_code)
            return true;
    return false;
}

void OpenEventBoard::reset(const std::vector<Event>& events) {
    std::unique_lock lock(m_mutex);
    m_by_lon.clear();
    m_lon_of.clear();
    for (const auto& e : events)
        put(e);
}

void OpenEventBoard::apply(const Event& e) {
    std::unique_lock lock(m_mutex);
    put(e);
}

void OpenEventBoard::put(const Event& e) {
    if (auto it = m_lon_of.find(e.id); it != m_lon_of.end()) {
        m_by_lon.erase({it->second, e.id});
        m_lon_of.erase(it);
    }
    if (!is_open(e.status))
        return;
    auto o = std::make_shared<OpenEvent>(OpenEvent::of(e));
    const auto texts = o->attributes();
    for (std::size_t i = 0; i < texts.size(); ++i)
        o->attribute_ids[i] = m_attribute_ids
                                  .try_emplace(std::string(texts[i]),
                                               static_cast<std::uint32_t>(m_attribute_ids.size()))
                                  .first->second;
    m_by_lon.emplace(std::pair(e.position.lon, e.id), std::move(o));
    m_lon_of.emplace(e.id, e.position.lon);
}

std::vector<OpenEventBoard::Entry>
OpenEventBoard::in(const geo::BBox& box, const std::optional<EventQuery::Visibility>& visible,
                   std::size_t limit) const {
    std::vector<Entry> out;
    {
        std::shared_lock lock(m_mutex);
        auto end = m_by_lon.upper_bound({box.max_x, std::numeric_limits<std::int64_t>::max()});
        for (auto it = m_by_lon.lower_bound({box.min_x, std::numeric_limits<std::int64_t>::min()});
             it != end; ++it) {
            const OpenEvent& e = *it->second;
            if (e.position.lat >= box.min_y && e.position.lat <= box.max_y && e.visible_to(visible))
                out.push_back(it->second);
        }
    }
    if (out.size() > limit) {
        auto newer = [](const Entry& a, const Entry& b) {
            return std::pair(a->reported_at, a->id) > std::pair(b->reported_at, b->id);
        };
        std::nth_element(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(limit), out.end(),
                         newer);
        out.resize(limit);
    }
    return out;
}

} // namespace tessera::data
