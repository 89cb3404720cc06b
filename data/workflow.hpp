// The closed loop's rules, free of storage and HTTP: which action may follow which status, where
// it leads, what it needs, and the deadline of each level. The store records what these rules
// decide; the server asks them before writing anything. docs/events.md has the diagram.
#pragma once

#include "data/model.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace tessera::data {

struct ActionRequest {
    EventAction action = EventAction::dispatch;
    std::string note;                  // required by resolve, reject, close (by rule) and escalate
    std::optional<std::string> target; // required by transfer: the unit or department taking over
    std::optional<bool> satisfied;     // required by rate
    std::vector<std::string> photos;   // URLs; resolve needs one for some categories
};

// Where an action leads.
struct Step {
    EventStatus to = EventStatus::reported;
    ResponseLevel level = ResponseLevel::grid;
};

// The actions allowed on an event in `status` at `level` (escalate is not allowed at the county
// level: there is no level above it).
std::vector<EventAction> allowed_actions(EventStatus status, ResponseLevel level);

// The status and level after `request` on an event in `status` at `level`. Throws
// Error(conflict) when the action is not allowed now (the message names the allowed ones), and
// Error(invalid_argument) when the request lacks what the action needs (a note, a target, a
// rating).
Step next_step(EventStatus status, ResponseLevel level, const ActionRequest& request);

// True for statuses that still need someone to act: all but resolved and closed (a rejected
// event waits for the command center to dispatch it elsewhere).
bool is_open(EventStatus s);

// The unit responsible for `e` at its current level: its grid, community, township or county
// code (empty where the event is in no such area).
const std::string& responsible_unit(const Event& e);

// Time allowed at each level, by severity (DEFAULTS: red 2 h, yellow 24 h, blue 72 h at every
// level). The clock restarts when an event is dispatched to a new level.
struct DeadlinePolicy {
    std::chrono::minutes red{120}, yellow{24 * 60}, blue{72 * 60};
    std::chrono::minutes for_severity(Severity s) const;
};

} // namespace tessera::data
