// The open events in memory, for the map (docs/tiles.md, "The events layer"): a command center's
// wall shows every open event, and its tiles are rebuilt whenever one changes, so they are read
// from here rather than from the database. The event desk loads the board when it starts and
// refreshes an event after each change it stores.
//
// Thread-safety: every member may be called from several threads at once; readers share a lock.
#pragma once

#include "data/model.hpp"
#include "geo/web_mercator.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace tessera::data {

// What the map shows of an open event. Immutable once on the board: a change replaces it.
struct OpenEvent {
    std::int64_t id = 0;
    geo::LonLat position;
    geo::MercatorXY mercator; // the position in Web Mercator, projected once for the tiles
    std::string category;
    EventStatus status = EventStatus::reported;
    Severity severity = Severity::blue;
    ResponseLevel level = ResponseLevel::grid;
    EventSource source = EventSource::citizen;
    std::string grid_code, community_code, township_code, county_code, city_code;
    std::string owner_unit; // responsible_unit() at its level
    std::optional<std::int64_t> reporter_user_id;
    Time reported_at{}, deadline_at{};
    std::string reported_at_text, deadline_at_text; // format_time(), once per change

    // The attributes a map styles and filters by, as text, and their numbers on the board:
    // equal text, equal number. A tile looks each distinct number up once (events_tile).
    static constexpr std::array<std::string_view, 7> attribute_names{
        "category", "status", "severity", "level", "source", "grid_code", "owner_unit"};
    std::array<std::string_view, 7> attributes() const;
    std::array<std::uint32_t, 7> attribute_ids{}; // set by the board

    static OpenEvent of(const Event& e);
    // Whether someone with this visibility (EventQuery::visible_to; nullopt: everything) sees it.
    bool visible_to(const std::optional<EventQuery::Visibility>& v) const;
};

class OpenEventBoard {
public:
    using Entry = std::shared_ptr<const OpenEvent>;

    // Replaces the whole board with the open ones among `events`.
    void reset(const std::vector<Event>& events);
    // Puts `e` on the board (replacing what it held of it) when it is open, takes it off
    // otherwise.
    void apply(const Event& e);
    // The open events whose position is in `box` (edges included) and that `visible` allows.
    // When more than `limit` are, the `limit` most recently reported (then highest id) are kept.
    std::vector<Entry> in(const geo::BBox& box,
                          const std::optional<EventQuery::Visibility>& visible,
                          std::size_t limit) const;

private:
    void put(const Event& e); // REQUIRES: the unique lock

    mutable std::shared_mutex m_mutex;
    // Ordered by longitude, so a box is a range of keys; the id breaks ties.
    std::map<std::pair<double, std::int64_t>, Entry> m_by_lon;
    std::unordered_map<std::int64_t, double> m_lon_of;
    // OpenEvent::attribute_ids: categories, statuses, codes... a few thousand texts at most.
    std::unordered_map<std::string, std::uint32_t> m_attribute_ids;
};

} // namespace tessera::data
