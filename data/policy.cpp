#include "data/policy.hpp"

#include <algorithm>

namespace tessera::data {

bool jurisdiction_covers(const Jurisdiction& j, const Scope& scope) {
    switch (j.kind) {
    case Jurisdiction::Kind::everything:
        return true;
    case Jurisdiction::Kind::none:
        return false;
    case Jurisdiction::Kind::area:
        return !j.area_code.empty() &&
               std::find(scope.areas.begin(), scope.areas.end(), j.area_code) != scope.areas.end();
    case Jurisdiction::Kind::grids:
        return !scope.grid.empty() && std::find(j.grid_codes.begin(), j.grid_codes.end(),
                                                scope.grid) != j.grid_codes.end();
    }
    return false;
}

bool may(const Principal* who, Action action, Resource resource, const Scope& scope) {
    if (resource == Resource::boundary && action == Action::view)
        return true;
    if (!who)
        return false;
    if (who->role == Role::admin)
        return true;
    if (resource == Resource::user)
        return false; // user administration is for admins only
    if (resource == Resource::event && action == Action::view && scope.owner_user_id &&
        *scope.owner_user_id == who->user_id)
        return true; // anyone sees what they reported
    if (who->role == Role::reporter) {
        // Citizens see and act on what they reported themselves, nothing else.
        return resource == Resource::event && scope.owner_user_id &&
               *scope.owner_user_id == who->user_id;
    }
    if (resource == Resource::boundary) {
        // Editing boundaries: command operators within their area.
        return who->role == Role::command_operator && jurisdiction_covers(who->jurisdiction, scope);
    }
    return jurisdiction_covers(who->jurisdiction, scope);
}

std::optional<EventQuery::Visibility> event_visibility(const Principal& who) {
    EventQuery::Visibility v;
    v.reporter_user_id = who.user_id;
    if (who.role == Role::admin)
        return std::nullopt;
    if (who.role == Role::reporter)
        return v;
    switch (who.jurisdiction.kind) {
    case Jurisdiction::Kind::everything:
        return std::nullopt;
    case Jurisdiction::Kind::area:
        if (!who.jurisdiction.area_code.empty())
            v.codes.push_back(who.jurisdiction.area_code);
        break;
    case Jurisdiction::Kind::grids:
        v.codes = who.jurisdiction.grid_codes;
        break;
    case Jurisdiction::Kind::none:
        break;
    }
    return v;
}

bool may_take(const Principal& who, EventAction action, const Scope& scope) {
    if (!may(&who, Action::act, Resource::event, scope))
        return false;
    switch (who.role) {
    case Role::admin:
        return true;
    case Role::reporter:
        return action == EventAction::rate;
    case Role::command_operator:
        return true;
    case Role::grid_chief:
    case Role::grid_officer:
    case Role::department_staff:
        return action != EventAction::rate;
    }
    return false;
}

bool may_locate(const Principal& who, const Scope& scope) {
    return who.role == Role::admin ||
           (who.role == Role::command_operator && jurisdiction_covers(who.jurisdiction, scope));
}

bool may_report_position(const Principal& who, std::int64_t person_id, const Scope& where) {
    if (who.role == Role::reporter)
        return false;
    return who.person_id == person_id || who.role == Role::admin ||
           (who.role == Role::command_operator && jurisdiction_covers(who.jurisdiction, where));
}

} // namespace tessera::data
