#include "data/redraw.hpp"

#include "geo/edit.hpp"
#include "geo/error.hpp"
#include "geo/locate_index.hpp"
#include "geo/measure.hpp"
#include "geo/ops.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <set>

namespace tessera::data {
namespace {

constexpr double metres_per_degree = 111'320; // at the equator; a snap distance needs no more

FeatureInput input_of(Feature f) {
    return {std::move(f.code), std::move(f.name), std::move(f.parent_code), std::move(f.properties),
            std::move(f.geometry)};
}

bool polygonal(const FeatureInput& f) {
    return geo::dimension_of(geo::type_of(f.geometry)) == geo::Dimension::polygonal;
}

// A shape as stored: one polygon as a Polygon, several as a MultiPolygon.
geo::Geometry stored(geo::MultiPolygon mp) {
    if (mp.polygons.size() == 1)
        return geo::Geometry{std::move(mp.polygons.front())};
    return geo::Geometry{std::move(mp)};
}

std::optional<double> households_of(const Properties& props) {
    for (const auto& [k, v] : props)
        if (k == "households") {
            if (const auto* i = std::get_if<std::int64_t>(&v))
                return static_cast<double>(*i);
            if (const auto* d = std::get_if<double>(&v))
                return *d;
        }
    return std::nullopt;
}

void set_property(Properties& props, const std::string& key, PropertyValue value) {
    auto it =
        std::find_if(props.begin(), props.end(), [&](const auto& kv) { return kv.first == key; });
    if (std::holds_alternative<std::monostate>(value)) {
        if (it != props.end())
            props.erase(it);
    } else if (it != props.end()) {
        it->second = std::move(value);
    } else {
        props.emplace_back(key, std::move(value));
    }
}

// The features near an edit, as the draft has them, with their shapes for geo/edit.
struct Neighbourhood {
    std::vector<FeatureInput> features;
    std::vector<geo::MultiPolygon> shapes;

    std::size_t index_of(const std::string& code) const {
        for (std::size_t i = 0; i < features.size(); ++i)
            if (features[i].code == code)
                return i;
        throw Error(ErrorCode::not_found, "the draft has no feature '" + code + "'");
    }

    // The edit's result as changes: changed and removed features by code, then `created` (their
    // shapes taken from the edit, in order).
    std::vector<FeatureChange> changes(const geo::Edit& e,
                                       std::vector<FeatureInput> created) const {
        std::vector<FeatureChange> out;
        for (const auto& [i, shape] : e.changed) {
            FeatureInput f = features[i];
            f.geometry = stored(shape);
            out.push_back({f.code, std::move(f)});
        }
        for (std::size_t i : e.removed)
            out.push_back({features[i].code, std::nullopt});
        for (std::size_t k = 0; k < created.size(); ++k) {
            created[k].geometry = stored(e.created.at(k));
            std::string code = created[k].code;
            out.push_back({std::move(code), std::move(created[k])});
        }
        return out;
    }
};

} // namespace

std::string_view kind_of(const EditOperation& op) {
    // In the order of EditOperation's alternatives.
    static constexpr std::string_view names[] = {
        "move_vertex", "reshape", "move_boundary", "split",          "merge",
        "create",      "remove",  "reparent",      "set_attributes", "set_owners"};
    static_assert(std::size(names) == std::variant_size_v<EditOperation>);
    return names[op.index()];
}

Redraw::Redraw(Store& store, RedrawOptions options)
    : m_store(store)
    , m_options(options) {}

namespace {

Draft open_draft(Store& store, std::int64_t id) {
    auto d = store.draft(id);
    if (!d)
        throw Error(ErrorCode::not_found, "draft " + std::to_string(id) + " does not exist");
    if (d->status != DraftStatus::open)
        throw Error(ErrorCode::conflict,
                    "draft " + std::to_string(id) + " is " + std::string(to_string(d->status)));
    return *d;
}

// Who a draft makes responsible for what, read once, over who is responsible now.
class DraftOwners {
public:
    DraftOwners(Store& store, std::int64_t draft)
        : m_store(store) {
        for (auto& o : m_store.draft_owners(draft))
            m_owners[o.code] = std::move(o.people);
    }

    // The codes of the people responsible for a feature in the draft.
    std::vector<std::string> owners(const std::string& code) const {
        if (auto it = m_owners.find(code); it != m_owners.end())
            return it->second;
        std::vector<std::string> out;
        for (const auto& p : m_store.people(code))
            out.push_back(p.code);
        return out;
    }

