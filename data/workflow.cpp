#include "data/workflow.hpp"

#include "geo/error.hpp"

#include <algorithm>

namespace tessera::data {
namespace {

using S = EventStatus;
using A = EventAction;

// The transition table: for each action, the statuses it may start from. Where it leads is
// decided in next_step (escalate and rate depend on more than the status).
struct Rule {
    A action;
    std::vector<S> from;
};

const std::vector<Rule>& rules() {
    static const std::vector<Rule> table = {
        {A::dispatch, {S::reported, S::rejected}},
        {A::accept, {S::dispatched}},
        {A::start, {S::accepted}},
        {A::resolve, {S::accepted, S::in_progress}},
        {A::close, {S::reported, S::resolved}},
        {A::reject, {S::dispatched}},
        {A::transfer, {S::dispatched, S::accepted, S::in_progress}},
        {A::escalate, {S::reported, S::dispatched, S::accepted, S::in_progress, S::rejected}},
        {A::reopen, {S::resolved, S::closed}},
        {A::rate, {S::resolved, S::closed}},
    };
    return table;
}

bool starts_from(A action, S status) {
    for (const Rule& r : rules())
        if (r.action == action)
            return std::find(r.from.begin(), r.from.end(), status) != r.from.end();
    return false;
}

} // namespace

std::vector<EventAction> allowed_actions(EventStatus status, ResponseLevel level) {
    std::vector<EventAction> out;
    for (const Rule& r : rules())
        if (starts_from(r.action, status) &&
            !(r.action == A::escalate && level == ResponseLevel::county))
            out.push_back(r.action);
    return out;
}

Step next_step(EventStatus status, ResponseLevel level, const ActionRequest& req) {
    auto allowed = allowed_actions(status, level);
    if (std::find(allowed.begin(), allowed.end(), req.action) == allowed.end()) {
        std::string names;
        for (A a : allowed)
            names += (names.empty() ? "" : ", ") + std::string(to_string(a));
        std::string why = req.action == A::escalate && level == ResponseLevel::county &&
                                  starts_from(A::escalate, status)
                              ? " (it is already at the county level)"
                              : "";
        throw Error(ErrorCode::conflict, "cannot " + std::string(to_string(req.action)) +
                                             " an event that is " + std::string(to_string(status)) +
                                             why +
                                             "; allowed: " + (names.empty() ? "none" : names));
    }
    auto need_note = [&](const char* what) {
        if (req.note.find_first_not_of(" \t\r\n") == std::string::npos)
            throw Error(ErrorCode::invalid_argument,
                        std::string(to_string(req.action)) + " needs a note: " + what);
    };
    switch (req.action) {
    case A::dispatch:
        return {S::dispatched, level};
    case A::accept:
        return {S::accepted, level};
    case A::start:
        return {S::in_progress, level};
    case A::resolve:
        need_note("what was done");
        return {S::resolved, level};
    case A::close:
        if (status == S::reported)
            need_note("the rule that closes it without dispatch");
        return {S::closed, level};
    case A::reject:
        need_note("why it is not ours");
        return {S::rejected, level};
    case A::transfer:
        if (!req.target || req.target->empty())
            throw Error(ErrorCode::invalid_argument, "transfer needs a target");
        return {S::dispatched, level};
    case A::escalate:
        need_note("why it goes up a level");
        return {S::dispatched, static_cast<ResponseLevel>(static_cast<int>(level) + 1)};
    case A::reopen:
        return {S::dispatched, level};
    case A::rate:
        if (!req.satisfied)
            throw Error(ErrorCode::invalid_argument, "rate needs satisfied: true or false");
        return {*req.satisfied ? S::closed : S::dispatched, level};
    case A::report:
    case A::reassign:
    case A::reinspect:
        break; // never allowed: the intake and a redraw's move are not actions (see
               // allowed_actions)
    }
    throw Error(ErrorCode::internal, "unknown event action");
}

bool is_open(EventStatus s) {
    return s != S::resolved && s != S::closed;
}

const std::string& responsible_unit(const Event& e) {
    switch (e.level) {
    case ResponseLevel::grid:
        return e.grid_code;
    case ResponseLevel::community:
        return e.community_code;
    case ResponseLevel::township:
        return e.township_code;
    case ResponseLevel::county:
        return e.county_code;
    }
    return e.grid_code;
}

std::chrono::minutes DeadlinePolicy::for_severity(Severity s) const {
    switch (s) {
    case Severity::red:
        return red;
    case Severity::yellow:
        return yellow;
    case Severity::blue:
        return blue;
    }
    return blue;
}

} // namespace tessera::data
