#include "data/positions.hpp"

#include "geo/error.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace tessera::data {
namespace {

// A fix on an officer's time line while new fixes join the stored ones.
struct Item {
    geo::LonLat position;
    Time at{};
    int track = 0; // index of the stored track it is in, or one of the two below
    std::optional<double> accuracy_m;
};
constexpr int new_fix = -1;
constexpr int latest_lone_fix = -2; // the officer's latest position, in no track

// The people behind the codes, by code; Error(not_found) naming the codes the store lacks.
std::map<std::string, Person, std::less<>> officers_of(Store& store, std::span<const Fix> fixes) {
    std::vector<std::string> codes;
    for (const auto& f : fixes)
        if (codes.empty() || codes.back() != f.officer)
            codes.push_back(f.officer);
    std::ranges::sort(codes);
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    std::map<std::string, Person, std::less<>> out;
    for (auto& p : store.people_with_codes(codes))
        out.emplace(p.code, std::move(p));
    std::string unknown;
    std::size_t unknown_count = 0;
    for (const auto& code : codes)
        if (!out.contains(code) && ++unknown_count <= 5)
            unknown += (unknown.empty() ? "'" : ", '") + code + "'";
    if (unknown_count > 0)
        throw Error(ErrorCode::not_found,
                    "no person with the staff number " + unknown +
                        (unknown_count > 5 ? " and " + std::to_string(unknown_count - 5) + " more"
                                           : std::string()) +
                        " (add the officers to the store first)");
    return out;
}

// The stored fixes of the officer within the gap of [first, last]: the points of the tracks
// there, and the latest position when it is in no track. By time.
std::vector<Item> stored_around(Store& store, std::int64_t person_id, Time first, Time last,
                                std::chrono::seconds gap, const std::vector<PatrolTrack>& tracks) {
    std::vector<Item> out;
    for (std::size_t k = 0; k < tracks.size(); ++k)
        for (std::size_t i = 0; i < tracks[k].path.points.size(); ++i)
            out.push_back({tracks[k].path.points[i], tracks[k].path.times[i], static_cast<int>(k),
                           std::nullopt});
    PositionQuery q;
    q.person_ids = {person_id};
    for (const auto& p : store.latest_positions(q)) {
        const bool in_window = p.at >= first - gap && p.at <= last + gap;
        const bool in_track = std::ranges::any_of(
            tracks, [&](const PatrolTrack& t) { return t.path.times.back() == p.at; });
        if (in_window && !in_track)
            out.push_back({p.position, p.at, latest_lone_fix, p.accuracy_m});
    }
    std::ranges::stable_sort(out, {}, &Item::at);
    return out;
}

// Stores one officer's fixes (by time), counting into `out`.
void store_officer(Store& store, std::int64_t person_id, std::span<const Fix> fresh,
                   const StoreFixOptions& options, FixReceipt& out) {
    const std::chrono::seconds gap = options.max_gap;
    PathQuery q;
    q.person_id = person_id;
    q.ended_after = fresh.front().at - gap;
    q.started_before = fresh.back().at + gap;
    const std::vector<PatrolTrack> tracks = store.patrol_tracks(q);
    const std::vector<Item> stored =
        stored_around(store, person_id, fresh.front().at, fresh.back().at, gap, tracks);

    // The time line: stored fixes as they are, new ones judged against the fix before them.
    std::vector<Item> line;
    line.reserve(stored.size() + fresh.size());
    FixCleaner cleaner(options.filter);
    std::size_t next = 0;
    std::optional<OfficerPosition> newest;
    for (const Fix& f : fresh) {
        for (; next < stored.size() && stored[next].at <= f.at; ++next) {
            cleaner.keep(stored[next].position, stored[next].at);
            line.push_back(stored[next]);
        }
        if (out.count(cleaner.judge(f))) {
            line.push_back({f.position, f.at, new_fix, f.accuracy_m});
            newest = OfficerPosition{person_id, f.position, f.at, f.accuracy_m};
        }
    }
    line.insert(line.end(), stored.begin() + static_cast<std::ptrdiff_t>(next), stored.end());
    if (!newest)
        return;
    store.note_position(*newest); // before the tracks, so it keeps its accuracy

    // A stored track stays whole even where its own fixes are further apart than the gap.
    const auto within_one_track = [&](Time a, Time b) {
        return std::ranges::any_of(tracks, [&](const PatrolTrack& t) {
            return t.path.times.front() <= a && b <= t.path.times.back();
        });
    };
    const auto flush = [&](std::size_t begin, std::size_t end) {
        std::size_t fresh_count = 0;
        std::set<int> replaced;
        bool joins_lone_fix = false;
        for (std::size_t i = begin; i < end; ++i) {
            if (line[i].track == new_fix)
                ++fresh_count;
            else if (line[i].track == latest_lone_fix)
                joins_lone_fix = true;
            else
                replaced.insert(line[i].track);
        }
        if (fresh_count == 0)
            return;
        if (end - begin == 1) {
            ++out.lone;
            return;
        }
        for (int k : replaced)
            store.remove_patrol_track(tracks[static_cast<std::size_t>(k)].id);
        PatrolTrack track;
        track.person_id = person_id;
        for (std::size_t i = begin; i < end; ++i) {
            track.path.points.push_back(line[i].position);
            track.path.times.push_back(line[i].at);
        }
        store.add_patrol_track(track);
        for (const auto& p : track.path.points)
            out.tracks_extent.extend(p);
        out.stored += fresh_count;
        ++(replaced.empty() && !joins_lone_fix ? out.tracks_started : out.tracks_extended);
    };
    std::size_t begin = 0;
    for (std::size_t i = 1; i < line.size(); ++i)
        if (line[i].at - line[i - 1].at > gap && !within_one_track(line[i - 1].at, line[i].at)) {
            flush(begin, i);
            begin = i;
        }
    flush(begin, line.size());
}

} // namespace

FixReceipt store_fixes(Store& store, std::vector<Fix> fixes, const StoreFixOptions& options) {
    FixReceipt out;
    out.received = fixes.size();
    sort_by_officer_and_time(fixes);
    const auto officers = officers_of(store, fixes);
    std::vector<std::pair<const Person*, std::span<const Fix>>> groups;
    for (std::size_t begin = 0, end = 0; begin < fixes.size(); begin = end) {
        for (end = begin + 1; end < fixes.size() && fixes[end].officer == fixes[begin].officer;)
            ++end;
        groups.emplace_back(&officers.find(fixes[begin].officer)->second,
                            std::span<const Fix>(fixes).subspan(begin, end - begin));
    }
    if (options.check)
        for (const auto& [person, group] : groups)
            options.check(*person, group);

    auto transaction = store.begin();
    for (const auto& [person, group] : groups)
        store_officer(store, person->id, group, options, out);
    transaction->commit();
    out.officers = groups.size();
    return out;
}

} // namespace tessera::data
