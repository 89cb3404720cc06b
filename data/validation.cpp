#include "data/validation.hpp"

#include "geo/coverage.hpp"
#include "geo/error.hpp"
#include "geo/measure.hpp"
#include "geo/ops.hpp"
#include "geo/validate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <unordered_map>

namespace tessera::data {
namespace {

// A point to show a finding about `g` at: inside it when GEOS can tell, else its box's centre.
geo::LonLat where(const geo::Geometry& g) {
    try {
        return geo::point_on_surface(g);
    } catch (const Error&) {
        geo::BBox b = geo::bbox_of(g);
        return b.empty() ? geo::LonLat{}
                         : geo::LonLat{(b.min_x + b.max_x) / 2, (b.min_y + b.max_y) / 2};
    }
}

// A quick planar test before the geodesic one: whether a part could be narrower than
// `width_m`. Degrees are taken as 111.32 km, which overstates east-west lengths by 1/cos(lat)
// (2x at 60 degrees), so a margin of 3 lets no sliver through up to about 70 degrees.
bool maybe_thin(const geo::Polygon& part, double width_m) {
    const geo::Ring& ring = part.rings.front();
    double perimeter = 0;
    for (std::size_t k = 0; k + 1 < ring.size(); ++k)
        perimeter += std::hypot(ring[k + 1].lon - ring[k].lon, ring[k + 1].lat - ring[k].lat);
    if (perimeter == 0)
        return true;
    return 2 * std::abs(geo::signed_area(ring)) / perimeter * 111'320 < 3 * width_m;
}

std::string metres(double d) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f m", d);
    return text;
}

std::string metres2(double a) {
    return std::to_string(static_cast<std::int64_t>(std::llround(a))) + " m²";
}

std::string fault_code(geo::CoverageFault::Kind k) {
    switch (k) {
    case geo::CoverageFault::Kind::gap:
        return "gap";
    case geo::CoverageFault::Kind::overlap:
        return "overlap";
    case geo::CoverageFault::Kind::outside:
        return "outside_parent";
    }
    return "gap";
}

} // namespace

std::string_view to_string(Finding::Severity s) {
    return s == Finding::Severity::error ? "error" : "warning";
}

std::size_t ValidationReport::errors() const {
    return static_cast<std::size_t>(
        std::ranges::count(findings, Finding::Severity::error, &Finding::severity));
}

ValidationReport validate_layer(Store& store, std::string_view layer_name,
                                const ValidationRules& rules) {
    auto layer = store.find_layer(layer_name);
    if (!layer)
        throw Error(ErrorCode::not_found, "layer '" + std::string(layer_name) + "' does not exist");
    FeatureQuery all;
    all.limit = std::numeric_limits<std::size_t>::max();
    std::vector<FeatureInput> features;
    for (auto& f : store.features(layer->name, all).features)
        features.push_back({std::move(f.code), std::move(f.name), std::move(f.parent_code),
                            std::move(f.properties), std::move(f.geometry)});
    return validate_features(store, *layer, features, rules);
}

