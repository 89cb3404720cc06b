// Internal to data/: the SpatiaLite schema, as an ordered list of migrations. A migration is
// never edited once released; changes go into a new one at the end.
#pragma once

#include <span>
#include <string_view>

namespace tessera::data::detail {

struct Migration {
    int version;
    std::string_view description;
    std::string_view sql; // may hold several statements
};

std::span<const Migration> spatialite_migrations();

} // namespace tessera::data::detail