    const std::map<std::string, std::vector<std::string>>& changed() const { return m_owners; }

private:
    Store& m_store;
    std::map<std::string, std::vector<std::string>> m_owners;
};

// A draft as its operations see it: its changes, read once, over the current layer.
class DraftState {
public:
    DraftState(Store& store, Draft draft)
        : m_store(store)
        , m_draft(std::move(draft))
        , m_owners(store, m_draft.id) {
        for (auto& c : m_store.draft_changes(m_draft.id))
            m_changes[c.code] = std::move(c.after);
    }

    std::vector<std::string> owners(const std::string& code) const { return m_owners.owners(code); }
    const DraftOwners& draft_owners() const { return m_owners; }

    // The draft's changes, by code.
    std::vector<FeatureChange> changes() const {
        std::vector<FeatureChange> out;
        for (const auto& [code, after] : m_changes)
            out.push_back({code, after});
        return out;
    }

    // Who an edit leaves responsible where it changes that: the people of merged and removed
    // features go to the feature that takes their ground, and a split's new pieces get the
    // people of the feature it cut.
    std::vector<OwnerChange> owners_after(const EditOperation& op,
                                          std::span<const FeatureChange> changes) const {
        std::vector<OwnerChange> out;
        auto hand_over = [&](const std::string& into, std::span<const std::string> gone) {
            std::vector<std::string> kept = owners(into), all = kept;
            for (const auto& code : gone)
                for (auto& person : owners(code)) {
                    if (std::ranges::find(all, person) == all.end())
                        all.push_back(person);
                    if (std::ranges::find(out, code, &OwnerChange::code) == out.end())
                        out.push_back({code, {}});
                }
            if (all != kept)
                out.push_back({into, std::move(all)});
        };
        if (const auto* m = std::get_if<edit::Merge>(&op))
            hand_over(m->codes.front(), std::span(m->codes).subspan(1));
        else if (const auto* r = std::get_if<edit::Remove>(&op))
            hand_over(r->into, std::span(&r->code, 1));
        else if (const auto* s = std::get_if<edit::Split>(&op))
            for (const auto& c : changes)
                if (c.code != s->code && !feature(c.code))
                    if (auto people = owners(s->code); !people.empty())
                        out.push_back({c.code, std::move(people)});
        return out;
    }

    const Draft& draft() const { return m_draft; }

    // The draft's version of each feature (in `box` when given), by code.
    std::vector<FeatureInput> features(std::optional<geo::BBox> box) const {
        std::map<std::string, const FeatureInput*> by_code;
        for (const auto& [code, after] : m_changes)
            by_code[code] = after && (!box || geo::bbox_of(after->geometry).intersects(*box))
                                ? &*after
                                : nullptr; // removed, or changed and not here any more
        FeatureQuery q;
        q.bbox = box;
        q.limit = std::numeric_limits<std::size_t>::max();
        std::vector<FeatureInput> current;
        for (auto& f : m_store.features(m_draft.layer, q).features)
            if (!by_code.contains(f.code))
                current.push_back(input_of(std::move(f)));
        for (const auto& f : current)
            by_code[f.code] = &f;
        std::vector<FeatureInput> out;
        for (const auto& [code, f] : by_code)
            if (f)
                out.push_back(*f);
        return out;
    }

    std::optional<FeatureInput> feature(const std::string& code) const {
        if (auto it = m_changes.find(code); it != m_changes.end())
            return it->second;
        FeatureQuery q;
        q.code = code;
        auto page = m_store.features(m_draft.layer, q);
        if (page.features.empty())
            return std::nullopt;
        return input_of(std::move(page.features.front()));
    }

    FeatureInput existing(const std::string& code) const {
        auto f = feature(code);
        if (!f)
            throw Error(ErrorCode::not_found,
                        "layer " + m_draft.layer + " has no feature '" + code + "'");
        return *f;
    }

    void require_new_code(const std::string& code) const {
        if (code.empty())
            throw Error(ErrorCode::invalid_argument, "a new feature needs a code");
        if (feature(code))
            throw Error(ErrorCode::conflict,
                        "layer " + m_draft.layer + " already has a feature '" + code + "'");
    }