ValidationReport validate_features(Store& store, const Layer& layer,
                                   std::span<const FeatureInput> features,
                                   const ValidationRules& rules) {
    FeatureQuery all;
    all.limit = std::numeric_limits<std::size_t>::max();
    ValidationReport report{layer.name, layer.version, features.size(), {}};
    auto add = [&](std::string code, Finding::Severity severity, std::string message,
                   std::vector<std::string> codes, geo::LonLat at,
                   std::optional<geo::MultiPolygon> area = std::nullopt) {
        report.findings.push_back(
            {std::move(code), severity, std::move(message), std::move(codes), at, std::move(area)});
    };

    // Each feature on its own: geometry, size, households.
    std::vector<bool> usable(features.size(), false);
    for (std::size_t i = 0; i < features.size(); ++i) {
        const FeatureInput& f = features[i];
        if (auto problem = geo::find_problem(f.geometry)) {
            add("invalid_geometry", Finding::Severity::error, f.code + ": " + problem->message,
                {f.code}, problem->location.value_or(where(f.geometry)));
            continue;
        }
        usable[i] = geo::dimension_of(geo::type_of(f.geometry)) == geo::Dimension::polygonal;
        const double area = geo::area_m2(f.geometry);
        if (usable[i] && area < rules.min_area_m2)
            add("too_small", Finding::Severity::warning,
                f.code + " covers " + metres2(area) + ", less than " + metres2(rules.min_area_m2),
                {f.code}, where(f.geometry));
        // Slivers: a part whose mean width (twice its area over its perimeter) is a few metres,
        // such as what a redraw leaves along a boundary drawn a little off.
        if (usable[i])
            for (const auto& part : geo::as_multi_polygon(f.geometry).polygons) {
                if (!maybe_thin(part, rules.sliver_width_m))
                    continue;
                const geo::Geometry piece{geo::MultiPolygon{{part}}};
                const double part_area = geo::area_m2(piece);
                const double perimeter =
                    geo::length_m(geo::Geometry{geo::LineString{part.rings.front()}});
                const double width = perimeter > 0 ? 2 * part_area / perimeter : 0;
                if (width < rules.sliver_width_m)
                    add("sliver", Finding::Severity::warning,
                        f.code + " has a part about " + metres(width) + " wide (" +
                            metres2(part_area) + ")",
                        {f.code}, where(piece), geo::MultiPolygon{{part}});
            }
        if (layer.kind != LayerKind::grid)
            continue;
        auto households = number_property(f.properties, "households");
        auto type = text_property(f.properties, "type");
        if (!households || !type)
            continue;
        auto rule = rules.households.find(*type);
        if (rule == rules.households.end())
            continue;
        if (*households < static_cast<double>(rule->second.min) ||
            *households > static_cast<double>(rule->second.max))
            add("households_out_of_range", Finding::Severity::error,
                f.code + " (" + *type + ") has " +
                    std::to_string(static_cast<std::int64_t>(*households)) +
                    " households; the rule for " + *type + " grids is " +
                    std::to_string(rule->second.min) + "–" + std::to_string(rule->second.max),
                {f.code}, where(f.geometry));
    }

    // Against the parent layer: containment, and for tiling layers gaps and overlaps.
    if (layer.parent_layer) {
        // The parents the features name: one by one for a few (a draft's), all at once else.
        std::set<std::string> named;
        for (const auto& f : features)
            if (f.parent_code)
                named.insert(*f.parent_code);
        std::vector<Feature> parent_features;
        if (named.size() <= 64) {
            for (const auto& code : named) {
                FeatureQuery one;
                one.code = code;
                for (auto& p : store.features(*layer.parent_layer, one).features)
                    parent_features.push_back(std::move(p));
            }
        } else {
            parent_features = store.features(*layer.parent_layer, all).features;
        }
        std::unordered_map<std::string, geo::MultiPolygon> parents;
        for (auto& p : parent_features)
            if (geo::dimension_of(geo::type_of(p.geometry)) == geo::Dimension::polygonal)
                parents.emplace(p.code, geo::as_multi_polygon(p.geometry));
        std::map<std::string, std::vector<std::size_t>> children;
        for (std::size_t i = 0; i < features.size(); ++i) {
            const FeatureInput& f = features[i];
            if (!f.parent_code) {
                add("no_parent", Finding::Severity::error,
                    f.code + " names no " + *layer.parent_layer + " it belongs to", {f.code},
                    where(f.geometry));
            } else if (!parents.contains(*f.parent_code)) {
                add("unknown_parent", Finding::Severity::error,
                    f.code + "'s parent " + *f.parent_code + " is not in layer " +
                        *layer.parent_layer,
                    {f.code}, where(f.geometry));
            } else if (usable[i]) {
                children[*f.parent_code].push_back(i);
            }
        }
        const bool tiles_parent = is_admin(layer.kind) || layer.kind == LayerKind::grid;
        for (const auto& [parent, members] : children) {
            std::vector<geo::MultiPolygon> parts;
            for (std::size_t i : members)
                parts.push_back(geo::as_multi_polygon(features[i].geometry));
            std::vector<geo::CoverageFault> faults;
            try {
                faults =
                    geo::find_coverage_faults(parts, parents.at(parent), rules.fault_min_area_m2);
            } catch (const Error& e) {
                add("coverage_not_checked", Finding::Severity::error,
                    "the features in " + parent + " could not be checked: " + e.what(), {parent},
                    where(geo::Geometry{parents.at(parent)}));
                continue;
            }
            for (auto& fault : faults) {
                if (fault.kind == geo::CoverageFault::Kind::gap && !tiles_parent)
                    continue;
                std::vector<std::string> codes;
                for (std::size_t p : fault.parts)
                    codes.push_back(features[members[p]].code);
                std::string what =
                    fault.kind == geo::CoverageFault::Kind::gap
                        ? "a gap of " + metres2(fault.area_m2) + " in " + parent
                    : fault.kind == geo::CoverageFault::Kind::overlap
                        ? codes.at(0) + " and " + codes.at(1) + " overlap by " +
                              metres2(fault.area_m2)
                        : metres2(fault.area_m2) + " of " + parent + "'s features lie outside it";
                add(fault_code(fault.kind), Finding::Severity::error, std::move(what),
                    std::move(codes), fault.location, std::move(fault.area));
            }
        }
    }

    sort_findings(report);
    return report;
}

void sort_findings(ValidationReport& report) {
    std::ranges::stable_sort(report.findings, [](const Finding& a, const Finding& b) {
        return std::tie(a.severity, a.code, a.location.lon, a.location.lat) <
               std::tie(b.severity, b.code, b.location.lon, b.location.lat);
    });
}

} // namespace tessera::data
