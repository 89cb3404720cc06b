#include "data/assignment.hpp"

#include "geo/error.hpp"
#include "geo/locate_index.hpp"
#include "geo/topology.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numbers>
#include <set>
#include <unordered_map>

namespace tessera::data {

std::string_view to_string(Assignment::Status s) {
    switch (s) {
    case Assignment::Status::assigned:
        return "assigned";
    case Assignment::Status::outside_grid:
        return "outside_grid";
    case Assignment::Status::unassigned:
        return "unassigned";
    }
    return "unassigned";
}

namespace {

struct LayerIndex {
    std::string name;
    LayerKind kind = LayerKind::grid;
    std::int64_t version = 0;
    std::vector<std::string> codes, names;
    std::vector<std::optional<std::string>> parents;
    std::vector<std::int64_t> ids, versions; // the store's row id and version of each feature
    std::vector<geo::MultiPolygon> geometries;
    std::vector<std::vector<bool>> junctions; // per feature (geo::find_junctions), for drawing
    std::vector<geo::BBox> boxes;
    std::unordered_map<std::string, std::uint32_t> by_code;
    // Point location. A layer followed through small edits (update_layer) keeps the index of an
    // earlier version, shared with earlier snapshots, and indexes the features changed since in
    // `patch`, which is asked first: in a tiling, every feature whose boundary moved is in it.
    std::shared_ptr<const geo::LocateIndex> index;
    std::vector<std::uint32_t> index_ids; // index result -> feature (none: changed since); empty:
                                          // the identity
    std::unique_ptr<geo::LocateIndex> patch;
    std::vector<std::uint32_t> patch_ids; // patch result -> feature

    std::uint32_t locate(geo::LonLat p) const {
        if (patch) {
            const std::uint32_t j = patch->locate(p);
            if (j != geo::LocateIndex::none)
                return patch_ids[j];
        }
        const std::uint32_t i = index->locate(p);
        return i == geo::LocateIndex::none || index_ids.empty() ? i : index_ids[i];
    }

    AreaRef ref(std::uint32_t i) const { return {codes[i], names[i], name, version}; }
    std::optional<std::uint32_t> find(const std::string& code) const {
        auto it = by_code.find(code);
        if (it == by_code.end())
            return std::nullopt;
        return it->second;
    }
};

// The version of each layer valid at a time: the last changeset at or before it.
std::map<std::string, std::int64_t> versions_at(Store& store, std::optional<Time> at) {
    std::map<std::string, std::int64_t> out;
    for (const auto& l : store.layers()) {
        if (!at) {
            out[l.name] = l.version;
            continue;
        }
        std::int64_t v = 0;
        for (const auto& cs : store.changesets(l.name))
            if (cs.created_at <= *at)
                v = cs.version;
        out[l.name] = v;
    }
    return out;
}

// Distance in metres from p to a polygon's boundary, in a local equirectangular frame (good to
// a fraction of a percent over a grid's extent).
double boundary_distance_m(geo::LonLat p, const geo::MultiPolygon& mp) {
    const double kx = 111'320.0 * std::cos(p.lat * std::numbers::pi / 180), ky = 110'900.0;
    double best = INFINITY;
    for (const auto& poly : mp.polygons)
        for (const auto& ring : poly.rings)
            for (std::size_t i = 0; i + 1 < ring.size(); ++i) {
                double ax = (ring[i].lon - p.lon) * kx, ay = (ring[i].lat - p.lat) * ky;
                double bx = (ring[i + 1].lon - p.lon) * kx, by = (ring[i + 1].lat - p.lat) * ky;
                double dx = bx - ax, dy = by - ay;
                double len2 = dx * dx + dy * dy;
                double t = len2 > 0 ? std::clamp(-(ax * dx + ay * dy) / len2, 0.0, 1.0) : 0.0;
                best = std::min(best, std::hypot(ax + t * dx, ay + t * dy));
            }
    return best;
}

} // namespace

struct Assigner::Snapshot {
    std::map<std::string, std::int64_t> versions;
    // Shared with other snapshots where the layer has not changed.
    std::vector<std::shared_ptr<const LayerIndex>> layers;
    using People = std::unordered_map<std::string, std::vector<Person>>;
    std::shared_ptr<const People> people; // by unit code, most specific role first
    std::int64_t people_revision = -1;    // Store::people_revision() when they were read