    Neighbourhood neighbourhood(const geo::BBox& box) const {
        Neighbourhood n;
        for (auto& f : features(box))
            if (polygonal(f)) {
                n.shapes.push_back(geo::as_multi_polygon(f.geometry));
                n.features.push_back(std::move(f));
            }
        return n;
    }

private:
    Store& m_store;
    Draft m_draft;
    DraftOwners m_owners;
    std::map<std::string, std::optional<FeatureInput>> m_changes; // nullopt: removed
};

// The people with these codes, in that order, once each; Error(not_found) naming one unknown.
std::vector<std::string> known_people(Store& store, std::span<const std::string> codes) {
    std::vector<std::string> out;
    for (const auto& code : codes)
        if (std::ranges::find(out, code) == out.end())
            out.push_back(code);
    const auto found = store.people_with_codes(out);
    for (const auto& code : out)
        if (std::ranges::find(found, code, &Person::code) == found.end())
            throw Error(ErrorCode::not_found, "no person '" + code.substr(0, 64) + "'");
    return out;
}

// The parent feature's shape, for clipping a new feature to it; nullopt without a parent layer.
std::optional<geo::MultiPolygon> parent_shape(Store& store, const Layer& layer,
                                              const std::optional<std::string>& parent_code) {
    if (!layer.parent_layer)
        return std::nullopt;
    if (!parent_code)
        throw Error(ErrorCode::invalid_argument, "a feature of layer " + layer.name +
                                                     " needs a parent in " + *layer.parent_layer);
    FeatureQuery q;
    q.code = *parent_code;
    auto page = store.features(*layer.parent_layer, q);
    if (page.features.empty())
        throw Error(ErrorCode::not_found,
                    "layer " + *layer.parent_layer + " has no feature '" + *parent_code + "'");
    return geo::as_multi_polygon(page.features.front().geometry);
}

} // namespace

DraftOperation Redraw::apply(std::int64_t draft_id, const EditOperation& op,
                             std::string_view author, std::string detail,
                             const ChangeCheck& check) {
    const DraftState state(m_store, open_draft(m_store, draft_id));
    const Draft& d = state.draft();
    auto layer = m_store.find_layer(d.layer);
    if (!layer)
        throw Error(ErrorCode::not_found, "layer " + d.layer + " does not exist");
    const double snap = m_options.snap_m / metres_per_degree;
    // What an edit may reach: snapping on both sides, and a hair for rounding.
    auto grown = [&](const geo::BBox& box) {
        return geo::grown_by_m(box, 2 * m_options.snap_m + 0.01);
    };

    // The area an edit may reach: its features and whatever it draws, a little grown.
    auto box_around = [&](std::initializer_list<std::string> codes, const geo::BBox* drawn) {
        geo::BBox box;
        for (const auto& code : codes)
            box.extend(geo::bbox_of(state.existing(code).geometry));
        if (drawn)
            box.extend(*drawn);
        return grown(box);
    };

    std::vector<FeatureChange> changes = std::visit(
        [&](const auto& o) -> std::vector<FeatureChange> {
            using T = std::decay_t<decltype(o)>;
            if constexpr (std::is_same_v<T, edit::MoveVertex>) {
                geo::BBox drawn;
                drawn.extend(o.from);
                drawn.extend(o.to);
                auto n = state.neighbourhood(grown(drawn));
                return n.changes(geo::move_vertex(n.shapes, o.from, o.to), {});
            } else if constexpr (std::is_same_v<T, edit::Reshape>) {
                const geo::BBox drawn = geo::bbox_of(geo::Geometry{o.shape});
                auto n = state.neighbourhood(box_around({o.code}, &drawn));
                return n.changes(geo::reshape(n.shapes, n.index_of(o.code), o.shape, snap), {});
            } else if constexpr (std::is_same_v<T, edit::MoveBoundary>) {
                const geo::BBox drawn = geo::bbox_of(geo::Geometry{o.line});
                auto n = state.neighbourhood(box_around({o.a, o.b}, &drawn));
                return n.changes(
                    geo::redraw_boundary(n.shapes, n.index_of(o.a), n.index_of(o.b), o.line, snap),
                    {});
            } else if constexpr (std::is_same_v<T, edit::Split>) {
                auto n = state.neighbourhood(box_around({o.code}, nullptr));
                const std::size_t target = n.index_of(o.code);
                geo::Edit e = geo::split(n.shapes, target, o.line, snap);
                std::vector<FeatureInput> pieces;
                const FeatureInput& whole = n.features[target];
                for (std::size_t k = 0; k < e.created.size(); ++k) {
                    FeatureInput piece = whole;
                    piece.code = k < o.new_codes.size() ? o.new_codes[k]
                                                        : whole.code + "-" + std::to_string(k + 2);
                    state.require_new_code(piece.code);
                    piece.name = whole.name + "-" + std::to_string(k + 2);
                    set_property(piece.properties, "households", std::monostate{});
                    pieces.push_back(std::move(piece));
                }
                // The pieces' households are not known until counted again.
                auto out = n.changes(e, std::move(pieces));
                for (auto& c : out)
                    if (c.code == o.code)
                        set_property(c.after->properties, "households", std::monostate{});
                return out;
            } else if constexpr (std::is_same_v<T, edit::Merge>) {
                if (o.codes.size() < 2)
                    throw Error(ErrorCode::invalid_argument, "a merge needs two features or more");
                geo::BBox box;
                for (const auto& code : o.codes)
                    box.extend(box_around({code}, nullptr));
                auto n = state.neighbourhood(box);
                std::vector<std::size_t> parts;
                double households = 0;
                bool counted = true; // every part has a count
                for (const auto& code : o.codes) {
                    parts.push_back(n.index_of(code));
                    auto h = households_of(n.features[parts.back()].properties);
                    counted = counted && h.has_value();
                    households += h.value_or(0);
                }
                auto out = n.changes(geo::merge(n.shapes, parts), {});
                for (auto& c : out)
                    if (c.code == o.codes.front() && counted)
                        set_property(c.after->properties, "households",
                                     static_cast<std::int64_t>(households));
                return out;
            } else if constexpr (std::is_same_v<T, edit::Create>) {
                FeatureInput f = o.feature;
                state.require_new_code(f.code);
                if (!f.parent_code)
                    if (auto near = state.features(geo::bbox_of(f.geometry)); !near.empty())
                        f.parent_code = near.front().parent_code;
                geo::MultiPolygon shape = geo::as_multi_polygon(f.geometry);
                if (auto parent = parent_shape(m_store, *layer, f.parent_code))
                    shape = geo::as_multi_polygon(
                        geo::intersection(geo::Geometry{shape}, geo::Geometry{*parent}));
                if (shape.polygons.empty())
                    throw Error(ErrorCode::invalid_argument,
                                "the new feature lies outside its parent " +
                                    f.parent_code.value_or(""));
                const geo::BBox drawn = geo::bbox_of(geo::Geometry{shape});
                auto n = state.neighbourhood(grown(drawn));
                return n.changes(geo::carve(n.shapes, shape, snap), {std::move(f)});
            } else if constexpr (std::is_same_v<T, edit::Remove>) {
                auto n = state.neighbourhood(box_around({o.code, o.into}, nullptr));
                const std::size_t parts[] = {n.index_of(o.into), n.index_of(o.code)};
                auto out = n.changes(geo::merge(n.shapes, parts), {});
                auto gone = households_of(n.features[parts[1]].properties);
                auto kept = households_of(n.features[parts[0]].properties);
                for (auto& c : out)
                    if (c.code == o.into && gone && kept)
                        set_property(c.after->properties, "households",
                                     static_cast<std::int64_t>(*gone + *kept));
                return out;
            } else if constexpr (std::is_same_v<T, edit::Reparent>) {
                FeatureInput f = state.existing(o.code);
                parent_shape(m_store, *layer, o.parent_code); // it must exist
                f.parent_code = o.parent_code;
                return {{o.code, std::move(f)}};
            } else if constexpr (std::is_same_v<T, edit::SetOwners>) {
                return {}; // no feature changes
            } else {
                static_assert(std::is_same_v<T, edit::SetAttributes>);
                FeatureInput f = state.existing(o.code);
                if (o.name) {
                    if (o.name->empty())
                        throw Error(ErrorCode::invalid_argument,
                                    "a feature's name cannot be empty");
                    f.name = *o.name;
                }
                for (const auto& [key, value] : o.properties)
                    set_property(f.properties, key, value);
                return {{o.code, std::move(f)}};
            }
        },
        op);

    std::vector<OwnerChange> owners;
    std::vector<FeatureInput> owned;
    if (const auto* o = std::get_if<edit::SetOwners>(&op)) {
        owned.push_back(state.existing(o->code));
        owners.push_back({o->code, known_people(m_store, o->people)});
    } else {
        owners = state.owners_after(op, changes);
    }
    if (check)
        check(changes, owned);
    DraftOperation record;
    record.kind = std::string(kind_of(op));
    record.detail = std::move(detail);
    record.author = std::string(author);
    return m_store.add_draft_operation(draft_id, record, changes, false, owners);
}

namespace {

// The draft's content becomes `features`: changes for those that differ from the current layer,
// removals for those missing.
DraftOperation replace_content(Store& store, std::int64_t draft_id,
                               std::span<const FeatureInput> features, std::string kind,
                               std::string_view author, std::string detail,
                               const Redraw::ChangeCheck& check) {
    const Draft d = open_draft(store, draft_id);
    FeatureQuery all;
    all.limit = std::numeric_limits<std::size_t>::max();
    std::map<std::string, FeatureInput> current;
    for (auto& f : store.features(d.layer, all).features) {
        std::string code = f.code;
        current.emplace(std::move(code), input_of(std::move(f)));
    }
    std::set<std::string> seen;
    std::vector<FeatureChange> changes;
    for (const auto& f : features) {
        if (!seen.insert(f.code).second)
            throw Error(ErrorCode::conflict,
                        "the imported layer repeats the code '" + f.code + "'");
        auto it = current.find(f.code);
        if (it != current.end() && it->second.name == f.name &&
            it->second.parent_code == f.parent_code && it->second.properties == f.properties &&
            it->second.geometry == f.geometry)
            continue;
        changes.push_back({f.code, f});
    }
    for (const auto& [code, f] : current)
        if (!seen.contains(code))
            changes.push_back({code, std::nullopt});
    if (check)
        check(changes, {});
    DraftOperation record;
    record.kind = std::move(kind);
    record.detail = std::move(detail);
    record.author = std::string(author);
    return store.add_draft_operation(draft_id, record, changes, true);
}

} // namespace

DraftOperation Redraw::import_layer(std::int64_t draft_id, std::span<const FeatureInput> features,
                                    std::string_view author, std::string detail,
                                    const ChangeCheck& check) {
    return replace_content(m_store, draft_id, features, "import", author, std::move(detail), check);
}

DraftOperation Redraw::restore(std::int64_t draft_id, Time at, std::string_view author,
                               std::string detail, const ChangeCheck& check) {
    const Draft d = open_draft(m_store, draft_id);
    FeatureQuery then;
    then.at = at;
    then.limit = std::numeric_limits<std::size_t>::max();
    std::vector<FeatureInput> features;
    for (auto& f : m_store.features(d.layer, then).features)
        features.push_back(input_of(std::move(f)));
    if (features.empty())
        throw Error(ErrorCode::invalid_argument,
                    "layer " + d.layer + " had no features at " + format_time(at));
    return replace_content(m_store, draft_id, features, "restore", author, std::move(detail),
                           check);
}

void Redraw::check(std::int64_t draft_id, const ChangeCheck& check) {
    auto d = m_store.draft(draft_id);
    if (!d)
        throw Error(ErrorCode::not_found, "draft " + std::to_string(draft_id) + " does not exist");
    const DraftState state(m_store, *d);
    std::vector<FeatureInput> owned;
    for (const auto& [code, people] : state.draft_owners().changed())
        if (auto f = state.feature(code))
            owned.push_back(std::move(*f));
    check(state.changes(), owned);
}

std::vector<FeatureInput> Redraw::features(std::int64_t draft_id, std::optional<geo::BBox> box) {
    auto d = m_store.draft(draft_id);
    if (!d)
        throw Error(ErrorCode::not_found, "draft " + std::to_string(draft_id) + " does not exist");
    return DraftState(m_store, *d).features(box);
}

ValidationReport Redraw::validate(std::int64_t draft_id, const ValidationRules& rules) {
    auto d = m_store.draft(draft_id);
    if (!d)
        throw Error(ErrorCode::not_found, "draft " + std::to_string(draft_id) + " does not exist");
    auto layer = m_store.find_layer(d->layer);
    if (!layer)
        throw Error(ErrorCode::not_found, "layer " + d->layer + " does not exist");
    auto changes = m_store.draft_changes(draft_id);

    // The parents the draft touches, before and after.
    std::set<std::string> parents;
    std::map<std::string, std::optional<FeatureInput>> changed;
    for (auto& c : changes) {
        FeatureQuery q;
        q.code = c.code;
        for (const auto& f : m_store.features(d->layer, q).features)
            if (f.parent_code)
                parents.insert(*f.parent_code);
        if (c.after && c.after->parent_code)
            parents.insert(*c.after->parent_code);
        changed[c.code] = std::move(c.after);
    }
    std::map<std::string, FeatureInput> subject;
    for (const auto& parent : parents) {
        FeatureQuery q;
        q.parent_code = parent;
        q.limit = std::numeric_limits<std::size_t>::max();
        for (auto& f : m_store.features(d->layer, q).features)
            if (!changed.contains(f.code)) {
                std::string code = f.code;
                subject.emplace(std::move(code), input_of(std::move(f)));
            }
    }
    for (auto& [code, f] : changed)
        if (f)
            subject.emplace(code, std::move(*f));
    std::vector<FeatureInput> features;
    for (auto& [code, f] : subject)
        features.push_back(std::move(f));
    ValidationReport report = validate_features(m_store, *layer, features, rules);

    // A grid the draft makes or changes should have someone responsible for it.
    if (layer->kind == LayerKind::grid || layer->kind == LayerKind::exclusive_grid) {
        const DraftOwners owners(m_store, d->id);
        for (const auto& f : features)
            if (changed.contains(f.code) && owners.owners(f.code).empty())
                report.findings.push_back(
                    {"unowned",
                     Finding::Severity::warning,
                     f.code + " has no one responsible for it: set its owners",
                     {f.code},
                     geo::point_on_surface(f.geometry),
                     std::nullopt});
    }
    sort_findings(report);
    return report;
}

namespace {

// The changed features of a draft as they are and as they would be, each indexed for locating.
struct Sides {
    std::vector<std::string> codes[2]; // [0] before, [1] after
    std::vector<geo::MultiPolygon> shapes[2];
    std::unique_ptr<geo::LocateIndex> index[2];
    geo::BBox reach;

