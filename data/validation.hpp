// Layer validation (docs/validation.md): what is wrong with a boundary layer, finding by
// finding, each with a stable code, a severity, a message, the features involved and a
// location (and the faulty area where there is one). The CLI's `tessera validate` and, later,
// every draft changeset run it.
#pragma once

#include "data/store.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tessera::data {

struct ValidationRules {
    struct Range {
        std::int64_t min = 0, max = 0;
    };
    // Households per grid, by the grid's "type" property (urban, rural, ...); grids of a type
    // without a rule, or without a households count, are not checked.
    std::map<std::string, Range> households{{"urban", {300, 500}}, {"rural", {30, 300}}};
    double min_area_m2 = 1'000;     // a feature smaller than this is suspicious (warning)
    double sliver_width_m = 5;      // a part narrower than this on average is a sliver (warning)
    double fault_min_area_m2 = 1.0; // gaps and overlaps smaller than this are rounding noise
};

struct Finding {
    enum class Severity { error, warning };
    std::string code; // stable: invalid_geometry, gap, overlap, outside_parent, no_parent,
                      // unknown_parent, households_out_of_range, too_small, sliver,
                      // unowned (a draft's grid without people)
    Severity severity = Severity::error;
    std::string message;
    std::vector<std::string> features; // codes of the features involved
    geo::LonLat location;
    std::optional<geo::MultiPolygon> area; // gaps, overlaps, pieces outside the parent
};

struct ValidationReport {
    std::string layer;
    std::int64_t version = 0;
    std::size_t features = 0;
    std::vector<Finding> findings; // errors first, then warnings; each by code then location
    std::size_t errors() const;
};
// Puts the findings in that order.
void sort_findings(ValidationReport& report);

// Validates the current version of `layer`:
// - every feature's geometry (geo::find_problem);
// - a layer that tiles its parent (admin layers and basic grids): per parent feature, gaps and
//   overlaps among its children and pieces outside it (geo::find_coverage_faults), and each
//   feature's parent code naming a feature of the parent layer;
// - other layers (exclusive grids, micro-grids): overlaps among siblings and pieces outside the
//   parent;
// - households per grid against `rules`, and features below the minimum area.
// Throws Error(not_found) for an unknown layer.
ValidationReport validate_layer(Store& store, std::string_view layer,
                                const ValidationRules& rules = {});

// The same checks on `features` as the content of `layer` (a draft's features, or those of the
// parents a draft touches): the report's version is the layer's.
ValidationReport validate_features(Store& store, const Layer& layer,
                                   std::span<const FeatureInput> features,
                                   const ValidationRules& rules = {});

std::string_view to_string(Finding::Severity s);

} // namespace tessera::data
