// The one place that decides what a principal may see and do. Every endpoint, tile and live
// message asks `may`; nothing else compares roles or jurisdictions.
//
// Rules (see docs/auth.md):
// - Grid boundaries and admin areas (codes, names) are public: cities post the grid map on walls.
// - Everything else (events, people, cameras, tracks, buildings, drone flights) needs a login and
//   is limited to the principal's jurisdiction: an admin sees everything; a command operator
//   and a department's staff see their area (city, county or township); a grid chief their
//   community; a grid officer their grids; a reporter (citizen) only public data and, later,
//   their own reports. Anyone sees the events they reported themselves.
// - Acting (dispatch, edit) follows the same scope; reporters act only on their own reports.
#pragma once

#include "data/model.hpp"

#include <optional>
#include <string>
#include <vector>

namespace tessera::data {

struct Principal {
    std::int64_t user_id = 0;
    std::string username;
    std::string display_name;
    Role role = Role::reporter;
    Jurisdiction jurisdiction;
    std::optional<std::string> department_code;
    std::optional<std::int64_t> person_id; // the officer the user is, if any (User::person_id)
};

// Where a thing sits: the admin codes above it (any of city, county, township, community) and
// its grid code, if it has one. A thing with an empty scope is visible to admins only.
struct Scope {
    std::vector<std::string> areas;
    std::string grid;
    std::optional<std::int64_t> owner_user_id; // e.g. the citizen who reported it
};

enum class Resource { boundary, event, person, camera, track, building, drone_flight, user };
enum class Action { view, act };

// `who` is null for an anonymous caller.
bool may(const Principal* who, Action action, Resource resource, const Scope& scope);

// Whether `who` may take `action` on an event at `scope` (one that `who` may act on at all):
// admins anything; citizens only rate their own reports; command operators also rate (the
// callback on a citizen's behalf, 回访); other staff every action but rate within their
// jurisdiction.
bool may_take(const Principal& who, EventAction action, const Scope& scope);

// Whether `who` may locate or discard a report in the manual-location queue at `scope`: admins,
// and command operators whose area covers it (the command center works the queue).
bool may_locate(const Principal& who, const Scope& scope);

// The events `who` may see, as a store filter (nullopt: all of them). Agrees with `may(view,
// event)`: an event passes the filter exactly when `may` allows viewing it.
std::optional<EventQuery::Visibility> event_visibility(const Principal& who);

// Whether `who` may report fixes of the officer `person_id` at `where` (POST /api/v1/positions):
// staff their own anywhere; admins anyone's; command operators (a gateway for a county's radios
// or body cameras) anyone's within their area.
bool may_report_position(const Principal& who, std::int64_t person_id, const Scope& where);

// True when the principal's jurisdiction covers the scope (ignoring the resource kind).
bool jurisdiction_covers(const Jurisdiction& j, const Scope& scope);

} // namespace tessera::data