    const LayerIndex* layer(const std::string& name) const {
        for (const auto& l : layers)
            if (l->name == name)
                return l.get();
        return nullptr;
    }
    const LayerIndex* first_of(LayerKind k) const {
        for (const auto& l : layers)
            if (l->kind == k)
                return l.get();
        return nullptr;
    }
};

namespace {

int role_rank(PersonRole r); // owners: full-time officers, part-time, chief, micro-grid head

void add_feature(LayerIndex& li, Feature f) {
    li.by_code.emplace(f.code, static_cast<std::uint32_t>(li.codes.size()));
    li.codes.push_back(std::move(f.code));
    li.names.push_back(std::move(f.name));
    li.parents.push_back(std::move(f.parent_code));
    li.ids.push_back(f.id);
    li.versions.push_back(f.version);
    li.boxes.push_back(geo::bbox_of(f.geometry));
    li.geometries.push_back(dimension_of(type_of(f.geometry)) == geo::Dimension::polygonal
                                ? geo::as_multi_polygon(f.geometry)
                                : geo::MultiPolygon{});
}

std::shared_ptr<const LayerIndex> build_layer(Store& store, const Layer& l, std::int64_t version,
                                              std::optional<Time> at) {
    auto li = std::make_shared<LayerIndex>();
    li->name = l.name;
    li->kind = l.kind;
    li->version = version;
    FeatureQuery q;
    q.at = at;
    q.limit = std::numeric_limits<std::size_t>::max();
    for (auto& f : store.features(l.name, q).features)
        add_feature(*li, std::move(f));
    li->index = std::make_shared<geo::LocateIndex>(li->geometries);
    li->junctions = geo::find_junctions(li->geometries);
    return li;
}

// Beyond this many features changed since its index was built, a layer is indexed afresh.
constexpr std::size_t max_patch = 512;

// `old` followed to the layer's current version: the features changed since are replaced (and
// go to the end), the index is shared and the changed features patched over it, and junctions
// are found again only around them. nullptr when a fresh build is due (too many changes).
std::shared_ptr<const LayerIndex> update_layer(Store& store, const LayerIndex& old,
                                               const Layer& now) {
    const std::int64_t version = now.version;
    LayerDelta delta = store.changes_since(old.name, old.version);
    std::set<std::string> gone(delta.retired.begin(), delta.retired.end());
    for (const auto& f : delta.current)
        gone.insert(f.code);
    // Features already in old's patch stay patched.
    std::set<std::uint32_t> old_patched(old.patch_ids.begin(), old.patch_ids.end());
    if (old_patched.size() + delta.current.size() > max_patch)
        return nullptr;

    auto li = std::make_shared<LayerIndex>();
    li->name = old.name;
    li->kind = old.kind;
    li->version = version;
    li->index = old.index;
    std::vector<std::uint32_t> now_of_old(old.codes.size(), geo::LocateIndex::none);
    std::vector<std::uint32_t> patched; // features of li in the patch
    for (std::uint32_t i = 0; i < old.codes.size(); ++i) {
        if (gone.contains(old.codes[i]))
            continue;
        now_of_old[i] = static_cast<std::uint32_t>(li->codes.size());
        if (old_patched.contains(i))
            patched.push_back(now_of_old[i]);
        li->by_code.emplace(old.codes[i], now_of_old[i]);
        li->codes.push_back(old.codes[i]);
        li->names.push_back(old.names[i]);
        li->parents.push_back(old.parents[i]);
        li->ids.push_back(old.ids[i]);
        li->versions.push_back(old.versions[i]);
        li->boxes.push_back(old.boxes[i]);
        li->geometries.push_back(old.geometries[i]);
        li->junctions.push_back(old.junctions[i]);
    }
    const std::uint32_t first_new = static_cast<std::uint32_t>(li->codes.size());
    for (auto& f : delta.current) {
        patched.push_back(static_cast<std::uint32_t>(li->codes.size()));
        add_feature(*li, std::move(f));
    }
    if (static_cast<std::int64_t>(li->codes.size()) != now.feature_count)
        return nullptr; // the delta named a code retired at `old`'s own version: build afresh
    li->junctions.resize(li->codes.size()); // the new features' are found below
    // The shared index answers with the ids of the features it was built from.
    const std::size_t indexed = old.index_ids.empty() ? old.codes.size() : old.index_ids.size();
    li->index_ids.assign(indexed, geo::LocateIndex::none);
    for (std::size_t k = 0; k < indexed; ++k) {
        const std::uint32_t o =
            old.index_ids.empty() ? static_cast<std::uint32_t>(k) : old.index_ids[k];
        if (o != geo::LocateIndex::none && !old_patched.contains(o))
            li->index_ids[k] = now_of_old[o];
    }
    std::vector<geo::MultiPolygon> shapes;
    for (std::uint32_t i : patched)
        shapes.push_back(li->geometries[i]);
    li->patch = std::make_unique<geo::LocateIndex>(shapes);
    li->patch_ids = patched;

    // Junctions change only on the new features and their neighbours; the neighbours'
    // neighbours are needed to tell them.
    auto near = [&](const std::vector<std::uint32_t>& of) {
        geo::BBox reach;
        for (std::uint32_t i : of)
            reach.extend(li->boxes[i]);
        std::vector<std::uint32_t> out;
        for (std::uint32_t i = 0; i < li->boxes.size(); ++i)
            if (li->boxes[i].intersects(reach))
                out.push_back(i);
        return out;
    };
    std::vector<std::uint32_t> fresh;
    for (std::uint32_t i = first_new; i < li->codes.size(); ++i)
        fresh.push_back(i);
    if (!fresh.empty()) {
        const std::vector<std::uint32_t> ring1 = near(fresh), ring2 = near(ring1);
        std::vector<geo::MultiPolygon> context;
        for (std::uint32_t i : ring2)
            context.push_back(li->geometries[i]);
        auto flags = geo::find_junctions(context);
        const std::set<std::uint32_t> inner(ring1.begin(), ring1.end());
        for (std::size_t k = 0; k < ring2.size(); ++k)
            if (inner.contains(ring2[k]))
                li->junctions[ring2[k]] = std::move(flags[k]);
    }
    return li;
}

std::shared_ptr<const Assigner::Snapshot::People> read_people(Store& store) {
    auto people = std::make_shared<Assigner::Snapshot::People>();
    for (auto& p : store.people())
        for (const auto& code : p.grid_codes)
            (*people)[code].push_back(p);
    // Most specific role first, sorted once, so a query copies only what it returns.
    for (auto& [unit, list] : *people)
        std::stable_sort(list.begin(), list.end(), [](const Person& a, const Person& b) {
            return role_rank(a.role) < role_rank(b.role);
        });
    return people;
}

// A snapshot of the layers at `at` (nullopt: now) and the people responsible now (owners are not
// versioned). With `before`, layers whose version did not change are shared with it, changed
// ones are followed incrementally where that is cheaper, and so are its people unless
// `people_revision` moved.
std::shared_ptr<const Assigner::Snapshot>
build_snapshot(Store& store, std::optional<Time> at, std::map<std::string, std::int64_t> versions,
               std::int64_t people_revision, const Assigner::Snapshot* before = nullptr) {
    auto snap = std::make_shared<Assigner::Snapshot>();
    snap->versions = std::move(versions);
    snap->people_revision = people_revision;
    for (const auto& l : store.layers()) {
        const std::int64_t version = snap->versions[l.name];
        std::shared_ptr<const LayerIndex> old, li;
        if (before)
            for (const auto& x : before->layers)
                if (x->name == l.name)
                    old = x;
        if (old && old->version == version)
            li = old;
        else if (old && !at && old->version < version && l.version == version)
            li = update_layer(store, *old, l);
        if (!li)
            li = build_layer(store, l, version, at);
        snap->layers.push_back(std::move(li));
    }
    snap->people =
        before && before->people_revision == people_revision ? before->people : read_people(store);
    return snap;
}

geo::LonLat to_wgs84(const LocateQuery& q) {
    if (!std::isfinite(q.position.lon) || !std::isfinite(q.position.lat))
        throw Error(ErrorCode::invalid_argument, "coordinates must be finite numbers");
    // One transform per CRS and thread: PROJ objects are expensive to create and not shareable.
    thread_local std::map<std::string, geo::CrsTransform> cache;
    auto it = cache.find(q.crs);
    if (it == cache.end()) {
        geo::Crs from = geo::Crs::parse(q.crs);
        if (cache.size() > 32)
            cache.clear();
        it = cache.emplace(q.crs, geo::CrsTransform(from, geo::Crs::wgs84())).first;
    }
    geo::LonLat p = it->second.apply(q.position);
    if (p.lon < -180 || p.lon > 180 || p.lat < -90 || p.lat > 90)
        throw Error(ErrorCode::invalid_argument, "coordinates are outside the valid lon/lat range");
    return p;
}

int role_rank(PersonRole r) {
    switch (r) {
    case PersonRole::full_time_officer:
        return 0;
    case PersonRole::part_time_officer:
        return 1;
    case PersonRole::grid_chief:
        return 2;
    case PersonRole::micro_grid_head:
        return 3;
    default:
        return 4;
    }
}

void add_owners(const Assigner::Snapshot& s, const std::string& unit, const char* level,
                std::vector<Owner>& out) {
    auto it = s.people->find(unit);
    if (it == s.people->end())
        return;
    for (const auto& p : it->second) // sorted by role when the snapshot was built
        out.push_back({p.id, p.name, p.role, p.phone, level, unit});
}

} // namespace

Assigner::Assigner(Store& store)
    : m_store(store) {}

Assigner::~Assigner() = default;

namespace {

// The features that differ between two versions of a layer, matched by code: one that is new,
// gone, or whose name, parent or shape changed gives its box (both boxes when it changed). A
// store import writes new rows even for unchanged features, so row ids cannot tell.
std::vector<geo::BBox> changed_areas(const LayerIndex* before, const LayerIndex* after) {
    std::vector<geo::BBox> out;
    auto same = [](const LayerIndex& a, std::uint32_t i, const LayerIndex& b, std::uint32_t j) {
        return a.names[i] == b.names[j] && a.parents[i] == b.parents[j] &&
               a.geometries[i] == b.geometries[j];
    };
    if (before)
        for (std::uint32_t i = 0; i < before->codes.size(); ++i) {
            auto j = after ? after->find(before->codes[i]) : std::nullopt;
            if (!j || !same(*before, i, *after, *j)) {
                out.push_back(before->boxes[i]);
                if (j)
                    out.push_back(after->boxes[*j]);
            }
        }
    if (after)
        for (std::uint32_t j = 0; j < after->codes.size(); ++j)
            if (!before || !before->find(after->codes[j]))
                out.push_back(after->boxes[j]);
    return out;
}

} // namespace

bool Assigner::refresh() {
    std::lock_guard refreshing(m_refresh_mutex);
    // The revision first: people written after it are read now or by the next refresh.
    const std::int64_t people_revision = m_store.people_revision();
    auto versions = versions_at(m_store, std::nullopt);
    std::shared_ptr<const Snapshot> before;
    {
        std::lock_guard lock(m_mutex);
        if (m_current && m_current->versions == versions &&
            m_current->people_revision == people_revision)
            return false;
        before = m_current;
    }
    auto snap = build_snapshot(m_store, std::nullopt, versions, people_revision, before.get());
    {
        std::lock_guard lock(m_mutex);
        m_current = snap;
    }
    if (!before || m_listeners.empty())
        return true;
    std::set<std::string> names;
    for (const auto& l : before->layers)
        names.insert(l->name);
    for (const auto& l : snap->layers)
        names.insert(l->name);
    for (const auto& name : names) {
        LayerChange change{name, changed_areas(before->layer(name), snap->layer(name))};
        if (change.areas.empty())
            continue;
        for (const auto& listener : m_listeners)
            listener(change);
    }
    return true;
}

void Assigner::subscribe(LayerListener listener) {
    std::lock_guard refreshing(m_refresh_mutex);
    m_listeners.push_back(std::move(listener));
}

std::shared_ptr<const Assigner::Snapshot> Assigner::current() {
    {
        std::lock_guard lock(m_mutex);
        if (m_current)
            return m_current;
    }
    refresh();
    std::lock_guard lock(m_mutex);
    return m_current;
}

std::shared_ptr<const Assigner::Snapshot> Assigner::snapshot_at(Time at) {
    auto versions = versions_at(m_store, at);
    auto now = current();
    if (now->versions == versions)
        return now;
    std::int64_t key = at.time_since_epoch().count();
    {
        std::lock_guard lock(m_mutex);
        for (const auto& [k, s] : m_past)
            if (s->versions == versions)
                return s;
    }
    auto snap = build_snapshot(m_store, at, versions, now->people_revision, now.get());
    std::lock_guard lock(m_mutex);
    m_past.emplace_back(key, snap);
    if (m_past.size() > 4)
        m_past.erase(m_past.begin()); // a few recent past versions
    return snap;
}

Assigner::LayerDrawing Assigner::features_in(std::string_view layer, const geo::BBox& box,
                                             std::optional<Time> at) {
    auto snap = at ? snapshot_at(*at) : current();
    const LayerIndex* l = snap->layer(std::string(layer));
    if (!l)
        throw Error(ErrorCode::not_found, "layer '" + std::string(layer) + "' does not exist");
    LayerDrawing out{l->name, l->kind, l->version, {}, snap};
    // A scan of the boxes: about 10 us for 10,000 grids, small beside encoding the tile.
    for (std::uint32_t i = 0; i < l->boxes.size(); ++i)
        if (l->boxes[i].intersects(box))
            out.features.push_back({l->ids[i], l->versions[i], l->codes[i], l->names[i],
                                    &l->parents[i], &l->geometries[i], &l->junctions[i]});
    return out;
}

Assignment Assigner::locate(const LocateQuery& q) {
    if (q.accuracy_m &&
        (!std::isfinite(*q.accuracy_m) || *q.accuracy_m < 0 || *q.accuracy_m > 10'000))
        throw Error(ErrorCode::invalid_argument, "accuracy must be between 0 and 10000 metres");
    Assignment a;
    a.wgs84 = to_wgs84(q);
    auto snap = q.at ? snapshot_at(*q.at) : current();
    const LayerIndex* grids =
        q.grid_layer ? snap->layer(*q.grid_layer) : snap->first_of(LayerKind::grid);
    if (q.grid_layer && (!grids || grids->kind != LayerKind::grid))
        throw Error(ErrorCode::not_found, "no grid layer '" + *q.grid_layer + "'");
    const LayerIndex* communities = snap->first_of(LayerKind::community);
    const LayerIndex* townships = snap->first_of(LayerKind::township);
    const LayerIndex* counties = snap->first_of(LayerKind::county);

    auto locate_in = [&](const LayerIndex* l) -> std::optional<std::uint32_t> {
        if (!l)
            return std::nullopt;
        std::uint32_t id = l->locate(a.wgs84);
        if (id == geo::LocateIndex::none)
            return std::nullopt;
        return id;
    };
    // Fills the admin chain upwards from a community, township or county code.
    auto fill_admin = [&](const LayerIndex* start, std::optional<std::uint32_t> id) {
        const LayerIndex* chain[] = {communities, townships, counties};
        std::optional<std::string> code;
        for (const LayerIndex* l : chain) {
            if (!l)
                continue;
            std::optional<std::uint32_t> here;
            if (l == start)
                here = id;
            else if (code)
                here = l->find(*code);
            if (!here)
                continue;
            AreaRef r = l->ref(*here);
            if (l == communities)
                a.community = r;
            if (l == townships)
                a.township = r;
            code = l->parents[*here];
            if (l == counties) {
                a.county = r;
                a.city_code = code;
            }
        }
    };

    if (grids)
        a.layer_version = grids->version;
    if (auto g = locate_in(grids)) {
        a.status = Assignment::Status::assigned;
        a.grid = grids->ref(*g);
        if (communities && grids->parents[*g]) {
            if (auto c = communities->find(*grids->parents[*g]))
                fill_admin(communities, c);
        }
        if (!a.community) { // grid without a known parent: locate the admin areas directly
            for (const LayerIndex* l : {communities, townships, counties})
                if (auto id = locate_in(l)) {
                    fill_admin(l, id);
                    break;
                }
        }
    } else {
        for (const LayerIndex* l : {communities, townships, counties})
            if (auto id = locate_in(l)) {
                fill_admin(l, id);
                a.status = Assignment::Status::outside_grid;
                break;
            }
    }
    if (const LayerIndex* ex = snap->first_of(LayerKind::exclusive_grid))
        if (auto e = locate_in(ex))
            a.exclusive_grid = ex->ref(*e);
    if (const LayerIndex* mg = snap->first_of(LayerKind::micro_grid))
        if (auto m = locate_in(mg))
            a.micro_grid = mg->ref(*m);

    if (q.with_owners) {
        // The exclusive grid's people, if any, come first: it takes precedence for ownership.
        const std::pair<const std::optional<AreaRef>*, const char*> chain[] = {
            {&a.exclusive_grid, "exclusive_grid"},
            {&a.grid, "grid"},
            {&a.community, "community"},
            {&a.township, "township"},
            {&a.county, "county"}};
        for (const auto& [area, level] : chain)
            if (*area)
                add_owners(*snap, (*area)->code, level, a.owners);
    }

    if (q.accuracy_m && grids) {
        double acc = *q.accuracy_m;
        double dlat = acc / 110'900.0,
               dlon = acc / (111'320.0 * std::cos(a.wgs84.lat * std::numbers::pi / 180));
        geo::BBox probe{a.wgs84.lon - dlon, a.wgs84.lat - dlat, a.wgs84.lon + dlon,
                        a.wgs84.lat + dlat};
        for (std::uint32_t i = 0; i < grids->codes.size(); ++i) {
            if (!grids->boxes[i].intersects(probe))
                continue;
            bool inside = a.grid && a.grid->code == grids->codes[i];
            if (inside || boundary_distance_m(a.wgs84, grids->geometries[i]) <= acc)
                a.candidates.push_back(grids->ref(i));
        }
        bool near_own_boundary =
            a.grid &&
            boundary_distance_m(a.wgs84, grids->geometries[*grids->find(a.grid->code)]) < acc;
        a.ambiguous = near_own_boundary || (!a.grid && !a.candidates.empty());
        if (!a.ambiguous)
            a.candidates.clear();
    }
    return a;
}

namespace {

// The admin layers from the lowest up: community, township, county (any may be missing).
std::array<const LayerIndex*, 3> admin_chain(const Assigner::Snapshot& snap) {
    return {snap.first_of(LayerKind::community), snap.first_of(LayerKind::township),
            snap.first_of(LayerKind::county)};
}

// The codes from `parent` (an area of chain[level]) up to the city: the parents of the parents.
void append_codes_up(const std::array<const LayerIndex*, 3>& chain, std::size_t level,
                     std::optional<std::string> parent, std::vector<std::string>& out) {
    for (std::size_t up = level; parent && up <= chain.size(); ++up) {
        out.push_back(*parent);
        const LayerIndex* above = up < chain.size() ? chain[up] : nullptr;
        auto id = above ? above->find(*parent) : std::nullopt;
        parent = id ? above->parents[*id] : std::nullopt;
    }
}

} // namespace

std::vector<Assigner::NamedArea> Assigner::areas_named_in(std::string_view text) {
    auto snap = current();
    const auto chain = admin_chain(*snap);
    std::vector<NamedArea> out;
    for (std::size_t level = 0; level < chain.size(); ++level) {
        const LayerIndex* l = chain[level];
        if (!l)
            continue;
        for (std::uint32_t i = 0; i < l->codes.size(); ++i) {
            if (l->names[i].empty() || text.find(l->names[i]) == std::string_view::npos)
                continue;
            NamedArea named{l->ref(i), {l->codes[i]}};
            append_codes_up(chain, level + 1, l->parents[i], named.codes);
            out.push_back(std::move(named));
        }
    }
    return out;
}

std::vector<std::string> Assigner::areas_from(std::string_view code) {
    auto snap = current();
    const auto chain = admin_chain(*snap);
    std::vector<std::string> out;
    for (std::size_t level = 0; level < chain.size(); ++level)
        if (chain[level] && chain[level]->find(std::string(code))) {
            append_codes_up(chain, level, std::string(code), out);
            return out;
        }
    out.emplace_back(code); // a city, or a code no admin layer has
    return out;
}

std::optional<Assigner::AreaInfo> Assigner::area_info(std::string_view code) {
    auto snap = current();
    const std::pair<LayerKind, StatsUnit> levels[] = {{LayerKind::grid, StatsUnit::grid},
                                                      {LayerKind::community, StatsUnit::community},
                                                      {LayerKind::township, StatsUnit::township},
                                                      {LayerKind::county, StatsUnit::county}};
    for (auto [kind, level] : levels)
        if (const LayerIndex* l = snap->first_of(kind))
            if (auto i = l->find(std::string(code)))
                return AreaInfo{l->codes[*i], l->names[*i], level};
    auto cities = city_codes();
    if (std::find(cities.begin(), cities.end(), code) != cities.end())
        return AreaInfo{std::string(code), "", StatsUnit::city};
    return std::nullopt;
}

std::vector<std::string> Assigner::city_codes() {
    auto snap = current();
    std::vector<std::string> out;
    if (const LayerIndex* counties = snap->first_of(LayerKind::county))
        for (const auto& parent : counties->parents)
            if (parent && std::find(out.begin(), out.end(), *parent) == out.end())
                out.push_back(*parent);
    return out;
}

Assigner::Batch Assigner::locate_batch(std::span<const geo::LonLat> wgs84,
                                       const std::optional<std::string>& grid_layer) {
    auto snap = current();
    const LayerIndex* grids =
        grid_layer ? snap->layer(*grid_layer) : snap->first_of(LayerKind::grid);
    if (grid_layer && (!grids || grids->kind != LayerKind::grid))
        throw Error(ErrorCode::not_found, "no grid layer '" + *grid_layer + "'");
    Batch b;
    b.grid.assign(wgs84.size(), -1);
    b.outside_grid.assign(wgs84.size(), 0);
    if (!grids)
        return b;
    b.layer_version = grids->version;
    // Aliasing pointers keep the snapshot alive as long as the caller holds the names.
    b.codes = std::shared_ptr<const std::vector<std::string>>(snap, &grids->codes);
    b.names = std::shared_ptr<const std::vector<std::string>>(snap, &grids->names);
    std::vector<std::uint32_t> ids(wgs84.size());
    if (grids->patch)
        for (std::size_t i = 0; i < wgs84.size(); ++i)
            ids[i] = grids->locate(wgs84[i]);
    else
        grids->index->locate(wgs84, ids);
    const LayerIndex* admins[] = {snap->first_of(LayerKind::community),
                                  snap->first_of(LayerKind::township),
                                  snap->first_of(LayerKind::county)};
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (ids[i] != geo::LocateIndex::none) {
            b.grid[i] = static_cast<std::int32_t>(ids[i]);
            continue;
        }
        for (const LayerIndex* l : admins)
            if (l && l->locate(wgs84[i]) != geo::LocateIndex::none) {
                b.outside_grid[i] = 1;
                break;
            }
    }
    return b;
}

} // namespace tessera::data
