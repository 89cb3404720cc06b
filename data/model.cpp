#include "data/model.hpp"

#include <array>
#include <charconv>
#include <cstdio>

namespace tessera::data {

bool is_reserved_layer_name(std::string_view name) {
    return name == events_layer || name == cameras_layer || name == tracks_layer ||
           name == drones_layer || name == coverage_layer;
}
namespace {

template <class E, std::size_t N>
std::optional<E> parse_enum(std::string_view s,
                            const std::array<std::pair<E, std::string_view>, N>& table) {
    for (const auto& [e, name] : table)
        if (name == s)
            return e;
    return std::nullopt;
}

template <class E, std::size_t N>
std::string_view name_of(E e, const std::array<std::pair<E, std::string_view>, N>& table) {
    for (const auto& [v, name] : table)
        if (v == e)
            return name;
    return "unknown";
}

constexpr std::array<std::pair<LayerKind, std::string_view>, 6> layer_kinds{{
    {LayerKind::county, "county"},
    {LayerKind::township, "township"},
    {LayerKind::community, "community"},
    {LayerKind::grid, "grid"},
    {LayerKind::micro_grid, "micro_grid"},
    {LayerKind::exclusive_grid, "exclusive_grid"},
}};

constexpr std::array<std::pair<PersonRole, std::string_view>, 8> person_roles{{
    {PersonRole::grid_chief, "grid_chief"},
    {PersonRole::full_time_officer, "full_time_officer"},
    {PersonRole::part_time_officer, "part_time_officer"},
    {PersonRole::micro_grid_head, "micro_grid_head"},
    {PersonRole::volunteer, "volunteer"},
    {PersonRole::township_operator, "township_operator"},
    {PersonRole::county_operator, "county_operator"},
    {PersonRole::department_staff, "department_staff"},
}};

constexpr std::array<std::pair<Role, std::string_view>, 6> roles{{
    {Role::admin, "admin"},
    {Role::command_operator, "command_operator"},
    {Role::grid_chief, "grid_chief"},
    {Role::grid_officer, "grid_officer"},
    {Role::department_staff, "department_staff"},
    {Role::reporter, "reporter"},
}};

bool read_int(std::string_view s, std::size_t& pos, std::size_t digits, int& out) {
    if (pos + digits > s.size())
        return false;
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + digits, out);
    if (ec != std::errc() || p != s.data() + pos + digits)
        return false;
    pos += digits;
    return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
    if (pos < s.size() && s[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

constexpr std::array<std::pair<EventSource, std::string_view>, 5> event_sources{{
    {EventSource::officer, "officer"},
    {EventSource::citizen, "citizen"},
    {EventSource::hotline, "hotline"},
    {EventSource::camera, "camera"},
    {EventSource::drone, "drone"},
}};

constexpr std::array<std::pair<Severity, std::string_view>, 3> severities{{
    {Severity::blue, "blue"},
    {Severity::yellow, "yellow"},
    {Severity::red, "red"},
}};

constexpr std::array<std::pair<EventStatus, std::string_view>, 7> event_statuses{{
    {EventStatus::reported, "reported"},
    {EventStatus::dispatched, "dispatched"},
    {EventStatus::accepted, "accepted"},
    {EventStatus::in_progress, "in_progress"},
    {EventStatus::resolved, "resolved"},
    {EventStatus::closed, "closed"},
    {EventStatus::rejected, "rejected"},
}};

constexpr std::array<std::pair<ResponseLevel, std::string_view>, 4> response_levels{{
    {ResponseLevel::grid, "grid"},
    {ResponseLevel::community, "community"},
    {ResponseLevel::township, "township"},
    {ResponseLevel::county, "county"},
}};

constexpr std::array<std::pair<EventAction, std::string_view>, 13> event_actions{{
    {EventAction::dispatch, "dispatch"},
    {EventAction::accept, "accept"},
    {EventAction::start, "start"},
    {EventAction::resolve, "resolve"},
    {EventAction::close, "close"},
    {EventAction::reject, "reject"},
    {EventAction::transfer, "transfer"},
    {EventAction::escalate, "escalate"},
    {EventAction::reopen, "reopen"},
    {EventAction::rate, "rate"},
    {EventAction::report, "report"},
    {EventAction::reassign, "reassign"},
    {EventAction::reinspect, "reinspect"},
}};

constexpr std::array<std::pair<DraftStatus, std::string_view>, 3> draft_statuses{{
    {DraftStatus::open, "open"},
    {DraftStatus::committed, "committed"},
    {DraftStatus::discarded, "discarded"},
}};

constexpr std::array<std::pair<PendingStatus, std::string_view>, 3> pending_statuses{{
    {PendingStatus::waiting, "waiting"},
    {PendingStatus::located, "located"},
    {PendingStatus::discarded, "discarded"},
}};

constexpr std::array<std::pair<StatsUnit, std::string_view>, 7> stats_units{{
    {StatsUnit::total, "total"},
    {StatsUnit::grid, "grid"},
    {StatsUnit::community, "community"},
    {StatsUnit::township, "township"},
    {StatsUnit::county, "county"},
    {StatsUnit::city, "city"},
    {StatsUnit::category, "category"},
}};

} // namespace

std::string_view to_string(LayerKind k) {
    return name_of(k, layer_kinds);
}
std::optional<LayerKind> parse_layer_kind(std::string_view s) {
    return parse_enum(s, layer_kinds);
}
bool is_admin(LayerKind k) {
    return k == LayerKind::county || k == LayerKind::township || k == LayerKind::community;
}
std::string_view to_string(StatsUnit u) {
    return name_of(u, stats_units);
}
std::optional<StatsUnit> parse_stats_unit(std::string_view s) {
    return parse_enum(s, stats_units);
}
std::string_view to_string(PendingStatus s) {
    return name_of(s, pending_statuses);
}
std::optional<PendingStatus> parse_pending_status(std::string_view s) {
    return parse_enum(s, pending_statuses);
}
std::string_view to_string(DraftStatus s) {
    return name_of(s, draft_statuses);
}
std::optional<DraftStatus> parse_draft_status(std::string_view s) {
    return parse_enum(s, draft_statuses);
}
std::string_view to_string(PersonRole r) {
    return name_of(r, person_roles);
}
std::optional<PersonRole> parse_person_role(std::string_view s) {
    return parse_enum(s, person_roles);
}
std::string_view to_string(Role r) {
    return name_of(r, roles);
}
std::optional<Role> parse_role(std::string_view s) {
    return parse_enum(s, roles);
}

std::string_view to_string(EventSource s) {
    return name_of(s, event_sources);
}
std::optional<EventSource> parse_event_source(std::string_view s) {
    return parse_enum(s, event_sources);
}
std::string_view to_string(Severity s) {
    return name_of(s, severities);
}
std::optional<Severity> parse_severity(std::string_view s) {
    return parse_enum(s, severities);
}
std::string_view to_string(EventStatus s) {
    return name_of(s, event_statuses);
}
std::optional<EventStatus> parse_event_status(std::string_view s) {
    return parse_enum(s, event_statuses);
}
std::string_view to_string(ResponseLevel l) {
    return name_of(l, response_levels);
}
std::optional<ResponseLevel> parse_response_level(std::string_view s) {
    return parse_enum(s, response_levels);
}
std::string_view to_string(EventAction a) {
    return name_of(a, event_actions);
}
std::optional<EventAction> parse_event_action(std::string_view s) {
    return parse_enum(s, event_actions);
}

std::string format_time(Time t) {
    using namespace std::chrono;
    auto day = floor<days>(t);
    year_month_day ymd{day};
    hh_mm_ss hms{t - day};
    const int year = int(ymd.year());
    char buf[40];
    if (year < 0 || year > 9999) {
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", year,
                      unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                      int(hms.minutes().count()), int(hms.seconds().count()),
                      int(hms.subseconds().count()));
        return buf;
    }
    // The usual case without printf (it is on every access log line and event list).
    char* p = buf;
    auto digits = [&p](long v, int n) {
        for (int i = n - 1; i >= 0; --i, v /= 10)
            p[i] = static_cast<char>('0' + v % 10);
        p += n;
    };
    auto sep = [&p](char c) { *p++ = c; };
    digits(year, 4);
    sep('-');
    digits(long(unsigned(ymd.month())), 2);
    sep('-');
    digits(long(unsigned(ymd.day())), 2);
    sep('T');
    digits(hms.hours().count(), 2);
    sep(':');
    digits(hms.minutes().count(), 2);
    sep(':');
    digits(hms.seconds().count(), 2);
    sep('.');
    digits(hms.subseconds().count(), 3);
    sep('Z');
    return std::string(buf, p);
}

std::optional<double> number_property(const Properties& props, std::string_view key) {
    for (const auto& [k, v] : props)
        if (k == key) {
            if (const auto* i = std::get_if<std::int64_t>(&v))
                return static_cast<double>(*i);
            if (const auto* d = std::get_if<double>(&v))
                return *d;
        }
    return std::nullopt;
}

std::optional<std::string> text_property(const Properties& props, std::string_view key) {
    for (const auto& [k, v] : props)
        if (k == key)
            if (const auto* s = std::get_if<std::string>(&v))
                return *s;
    return std::nullopt;
}

std::optional<Time> parse_time(std::string_view s) {
    using namespace std::chrono;
    std::size_t pos = 0;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
    if (!read_int(s, pos, 4, y) || !expect(s, pos, '-') || !read_int(s, pos, 2, mo) ||
        !expect(s, pos, '-') || !read_int(s, pos, 2, d))
        return std::nullopt;
    year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
    if (!ymd.ok())
        return std::nullopt;
    int offset_minutes = 0;
    if (pos < s.size()) {
        if (!expect(s, pos, 'T') && !expect(s, pos, ' '))
            return std::nullopt;
        if (!read_int(s, pos, 2, h) || !expect(s, pos, ':') || !read_int(s, pos, 2, mi))
            return std::nullopt;
        if (expect(s, pos, ':')) {
            if (!read_int(s, pos, 2, sec))
                return std::nullopt;
            if (expect(s, pos, '.')) {
                std::size_t start = pos;
                while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9')
                    ++pos;
                std::string_view frac = s.substr(start, pos - start);
                if (frac.empty())
                    return std::nullopt;
                std::string three(frac.substr(0, 3));
                three.resize(3, '0');
                ms = std::stoi(three);
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return std::nullopt;
        if (pos < s.size()) {
            char sign = s[pos];
            if (sign == 'Z' || sign == 'z') {
                ++pos;
            } else if (sign == '+' || sign == '-') {
                ++pos;
                int oh = 0, om = 0;
                if (!read_int(s, pos, 2, oh) || !expect(s, pos, ':') || !read_int(s, pos, 2, om))
                    return std::nullopt;
                offset_minutes = (sign == '+' ? 1 : -1) * (oh * 60 + om);
            } else {
                return std::nullopt;
            }
        }
        if (pos != s.size())
            return std::nullopt;
    }
    Time t = time_point_cast<milliseconds>(sys_days{ymd}) + hours{h} + minutes{mi} + seconds{sec} +
             milliseconds{ms} - minutes{offset_minutes};
    return t;
}

} // namespace tessera::data