    // The grid a point is in on `side`, "" when in none of the changed ones.
    std::string at(int side, geo::LonLat p) const {
        const std::uint32_t i = index[side]->locate(p);
        return i == geo::LocateIndex::none ? std::string() : codes[side][i];
    }
};

Sides sides_of(Store& store, const Draft& d, const std::vector<FeatureChange>& changes) {
    Sides s;
    for (const auto& c : changes) {
        FeatureQuery q;
        q.code = c.code;
        for (const auto& f : store.features(d.layer, q).features)
            if (polygonal(input_of(f))) {
                s.reach.extend(geo::bbox_of(f.geometry));
                s.codes[0].push_back(f.code);
                s.shapes[0].push_back(geo::as_multi_polygon(f.geometry));
            }
        if (c.after && polygonal(*c.after)) {
            s.reach.extend(geo::bbox_of(c.after->geometry));
            s.codes[1].push_back(c.code);
            s.shapes[1].push_back(geo::as_multi_polygon(c.after->geometry));
        }
    }
    for (int side : {0, 1})
        s.index[side] = std::make_unique<geo::LocateIndex>(s.shapes[side]);
    return s;
}

} // namespace

DraftImpact Redraw::impact(std::int64_t draft_id, Time now) {
    auto d = m_store.draft(draft_id);
    if (!d)
        throw Error(ErrorCode::not_found, "draft " + std::to_string(draft_id) + " does not exist");
    auto changes = m_store.draft_changes(draft_id);
    const auto owners = m_store.draft_owners(draft_id);
    // A feature whose people alone change is counted as it stands, on both sides.
    std::set<std::string> owners_only;
    for (const auto& o : owners)
        if (std::ranges::find(changes, o.code, &FeatureChange::code) == changes.end()) {
            FeatureQuery q;
            q.code = o.code;
            for (auto& f : m_store.features(d->layer, q).features) {
                owners_only.insert(o.code);
                changes.push_back({o.code, input_of(std::move(f))});
            }
        }
    const Sides sides = sides_of(m_store, *d, changes);
    DraftImpact out;
    std::map<std::string, GridImpact> grids;
    for (int side : {0, 1})
        for (const auto& code : sides.codes[side]) {
            GridImpact& g = grids[code];
            g.code = code;
        }
    for (auto& [code, g] : grids) {
        const bool before = std::ranges::count(sides.codes[0], code) > 0;
        const bool after = std::ranges::count(sides.codes[1], code) > 0;
        g.change = owners_only.contains(code) ? "owners"
                   : !before                  ? "created"
                   : !after                   ? "removed"
                                              : "changed";
        g.people = m_store.people(code);
        if (auto o = std::ranges::find(owners, code, &OwnerChange::code); o != owners.end()) {
            auto found = m_store.people_with_codes(o->people);
            for (const auto& person : o->people) // in the draft's order
                if (auto p = std::ranges::find(found, person, &Person::code); p != found.end())
                    g.people_after.push_back(*p);
        } else if (after) {
            g.people_after = g.people;
        }
    }
    if (sides.reach.empty()) {
        for (auto& [code, g] : grids)
            out.grids.push_back(std::move(g));
        return out;
    }

    // Counts one thing at `p` on both sides; `add` picks the counter(s).
    auto count = [&](geo::LonLat p, const auto& add) {
        const std::string from = sides.at(0, p), to = sides.at(1, p);
        if (!from.empty())
            add(grids[from].before);
        if (!to.empty())
            add(grids[to].after);
        if (from != to)
            add(out.moved);
    };
    for (const auto& b : m_store.buildings(sides.reach))
        count(b.position, [&](GridImpact::Counts& c) {
            ++c.buildings;
            c.households += b.households;
        });
    for (const auto& cam : m_store.cameras(sides.reach))
        count(cam.position, [](GridImpact::Counts& c) { ++c.cameras; });
    EventQuery events;
    events.bbox = sides.reach;
    events.limit = std::numeric_limits<std::int32_t>::max();
    events.count_total = false;
    for (const auto& e : m_store.events(events).events) {
        const bool open = e.status != EventStatus::resolved && e.status != EventStatus::closed;
        count(e.position,
              [&](GridImpact::Counts& c) { ++(open ? c.open_events : c.closed_events); });
    }
    PathQuery patrols;
    patrols.bbox = sides.reach;
    patrols.ended_after = now - std::chrono::days(out.patrol_days);
    for (const auto& t : m_store.patrol_tracks(patrols)) {
        if (t.path.points.empty())
            continue;
        const double km = geo::length_m(geo::Geometry{geo::LineString{t.path.points}}) / 1000;
        count(t.path.points.front(), [&](GridImpact::Counts& c) {
            ++c.patrols;
            c.patrol_km += km;
        });
    }
    for (auto& [code, g] : grids)
        out.grids.push_back(std::move(g));
    return out;
}

namespace {

// The layer's features at `version` (none at version 0), by code.
std::map<std::string, Feature> features_at_version(Store& store, const Layer& layer,
                                                   std::int64_t version) {
    std::map<std::string, Feature> out;
    if (version == 0)
        return out;
    std::optional<Time> when;
    for (const auto& cs : store.changesets(layer.name))
        if (cs.version == version)
            when = cs.created_at;
    if (!when)
        throw Error(ErrorCode::not_found, "layer " + layer.name + " has no version " +
                                              std::to_string(version) + " (it is at version " +
                                              std::to_string(layer.version) + ")");
    FeatureQuery q;
    q.at = *when;
    q.limit = std::numeric_limits<std::size_t>::max();
    for (auto& f : store.features(layer.name, q).features) {
        std::string code = f.code;
        out.emplace(std::move(code), std::move(f));
    }
    return out;
}

geo::MultiPolygon polygons(const geo::Geometry& g) {
    return geo::dimension_of(geo::type_of(g)) == geo::Dimension::polygonal
               ? geo::as_multi_polygon(g)
               : geo::MultiPolygon{};
}

} // namespace

std::vector<FeatureDiff> diff_versions(Store& store, std::string_view layer_name, std::int64_t from,
                                       std::int64_t to) {
    auto layer = store.find_layer(layer_name);
    if (!layer)
        throw Error(ErrorCode::not_found, "layer '" + std::string(layer_name) + "' does not exist");
    auto before = features_at_version(store, *layer, from);
    auto after = features_at_version(store, *layer, to);
    std::set<std::string> codes;
    for (const auto& [code, f] : before)
        codes.insert(code);
    for (const auto& [code, f] : after)
        codes.insert(code);
    std::vector<FeatureDiff> out;
    for (const auto& code : codes) {
        auto b = before.find(code), a = after.find(code);
        FeatureDiff d;
        d.code = code;
        if (b == before.end()) {
            d.change = "created";
            d.area = polygons(a->second.geometry);
        } else if (a == after.end()) {
            d.change = "removed";
            d.area = polygons(b->second.geometry);
        } else if (a->second.id == b->second.id) {
            continue; // the same row: unchanged
        } else if (a->second.geometry != b->second.geometry) {
            d.change = "reshaped";
            d.area = polygons(geo::difference(a->second.geometry, b->second.geometry));
            for (auto& p :
                 polygons(geo::difference(b->second.geometry, a->second.geometry)).polygons)
                d.area.polygons.push_back(std::move(p));
            // Pieces thinner than rounding (a vertex inserted a hair off its edge) are no ground.
            std::erase_if(d.area.polygons, [](const geo::Polygon& p) {
                return geo::area_m2(geo::Geometry{p}) < 1.0; // validation's fault size
            });
            if (d.area.polygons.empty())
                d.change = "vertices"; // the same ground: a neighbour's vertex was added on an edge
        } else if (a->second.name != b->second.name ||
                   a->second.parent_code != b->second.parent_code ||
                   a->second.properties != b->second.properties) {
            d.change = "attributes";
        } else {
            continue; // written again unchanged (a whole-layer import)
        }
        if (b != before.end())
            d.before = b->second;
        if (a != after.end())
            d.after = a->second;
        out.push_back(std::move(d));
    }
    return out;
}

RedrawCommit Redraw::commit(std::int64_t draft_id, const ChangesetInfo& info) {
    auto tx = m_store.begin();
    const Draft d = open_draft(m_store, draft_id);
    const auto changes = m_store.draft_changes(draft_id);
    const Sides sides = sides_of(m_store, d, changes); // read before the commit retires them
    RedrawCommit out;
    out.changeset = m_store.commit_draft(draft_id, info);

    // Events carry their grid from the first grid layer; only a redraw of it moves them.
    const auto layers = m_store.layers();
    const auto grid_layer = std::find_if(layers.begin(), layers.end(),
                                         [](const Layer& l) { return l.kind == LayerKind::grid; });
    if (grid_layer != layers.end() && grid_layer->name == d.layer && !sides.reach.empty()) {
        // A feature's parent, its parent's parent, ... with their layers' kinds, read once each.
        std::map<std::string, std::vector<std::pair<LayerKind, std::string>>> above;
        auto areas_above = [&](const std::string& grid, const std::string& parent) {
            auto& chain = above[grid];
            if (!chain.empty())
                return chain;
            std::optional<std::string> layer = grid_layer->parent_layer, code = parent;
            for (int depth = 0; layer && code && !code->empty() && depth < 8; ++depth) {
                auto l = std::ranges::find(layers, *layer, &Layer::name);
                if (l == layers.end())
                    break;
                chain.emplace_back(l->kind, *code);
                FeatureQuery q;
                q.code = *code;
                auto page = m_store.features(l->name, q);
                layer = l->parent_layer;
                code = page.features.empty() ? std::nullopt : page.features.front().parent_code;
            }
            return chain;
        };
        std::map<std::string, std::string> parent_of; // changed code -> its parent after
        for (const auto& c : changes)
            parent_of[c.code] = c.after ? c.after->parent_code.value_or("") : "";
        EventQuery q; // open events where the draft reaches (the events' spatial index)
        q.open = true;
        q.bbox = sides.reach;
        q.limit = std::numeric_limits<std::int32_t>::max();
        q.count_total = false;
        for (const Event& e : m_store.events(q).events) {
            if (!e.grid_code.empty() && !parent_of.contains(e.grid_code))
                continue; // in a grid the draft leaves as it is
            const std::string to = sides.at(1, e.position);
            if (to.empty() || to == e.grid_code)
                continue; // in no grid before and after, or in the same one
            Event moved = e;
            moved.grid_code = to;
            moved.outside_grid = false;
            // The areas above the new grid, by their layers' kinds.
            for (const auto& [kind, code] : areas_above(to, parent_of[to]))
                for (auto [k, field] : {std::pair{LayerKind::community, &moved.community_code},
                                        {LayerKind::township, &moved.township_code},
                                        {LayerKind::county, &moved.county_code}})
                    if (kind == k)
                        *field = code;
            moved.layer_version = out.changeset.version;
            moved.updated_at = out.changeset.created_at;
            TimelineEntry entry;
            entry.at = out.changeset.created_at;
            entry.actor = info.author;
            entry.action = EventAction::reassign;
            entry.from = e.status;
            entry.to = e.status;
            entry.note = "grid " + (e.grid_code.empty() ? "(none)" : e.grid_code) + " → " + to +
                         ": " + d.layer + " version " + std::to_string(out.changeset.version) +
                         " (" + info.reason + ")";
            entry.target = to;
            m_store.update_event(moved, e.status, entry);
            out.moved_events.push_back({e.id, e.grid_code, to});
        }
    }
    tx->commit();
    return out;
}

} // namespace tessera::data
