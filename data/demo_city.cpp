#include "data/demo_city.hpp"

#include "data/assignment.hpp"
#include "data/auth.hpp"
#include "data/categories.hpp"
#include "data/gdal_io.hpp"
#include "data/workflow.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"
#include "geo/measure.hpp"
#include "geo/offset_frames.hpp"
#include "geo/ops.hpp"
#include "geo/partition.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <numbers>
#include <random>
#include <sstream>

namespace tessera::data {
namespace {

using geo::LonLat;
using geo::MultiPolygon;

constexpr double pi = std::numbers::pi;
constexpr std::string_view city_code = "411100";
constexpr std::string_view demo_password = "tessera-demo";

// ---- deterministic randomness (the raw engine is specified; std distributions are not) ----

class Rng {
public:
    explicit Rng(std::uint64_t seed)
        : m_engine(seed) {}
    double uniform() { return static_cast<double>(m_engine() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    int range(int lo, int hi) { // inclusive
        return lo + static_cast<int>(uniform() * (hi - lo + 1));
    }
    bool chance(double p) { return uniform() < p; }
    double normal() { // Box-Muller
        double u1 = std::max(uniform(), 1e-300), u2 = uniform();
        return std::sqrt(-2 * std::log(u1)) * std::cos(2 * pi * u2);
    }
    template <class T>
    const T& pick(const std::vector<T>& v) {
        return v[static_cast<std::size_t>(uniform() * static_cast<double>(v.size()))];
    }

private:
    std::mt19937_64 m_engine;
};

// Local metric offsets around Luohe (~33.6 N): good to a fraction of a percent over a county.
constexpr double metres_per_deg_lat = 110'900.0;
double metres_per_deg_lon(double lat) {
    return 111'320.0 * std::cos(lat * pi / 180);
}
LonLat offset_m(LonLat p, double east, double north) {
    return {p.lon + east / metres_per_deg_lon(p.lat), p.lat + north / metres_per_deg_lat};
}
double planar_distance_m(LonLat a, LonLat b) {
    double dx = (a.lon - b.lon) * metres_per_deg_lon(a.lat),
           dy = (a.lat - b.lat) * metres_per_deg_lat;
    return std::hypot(dx, dy);
}

// ---- the real inputs ----

struct CodeRow {
    std::string code, parent, name, level, ur_code;
    std::optional<LonLat> seat_gcj;
};

std::vector<std::string> split_csv_line(const std::string& line) {
    std::vector<std::string> out;
    std::string cell;
    std::istringstream ss(line);
    while (std::getline(ss, cell, ','))
        out.push_back(cell);
    if (!line.empty() && line.back() == ',')
        out.emplace_back();
    return out;
}

std::vector<CodeRow> read_codes(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in)
        throw Error(ErrorCode::io_error, file.string() + ": cannot read the admin codes");
    std::string line;
    std::getline(in, line); // header: code,parent,name,level,ur_code,longitude_gcj02,latitude_gcj02
    std::vector<CodeRow> rows;
    while (std::getline(in, line)) {
        auto f = split_csv_line(line);
        if (f.size() < 7)
            continue;
        CodeRow r{f[0], f[1], f[2], f[3], f[4], std::nullopt};
        if (!f[5].empty() && !f[6].empty())
            r.seat_gcj = LonLat{std::stod(f[5]), std::stod(f[6])};
        rows.push_back(std::move(r));
    }
    return rows;
}

// ---- the model being generated ----

struct Town {
    std::string code, name, county;
    LonLat seat;
    bool real_seat = false;
    std::vector<int> villages;
    MultiPolygon sampling_cell; // Voronoi cell of the seat (for placing villages only)
    MultiPolygon geometry;      // final: union of its villages
};

struct Village {
    std::string code, name, town;
    std::string ur_code;
    bool urban = false;
    bool micro = false; // buildings are ten-household micro-grids
    int grid_count = 1;
    LonLat seat;
    MultiPolygon sampling_cell;
    std::vector<int> points;
    std::vector<int> grids;
    MultiPolygon geometry;
};

struct Building {
    LonLat pos;
    int households = 0;
    int village = 0;
    int grid = -1;
    std::string code;
};

struct GridRec {
    std::string code, name;
    int village = 0;
    std::vector<int> points;
    MultiPolygon geometry;
    int households = 0;
    bool urban = false;
};

std::string short_name(const std::string& name) {
    for (std::string_view suffix : {"居委会", "村委会", "社区居委会", "居民委员会", "村民委员会"})
        if (name.size() > suffix.size() && name.ends_with(suffix))
            return name.substr(0, name.size() - suffix.size());
    return name;
}

std::string community_label(const Village& v) {
    std::string s = short_name(v.name);
    if (v.urban)
        return s.ends_with("社区") ? s : s + "社区";
    return s.ends_with("村") ? s : s + "村";
}

const char* chinese_ordinal(int n) {
    static const char* const digits[] = {"一",   "二",   "三",   "四",   "五",   "六",   "七",
                                         "八",   "九",   "十",   "十一", "十二", "十三", "十四",
                                         "十五", "十六", "十七", "十八", "十九", "二十"};
    return n >= 1 && n <= 20 ? digits[n - 1] : "";
}

std::string pad(int n, int width) {
    std::string s = std::to_string(n);
    return std::string(static_cast<std::size_t>(std::max(0, width - static_cast<int>(s.size()))),
                       '0') +
           s;
}

// A point inside `area`, drawn from `draw` (retried), else uniformly inside its bbox.
template <class Draw>
LonLat sample_inside(const geo::PreparedArea& area, const geo::BBox& box, Rng& rng, Draw&& draw) {
    for (int i = 0; i < 40; ++i) {
        LonLat p = draw();
        if (area.covers(p))
            return p;
    }
    for (int i = 0; i < 10000; ++i) {
        LonLat p{rng.uniform(box.min_x, box.max_x), rng.uniform(box.min_y, box.max_y)};
        if (area.covers(p))
            return p;
    }
    throw Error(ErrorCode::internal, "demo: cannot place a point inside an area");
}

// Mitchell's best candidate: of k uniform candidates inside the area, the one farthest from
// `taken`.
LonLat best_candidate(const geo::PreparedArea& area, const geo::BBox& box, Rng& rng,
                      const std::vector<LonLat>& taken, int k = 12) {
    LonLat best{};
    double best_d = -1;
    for (int i = 0; i < k; ++i) {
        LonLat c = sample_inside(area, box, rng, [&] {
            return LonLat{rng.uniform(box.min_x, box.max_x), rng.uniform(box.min_y, box.max_y)};
        });
        double d = 1e18;
        for (const auto& t : taken)
            d = std::min(d, planar_distance_m(c, t));
        if (d > best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

// Splits points[begin, end) into k spatially compact groups with balanced household sums:
// recursive bisection along the longer axis at the household-weighted split point.
void bisect(std::vector<int>& idx, std::size_t begin, std::size_t end, int k,
            const std::vector<Building>& b, std::vector<std::vector<int>>& out) {
    if (k <= 1) {
        out.emplace_back(idx.begin() + static_cast<std::ptrdiff_t>(begin),
                         idx.begin() + static_cast<std::ptrdiff_t>(end));
        return;
    }
    geo::BBox box;
    double total = 0;
    for (std::size_t i = begin; i < end; ++i) {
        box.extend(b[static_cast<std::size_t>(idx[i])].pos);
        total += b[static_cast<std::size_t>(idx[i])].households;
    }
    double lat = (box.min_y + box.max_y) / 2;
    bool by_lon = (box.max_x - box.min_x) * metres_per_deg_lon(lat) >=
                  (box.max_y - box.min_y) * metres_per_deg_lat;
    std::sort(idx.begin() + static_cast<std::ptrdiff_t>(begin),
              idx.begin() + static_cast<std::ptrdiff_t>(end), [&](int x, int y) {
                  const LonLat& p = b[static_cast<std::size_t>(x)].pos;
                  const LonLat& q = b[static_cast<std::size_t>(y)].pos;
                  return by_lon ? (p.lon < q.lon || (p.lon == q.lon && p.lat < q.lat))
                                : (p.lat < q.lat || (p.lat == q.lat && p.lon < q.lon));
              });
    int k1 = k / 2;
    double target = total * k1 / k;
    std::size_t lo = begin + static_cast<std::size_t>(k1),
                hi = end - static_cast<std::size_t>(k - k1);
    std::size_t split = lo;
    double cum = 0, best = 1e18;
    for (std::size_t i = begin; i < end; ++i) {
        cum += b[static_cast<std::size_t>(idx[i])].households;
        std::size_t s = i + 1;
        if (s < lo || s > hi)
            continue;
        if (std::abs(cum - target) < best) {
            best = std::abs(cum - target);
            split = s;
        }
    }
    bisect(idx, begin, split, k1, b, out);
    bisect(idx, split, end, k - k1, b, out);
}

geo::Polygon rotated_rect(LonLat c, double w, double h, double angle) {
    geo::Ring r;
    const double ca = std::cos(angle), sa = std::sin(angle);
    for (auto [x, y] : std::array<std::pair<double, double>, 4>{
             {{-w / 2, -h / 2}, {w / 2, -h / 2}, {w / 2, h / 2}, {-w / 2, h / 2}}})
        r.push_back(offset_m(c, x * ca - y * sa, x * sa + y * ca));
    r.push_back(r.front());
    return geo::Polygon{{r}};
}

const std::vector<std::string> surnames = {
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高",
    "林", "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "程",
    "曹", "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾"};
const std::vector<std::string> given = {
    "伟",   "芳",   "娜",   "秀英", "敏",   "静",   "丽",   "强",   "磊",   "军",   "洋",   "勇",
    "艳",   "杰",   "娟",   "涛",   "明",   "超",   "秀兰", "霞",   "平",   "刚",   "桂英", "建国",
    "建华", "红梅", "志强", "海燕", "春花", "玉兰", "国庆", "卫东", "晓东", "丽娟", "俊杰", "子涵",
    "浩然", "欣怡", "梓萱", "宇轩", "振华", "淑珍", "文静", "建军", "小红", "国强", "金凤", "长江"};

std::string person_name(Rng& rng) {
    return rng.pick(surnames) + rng.pick(given);
}
std::string phone(Rng& rng) {
    static const char* const prefixes[] = {"138", "139", "135", "136", "150",
                                           "151", "158", "187", "188", "177"};
    std::string p = prefixes[rng.range(0, 9)];
    for (int i = 0; i < 8; ++i)
        p += static_cast<char>('0' + rng.range(0, 9));
    return p;
}

struct DepartmentSpec {
    const char* code;
    const char* name;
    std::vector<std::string> categories;
};

// 24 departments "sunk into the grids" (Luohe), with the event categories they handle.
const std::vector<DepartmentSpec>& department_specs() {
    static const std::vector<DepartmentSpec> specs = {
        {"D01", "城市管理局", {"garbage", "illegal_advertising", "street_vendor", "road_damage"}},
        {"D02",
         "住房和城乡建设局",
         {"illegal_construction", "building_safety", "property_dispute"}},
        {"D03", "生态环境局", {"pollution", "noise", "straw_burning"}},
        {"D04", "应急管理局", {"fire_hazard", "safety_production", "waterlogging"}},
        {"D05", "公安局", {"public_order", "fraud", "fireworks", "traffic"}},
        {"D06", "市场监督管理局", {"food_safety", "price", "unlicensed_business"}},
        {"D07", "交通运输局", {"road_damage", "illegal_transport"}},
        {"D08", "水利局", {"waterlogging", "river_pollution", "flood_control"}},
        {"D09", "自然资源和规划局", {"illegal_land_use", "illegal_construction"}},
        {"D10", "卫生健康委员会", {"public_health", "epidemic"}},
        {"D11", "教育局", {"school_safety"}},
        {"D12", "民政局", {"elderly_care", "social_assistance"}},
        {"D13", "人力资源和社会保障局", {"wage_arrears", "social_insurance"}},
        {"D14", "消防救援支队", {"fire_hazard", "blocked_fire_lane"}},
        {"D15", "农业农村局", {"straw_burning", "agriculture"}},
        {"D16", "文化广电和旅游局", {"cultural_market"}},
        {"D17", "商务局", {"market_order"}},
        {"D18", "信访局", {"petition"}},
        {"D19", "司法局", {"neighbour_dispute", "legal_aid"}},
        {"D20", "退役军人事务局", {"veterans"}},
        {"D21", "国网漯河供电公司", {"power_outage", "power_line_hazard"}},
        {"D22", "漯河市自来水公司", {"water_supply", "pipe_leak"}},
        {"D23", "漯河市燃气公司", {"gas_leak", "gas_safety"}},
        {"D24", "住房公积金管理中心", {"housing_fund"}},
    };
    return specs;
}

Time system_now() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
}

class Generator {
public:
    Generator(Store& store, const DemoOptions& o)
        : m_store(store)
        , m_opt(o)
        , m_rng(o.seed)
        , m_now(o.now.value_or(system_now())) {}

    DemoSummary run() {
        if (!m_store.layers().empty())
            throw Error(ErrorCode::conflict, "the demo needs an empty database (it has layers)");
        load_inputs();
        // Every village/community has at least one grid.
        if (m_opt.grids < static_cast<int>(m_villages.size()) || m_opt.grids > 200000)
            throw Error(ErrorCode::invalid_argument, "--grids must be between " +
                                                         std::to_string(m_villages.size()) +
                                                         " (one per village/community) and 200000");
        plan_grid_counts();
        for (const auto& county : m_county_codes)
            build_county(county);
        stage("partitioned " + std::to_string(m_counties.size()) + " counties into " +
              std::to_string(m_grids.size()) + " grids from " + std::to_string(m_buildings.size()) +
              " buildings");
        auto tx = m_store.begin();
        write_layers();
        write_buildings();
        write_organisation();
        write_cameras_and_drones();
        write_patrols();
        write_users();
        tx->commit();
        stage("committed");
        write_events();
        return m_summary;
    }

private:
    void stage(const std::string& what) {
        if (!m_opt.progress)
            return;
        double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
        char buf[32];
        std::snprintf(buf, sizeof buf, "[%5.1fs] ", s);
        m_opt.progress(buf + what);
    }

    void load_inputs() {
        ReadOptions ro;
        ro.crs = "gcj02";
        auto counties = read_features(m_opt.samples_dir / "luohe_counties_gcj02.geojson", ro);
        for (auto& f : counties.features) {
            m_county_codes.push_back(f.code);
            m_counties[f.code] = County{f.name, geo::as_multi_polygon(f.geometry), {}, {}};
        }
        auto rows = read_codes(m_opt.samples_dir / "luohe_admin_codes_2016.csv");
        std::map<std::string, int> town_index;
        for (const auto& r : rows) {
            if (r.level != "town")
                continue;
            std::string county = r.parent.substr(0, 6);
            if (!m_counties.count(county))
                continue;
            Town t;
            t.code = r.code;
            t.name = r.name;
            t.county = county;
            if (r.seat_gcj) {
                t.seat = geo::gcj02_to_wgs84(*r.seat_gcj);
                t.real_seat = true;
            }
            town_index[r.code] = static_cast<int>(m_towns.size());
            m_counties[county].towns.push_back(static_cast<int>(m_towns.size()));
            m_towns.push_back(std::move(t));
        }
        for (const auto& r : rows) {
            if (r.level != "village")
                continue;
            auto it = town_index.find(r.parent);
            if (it == town_index.end())
                continue;
            Village v;
            v.code = r.code;
            v.name = r.name;
            v.town = r.parent;
            v.ur_code = r.ur_code;
            // NBS urban-rural classes 111 (main urban), 112 (fringe), 121 (town centre) are
            // urban communities; 122, 210, 220 are villages.
            v.urban = r.ur_code == "111" || r.ur_code == "112" || r.ur_code == "121";
            m_towns[static_cast<std::size_t>(it->second)].villages.push_back(
                static_cast<int>(m_villages.size()));
            m_villages.push_back(std::move(v));
        }
        // Ten-household micro-grids in the communities of the first urban street (老街街道).
        for (auto& t : m_towns)
            if (t.name.ends_with("街道")) {
                for (int vi : t.villages)
                    if (m_villages[static_cast<std::size_t>(vi)].urban)
                        m_villages[static_cast<std::size_t>(vi)].micro = true;
                break;
            }
        stage("read " + std::to_string(m_counties.size()) + " counties, " +
              std::to_string(m_towns.size()) + " townships, " + std::to_string(m_villages.size()) +
              " villages/communities (GCJ-02 -> WGS84)");
    }

    // Urban communities get 3-8 grids of 300-500 households; villages 4-12 villager-group grids;
    // then scaled so the total is exactly the requested number.
    void plan_grid_counts() {
        std::vector<double> w(m_villages.size());
        double total = 0;
        for (std::size_t i = 0; i < m_villages.size(); ++i) {
            w[i] = m_villages[i].urban ? m_rng.uniform(3, 8) : m_rng.uniform(4, 12);
            total += w[i];
        }
        int assigned = 0;
        for (std::size_t i = 0; i < m_villages.size(); ++i) {
            m_villages[i].grid_count =
                std::max(1, static_cast<int>(std::lround(w[i] * m_opt.grids / total)));
            assigned += m_villages[i].grid_count;
        }
        while (assigned != m_opt.grids) {
            auto& v = m_villages[static_cast<std::size_t>(
                m_rng.range(0, static_cast<int>(m_villages.size()) - 1))];
            if (assigned < m_opt.grids) {
                ++v.grid_count;
                ++assigned;
            } else if (v.grid_count > 1) {
                --v.grid_count;
                --assigned;
            }
        }
    }

    void build_county(const std::string& county_code) {
        auto& county = m_counties[county_code];
        geo::PreparedArea county_area(county.region);
        geo::BBox county_box = geo::bbox_of(county.region);

        // Town seats: real ones when inside the county polygon, else Mitchell's best candidate.
        std::vector<LonLat> seats;
        for (int ti : county.towns) {
            Town& t = m_towns[static_cast<std::size_t>(ti)];
            if (!t.real_seat || !county_area.covers(t.seat)) {
                t.real_seat = false;
                t.seat = best_candidate(county_area, county_box, m_rng, seats, 30);
            }
            seats.push_back(t.seat);
        }
        auto town_cells = geo::voronoi_partition(seats, county.region);
        for (std::size_t i = 0; i < county.towns.size(); ++i)
            m_towns[static_cast<std::size_t>(county.towns[i])].sampling_cell = town_cells.cells[i];

        std::vector<LonLat> generators;
        std::vector<int> generator_building;
        for (int ti : county.towns) {
            Town& t = m_towns[static_cast<std::size_t>(ti)];
            if (t.villages.empty())
                continue;
            place_villages(t);
            for (int vi : t.villages)
                place_buildings(m_villages[static_cast<std::size_t>(vi)], vi);
            for (int vi : t.villages)
                for (int bi : m_villages[static_cast<std::size_t>(vi)].points) {
                    generators.push_back(m_buildings[static_cast<std::size_t>(bi)].pos);
                    generator_building.push_back(bi);
                }
        }
        // One exact partition of the county by its buildings; everything above is a union of it.
        auto cells = geo::voronoi_partition(generators, county.region);
        m_cells.resize(m_buildings.size());
        for (std::size_t i = 0; i < generators.size(); ++i)
            m_cells[static_cast<std::size_t>(generator_building[i])] = std::move(cells.cells[i]);

        std::vector<MultiPolygon> town_geoms;
        for (int ti : county.towns) {
            Town& t = m_towns[static_cast<std::size_t>(ti)];
            std::vector<MultiPolygon> village_geoms;
            for (int vi : t.villages) {
                Village& v = m_villages[static_cast<std::size_t>(vi)];
                for (int gi : v.grids)
                    union_grid(m_grids[static_cast<std::size_t>(gi)]);
                merge_detached_pieces(v);
                std::vector<MultiPolygon> grid_geoms;
                for (int gi : v.grids) {
                    GridRec& g = m_grids[static_cast<std::size_t>(gi)];
                    int n = 0;
                    for (int bi : g.points)
                        m_buildings[static_cast<std::size_t>(bi)].code = g.code + pad(++n, 3);
                    grid_geoms.push_back(g.geometry);
                }
                v.geometry = geo::coverage_union(grid_geoms);
                village_geoms.push_back(v.geometry);
            }
            t.geometry = geo::coverage_union(village_geoms);
            if (!t.geometry.polygons.empty())
                town_geoms.push_back(t.geometry);
        }
        county.geometry = geo::coverage_union(town_geoms);
        stage("county " + county_code + " " + county.name + ": " +
              std::to_string(county.towns.size()) + " townships, " +
              std::to_string(generators.size()) + " buildings");
    }

    void union_grid(GridRec& g) {
        std::vector<MultiPolygon> parts;
        for (int bi : g.points)
            if (!m_cells[static_cast<std::size_t>(bi)].polygons.empty())
                parts.push_back(m_cells[static_cast<std::size_t>(bi)]);
        g.geometry = geo::coverage_union(parts);
    }

    // A grid is one piece in practice. Where interleaved hamlets left a grid in several pieces,
    // each detached piece's buildings go to the grid of the same village that shares the longest
    // border with it, as long as both stay within the household rule (urban 300-500; rural
    // villager groups 30-200).
    void merge_detached_pieces(Village& v) {
        for (int pass = 0; pass < 4; ++pass) {
            bool changed = false;
            for (int gi : v.grids) {
                GridRec& g = m_grids[static_cast<std::size_t>(gi)];
                if (g.geometry.polygons.size() < 2)
                    continue;
                std::size_t largest = 0;
                double largest_area = -1;
                for (std::size_t part = 0; part < g.geometry.polygons.size(); ++part) {
                    double a = geo::area_m2(g.geometry.polygons[part]);
                    if (a > largest_area) {
                        largest_area = a;
                        largest = part;
                    }
                }
                std::vector<int> touched;
                for (std::size_t part = 0; part < g.geometry.polygons.size(); ++part) {
                    if (part == largest)
                        continue;
                    const geo::Polygon& piece = g.geometry.polygons[part];
                    geo::PreparedArea piece_area(piece);
                    std::vector<int> moving;
                    int moving_hh = 0;
                    for (int bi : g.points) {
                        const auto& cell = m_cells[static_cast<std::size_t>(bi)];
                        if (!cell.polygons.empty() && piece_area.contains(cell)) {
                            moving.push_back(bi);
                            moving_hh += m_buildings[static_cast<std::size_t>(bi)].households;
                        }
                    }
                    if (moving.empty() || moving.size() >= g.points.size())
                        continue;
                    geo::MultiLineString border;
                    for (const auto& ring : piece.rings)
                        border.lines.push_back(geo::LineString{ring});
                    int best = -1;
                    double best_len = 0;
                    for (int gj : v.grids) {
                        if (gj == gi)
                            continue;
                        GridRec& h = m_grids[static_cast<std::size_t>(gj)];
                        int max_hh = g.urban ? 500 : 200, min_hh = g.urban ? 300 : 30;
                        if (h.households + moving_hh > max_hh || g.households - moving_hh < min_hh)
                            continue;
                        double len = geo::length_m(geo::intersection(border, h.geometry));
                        if (len > best_len) {
                            best_len = len;
                            best = gj;
                        }
                    }
                    if (best < 0)
                        continue;
                    GridRec& h = m_grids[static_cast<std::size_t>(best)];
                    for (int bi : moving) {
                        g.points.erase(std::find(g.points.begin(), g.points.end(), bi));
                        h.points.push_back(bi);
                        m_buildings[static_cast<std::size_t>(bi)].grid = best;
                    }
                    g.households -= moving_hh;
                    h.households += moving_hh;
                    touched.push_back(best);
                }
                if (touched.empty())
                    continue;
                changed = true;
                union_grid(g);
                std::sort(touched.begin(), touched.end());
                touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
                for (int gj : touched)
                    union_grid(m_grids[static_cast<std::size_t>(gj)]);
            }
            if (!changed)
                break;
        }
    }

    void place_villages(Town& t) {
        geo::PreparedArea cell(t.sampling_cell);
        geo::BBox box = geo::bbox_of(t.sampling_cell);
        double radius = std::sqrt(geo::area_m2(t.sampling_cell)) / 5;
        std::vector<LonLat> seats;
        for (int vi : t.villages) {
            Village& v = m_villages[static_cast<std::size_t>(vi)];
            if (v.urban) {
                // Communities crowd around the town seat.
                v.seat = sample_inside(cell, box, m_rng, [&] {
                    return offset_m(t.seat, m_rng.normal() * radius * 0.4,
                                    m_rng.normal() * radius * 0.4);
                });
            } else {
                v.seat = best_candidate(cell, box, m_rng, seats);
            }
            seats.push_back(v.seat);
        }
        auto cells = geo::voronoi_partition(seats, t.sampling_cell);
        for (std::size_t i = 0; i < t.villages.size(); ++i) {
            Village& v = m_villages[static_cast<std::size_t>(t.villages[i])];
            v.sampling_cell = cells.cells[i];
            if (v.sampling_cell.polygons.empty())
                v.sampling_cell = t.sampling_cell; // duplicate seat
        }
    }

    // Buildings of a village, then its grids by balanced bisection of their households.
    void place_buildings(Village& v, int village_index) {
        geo::PreparedArea cell(v.sampling_cell);
        geo::BBox box = geo::bbox_of(v.sampling_cell);
        double cell_radius = std::sqrt(geo::area_m2(v.sampling_cell) / pi);
        int households_target = 0;
        for (int g = 0; g < v.grid_count; ++g)
            households_target += v.urban ? m_rng.range(340, 460) : m_rng.range(35, 95);
        // Rural homesteads cluster in 1-3 hamlets; a tenth lie out in the fields.
        std::vector<LonLat> hamlets{v.seat};
        if (!v.urban)
            for (int h = m_rng.range(0, 2); h > 0; --h)
                hamlets.push_back(sample_inside(cell, box, m_rng, [&] {
                    return offset_m(v.seat, m_rng.normal() * cell_radius * 0.5,
                                    m_rng.normal() * cell_radius * 0.5);
                }));
        double spread = v.urban ? std::min(cell_radius * 0.5, m_rng.uniform(250, 450))
                                : std::min(cell_radius * 0.35, m_rng.uniform(150, 300));
        int placed = 0;
        int min_points = v.grid_count * (v.urban ? 8 : 5);
        while (placed < households_target || static_cast<int>(v.points.size()) < min_points) {
            Building b;
            b.village = village_index;
            b.households = v.micro   ? m_rng.range(8, 14)
                           : v.urban ? m_rng.range(12, 40)
                                     : m_rng.range(2, 8);
            if (!v.urban && m_rng.chance(0.1)) {
                b.pos = sample_inside(cell, box, m_rng, [&] {
                    return LonLat{m_rng.uniform(box.min_x, box.max_x),
                                  m_rng.uniform(box.min_y, box.max_y)};
                });
            } else {
                LonLat centre = m_rng.pick(hamlets);
                b.pos = sample_inside(cell, box, m_rng, [&] {
                    return offset_m(centre, m_rng.normal() * spread, m_rng.normal() * spread);
                });
            }
            placed += b.households;
            v.points.push_back(static_cast<int>(m_buildings.size()));
            m_buildings.push_back(b);
        }
        std::vector<std::vector<int>> groups;
        std::vector<int> idx = v.points;
        bisect(idx, 0, idx.size(), v.grid_count, m_buildings, groups);
        // Number grids from north-west to south-east, as cities usually do.
        std::sort(groups.begin(), groups.end(), [&](const auto& a, const auto& b) {
            auto key = [&](const std::vector<int>& g) {
                LonLat c{0, 0};
                for (int i : g) {
                    c.lon += m_buildings[static_cast<std::size_t>(i)].pos.lon;
                    c.lat += m_buildings[static_cast<std::size_t>(i)].pos.lat;
                }
                return std::pair{-std::round(c.lat / static_cast<double>(g.size()) * 200), c.lon};
            };
            return key(a) < key(b);
        });
        std::string label = community_label(v);
        for (std::size_t gi = 0; gi < groups.size(); ++gi) {
            GridRec g;
            g.code = v.code + pad(static_cast<int>(gi) + 1, 3);
            g.name = label + "第" + chinese_ordinal(static_cast<int>(gi) + 1) + "网格";
            if (gi >= 20)
                g.name = label + "第" + std::to_string(gi + 1) + "网格";
            g.village = village_index;
            g.urban = v.urban;
            g.points = groups[gi];
            for (int bi : g.points) {
                auto& b = m_buildings[static_cast<std::size_t>(bi)];
                b.grid = static_cast<int>(m_grids.size());
                g.households += b.households;
            }
            v.grids.push_back(static_cast<int>(m_grids.size()));
            m_grids.push_back(std::move(g));
        }
    }

    // ---- writing ----

    void write_layers() {
        m_store.create_layer({"county", LayerKind::county, "县区", std::nullopt, 0, "gcj02"});
        m_store.create_layer({"township", LayerKind::township, "乡镇街道", "county", 0, "gcj02"});
        m_store.create_layer(
            {"community", LayerKind::community, "村社区", "township", 0, "EPSG:4326"});
        m_store.create_layer({"grid", LayerKind::grid, "网格", "community", 1, "EPSG:4326"});
        m_store.create_layer(
            {"micro_grid", LayerKind::micro_grid, "微网格", "grid", 2, "EPSG:4326"});
        m_store.create_layer(
            {"exclusive_grid", LayerKind::exclusive_grid, "专属网格", "county", 10, "EPSG:4326"});
        ChangesetInfo cs{"tessera demo",
                         "demo city generated with seed " + std::to_string(m_opt.seed), m_now};

        std::vector<FeatureInput> counties, towns, communities, grids, micro, exclusive;
        for (const auto& code : m_county_codes) {
            const auto& c = m_counties[code];
            std::int64_t hh = 0;
            for (int ti : c.towns)
                for (int vi : m_towns[static_cast<std::size_t>(ti)].villages)
                    for (int gi : m_villages[static_cast<std::size_t>(vi)].grids)
                        hh += m_grids[static_cast<std::size_t>(gi)].households;
            counties.push_back(
                {code,
                 c.name,
                 std::string(city_code),
                 {{"type", std::string(c.name.ends_with("县") ? "county" : "district")},
                  {"households", hh},
                  {"area_km2", std::round(geo::area_m2(c.geometry) / 1e4) / 100}},
                 c.geometry});
        }
        for (const auto& t : m_towns) {
            if (t.geometry.polygons.empty())
                continue;
            std::int64_t hh = 0;
            for (int vi : t.villages)
                for (int gi : m_villages[static_cast<std::size_t>(vi)].grids)
                    hh += m_grids[static_cast<std::size_t>(gi)].households;
            std::string kind = t.name.ends_with("街道") ? "street"
                               : t.name.ends_with("乡") ? "township"
                                                        : "town";
            towns.push_back({t.code,
                             t.name,
                             t.county,
                             {{"type", kind},
                              {"households", hh},
                              {"seat", std::string(t.real_seat ? "real" : "synthetic")},
                              {"seat_lon", t.seat.lon},
                              {"seat_lat", t.seat.lat}},
                             t.geometry});
        }
        for (const auto& v : m_villages) {
            std::int64_t hh = 0;
            for (int gi : v.grids)
                hh += m_grids[static_cast<std::size_t>(gi)].households;
            communities.push_back({v.code,
                                   v.name,
                                   v.town,
                                   {{"type", std::string(v.urban ? "urban" : "rural")},
                                    {"ur_code", v.ur_code},
                                    {"households", hh},
                                    {"grids", static_cast<std::int64_t>(v.grids.size())}},
                                   v.geometry});
        }
        for (const auto& g : m_grids) {
            grids.push_back({g.code,
                             g.name,
                             m_villages[static_cast<std::size_t>(g.village)].code,
                             {{"type", std::string(g.urban ? "urban" : "rural")},
                              {"households", static_cast<std::int64_t>(g.households)},
                              {"buildings", static_cast<std::int64_t>(g.points.size())},
                              {"area_m2", std::round(geo::area_m2(g.geometry))}},
                             g.geometry});
            if (m_villages[static_cast<std::size_t>(g.village)].micro) {
                int n = 0;
                for (int bi : g.points) {
                    const auto& cell = m_cells[static_cast<std::size_t>(bi)];
                    if (cell.polygons.empty())
                        continue;
                    ++n;
                    const auto& b = m_buildings[static_cast<std::size_t>(bi)];
                    micro.push_back({g.code + pad(n, 3),
                                     g.name + std::to_string(n) + "号楼十户单元",
                                     g.code,
                                     {{"households", static_cast<std::int64_t>(b.households)},
                                      {"building", b.code}},
                                     cell.polygons.size() == 1 ? geo::Geometry(cell.polygons[0])
                                                               : geo::Geometry(cell)});
                }
            }
        }
        exclusive = make_exclusive_grids();

        auto write = [&](const char* layer, std::vector<FeatureInput>& features) {
            for (auto& f : features) {
                if (auto* mp = std::get_if<MultiPolygon>(&f.geometry);
                    mp && mp->polygons.size() == 1) {
                    geo::Polygon p = mp->polygons[0];
                    f.geometry = std::move(p);
                }
                geo::orient_rfc7946(f.geometry);
            }
            m_store.replace_features(layer, cs, features);
            m_summary.layer_counts.emplace_back(layer, static_cast<std::int64_t>(features.size()));
        };
        write("county", counties);
        write("township", towns);
        write("community", communities);
        write("grid", grids);
        write("micro_grid", micro);
        write("exclusive_grid", exclusive);
        stage("wrote layers: " + std::to_string(counties.size()) + " counties, " +
              std::to_string(towns.size()) + " townships, " + std::to_string(communities.size()) +
              " communities, " + std::to_string(grids.size()) + " grids, " +
              std::to_string(micro.size()) + " micro-grids, " + std::to_string(exclusive.size()) +
              " exclusive grids");
    }

    // Schools, hospitals, markets, parks and industrial parks: compact polygons inside a grid.
    std::vector<FeatureInput> make_exclusive_grids() {
        struct Kind {
            const char* category;
            const char* suffix;
            double w, h;
            bool urban;
        };
        static const Kind kinds[] = {
            {"school", "小学", 120, 160, false},
            {"school", "中学", 180, 220, true},
            {"hospital", "卫生院", 90, 120, false},
            {"hospital", "医院", 150, 200, true},
            {"market", "农贸市场", 70, 110, false},
            {"park", "游园", 150, 180, true},
            {"industrial_park", "产业园", 400, 550, false},
            {"enterprise", "食品有限公司", 200, 260, false},
        };
        int wanted = std::max(1, static_cast<int>(std::lround(m_grids.size() * 0.04)));
        std::vector<FeatureInput> out;
        std::map<std::string, int> per_county;
        std::vector<bool> used(m_grids.size(), false);
        for (int attempt = 0; static_cast<int>(out.size()) < wanted && attempt < wanted * 20;
             ++attempt) {
            int gi = m_rng.range(0, static_cast<int>(m_grids.size()) - 1);
            if (used[static_cast<std::size_t>(gi)])
                continue;
            const GridRec& g = m_grids[static_cast<std::size_t>(gi)];
            const Kind& k = kinds[m_rng.range(0, 7)];
            if (k.urban != g.urban && m_rng.chance(0.7))
                continue;
            geo::PreparedArea area(g.geometry);
            LonLat c = m_buildings[static_cast<std::size_t>(m_rng.pick(g.points))].pos;
            geo::Polygon poly = rotated_rect(c, k.w * m_rng.uniform(0.7, 1.2),
                                             k.h * m_rng.uniform(0.7, 1.2), m_rng.uniform(0, pi));
            if (!area.contains(poly))
                continue;
            used[static_cast<std::size_t>(gi)] = true;
            const Village& v = m_villages[static_cast<std::size_t>(g.village)];
            const Town& t = *std::find_if(m_towns.begin(), m_towns.end(),
                                          [&](const Town& x) { return x.code == v.town; });
            std::string county = t.county;
            int n = ++per_county[county];
            std::string place = short_name(std::string(k.category) == std::string("market") ||
                                                   std::string(k.category) == std::string("park")
                                               ? community_label(v)
                                               : t.name);
            for (std::string_view s : {"街道", "镇", "乡"})
                if (place.size() > s.size() && place.ends_with(s))
                    place = place.substr(0, place.size() - s.size());
            out.push_back({county + "Z" + pad(n, 4),
                           place + k.suffix,
                           county,
                           {{"category", std::string(k.category)},
                            {"host_grid", g.code},
                            {"community", v.code}},
                           poly});
        }
        return out;
    }

    void write_buildings() {
        std::int64_t hh = 0;
        for (const auto& b : m_buildings) {
            const Village& v = m_villages[static_cast<std::size_t>(b.village)];
            std::string address = community_label(v) +
                                  std::to_string(&b - m_buildings.data() - v.points.front() + 1) +
                                  (v.urban ? "号楼" : "号");
            m_store.add_building({0, b.code, b.pos, b.households, address, v.code});
            hh += b.households;
        }
        m_summary.buildings = static_cast<std::int64_t>(m_buildings.size());
        m_summary.households = hh;
        stage("wrote " + std::to_string(m_buildings.size()) + " buildings with " +
              std::to_string(hh) + " households");
    }

    void write_organisation() {
        for (const auto& d : department_specs())
            m_store.add_department({0, d.code, d.name, d.categories, std::string(city_code)});
        int seq = 0;
        auto code = [&] { return "P" + pad(++seq, 6); };
        std::int64_t people = 0;
        for (const auto& v : m_villages) {
            std::vector<std::string> grid_codes;
            for (int gi : v.grids)
                grid_codes.push_back(m_grids[static_cast<std::size_t>(gi)].code);
            m_store.add_person({0,
                                code(),
                                person_name(m_rng),
                                PersonRole::grid_chief,
                                phone(m_rng),
                                grid_codes,
                                {}});
            ++people;
            for (int gi : v.grids) {
                const GridRec& g = m_grids[static_cast<std::size_t>(gi)];
                std::int64_t id = m_store.add_person({0,
                                                      code(),
                                                      person_name(m_rng),
                                                      PersonRole::full_time_officer,
                                                      phone(m_rng),
                                                      {g.code},
                                                      {}});
                m_officer_of_grid[g.code] = id;
                int part_time = g.urban ? m_rng.range(2, 3) : m_rng.range(1, 2);
                for (int i = 0; i < part_time; ++i)
                    m_store.add_person({0,
                                        code(),
                                        person_name(m_rng),
                                        PersonRole::part_time_officer,
                                        phone(m_rng),
                                        {g.code},
                                        {}});
                people += 1 + part_time;
            }
        }
        for (const auto& t : m_towns) {
            m_store.add_person({0,
                                code(),
                                person_name(m_rng),
                                PersonRole::township_operator,
                                phone(m_rng),
                                {t.code},
                                {}});
            ++people;
        }
        for (const auto& d : department_specs())
            for (int i = 0; i < 3; ++i) {
                m_store.add_person({0,
                                    code(),
                                    person_name(m_rng),
                                    PersonRole::department_staff,
                                    phone(m_rng),
                                    {},
                                    std::string(d.code)});
                ++people;
            }
        m_summary.people = people;
        stage("wrote " + std::to_string(people) + " people and " +
              std::to_string(department_specs().size()) + " departments");
    }

    void write_cameras_and_drones() {
        int n = 0;
        for (const auto& g : m_grids) {
            int count = g.urban ? m_rng.range(3, 6) : (m_rng.chance(0.5) ? 1 : 0);
            for (int i = 0; i < count; ++i) {
                const auto& b = m_buildings[static_cast<std::size_t>(m_rng.pick(g.points))];
                ++n;
                m_store.add_camera({0, "CAM" + pad(n, 6), g.name + "监控" + std::to_string(i + 1),
                                    offset_m(b.pos, m_rng.uniform(-25, 25), m_rng.uniform(-25, 25)),
                                    std::round(m_rng.uniform(0, 360)),
                                    std::round(m_rng.uniform(60, 110)),
                                    std::round(m_rng.uniform(30, 120)), m_rng.chance(0.93)});
            }
        }
        m_summary.cameras = n;
        // Lawn-mower survey flights over rural areas in the last 30 days.
        static const char* const purposes[] = {"违建巡查", "秸秆焚烧巡查", "防汛巡查", "河道巡查"};
        int flights = 40;
        for (int f = 0; f < flights; ++f) {
            const Town& t = m_towns[static_cast<std::size_t>(
                m_rng.range(0, static_cast<int>(m_towns.size()) - 1))];
            if (t.geometry.polygons.empty())
                continue;
            LonLat origin = geo::point_on_surface(t.geometry);
            origin = offset_m(origin, m_rng.uniform(-800, 800), m_rng.uniform(-800, 800));
            double swath = std::round(m_rng.uniform(60, 120));
            double width = m_rng.uniform(800, 1600), height = m_rng.uniform(600, 1200);
            double speed = 10, step_s = 10;
            Time t0 = m_now - std::chrono::hours(24 * m_rng.range(1, 30)) +
                      std::chrono::hours(m_rng.range(0, 8));
            TimedPath path;
            double y = 0, clock_s = 0;
            bool east = true;
            LonLat last = origin;
            auto emit = [&](LonLat p) {
                if (!path.points.empty()) {
                    double d = planar_distance_m(last, p);
                    int steps = std::max(1, static_cast<int>(d / (speed * step_s)));
                    for (int s = 1; s <= steps; ++s) {
                        double a = static_cast<double>(s) / steps;
                        clock_s += d / steps / speed;
                        path.points.push_back(
                            {last.lon + (p.lon - last.lon) * a, last.lat + (p.lat - last.lat) * a});
                        path.times.push_back(t0 + std::chrono::milliseconds(
                                                      static_cast<std::int64_t>(clock_s * 1000)));
                    }
                } else {
                    path.points.push_back(p);
                    path.times.push_back(t0);
                }
                last = p;
            };
            while (y <= height) {
                emit(offset_m(origin, east ? 0 : width, y));
                emit(offset_m(origin, east ? width : 0, y));
                east = !east;
                y += swath * 0.9;
            }
            m_store.add_drone_flight(
                {0, "UAV" + pad(f + 1, 4), purposes[m_rng.range(0, 3)], path, swath});
            ++m_summary.drone_flights;
        }
        stage("wrote " + std::to_string(n) + " cameras and " +
              std::to_string(m_summary.drone_flights) + " drone flights");
    }

    // Officers walk their grid building to building at walking pace, a GPS fix every 30 s with
    // a few metres of noise, starting between 08:00 and 17:00 Beijing time, each by their habit
    // (so that an audit finds what audits find):
    //   70 % diligent: on about half of the days, anywhere in the grid;
    //   20 % keep to one corner: a third of the days, among the 40 % of the buildings nearest
    //        to their usual spot (the rest of the grid goes unwalked);
    //    7 % rarely walk: one day in twelve;
    //    3 % never walk.
    // A walk of today that would end after `now` moves to the day before, so the latest
    // positions are of the last 24 hours whatever the hour the demo is built. The walks draw
    // from their own random stream: the events that follow are the same however many days of
    // patrols are asked for.
    void write_patrols() {
        constexpr auto beijing = std::chrono::hours(8);
        const auto today = std::chrono::floor<std::chrono::days>(m_now + beijing) - beijing;
        Rng rng(m_opt.seed ^ 0x9e3779b97f4a7c15ull);
        for (const auto& g : m_grids) {
            auto it = m_officer_of_grid.find(g.code);
            if (it == m_officer_of_grid.end() || g.points.empty())
                continue;
            const double habit = rng.uniform();
            const double walk_chance = habit < 0.7    ? 0.5
                                       : habit < 0.9  ? 0.33
                                       : habit < 0.97 ? 0.08
                                                      : 0;
            std::vector<int> beat = g.points;
            if (habit >= 0.7 && habit < 0.9) {
                const LonLat spot = m_buildings[static_cast<std::size_t>(rng.pick(g.points))].pos;
                std::ranges::sort(beat, {}, [&](int b) {
                    return planar_distance_m(spot, m_buildings[static_cast<std::size_t>(b)].pos);
                });
                beat.resize(std::max<std::size_t>(1, beat.size() * 2 / 5));
            }
            const auto visit = [&] {
                return m_buildings[static_cast<std::size_t>(rng.pick(beat))].pos;
            };
            for (int day = m_opt.patrol_days - 1; day >= 0; --day) {
                if (!rng.chance(walk_chance))
                    continue;
                Time t = std::chrono::time_point_cast<std::chrono::milliseconds>(
                             today - std::chrono::days(day)) +
                         std::chrono::minutes(rng.range(8 * 60, 17 * 60));
                TimedPath path;
                LonLat pos = visit();
                int stops = rng.range(4, 9);
                path.points.push_back(pos);
                path.times.push_back(t);
                for (int s = 0; s < stops; ++s) {
                    LonLat next = visit();
                    double d = planar_distance_m(pos, next);
                    int fixes = std::max(1, static_cast<int>(d / 36.0)); // 1.2 m/s, every 30 s
                    for (int f = 1; f <= fixes; ++f) {
                        double a = static_cast<double>(f) / fixes;
                        LonLat p{pos.lon + (next.lon - pos.lon) * a,
                                 pos.lat + (next.lat - pos.lat) * a};
                        path.points.push_back(offset_m(p, rng.normal() * 4, rng.normal() * 4));
                        t += std::chrono::seconds(30);
                        path.times.push_back(t);
                    }
                    pos = next;
                }
                if (path.points.size() < 2)
                    continue;
                while (path.times.back() > m_now) // not walked yet today: the day before
                    for (auto& time : path.times)
                        time -= std::chrono::days(1);
                m_summary.patrol_fixes += static_cast<std::int64_t>(path.points.size());
                m_store.add_patrol_track({0, it->second, path});
                ++m_summary.patrol_tracks;
            }
        }
        stage("wrote " + std::to_string(m_summary.patrol_tracks) + " patrol tracks (" +
              std::to_string(m_summary.patrol_fixes) + " GPS fixes) over " +
              std::to_string(m_opt.patrol_days) + " days");
    }

    // A year of the closed loop (docs/demo-city.md): events at buildings, assigned by the real
    // engine, each walked through the workflow with plausible delays, so every state occurs —
    // old events mostly closed (some late, escalated, rated unsatisfied and reopened), recent
    // ones at every step. Written in one transaction after the city.
    void write_events() {
        if (m_opt.event_days <= 0 || m_opt.events_per_day <= 0)
            return;
        Assigner assigner(m_store);
        assigner.refresh();
        std::span<const Category> cats = default_categories();
        DeadlinePolicy deadlines;
        using std::chrono::minutes;
        auto tx = m_store.begin();
        Time start = m_now - std::chrono::days(m_opt.event_days);
        std::int64_t target = static_cast<std::int64_t>(m_opt.event_days) * m_opt.events_per_day;
        const EventSource sources[] = {EventSource::officer, EventSource::officer,
                                       EventSource::citizen, EventSource::hotline};
        for (std::int64_t n = 0; n < target; ++n) {
            // When: uniform over the days, daytime-weighted within the day.
            double day = m_rng.uniform(0, m_opt.event_days);
            double hour = std::clamp(13 + m_rng.normal() * 3.5, 0.0, 23.99);
            Time at =
                start + minutes(static_cast<std::int64_t>(std::floor(day) * 1440 + hour * 60));
            if (at >= m_now)
                continue;
            const Building& b = m_rng.pick(m_buildings);
            LonLat where = offset_m(b.pos, m_rng.normal() * 15, m_rng.normal() * 15);
            const Category& cat = cats[static_cast<std::size_t>(std::pow(m_rng.uniform(), 1.8) *
                                                                static_cast<double>(cats.size()))];
            LocateQuery q;
            q.position = where;
            q.with_owners = false;
            Assignment a = assigner.locate(q);

            Event e;
            e.category = cat.code;
            e.description = cat.name;
            e.source = sources[m_rng.range(0, 3)];
            e.severity = cat.severity;
            e.position = a.wgs84;
            e.reporter = e.source == EventSource::officer ? "网格员" : person_name(m_rng);
            e.address = e.source == EventSource::hotline ? std::optional<std::string>(b.code)
                                                         : std::nullopt;
            e.outside_grid = a.status == Assignment::Status::outside_grid;
            e.layer_version = a.layer_version;
            if (a.grid)
                e.grid_code = a.grid->code;
            if (a.community)
                e.community_code = a.community->code;
            if (a.township)
                e.township_code = a.township->code;
            if (a.county)
                e.county_code = a.county->code;
            e.city_code = a.city_code.value_or("");
            e.reported_at = e.updated_at = at;
            e.deadline_at = at + deadlines.for_severity(e.severity);

            std::vector<TimelineEntry> tl;
            std::string officer = "officer:" + (e.grid_code.empty() ? e.county_code : e.grid_code);
            tl.push_back({0,
                          0,
                          at,
                          e.source == EventSource::officer ? officer : "citizen",
                          EventAction::report,
                          std::nullopt,
                          EventStatus::reported,
                          "",
                          {}});
            Time t = at;
            // The last three days' events stop part-way, so every state is on the map.
            bool recent = m_now - at < std::chrono::days(3);
            int steps_left = recent ? m_rng.range(0, 6) : 1000;
            // Steps until `m_now` or until the event's fate is reached.
            auto step = [&](EventAction action, const std::string& actor, minutes after,
                            std::string note, std::optional<bool> satisfied = {}) {
                Time when = t + after;
                if (when >= m_now || steps_left-- <= 0)
                    return false;
                ActionRequest r{action, note, std::nullopt, satisfied, {}};
                Step s = next_step(e.status, e.level, r);
                bool new_level = s.level != e.level;
                tl.push_back({0, 0, when, actor, action, e.status, s.to, std::move(note),
                              new_level
                                  ? std::optional<std::string>(std::string(to_string(s.level)))
                                  : std::nullopt});
                e.status = s.to;
                e.level = s.level;
                t = e.updated_at = when;
                if (new_level || action == EventAction::reopen ||
                    (action == EventAction::rate && satisfied == false))
                    e.deadline_at = when + deadlines.for_severity(e.severity);
                if (action == EventAction::rate)
                    e.satisfied = satisfied;
                e.closed_at =
                    e.status == EventStatus::closed ? std::optional<Time>(when) : std::nullopt;
                return true;
            };
            auto mins = [&](double lo, double hi) {
                return minutes(static_cast<std::int64_t>(m_rng.uniform(lo, hi)));
            };
            if (cat.handling == Handling::simple) {
                step(EventAction::close, "system", minutes(0),
                     "closed by rule: " + cat.name + " is handled on the spot (simple)");
            } else {
                bool ok = step(
                    EventAction::dispatch, e.grid_code.empty() ? "city" : "system", mins(1, 90),
                    "dispatched to " + (e.grid_code.empty() ? e.county_code : e.grid_code));
                // One in eight sits until its deadline passes and goes up a level.
                // One in eight sits until its deadline passes and goes up a level; some of those
                // go further.
                for (double p = 0.12; ok && e.level != ResponseLevel::county && m_rng.chance(p);
                     p = 0.35) {
                    t = std::max(t, e.deadline_at - minutes(1));
                    ok = step(EventAction::escalate, "system", minutes(2),
                              "overdue: the " + std::string(to_string(e.level)) +
                                  "-level deadline passed");
                }
                // "Not ours": handed back and dispatched again (recent ones may still wait).
                if (ok && m_rng.chance(recent ? 0.15 : 0.02))
                    ok = step(EventAction::reject, officer, mins(10, 240), "不属于本网格职责") &&
                         !(recent && m_rng.chance(0.5)) &&
                         step(EventAction::dispatch, "city", mins(30, 600), "重新派发");
                ok = ok && step(EventAction::accept, officer, mins(5, 240), "") &&
                     step(EventAction::start, officer, mins(5, 120), "") &&
                     step(EventAction::resolve, officer, mins(30, 60 * 30), "已处理完毕");
                if (ok && m_rng.chance(0.07)) // unsatisfied: reopened, handled again
                    ok = step(EventAction::rate, "city", mins(60, 1440), "", false) &&
                         step(EventAction::accept, officer, mins(5, 240), "") &&
                         step(EventAction::start, officer, mins(5, 120), "") &&
                         step(EventAction::resolve, officer, mins(60, 2880), "再次处理");
                if (ok)
                    step(EventAction::rate, "city", mins(60, 2880), "", true);
            }
            m_store.add_event(e, tl);
            ++m_summary.events;
            m_summary.timeline_entries += static_cast<std::int64_t>(tl.size());
        }
        tx->commit();
        stage("wrote " + std::to_string(m_summary.events) + " events over " +
              std::to_string(m_opt.event_days) + " days with " +
              std::to_string(m_summary.timeline_entries) + " timeline entries");
    }

    void write_users() {
        Auth auth(m_store);
        const Village* community = nullptr;
        const Town* street = nullptr;
        for (const auto& t : m_towns)
            if (t.name.ends_with("街道") && !t.villages.empty()) {
                street = &t;
                community = &m_villages[static_cast<std::size_t>(t.villages.front())];
                break;
            }
        if (!street)
            throw Error(ErrorCode::internal, "demo: no urban street found");
        const GridRec& grid = m_grids[static_cast<std::size_t>(community->grids.front())];
        std::string pw(demo_password);
        using K = Jurisdiction::Kind;
        auth.create_user({"admin", "系统管理员", Role::admin, {K::everything, "", {}}, pw, {}, {}});
        auth.create_user({"city",
                          "市指挥中心",
                          Role::command_operator,
                          {K::area, std::string(city_code), {}},
                          pw,
                          {},
                          {}});
        auth.create_user({"county",
                          m_counties[street->county].name + "指挥中心",
                          Role::command_operator,
                          {K::area, street->county, {}},
                          pw,
                          {},
                          {}});
        auth.create_user({"township",
                          street->name + "综治中心",
                          Role::command_operator,
                          {K::area, street->code, {}},
                          pw,
                          {},
                          {}});
        auth.create_user({"chief",
                          community_label(*community) + "网格长",
                          Role::grid_chief,
                          {K::area, community->code, {}},
                          pw,
                          {},
                          {}});
        auth.create_user({"officer",
                          grid.name + "网格员",
                          Role::grid_officer,
                          {K::grids, "", {grid.code}},
                          pw,
                          m_officer_of_grid.count(grid.code)
                              ? std::optional(m_officer_of_grid[grid.code])
                              : std::nullopt,
                          {}});
        auth.create_user({"dept",
                          "城市管理局",
                          Role::department_staff,
                          {K::area, std::string(city_code), {}},
                          pw,
                          {},
                          std::string("D01")});
        auth.create_user({"citizen", "市民", Role::reporter, {K::none, "", {}}, pw, {}, {}});
        // The citizens' reporting app (an Open311 client) and its well-known demo key.
        auto app = auth.create_user(
            {"citizen-app", "市民随手拍小程序", Role::reporter, {K::none, "", {}}, pw, {}, {}});
        auth.register_api_key(app, "市民随手拍小程序", demo_api_key());
        stage("created " + std::to_string(demo_logins().size()) + " demo users");
    }

    struct County {
        std::string name;
        MultiPolygon region;
        std::vector<int> towns;
        MultiPolygon geometry;
    };

    Store& m_store;
    DemoOptions m_opt;
    Rng m_rng;
    Time m_now;
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
    std::vector<std::string> m_county_codes;
    std::map<std::string, County> m_counties;
    std::vector<Town> m_towns;
    std::vector<Village> m_villages;
    std::vector<Building> m_buildings;
    std::vector<MultiPolygon> m_cells; // per building
    std::vector<GridRec> m_grids;
    std::map<std::string, std::int64_t> m_officer_of_grid;
    DemoSummary m_summary;
};

} // namespace

std::string_view demo_api_key() {
    return "tessera-demo-open311-citizen-app-key";
}

std::vector<DemoLogin> demo_logins() {
    std::string pw(demo_password);
    return {
        {"admin", pw, "admin", "everything"},
        {"city", pw, "command_operator", "漯河市 (city)"},
        {"county", pw, "command_operator", "源汇区 (county)"},
        {"township", pw, "command_operator", "老街街道 (township)"},
        {"chief", pw, "grid_chief", "滨西社区 (community)"},
        {"officer", pw, "grid_officer", "滨西社区第一网格 (one grid)"},
        {"dept", pw, "department_staff", "城市管理局, city-wide"},
        {"citizen", pw, "reporter", "own reports only"},
    };
}

DemoSummary build_demo_city(Store& store, const DemoOptions& options) {
    return Generator(store, options).run();
}

} // namespace tessera::data
