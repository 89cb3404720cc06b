// The event category catalogue: what citizens, officers, cameras and drones may report, with
// each category's default severity, its tier of handling and whether resolving it needs a photo.
// It is also the Open311 service list (service_code = code). Department responsibilities
// (Department::categories) refer to these codes.
#pragma once

#include "data/model.hpp"

#include <span>
#include <string>

namespace tessera::data {

// Tiered handling (分级处置).
enum class Handling {
    simple,  // closed by rule at intake (answered or fixed on the spot, 即知即办)
    general, // handled on site by the grid: dispatched to it at intake
    complex, // "whistle" (吹哨): waits for the command center to dispatch it to departments
};
std::string_view to_string(Handling h);

struct Category {
    std::string code; // stable, ASCII: "road_damage"
    std::string name; // 道路破损
    std::string name_en;
    std::string group; // 市政设施 (Open311 "group")
    Severity severity = Severity::blue;
    Handling handling = Handling::general;
    bool resolve_needs_photo = false;
};

// The built-in catalogue (about 50 categories, the ones the demo city's 24 departments handle
// plus consultation and suggestion), in a stable order.
std::span<const Category> default_categories();

// The category with this code, or nullptr.
const Category* find_category(std::span<const Category> catalogue, std::string_view code);

} // namespace tessera::data
