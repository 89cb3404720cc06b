// The SpatiaLite implementation of Store: one database file in WAL mode with foreign keys on,
// one connection guarded by a recursive mutex, statements cached by SQL text.
#include "data/detail/migrations.hpp"
#include "data/detail/sqlite.hpp"
#include "data/store.hpp"
#include "geo/error.hpp"
#include "geo/wkb.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <spatialite.h>
#include <thread>
#include <variant>

namespace tessera::data {
namespace {

using detail::Statement;
using json = nlohmann::json;

Time now() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
}

std::int64_t to_ms(Time t) {
    return t.time_since_epoch().count();
}
Time from_ms(std::int64_t ms) {
    return Time{std::chrono::milliseconds{ms}};
}

std::string encode_properties(const Properties& props) {
    json arr = json::array();
    for (const auto& [name, value] : props) {
        json v = std::visit(
            [](const auto& x) -> json {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, std::monostate>)
                    return nullptr;
                else
                    return x;
            },
            value);
        arr.push_back(json::array({name, v}));
    }
    return arr.dump();
}

Properties decode_properties(const std::string& text) {
    Properties out;
    json arr = json::parse(text);
    for (const auto& pair : arr) {
        const json& v = pair.at(1);
        PropertyValue value;
        if (v.is_boolean())
            value = v.get<bool>();
        else if (v.is_number_integer())
            value = v.get<std::int64_t>();
        else if (v.is_number())
            value = v.get<double>();
        else if (v.is_string())
            value = v.get<std::string>();
        out.emplace_back(pair.at(0).get<std::string>(), std::move(value));
    }
    return out;
}

std::string encode_times(const std::vector<Time>& times) {
    std::string out(times.size() * 8, '\0');
    for (std::size_t i = 0; i < times.size(); ++i) {
        std::int64_t v = to_ms(times[i]);
        std::uint64_t u = static_cast<std::uint64_t>(v);
        for (int b = 0; b < 8; ++b)
            out[i * 8 + b] = static_cast<char>((u >> (8 * b)) & 0xff);
    }
    return out;
}

std::vector<Time> decode_times(std::span<const std::uint8_t> bytes) {
    std::vector<Time> out(bytes.size() / 8);
    for (std::size_t i = 0; i < out.size(); ++i) {
        std::uint64_t u = 0;
        for (int b = 0; b < 8; ++b)
            u |= std::uint64_t{bytes[i * 8 + b]} << (8 * b);
        out[i] = from_ms(static_cast<std::int64_t>(u));
    }
    return out;
}

std::string point_wkb(geo::LonLat p) {
    return geo::to_wkb(geo::Point{p});
}
std::string line_wkb(const std::vector<geo::LonLat>& pts) {
    return geo::to_wkb(geo::LineString{pts});
}

geo::LonLat read_point(const Statement& s, int col) {
    geo::Geometry g = geo::from_wkb(s.blob(col));
    return std::get<geo::Point>(g).pos;
}

std::vector<geo::LonLat> read_line(const Statement& s, int col) {
    geo::Geometry g = geo::from_wkb(s.blob(col));
    return std::get<geo::LineString>(g).points;
}

void check_timed_path(const TimedPath& p, const char* what) {
    if (p.points.size() < 2)
        throw Error(ErrorCode::invalid_argument, std::string(what) + " needs at least two points");
    if (p.points.size() != p.times.size())
        throw Error(ErrorCode::invalid_argument,
                    std::string(what) + ": number of times differs from number of points");
    if (!geo::coordinates_in_lonlat_range(geo::LineString{p.points}))
        throw Error(ErrorCode::invalid_geometry, std::string(what) + ": coordinate out of range");
}

class SpatialiteStore;

class SpatialiteTransaction final : public Transaction {
public:
    SpatialiteTransaction(SpatialiteStore& store);
    ~SpatialiteTransaction() override;
    void commit() override;

private:
    void leave();

    SpatialiteStore& m_store;
    std::unique_lock<std::recursive_mutex> m_lock;
    bool m_done = false;
};

class SpatialiteStore final : public Store {
public:
    explicit SpatialiteStore(const std::filesystem::path& file)
        : m_file(file) {
        int rc = sqlite3_open_v2(file.c_str(), &m_db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
        if (rc != SQLITE_OK) {
            std::string msg = m_db ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
            sqlite3_close(m_db);
            m_db = nullptr;
            throw Error(ErrorCode::store_error, "cannot open " + file.string() + ": " + msg);
        }
        try {
            m_spatialite = spatialite_alloc_connection();
            spatialite_init_ex(m_db, m_spatialite, 0);
            sqlite3_busy_timeout(m_db, 5000);
            exec("PRAGMA foreign_keys = ON");
            exec("PRAGMA journal_mode = WAL");
            // FULL: a commit is on disk when it returns (acknowledged data is durable).
            exec("PRAGMA synchronous = FULL");
            // Savepoints and multi-row statements keep their undo pages in memory, not in a
            // temporary file.
            exec("PRAGMA temp_store = MEMORY");
            migrate();
        } catch (...) {
            close();
            throw;
        }
    }

    ~SpatialiteStore() override { close(); }

    std::recursive_mutex& mutex() { return m_mutex; }

    // Runs `sql` (possibly several statements) without results.
    void exec(std::string_view sql) {
        char* err = nullptr;
        std::string s(sql);
        int rc = sqlite3_exec(m_db, s.c_str(), nullptr, nullptr, &err);
        if (rc != SQLITE_OK) {
            std::string msg = err ? err : sqlite3_errstr(rc);
            sqlite3_free(err);
            if ((rc & 0xff) == SQLITE_NOTADB)
                throw Error(ErrorCode::store_error, m_file.string() + " is not a database: " + msg);
            throw Error(ErrorCode::store_error, msg);
        }
    }

    // Nesting-aware write scope: BEGIN IMMEDIATE at depth 0, SAVEPOINT inside.
    void open_scope() {
        if (m_depth == 0)
            exec("BEGIN IMMEDIATE");
        else
            exec("SAVEPOINT s" + std::to_string(m_depth));
        ++m_depth;
    }
    void close_scope(bool ok) {
        --m_depth;
        if (m_depth == 0) {
            if (ok)
                exec("COMMIT");
            else
                exec("ROLLBACK");
        } else {
            std::string name = "s" + std::to_string(m_depth);
            if (!ok)
                exec("ROLLBACK TO " + name);
            exec("RELEASE " + name);
        }
    }

    // Runs a script statement by statement. SpatiaLite's metadata functions (AddGeometryColumn,
    // CreateSpatialIndex, InitSpatialMetaData) report failure by returning 0, not as an SQL
    // error, so a SELECT in a script must return 1.
    void run_script(std::string_view script) {
        const char* p = script.data();
        const char* end = script.data() + script.size();
        while (p < end) {
            sqlite3_stmt* raw = nullptr;
            const char* tail = nullptr;
            int rc = sqlite3_prepare_v2(m_db, p, static_cast<int>(end - p), &raw, &tail);
            if (rc != SQLITE_OK)
                detail::throw_sqlite(m_db, rc, "migration");
            p = tail;
            if (!raw)
                continue; // whitespace or comment
            std::string sql = sqlite3_sql(raw);
            bool is_select = sql.find_first_not_of(" \t\r\n") != std::string::npos &&
                             sql.compare(sql.find_first_not_of(" \t\r\n"), 6, "SELECT") == 0;
            rc = sqlite3_step(raw);
            bool failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
            bool refused = is_select && rc == SQLITE_ROW && sqlite3_column_int(raw, 0) != 1;
            sqlite3_finalize(raw);
            if (failed)
                detail::throw_sqlite(m_db, rc, "migration");
            if (refused)
                throw Error(ErrorCode::store_error, "migration step failed: " + sql);
        }
    }

    template <class F>
    auto write(F&& f) {
        std::lock_guard lock(m_mutex);
        open_scope();
        try {
            if constexpr (std::is_void_v<decltype(f())>) {
                f();
                close_scope(true);
            } else {
                auto result = f();
                close_scope(true);
                return result;
            }
        } catch (...) {
            try {
                close_scope(false);
            } catch (...) {
            }
            throw;
        }
    }

    // For writes made of exactly one SQL statement: SQLite makes a statement atomic by itself,
    // so no savepoint is needed (inside a Transaction or in autocommit mode alike).
    template <class F>
    auto write_one(F&& f) {
        std::lock_guard lock(m_mutex);
        return f();
    }

    // The first row of a bound query, made by from_row, or nullopt; the statement is reset.
    template <class F>
    static auto first_row(Statement& q, F&& from_row)
        -> std::optional<std::invoke_result_t<F, const Statement&>> {
        std::optional<std::invoke_result_t<F, const Statement&>> out;
        if (q.step())
            out = from_row(q);
        q.reset();
        return out;
    }

    Statement& stmt(const char* sql) {
        auto it = m_statements.find(sql);
        if (it == m_statements.end())
            it = m_statements.emplace(sql, Statement(m_db, sql)).first;
        it->second.reset();
        return it->second;
    }

    std::int64_t last_id() { return sqlite3_last_insert_rowid(m_db); }

    // ---- Store ----

    std::unique_ptr<Transaction> begin() override {
        return std::make_unique<SpatialiteTransaction>(*this);
    }

    StoreStats stats() override {
        std::lock_guard lock(m_mutex);
        StoreStats s;
        std::error_code ec;
        for (const char* suffix : {"", "-wal", "-shm"}) {
            auto size = std::filesystem::file_size(m_file.string() + suffix, ec);
            if (!ec)
                s.size_bytes += static_cast<std::int64_t>(size);
        }
        auto& q = stmt("SELECT MAX(version) FROM schema_migrations");
        if (q.step())
            s.schema_version = static_cast<int>(q.int64(0));
        q.reset();
        return s;
    }

    Layer create_layer(const LayerSpec& spec) override {
        static const std::regex name_re("[a-z0-9][a-z0-9_-]{0,63}");
        if (!std::regex_match(spec.name, name_re))
            throw Error(ErrorCode::invalid_argument,
                        "layer name '" + spec.name +
                            "' must be 1-64 lowercase letters, digits, '_' or '-'");
        if (is_reserved_layer_name(spec.name))
            throw Error(ErrorCode::invalid_argument,
                        "layer name '" + spec.name + "' is reserved for Tessera's own tile layer");
        return write([&] {
            std::optional<std::int64_t> parent_id;
            if (spec.parent_layer) {
                auto parent = find_layer(*spec.parent_layer);
                if (!parent)
                    throw Error(ErrorCode::not_found,
                                "parent layer '" + *spec.parent_layer + "' does not exist");
                parent_id = parent->id;
            }
            if (find_layer(spec.name))
                throw Error(ErrorCode::conflict, "layer '" + spec.name + "' already exists");
            stmt("INSERT INTO layers(name, kind, title, parent_id, precedence, source_crs, "
                 "created_at) VALUES (?,?,?,?,?,?,?)")
                .bind(1, spec.name)
                .bind(2, to_string(spec.kind))
                .bind(3, spec.title.empty() ? spec.name : spec.title)
                .bind(4, parent_id)
                .bind(5, spec.precedence)
                .bind(6, spec.source_crs)
                .bind(7, to_ms(now()))
                .run();
            return *find_layer(spec.name);
        });
    }

    std::vector<Layer> layers() override { return query_layers(std::nullopt); }

    std::optional<Layer> find_layer(std::string_view name) override {
        auto found = query_layers(std::string(name));
        if (found.empty())
            return std::nullopt;
        return found.front();
    }

    // The columns of a Layer record (without count and extent), read by layer_of_row.
    static constexpr const char* layer_columns =
        "SELECT l.id, l.name, l.kind, l.title, p.name, l.precedence, l.source_crs, l.version";

    static Layer layer_of_row(const Statement& r) {
        Layer l;
        l.id = r.int64(0);
        l.name = r.text(1);
        l.kind = parse_layer_kind(r.text(2)).value_or(LayerKind::grid);
        l.title = r.text(3);
        l.parent_layer = r.optional_text(4);
        l.precedence = static_cast<int>(r.int64(5));
        l.source_crs = r.text(6);
        l.version = r.int64(7);
        return l;
    }

    std::vector<Layer> query_layers(const std::optional<std::string>& name) {
        std::lock_guard lock(m_mutex);
        static const std::string sql =
            std::string(layer_columns) +
            ", (SELECT COUNT(*) FROM features f WHERE f.layer_id = l.id AND f.valid_to IS NULL), "
            "(SELECT MIN(min_x) FROM features f WHERE f.layer_id = l.id AND f.valid_to IS NULL), "
            "(SELECT MIN(min_y) FROM features f WHERE f.layer_id = l.id AND f.valid_to IS NULL), "
            "(SELECT MAX(max_x) FROM features f WHERE f.layer_id = l.id AND f.valid_to IS NULL), "
            "(SELECT MAX(max_y) FROM features f WHERE f.layer_id = l.id AND f.valid_to IS NULL) "
            "FROM layers l LEFT JOIN layers p ON p.id = l.parent_id "
            "WHERE (?1 IS NULL OR l.name = ?1) ORDER BY l.id";
        auto& q = stmt(sql.c_str());
        q.bind(1, name);
        std::vector<Layer> out;
        while (q.step()) {
            Layer l = layer_of_row(q);
            l.feature_count = q.int64(8);
            if (!q.is_null(9))
                l.extent = geo::BBox{q.real(9), q.real(10), q.real(11), q.real(12)};
            out.push_back(std::move(l));
        }
        q.reset();
        return out;
    }

    Changeset replace_features(std::string_view layer_name, const ChangesetInfo& info,
                               std::span<const FeatureInput> features) override {
        check_changeset(info, features);
        return write(
            [&] { return write_changeset(existing_layer(layer_name), info, {}, features); });
    }

    // Error(invalid_argument) without author or reason or for a feature without a code,
    // Error(conflict) for a repeated code, Error(invalid_geometry) for an empty or out-of-range
    // geometry.
    static void check_changeset(const ChangesetInfo& info, std::span<const FeatureInput> features) {
        if (info.author.empty())
            throw Error(ErrorCode::invalid_argument, "a changeset needs an author");
        if (info.reason.empty())
            throw Error(ErrorCode::invalid_argument, "a changeset needs a reason");
        std::set<std::string_view> codes;
        for (std::size_t i = 0; i < features.size(); ++i) {
            const auto& f = features[i];
            if (f.code.empty())
                throw Error(ErrorCode::invalid_argument,
                            "feature #" + std::to_string(i + 1) + " has no code");
            if (!codes.insert(f.code).second)
                throw Error(ErrorCode::conflict, "duplicate feature code '" + f.code + "'");
            if (geo::vertex_count(f.geometry) == 0)
                throw Error(ErrorCode::invalid_geometry,
                            "feature '" + f.code + "' has an empty geometry");
            if (!geo::coordinates_in_lonlat_range(f.geometry))
                throw Error(ErrorCode::invalid_geometry,
                            "feature '" + f.code + "' has coordinates outside lon/lat range");
        }
    }

    // The layer's record without its feature count and extent (which cost a pass over its
    // features), for writes. Error(not_found) for an unknown layer.
    Layer existing_layer(std::string_view name) {
        static const std::string sql = std::string(layer_columns) +
                                       " FROM layers l LEFT JOIN layers p ON p.id = l.parent_id "
                                       "WHERE l.name = ?";
        auto& q = stmt(sql.c_str());
        q.bind(1, name);
        auto layer = first_row(q, layer_of_row);
        if (!layer)
            throw Error(ErrorCode::not_found, "layer '" + std::string(name) + "' does not exist");
        return *layer;
    }

    // One changeset and one new layer version: the current versions of `retired` (nullopt: of
    // every feature) get valid_to, `added` are inserted as current. Call inside write().
    Changeset write_changeset(const Layer& layer, const ChangesetInfo& info,
                              std::optional<std::span<const std::string>> retired,
                              std::span<const FeatureInput> added) {
        Time at = info.at.value_or(now());
        auto& last = stmt("SELECT MAX(created_at) FROM changesets WHERE layer_id = ?");
        last.bind(1, layer.id);
        if (last.step() && !last.is_null(0) && last.int64(0) > to_ms(at)) {
            last.reset();
            throw Error(ErrorCode::conflict,
                        "changeset time is before the layer's latest changeset");
        }
        last.reset();

        Changeset cs;
        cs.layer = layer.name;
        cs.version = layer.version + 1;
        cs.author = info.author;
        cs.reason = info.reason;
        cs.created_at = at;
        stmt("INSERT INTO changesets(layer_id, version, author, reason, created_at) "
             "VALUES (?,?,?,?,?)")
            .bind(1, layer.id)
            .bind(2, cs.version)
            .bind(3, cs.author)
            .bind(4, cs.reason)
            .bind(5, to_ms(at))
            .run();
        cs.id = last_id();

        if (!retired) {
            stmt("UPDATE features SET valid_to = ? WHERE layer_id = ? AND valid_to IS NULL")
                .bind(1, to_ms(at))
                .bind(2, layer.id)
                .run();
            cs.features_removed = sqlite3_changes(m_db);
        } else {
            auto& close = stmt("UPDATE features SET valid_to = ? WHERE layer_id = ? AND code = ? "
                               "AND valid_to IS NULL");
            for (const auto& code : *retired) {
                close.bind(1, to_ms(at)).bind(2, layer.id).bind(3, code).run();
                cs.features_removed += sqlite3_changes(m_db);
            }
        }

        auto& insert =
            stmt("INSERT INTO features(layer_id, code, name, parent_code, properties, version, "
                 "valid_from, changeset_id, min_x, min_y, max_x, max_y, geom) "
                 "VALUES (?,?,?,?,?,?,?,?,?,?,?,?, GeomFromWKB(?, 4326))");
        for (const auto& f : added) {
            geo::BBox b = geo::bbox_of(f.geometry);
            insert.bind(1, layer.id)
                .bind(2, f.code)
                .bind(3, f.name)
                .bind(4, f.parent_code)
                .bind(5, encode_properties(f.properties))
                .bind(6, cs.version)
                .bind(7, to_ms(at))
                .bind(8, cs.id)
                .bind(9, b.min_x)
                .bind(10, b.min_y)
                .bind(11, b.max_x)
                .bind(12, b.max_y)
                .bind_blob(13, geo::to_wkb(f.geometry));
            try {
                insert.run();
            } catch (const Error& e) {
                if (e.code() == ErrorCode::conflict)
                    throw Error(ErrorCode::conflict,
                                "the layer already has a feature '" + f.code + "'");
                throw;
            }
        }
        cs.features_added = static_cast<std::int64_t>(added.size());
        stmt("UPDATE changesets SET features_added = ?, features_removed = ? WHERE id = ?")
            .bind(1, cs.features_added)
            .bind(2, cs.features_removed)
            .bind(3, cs.id)
            .run();
        stmt("UPDATE layers SET version = ? WHERE id = ?")
            .bind(1, cs.version)
            .bind(2, layer.id)
            .run();
        return cs;
    }

    FeaturePage features(std::string_view layer_name, const FeatureQuery& query) override {
        std::lock_guard lock(m_mutex);
        auto layer = find_layer(layer_name);
        if (!layer)
            throw Error(ErrorCode::not_found,
                        "layer '" + std::string(layer_name) + "' does not exist");
        // Only the filters in use go into the SQL, so that SQLite can use the indexes on
        // (layer_id, code), (layer_id, parent_code) and the current rows; one statement per
        // combination, cached. ?1 layer; ?2 at-time; ?3..?6 bbox; ?7 code; ?8 parent code.
        std::string where = " WHERE f.layer_id = ?1";
        where += query.at ? " AND f.valid_from <= ?2 AND (f.valid_to IS NULL OR f.valid_to > ?2)"
                          : " AND f.valid_to IS NULL";
        if (query.bbox)
            where += " AND f.id IN (SELECT pkid FROM idx_features_geom WHERE"
                     " xmin <= ?5 AND xmax >= ?3 AND ymin <= ?6 AND ymax >= ?4)"
                     " AND ST_Intersects(f.geom, BuildMbr(?3, ?4, ?5, ?6, 4326))";
        if (query.code)
            where += " AND f.code = ?7";
        if (query.parent_code)
            where += " AND f.parent_code = ?8";
        const std::string count_sql = "SELECT COUNT(*) FROM features f" + where;
        const std::string page_sql = std::string("SELECT ") + feature_columns + " FROM features f" +
                                     where + " ORDER BY f.code, f.id LIMIT ?9 OFFSET ?10";
        auto bind = [&](Statement& s) {
            s.bind(1, layer->id);
            if (query.at)
                s.bind(2, to_ms(*query.at));
            if (query.bbox)
                bind_bbox(s, query.bbox, 3);
            if (query.code)
                s.bind(7, *query.code);
            if (query.parent_code)
                s.bind(8, *query.parent_code);
        };
        FeaturePage page;
        page.total = count_matching(count_sql, bind);

        auto& q = stmt(page_sql.c_str());
        bind(q);
        q.bind(9, static_cast<std::int64_t>(std::min<std::size_t>(query.limit, 1'000'000)));
        q.bind(10, static_cast<std::int64_t>(query.offset));
        page.features = read_features(q);
        return page;
    }

    static constexpr const char* feature_columns =
        "f.id, f.code, f.name, f.parent_code, f.properties, f.version, f.valid_from, f.valid_to, "
        "f.changeset_id, AsBinary(f.geom)";

    // The rows of a query selecting feature_columns; the statement is reset.
    static std::vector<Feature> read_features(Statement& q) {
        std::vector<Feature> out;
        while (q.step()) {
            Feature f;
            f.id = q.int64(0);
            f.code = q.text(1);
            f.name = q.text(2);
            f.parent_code = q.optional_text(3);
            f.properties = decode_properties(q.text(4));
            f.version = q.int64(5);
            f.valid_from = from_ms(q.int64(6));
            if (!q.is_null(7))
                f.valid_to = from_ms(q.int64(7));
            f.changeset_id = q.int64(8);
            f.geometry = geo::from_wkb(q.blob(9));
            out.push_back(std::move(f));
        }
        q.reset();
        return out;
    }

    LayerDelta changes_since(std::string_view layer_name, std::int64_t version) override {
        std::lock_guard lock(m_mutex);
        const Layer layer = existing_layer(layer_name);
        LayerDelta out;
        static const std::string sql =
            std::string("SELECT ") + feature_columns +
            " FROM features f WHERE f.layer_id = ? AND f.valid_to IS NULL AND f.version > ? "
            "ORDER BY f.code";
        auto& q = stmt(sql.c_str());
        q.bind(1, layer.id).bind(2, version);
        out.current = read_features(q);
        auto& r = stmt("SELECT DISTINCT code FROM features WHERE layer_id = ?1 AND valid_to >= "
                       "(SELECT created_at FROM changesets WHERE layer_id = ?1 AND version = ?2) "
                       "ORDER BY code");
        r.bind(1, layer.id).bind(2, version + 1);
        while (r.step())
            out.retired.push_back(r.text(0));
        r.reset();
        return out;
    }

    std::vector<Feature> feature_history(std::string_view layer_name,
                                         std::string_view code) override {
        std::lock_guard lock(m_mutex);
        const Layer layer = existing_layer(layer_name);
        static const std::string sql = std::string("SELECT ") + feature_columns +
                                       " FROM features f WHERE f.layer_id = ? AND f.code = ? "
                                       "ORDER BY f.version, f.id";
        auto& q = stmt(sql.c_str());
        q.bind(1, layer.id).bind(2, code);
        return read_features(q);
    }

    // ---- drafts ----

    Draft create_draft(std::string_view layer_name, const DraftSpec& spec) override {
        if (spec.created_by.empty())
            throw Error(ErrorCode::invalid_argument, "a draft needs the name of who starts it");
        return write([&] {
            const Layer layer = existing_layer(layer_name);
            const Time at = spec.at.value_or(now());
            stmt("INSERT INTO drafts(layer_id, base_version, status, created_by, title, "
                 "created_at, updated_at) VALUES (?,?,'open',?,?,?,?)")
                .bind(1, layer.id)
                .bind(2, layer.version)
                .bind(3, spec.created_by)
                .bind(4, spec.title)
                .bind(5, to_ms(at))
                .bind(6, to_ms(at))
                .run();
            return *find_draft(last_id());
        });
    }

    std::optional<Draft> draft(std::int64_t id) override {
        std::lock_guard lock(m_mutex);
        return find_draft(id);
    }

    static constexpr const char* draft_select =
        "SELECT d.id, l.name, d.base_version, d.status, d.created_by, d.title, d.created_at, "
        "d.updated_at, d.changeset_id, "
        "(SELECT COUNT(*) FROM draft_operations o WHERE o.draft_id = d.id), "
        "(SELECT COUNT(*) FROM draft_features c WHERE c.draft_id = d.id) "
        "FROM drafts d JOIN layers l ON l.id = d.layer_id ";

    static std::vector<Draft> read_drafts(Statement& q) {
        std::vector<Draft> out;
        while (q.step()) {
            Draft d;
            d.id = q.int64(0);
            d.layer = q.text(1);
            d.base_version = q.int64(2);
            d.status = parse_draft_status(q.text(3)).value_or(DraftStatus::discarded);
            d.created_by = q.text(4);
            d.title = q.text(5);
            d.created_at = from_ms(q.int64(6));
            d.updated_at = from_ms(q.int64(7));
            if (!q.is_null(8))
                d.changeset_id = q.int64(8);
            d.operations = q.int64(9);
            d.changes = q.int64(10);
            out.push_back(std::move(d));
        }
        q.reset();
        return out;
    }

    std::optional<Draft> find_draft(std::int64_t id) {
        static const std::string sql = std::string(draft_select) + "WHERE d.id = ?";
        auto& q = stmt(sql.c_str());
        q.bind(1, id);
        auto found = read_drafts(q);
        return found.empty() ? std::nullopt : std::optional<Draft>(std::move(found.front()));
    }

    Draft open_draft(std::int64_t id) {
        auto d = find_draft(id);
        if (!d)
            throw Error(ErrorCode::not_found, "draft " + std::to_string(id) + " does not exist");
        if (d->status != DraftStatus::open)
            throw Error(ErrorCode::conflict, "draft " + std::to_string(id) + " is already " +
                                                 std::string(to_string(d->status)));
        return *d;
    }

    std::vector<Draft> drafts(std::string_view layer_name) override {
        std::lock_guard lock(m_mutex);
        static const std::string sql =
            std::string(draft_select) + "WHERE l.name = ? ORDER BY d.id DESC";
        auto& q = stmt(sql.c_str());
        q.bind(1, layer_name);
        return read_drafts(q);
    }

    std::vector<FeatureChange> draft_changes(std::int64_t id) override {
        std::lock_guard lock(m_mutex);
        return changes_of(id);
    }

    std::vector<FeatureChange> changes_of(std::int64_t id) {
        auto& q = stmt("SELECT code, removed, name, parent_code, properties, geom FROM "
                       "draft_features WHERE draft_id = ? ORDER BY code");
        q.bind(1, id);
        std::vector<FeatureChange> out;
        while (q.step()) {
            FeatureChange c;
            c.code = q.text(0);
            if (q.int64(1) == 0) {
                FeatureInput f;
                f.code = c.code;
                f.name = q.text(2);
                f.parent_code = q.optional_text(3);
                f.properties = decode_properties(q.text(4));
                f.geometry = geo::from_wkb(q.blob(5));
                c.after = std::move(f);
            }
            out.push_back(std::move(c));
        }
        q.reset();
        return out;
    }

    std::vector<DraftOperation> draft_operations(std::int64_t id) override {
        std::lock_guard lock(m_mutex);
        auto& q = stmt("SELECT seq, kind, detail, author, at, codes FROM draft_operations "
                       "WHERE draft_id = ? ORDER BY seq");
        q.bind(1, id);
        std::vector<DraftOperation> out;
        while (q.step())
            out.push_back({q.int64(0), q.text(1), q.text(2), q.text(3), from_ms(q.int64(4)),
                           json::parse(q.text(5)).get<std::vector<std::string>>()});
        q.reset();
        return out;
    }

    std::vector<OwnerChange> draft_owners(std::int64_t id) override {
        std::lock_guard lock(m_mutex);
        return owners_of(id);
    }

    std::vector<OwnerChange> owners_of(std::int64_t id) {
        auto& q = stmt("SELECT code, people FROM draft_owners WHERE draft_id = ? ORDER BY code");
        q.bind(1, id);
        std::vector<OwnerChange> out;
        while (q.step())
            out.push_back({q.text(0), json::parse(q.text(1)).get<std::vector<std::string>>()});
        q.reset();
        return out;
    }

    DraftOperation add_draft_operation(std::int64_t id, const DraftOperation& op,
                                       std::span<const FeatureChange> changes, bool replace_all,
                                       std::span<const OwnerChange> owners) override {
        for (const auto& c : changes)
            if (c.after && (geo::vertex_count(c.after->geometry) == 0 ||
                            !geo::coordinates_in_lonlat_range(c.after->geometry)))
                throw Error(ErrorCode::invalid_geometry,
                            "feature '" + c.code + "' has an empty or out-of-range geometry");
        return write([&] {
            const Draft d = open_draft(id);
            DraftOperation out = op;
            out.seq = d.operations + 1;
            out.at = op.at == Time{} ? now() : op.at;
            out.codes.clear();
            for (const auto& c : changes)
                out.codes.push_back(c.code);
            for (const auto& o : owners)
                if (std::find(out.codes.begin(), out.codes.end(), o.code) == out.codes.end())
                    out.codes.push_back(o.code);
            stmt("INSERT INTO draft_operations(draft_id, seq, kind, detail, author, at, codes) "
                 "VALUES (?,?,?,?,?,?,?)")
                .bind(1, id)
                .bind(2, out.seq)
                .bind(3, out.kind)
                .bind(4, out.detail)
                .bind(5, out.author)
                .bind(6, to_ms(out.at))
                .bind(7, json(out.codes).dump())
                .run();
            if (replace_all) {
                stmt("DELETE FROM draft_features WHERE draft_id = ?").bind(1, id).run();
                stmt("DELETE FROM draft_owners WHERE draft_id = ?").bind(1, id).run();
            }
            auto& own = stmt("INSERT OR REPLACE INTO draft_owners(draft_id, code, people) "
                             "VALUES (?,?,?)");
            for (const auto& o : owners)
                own.bind(1, id).bind(2, o.code).bind(3, json(o.people).dump()).run();
            auto& put = stmt("INSERT OR REPLACE INTO draft_features(draft_id, code, removed, name, "
                             "parent_code, properties, geom) VALUES (?,?,?,?,?,?,?)");
            for (const auto& c : changes) {
                put.bind(1, id).bind(2, c.code).bind(3, std::int64_t{c.after ? 0 : 1});
                if (c.after)
                    put.bind(4, c.after->name)
                        .bind(5, c.after->parent_code)
                        .bind(6, encode_properties(c.after->properties))
                        .bind_blob(7, geo::to_wkb(c.after->geometry));
                else
                    put.bind_null(4).bind_null(5).bind_null(6).bind_null(7);
                put.run();
            }
            stmt("UPDATE drafts SET updated_at = ? WHERE id = ?")
                .bind(1, to_ms(out.at))
                .bind(2, id)
                .run();
            return out;
        });
    }

    void discard_draft(std::int64_t id) override {
        write([&] {
            open_draft(id);
            stmt("UPDATE drafts SET status = 'discarded', updated_at = ? WHERE id = ?")
                .bind(1, to_ms(now()))
                .bind(2, id)
                .run();
        });
    }

    Changeset commit_draft(std::int64_t id, const ChangesetInfo& info) override {
        return write([&] {
            const Draft d = open_draft(id);
            const Layer layer = existing_layer(d.layer);
            std::vector<FeatureChange> changes = changes_of(id);
            const std::vector<OwnerChange> owners = owners_of(id);
            if (changes.empty() && owners.empty())
                throw Error(ErrorCode::invalid_argument,
                            "draft " + std::to_string(id) + " changes nothing");
            std::vector<std::string> retired;
            std::vector<FeatureInput> added;
            for (auto& c : changes) {
                retired.push_back(c.code);
                if (c.after)
                    added.push_back(std::move(*c.after));
            }
            check_changeset(info, added);
            // A feature another changeset has touched since the draft's base version: one made
            // current after it, or one current then that has been retired since.
            auto& base_time = stmt("SELECT created_at FROM changesets WHERE layer_id = ? AND "
                                   "version = ?");
            base_time.bind(1, layer.id).bind(2, d.base_version);
            const std::int64_t since = base_time.step() ? base_time.int64(0) : 0;
            base_time.reset();
            auto& touched = stmt(
                "SELECT c.version, c.author FROM features f JOIN changesets c ON c.layer_id = "
                "f.layer_id AND ((f.version > ?3 AND c.id = f.changeset_id) OR (f.version <= ?3 "
                "AND f.valid_to > ?4 AND c.created_at = f.valid_to)) WHERE f.layer_id = ?1 AND "
                "f.code = ?2 ORDER BY c.version DESC LIMIT 1");
            for (const auto& code : retired) {
                touched.bind(1, layer.id).bind(2, code).bind(3, d.base_version).bind(4, since);
                if (touched.step()) {
                    std::string message = code + " was changed by version " +
                                          std::to_string(touched.int64(0)) + " (" +
                                          touched.text(1) + ") after this draft began at version " +
                                          std::to_string(d.base_version);
                    touched.reset();
                    throw Error(ErrorCode::conflict, message);
                }
                touched.reset();
            }
            ChangesetInfo stamped = info;
            Changeset cs =
                write_changeset(layer, stamped, std::span<const std::string>(retired), added);
            auto& unassign = stmt("DELETE FROM person_grids WHERE grid_code = ?");
            auto& assign = stmt("INSERT OR IGNORE INTO person_grids(person_id, grid_code) "
                                "SELECT id, ?2 FROM people WHERE code = ?1");
            for (const auto& o : owners) {
                unassign.bind(1, o.code).run();
                for (const auto& person : o.people)
                    assign.bind(1, person).bind(2, o.code).run();
            }
            stmt("UPDATE drafts SET status = 'committed', changeset_id = ?, updated_at = ? "
                 "WHERE id = ?")
                .bind(1, cs.id)
                .bind(2, to_ms(cs.created_at))
                .bind(3, id)
                .run();
            return cs;
        });
    }

    std::vector<Changeset> changesets(std::string_view layer_name) override {
        std::lock_guard lock(m_mutex);
        auto& q = stmt("SELECT c.id, l.name, c.version, c.author, c.reason, c.created_at, "
                       "c.features_added, c.features_removed FROM changesets c "
                       "JOIN layers l ON l.id = c.layer_id WHERE l.name = ? ORDER BY c.version");
        q.bind(1, layer_name);
        std::vector<Changeset> out;
        while (q.step())
            out.push_back({q.int64(0), q.text(1), q.int64(2), q.text(3), q.text(4),
                           from_ms(q.int64(5)), q.int64(6), q.int64(7)});
        q.reset();
        return out;
    }

    // ---- people and things ----

    std::int64_t add_person(const Person& p) override {
        return write([&] {
            stmt("INSERT INTO people(code, name, role, phone, department_code) VALUES (?,?,?,?,?)")
                .bind(1, p.code)
                .bind(2, p.name)
                .bind(3, to_string(p.role))
                .bind(4, p.phone)
                .bind(5, p.department_code)
                .run();
            std::int64_t id = last_id();
            auto& g = stmt("INSERT OR IGNORE INTO person_grids(person_id, grid_code) VALUES (?,?)");
            for (const auto& code : p.grid_codes)
                g.bind(1, id).bind(2, code).run();
            return id;
        });
    }

    std::vector<Person> people(std::optional<std::string_view> grid_code) override {
        std::lock_guard lock(m_mutex);
        static const std::string sql =
            std::string(person_select) +
            "WHERE ?1 IS NULL OR p.id IN "
            "(SELECT person_id FROM person_grids WHERE grid_code = ?1) ORDER BY p.id";
        auto& q = stmt(sql.c_str());
        q.bind(1, grid_code ? std::optional<std::string>(std::string(*grid_code)) : std::nullopt);
        return read_people(q);
    }

    std::vector<Person> people_with_codes(std::span<const std::string> codes) override {
        std::lock_guard lock(m_mutex);
        static const std::string sql = std::string(person_select) +
                                       "WHERE p.code IN (SELECT value FROM json_each(?1)) "
                                       "ORDER BY p.id";
        return people_in(sql, json(std::vector<std::string>(codes.begin(), codes.end())));
    }

    // The people whose column in `sql` is one of `values` (a JSON array).
    std::vector<Person> people_in(const std::string& sql, const json& values) {
        auto& q = stmt(sql.c_str());
        q.bind(1, values.dump());
        return read_people(q);
    }

    std::int64_t people_revision() override {
        std::lock_guard lock(m_mutex);
        auto& q = stmt("SELECT value FROM revisions WHERE name = 'people'");
        const std::int64_t out = q.step() ? q.int64(0) : 0;
        q.reset();
        return out;
    }

    std::vector<Person> people_with_ids(std::span<const std::int64_t> ids) override {
        std::lock_guard lock(m_mutex);
        static const std::string sql = std::string(person_select) +
                                       "WHERE p.id IN (SELECT value FROM json_each(?1)) "
                                       "ORDER BY p.id";
        return people_in(sql, json(std::vector<std::int64_t>(ids.begin(), ids.end())));
    }

    static constexpr const char* person_select =
        "SELECT p.id, p.code, p.name, p.role, p.phone, p.department_code, "
        "(SELECT group_concat(grid_code, char(31)) FROM person_grids g "
        " WHERE g.person_id = p.id) FROM people p ";

    static std::vector<Person> read_people(Statement& q) {
        std::vector<Person> out;
        while (q.step()) {
            Person p;
            p.id = q.int64(0);
            p.code = q.text(1);
            p.name = q.text(2);
            p.role = parse_person_role(q.text(3)).value_or(PersonRole::volunteer);
            p.phone = q.text(4);
            p.department_code = q.optional_text(5);
            p.grid_codes = split_list(q.optional_text(6));
            out.push_back(std::move(p));
        }
        q.reset();
        return out;
    }

    static std::vector<std::string> split_list(const std::optional<std::string>& joined) {
        std::vector<std::string> out;
        if (!joined)
            return out;
        std::size_t start = 0;
        while (true) {
            auto sep = joined->find('\x1f', start);
            out.push_back(joined->substr(start, sep - start));
            if (sep == std::string::npos)
                break;
            start = sep + 1;
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    std::int64_t add_department(const Department& d) override {
        return write([&] {
            stmt("INSERT INTO departments(code, name, jurisdiction_code) VALUES (?,?,?)")
                .bind(1, d.code)
                .bind(2, d.name)
                .bind(3, d.jurisdiction_code)
                .run();
            std::int64_t id = last_id();
            auto& c = stmt("INSERT OR IGNORE INTO department_categories(department_id, category) "
                           "VALUES (?,?)");
            for (const auto& cat : d.categories)
                c.bind(1, id).bind(2, cat).run();
            return id;
        });
    }

    std::vector<Department> departments() override {
        std::lock_guard lock(m_mutex);
        auto& q = stmt("SELECT d.id, d.code, d.name, d.jurisdiction_code, "
                       "(SELECT group_concat(category, char(31)) FROM department_categories c "
                       " WHERE c.department_id = d.id) FROM departments d ORDER BY d.id");
        std::vector<Department> out;
        while (q.step())
            out.push_back(
                {q.int64(0), q.text(1), q.text(2), split_list(q.optional_text(4)), q.text(3)});
        q.reset();
        return out;
    }

    std::int64_t add_building(const Building& b) override {
        if (!geo::coordinates_in_lonlat_range(geo::Point{b.position}))
            throw Error(ErrorCode::invalid_geometry,
                        "building '" + b.code + "' position out of range");
        return write_one([&] {
            stmt("INSERT INTO buildings(code, households, address, community_code, geom) "
                 "VALUES (?,?,?,?, GeomFromWKB(?, 4326))")
                .bind(1, b.code)
                .bind(2, b.households)
                .bind(3, b.address)
                .bind(4, b.community_code)
                .bind_blob(5, point_wkb(b.position))
                .run();
            return last_id();
        });
    }

    std::vector<Building> buildings_at(std::span<const std::string> addresses) override {
        std::lock_guard lock(m_mutex);
        auto& q = stmt("SELECT id, code, households, address, community_code, AsBinary(geom) "
                       "FROM buildings WHERE address IN (SELECT value FROM json_each(?1)) "
                       "ORDER BY id");
        q.bind(1, json(std::vector<std::string>(addresses.begin(), addresses.end())).dump());
        std::vector<Building> out;
        while (q.step())
            out.push_back(
                {q.int64(0), q.text(1), read_point(q, 5), q.int64(2), q.text(3), q.text(4)});
        q.reset();
        return out;
    }

    std::vector<Building> buildings(std::optional<geo::BBox> bbox) override {
        std::lock_guard lock(m_mutex);
        auto& q =
            stmt("SELECT id, code, households, address, community_code, AsBinary(geom) "
                 "FROM buildings WHERE ?1 IS NULL OR id IN (SELECT pkid FROM idx_buildings_geom "
                 "WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2) ORDER BY id");
        bind_bbox(q, bbox);
        std::vector<Building> out;
        while (q.step())
            out.push_back(
                {q.int64(0), q.text(1), read_point(q, 5), q.int64(2), q.text(3), q.text(4)});
        q.reset();
        return out;
    }

    // Binds min x, min y, max x, max y to parameters first..first+3 (NULL for no box).
    static void bind_bbox(Statement& q, const std::optional<geo::BBox>& bbox, int first = 1) {
        if (bbox)
            q.bind(first, bbox->min_x)
                .bind(first + 1, bbox->min_y)
                .bind(first + 2, bbox->max_x)
                .bind(first + 3, bbox->max_y);
        else
            for (int i = first; i < first + 4; ++i)
                q.bind_null(i);
    }

    // The total of a paged query: its COUNT(*) form, bound like the page.
    template <class Bind>
    std::int64_t count_matching(const std::string& count_sql, Bind&& bind) {
        auto& count = stmt(count_sql.c_str());
        bind(count);
        std::int64_t n = count.step() ? count.int64(0) : 0;
        count.reset();
        return n;
    }

    std::int64_t add_camera(const Camera& c) override {
        if (!geo::coordinates_in_lonlat_range(geo::Point{c.position}))
            throw Error(ErrorCode::invalid_geometry,
                        "camera '" + c.code + "' position out of range");
        return write_one([&] {
            stmt("INSERT INTO cameras(code, name, heading_deg, fov_deg, range_m, online, geom) "
                 "VALUES (?,?,?,?,?,?, GeomFromWKB(?, 4326))")
                .bind(1, c.code)
                .bind(2, c.name)
                .bind(3, c.heading_deg)
                .bind(4, c.fov_deg)
                .bind(5, c.range_m)
                .bind(6, c.online ? 1 : 0)
                .bind_blob(7, point_wkb(c.position))
                .run();
            return last_id();
        });
    }

    std::vector<Camera> cameras(std::optional<geo::BBox> bbox) override {
        std::lock_guard lock(m_mutex);
        auto& q =
            stmt("SELECT id, code, name, heading_deg, fov_deg, range_m, online, AsBinary(geom) "
                 "FROM cameras WHERE ?1 IS NULL OR id IN (SELECT pkid FROM idx_cameras_geom "
                 "WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2) ORDER BY id");
        bind_bbox(q, bbox);
        std::vector<Camera> out;
        while (q.step())
            out.push_back(camera_from_row(q));
        q.reset();
        return out;
    }

    std::optional<Camera> find_camera(std::string_view code) override {
        std::lock_guard lock(m_mutex);
        auto& q =
            stmt("SELECT id, code, name, heading_deg, fov_deg, range_m, online, AsBinary(geom) "
                 "FROM cameras WHERE code = ?");
        q.bind(1, std::string(code));
        return first_row(q, camera_from_row);
    }

    static Camera camera_from_row(const Statement& q) {
        return {q.int64(0), q.text(1), q.text(2), read_point(q, 7),
                q.real(3),  q.real(4), q.real(5), q.int64(6) != 0};
    }

    std::int64_t add_drone_flight(const DroneFlight& f) override {
        check_timed_path(f.path, "drone flight");
        return write_one([&] {
            stmt("INSERT INTO drone_flights(code, purpose, swath_m, started_at, ended_at, times, "
                 "geom) "
                 "VALUES (?,?,?,?,?,?, GeomFromWKB(?, 4326))")
                .bind(1, f.code)
                .bind(2, f.purpose)
                .bind(3, f.swath_m)
                .bind(4, to_ms(f.path.times.front()))
                .bind(5, to_ms(f.path.times.back()))
                .bind_blob(6, encode_times(f.path.times))
                .bind_blob(7, line_wkb(f.path.points))
                .run();
            return last_id();
        });
    }

    std::vector<DroneFlight> drone_flights(const PathQuery& query) override {
        std::lock_guard lock(m_mutex);
        static const std::string sql =
            path_query_sql("id, code, purpose, swath_m, times, AsBinary(geom)", "drone_flights");
        auto& q = stmt(sql.c_str());
        bind_path_query(q, query);
        std::vector<DroneFlight> out;
        while (q.step())
            out.push_back(flight_from_row(q));
        q.reset();
        std::reverse(out.begin(), out.end()); // into start order
        return out;
    }

    // A drone-flight or patrol-track query (PathQuery) over `table`, which has an R-tree on
    // geom, a person_id (NULL for tables without one) and started_at/ended_at. Rows come latest
    // start first, so that a limit keeps the latest; the caller reverses them.
    static std::string path_query_sql(const char* columns, const char* table) {
        const std::string t = table;
        const bool has_person = t == "patrol_tracks";
        return std::string("SELECT ") + columns + " FROM " + t +
               " WHERE (?1 IS NULL OR id IN (SELECT pkid FROM idx_" + t +
               "_geom WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2))" +
               (has_person ? " AND (?5 IS NULL OR person_id = ?5)" : " AND ?5 IS NULL") +
               " AND (?6 IS NULL OR ended_at >= ?6) AND (?8 IS NULL OR started_at <= ?8)"
               " ORDER BY started_at DESC, id DESC LIMIT ?7";
    }

    static void bind_path_query(Statement& q, const PathQuery& query) {
        bind_bbox(q, query.bbox);
        q.bind(5, query.person_id);
        if (query.ended_after)
            q.bind(6, to_ms(*query.ended_after));
        else
            q.bind_null(6);
        if (query.started_before)
            q.bind(8, to_ms(*query.started_before));
        else
            q.bind_null(8);
        q.bind(7, query.limit > 0 ? static_cast<std::int64_t>(std::min<std::size_t>(
                                        query.limit, std::numeric_limits<std::int64_t>::max()))
                                  : std::int64_t{-1});
    }

    std::optional<DroneFlight> find_drone_flight(std::string_view code) override {
        std::lock_guard lock(m_mutex);
        auto& q = stmt("SELECT id, code, purpose, swath_m, times, AsBinary(geom) FROM "
                       "drone_flights WHERE code = ?");
        q.bind(1, std::string(code));
        return first_row(q, flight_from_row);
    }

    static DroneFlight flight_from_row(const Statement& q) {
        return {q.int64(0), q.text(1), q.text(2),
                TimedPath{read_line(q, 5), decode_times(q.blob(4))}, q.real(3)};
    }

    std::int64_t add_patrol_track(const PatrolTrack& t) override {
        check_timed_path(t.path, "patrol track");
        return write([&] {
            stmt("INSERT INTO patrol_tracks(person_id, started_at, ended_at, times, geom) "
                 "VALUES (?,?,?,?, GeomFromWKB(?, 4326))")
                .bind(1, t.person_id)
                .bind(2, to_ms(t.path.times.front()))
                .bind(3, to_ms(t.path.times.back()))
                .bind_blob(4, encode_times(t.path.times))
                .bind_blob(5, line_wkb(t.path.points))
                .run();
            const std::int64_t id = last_id();
            upsert_position({t.person_id, t.path.points.back(), t.path.times.back(), {}});
            return id;
        });
    }

    void remove_patrol_track(std::int64_t id) override {
        write_one([&] {
            stmt("DELETE FROM patrol_tracks WHERE id = ?").bind(1, id).run();
            if (sqlite3_changes(m_db) == 0)
                throw Error(ErrorCode::not_found, "no patrol track " + std::to_string(id));
        });
    }

    void note_position(const OfficerPosition& p) override {
        if (!geo::coordinates_in_lonlat_range(geo::Point{p.position}))
            throw Error(ErrorCode::invalid_geometry, "position out of range");
        write_one([&] { upsert_position(p); });
    }

    // One statement: the row is replaced only by a newer fix.
    void upsert_position(const OfficerPosition& p) {
        stmt("INSERT INTO officer_positions(person_id, at, lon, lat, accuracy_m) "
             "VALUES (?1,?2,?3,?4,?5) ON CONFLICT(person_id) DO UPDATE SET at = excluded.at, "
             "lon = excluded.lon, lat = excluded.lat, accuracy_m = excluded.accuracy_m "
             "WHERE excluded.at > officer_positions.at")
            .bind(1, p.person_id)
            .bind(2, to_ms(p.at))
            .bind(3, p.position.lon)
            .bind(4, p.position.lat)
            .bind(5, p.accuracy_m)
            .run();
    }

    std::vector<OfficerPosition> latest_positions(const PositionQuery& query) override {
        std::lock_guard lock(m_mutex);
        auto& q =
            stmt("SELECT person_id, lon, lat, at, accuracy_m FROM officer_positions "
                 "WHERE (?1 IS NULL OR (lon >= ?1 AND lat >= ?2 AND lon <= ?3 AND lat <= ?4)) "
                 "AND (?5 IS NULL OR at >= ?5) "
                 "AND (?6 IS NULL OR instr(',' || ?6 || ',', ',' || person_id || ',') > 0) "
                 "ORDER BY person_id");
        bind_bbox(q, query.bbox);
        if (query.since)
            q.bind(5, to_ms(*query.since));
        else
            q.bind_null(5);
        if (query.person_ids.empty()) {
            q.bind_null(6);
        } else {
            std::string ids;
            for (std::int64_t id : query.person_ids)
                ids += (ids.empty() ? "" : ",") + std::to_string(id);
            q.bind(6, ids);
        }
        std::vector<OfficerPosition> out;
        while (q.step()) {
            OfficerPosition p{q.int64(0), {q.real(1), q.real(2)}, from_ms(q.int64(3)), {}};
            if (!q.is_null(4))
                p.accuracy_m = q.real(4);
            out.push_back(p);
        }
        q.reset();
        return out;
    }

    std::vector<PatrolTrack> patrol_tracks(const PathQuery& query) override {
        std::lock_guard lock(m_mutex);
        static const std::string sql =
            path_query_sql("id, person_id, times, AsBinary(geom)", "patrol_tracks");
        auto& q = stmt(sql.c_str());
        bind_path_query(q, query);
        std::vector<PatrolTrack> out;
        while (q.step())
            out.push_back(
                {q.int64(0), q.int64(1), TimedPath{read_line(q, 3), decode_times(q.blob(2))}});
        q.reset();
        std::reverse(out.begin(), out.end()); // into start order
        return out;
    }

    // ---- events ----

    // The columns of events, in the order event_from_row reads them.
    static constexpr const char* event_columns =
        "id, category, description, source, severity, status, level, footprint, accuracy_m, "
        "reporter, reporter_user_id, photos, address, grid_code, community_code, township_code, "
        "county_code, layer_version, outside_grid, camera_code, flight_code, duplicate_of, "
        "department_code, reported_at, updated_at, deadline_at, closed_at, satisfied, "
        "AsBinary(geom), city_code";

    // SQL true when one of the event's five area codes is in the char(31)-separated list bound
    // to `param` (whole codes only; an empty code never matches).
    static std::string any_area_code_in(const char* param) {
        std::string out = "(";
        const char* columns[] = {"grid_code", "community_code", "township_code", "county_code",
                                 "city_code"};
        for (const char* c : columns) {
            if (out.size() > 1)
                out += " OR ";
            out += std::string("(e.") + c + " <> '' AND instr(char(31) || " + param +
                   " || char(31), char(31) || e." + c + " || char(31)) > 0)";
        }
        return out + ")";
    }

    // Codes joined by char(31), for the instr() matches above.
    static std::string joined_codes(const std::vector<std::string>& codes) {
        std::string out;
        for (const auto& c : codes)
            out += (out.empty() ? "" : "\x1f") + c;
        return out;
    }

    static std::vector<std::string> strings_from_json(const std::string& text) {
        std::vector<std::string> out;
        for (const auto& item : nlohmann::json::parse(text))
            out.push_back(item.get<std::string>());
        return out;
    }

    static Event event_from_row(const Statement& q) {
        auto parsed = [](auto value, std::string_view what) {
            if (!value)
                throw Error(ErrorCode::store_error,
                            "stored event has an unknown " + std::string(what));
            return *value;
        };
        Event e;
        e.id = q.int64(0);
        e.category = q.text(1);
        e.description = q.text(2);
        e.source = parsed(parse_event_source(q.text(3)), "source");
        e.severity = parsed(parse_severity(q.text(4)), "severity");
        e.status = parsed(parse_event_status(q.text(5)), "status");
        e.level = parsed(parse_response_level(q.text(6)), "level");
        if (!q.is_null(7))
            e.footprint = geo::as_multi_polygon(geo::from_wkb(q.blob(7)));
        if (!q.is_null(8))
            e.accuracy_m = q.real(8);
        e.reporter = q.text(9);
        if (!q.is_null(10))
            e.reporter_user_id = q.int64(10);
        e.photos = strings_from_json(q.text(11));
        e.address = q.optional_text(12);
        e.grid_code = q.text(13);
        e.community_code = q.text(14);
        e.township_code = q.text(15);
        e.county_code = q.text(16);
        e.layer_version = q.int64(17);
        e.outside_grid = q.int64(18) != 0;
        e.camera_code = q.optional_text(19);
        e.flight_code = q.optional_text(20);
        if (!q.is_null(21))
            e.duplicate_of = q.int64(21);
        e.department_code = q.optional_text(22);
        e.reported_at = from_ms(q.int64(23));
        e.updated_at = from_ms(q.int64(24));
        e.deadline_at = from_ms(q.int64(25));
        if (!q.is_null(26))
            e.closed_at = from_ms(q.int64(26));
        if (!q.is_null(27))
            e.satisfied = q.int64(27) != 0;
        e.position = read_point(q, 28);
        e.city_code = q.text(29);
        return e;
    }

    // Binds every column but id and geom (1..27, in event_columns' order less id), the
    // position as WKB (28) and city_code (29).
    static void bind_event(Statement& s, const Event& e) {
        nlohmann::json photos = e.photos;
        std::optional<std::string> footprint;
        if (e.footprint)
            footprint = geo::to_wkb(*e.footprint);
        s.bind(1, e.category)
            .bind(2, e.description)
            .bind(3, to_string(e.source))
            .bind(4, to_string(e.severity))
            .bind(5, to_string(e.status))
            .bind(6, to_string(e.level));
        if (footprint)
            s.bind_blob(7, *footprint);
        else
            s.bind_null(7);
        s.bind(8, e.accuracy_m)
            .bind(9, e.reporter)
            .bind(10, e.reporter_user_id)
            .bind(11, photos.dump())
            .bind(12, e.address)
            .bind(13, e.grid_code)
            .bind(14, e.community_code)
            .bind(15, e.township_code)
            .bind(16, e.county_code)
            .bind(17, e.layer_version)
            .bind(18, e.outside_grid ? 1 : 0)
            .bind(19, e.camera_code)
            .bind(20, e.flight_code)
            .bind(21, e.duplicate_of)
            .bind(22, e.department_code)
            .bind(23, to_ms(e.reported_at))
            .bind(24, to_ms(e.updated_at))
            .bind(25, to_ms(e.deadline_at));
        if (e.closed_at)
            s.bind(26, to_ms(*e.closed_at));
        else
            s.bind_null(26);
        if (e.satisfied)
            s.bind(27, *e.satisfied ? 1 : 0);
        else
            s.bind_null(27);
        s.bind_blob(28, point_wkb(e.position));
        s.bind(29, e.city_code);
    }

    void append_timeline(const TimelineEntry& t) {
        stmt("INSERT INTO event_timeline(event_id, at, actor, action, from_status, to_status, "
             "note, target) VALUES (?,?,?,?,?,?,?,?)")
            .bind(1, t.event_id)
            .bind(2, to_ms(t.at))
            .bind(3, t.actor)
            .bind(4, to_string(t.action))
            .bind(5, t.from ? std::optional<std::string>(std::string(to_string(*t.from)))
                            : std::nullopt)
            .bind(6, to_string(t.to))
            .bind(7, t.note)
            .bind(8, t.target)
            .run();
    }

    // One writer's place in a group commit (see m_group_queue).
    struct GroupWrite {
        const Event* event;
        const IntakeRule* rule;
        Event stored;
        std::exception_ptr error;
        bool done = false;
        std::condition_variable wake; // done, or time to lead the next batch
    };

    using Store::add_event;
    Event add_event(const Event& e, const IntakeRule& rule) override {
        if (!geo::coordinates_in_lonlat_range(geo::Point{e.position}))
            throw Error(ErrorCode::invalid_geometry, "event position out of range");
        if (m_tx_thread.load() == std::this_thread::get_id())
            return write([&] { return insert_event(e, rule); }); // inside the caller's
        GroupWrite mine{&e, &rule, {}, {}, false, {}};
        std::unique_lock lock(m_group_mutex);
        m_group_queue.push_back(&mine);
        while (!mine.done) {
            if (m_group_leader) {
                mine.wake.wait(lock);
                continue;
            }
            m_group_leader = true;
            std::vector<GroupWrite*> batch;
            batch.swap(m_group_queue);
            lock.unlock();
            commit_group(batch);
            lock.lock();
            // Each writer is woken alone (not all waiters at once), and the first of those who
            // queued meanwhile leads the next batch.
            for (GroupWrite* w : batch) {
                w->done = true;
                w->wake.notify_one();
            }
            m_group_leader = false;
            if (!m_group_queue.empty())
                m_group_queue.front()->wake.notify_one();
        }
        if (mine.error)
            std::rethrow_exception(mine.error);
        return mine.stored;
    }

    // One transaction for the batch. Reports are checked before they get here, so an event
    // rarely fails in the write; the batch is written without savepoints first. If an event does
    // fail, that attempt is rolled back and the batch written again with a savepoint per event:
    // the failing event is rolled back alone and its writer gets the error. If the commit fails,
    // every writer does.
    void commit_group(const std::vector<GroupWrite*>& batch) {
        try {
            write([&] {
                for (GroupWrite* w : batch)
                    w->stored = insert_event(*w->event, *w->rule);
            });
            return;
        } catch (...) {
        }
        try {
            write([&] {
                for (GroupWrite* w : batch) {
                    try {
                        w->stored = write([&] { return insert_event(*w->event, *w->rule); });
                    } catch (...) {
                        w->error = std::current_exception();
                    }
                }
            });
        } catch (...) {
            for (GroupWrite* w : batch)
                w->error = std::current_exception();
        }
    }

    // The rows of one event, after its rule; the caller holds the lock and a transaction.
    Event insert_event(const Event& e, const IntakeRule& rule) {
        Event stored = e;
        std::vector<TimelineEntry> entries = rule(stored);
        if (entries.empty())
            throw Error(ErrorCode::invalid_argument, "an event needs its intake timeline entry");
        auto& ins = stmt(
            "INSERT INTO events(category, description, source, severity, status, level, "
            "footprint, accuracy_m, reporter, reporter_user_id, photos, address, grid_code, "
            "community_code, township_code, county_code, layer_version, outside_grid, "
            "camera_code, flight_code, duplicate_of, department_code, reported_at, "
            "updated_at, deadline_at, closed_at, satisfied, geom, city_code) VALUES "
            "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, GeomFromWKB(?, 4326), ?)");
        bind_event(ins, stored);
        ins.run();
        stored.id = last_id();
        index_position(stored.id, stored.position, true);
        for (auto& entry : entries) {
            entry.event_id = stored.id;
            append_timeline(entry);
        }
        return stored;
    }

    // Keeps idx_events_geom in step with an event's point (migration 6: no triggers on events).
    void index_position(std::int64_t id, geo::LonLat p, bool added) {
        auto& q = added ? stmt("INSERT INTO idx_events_geom(xmin, xmax, ymin, ymax, pkid) "
                               "VALUES (?1, ?1, ?2, ?2, ?3)")
                        : stmt("UPDATE idx_events_geom SET xmin = ?1, xmax = ?1, ymin = ?2, "
                               "ymax = ?2 WHERE pkid = ?3");
        q.bind(1, p.lon).bind(2, p.lat).bind(3, id).run();
    }

    std::optional<Event> event(std::int64_t id) override {
        std::lock_guard lock(m_mutex);
        static const std::string sql =
            std::string("SELECT ") + event_columns + " FROM events WHERE id = ?";
        auto& q = stmt(sql.c_str());
        q.bind(1, id);
        return first_row(q, event_from_row);
    }

    EventPage events(const EventQuery& query) override {
        std::lock_guard lock(m_mutex);
        // Only the filters that are set go into the SQL, so the planner can drive the query from
        // the R*Tree or an index (a "?n IS NULL OR ..." form makes it scan every event). The
        // statement is cached per combination of filters.
        std::vector<std::variant<std::int64_t, double, std::string>> values;
        auto param = [&](auto value) {
            values.emplace_back(std::move(value));
            return "?" + std::to_string(values.size());
        };
        auto ms = [](Time t) { return static_cast<std::int64_t>(to_ms(t)); };
        std::string where = " WHERE 1 = 1";
        auto cond = [&](const std::string& clause) { where += " AND " + clause; };
        // With a box, the R*Tree is the selective index: a unary + keeps the planner from
        // driving the query from a column's index instead (every event of the last day, say).
        std::string c = query.bbox ? "+e." : "e.";
        if (query.status)
            cond(c + "status = " + param(std::string(to_string(*query.status))));
        if (query.severity)
            cond(c + "severity = " + param(std::string(to_string(*query.severity))));
        if (query.category)
            cond(c + "category = " + param(*query.category));
        if (query.bbox)
            cond("e.id IN (SELECT pkid FROM idx_events_geom WHERE xmin <= " +
                 param(query.bbox->max_x) + " AND xmax >= " + param(query.bbox->min_x) +
                 " AND ymin <= " + param(query.bbox->max_y) +
                 " AND ymax >= " + param(query.bbox->min_y) + ")");
        if (query.reported_from)
            cond(c + "reported_at >= " + param(ms(*query.reported_from)));
        if (query.reported_to)
            cond(c + "reported_at < " + param(ms(*query.reported_to)));
        if (query.overdue_at)
            cond(c + "status NOT IN ('resolved', 'closed') AND " + c +
                 "deadline_at <= " + param(ms(*query.overdue_at)));
        if (!query.area_codes.empty())
            cond(any_area_code_in(param(joined_codes(query.area_codes)).c_str()));
        if (query.open)
            cond(c + "status " + (*query.open ? "NOT IN" : "IN") + " ('resolved', 'closed')");
        if (query.level)
            cond(c + "level = " + param(std::string(to_string(*query.level))));
        if (query.visible_to) {
            std::string codes = param(joined_codes(query.visible_to->codes));
            std::string reporter =
                query.visible_to->reporter_user_id
                    ? " OR e.reporter_user_id = " + param(*query.visible_to->reporter_user_id)
                    : std::string();
            cond("(" + any_area_code_in(codes.c_str()) + reporter + ")");
        }
        auto bind = [&](Statement& s) {
            for (std::size_t i = 0; i < values.size(); ++i)
                std::visit([&](const auto& v) { s.bind(static_cast<int>(i + 1), v); }, values[i]);
        };
        EventPage page;
        if (query.count_total)
            page.total = count_matching("SELECT COUNT(*) FROM events e" + where, bind);
        std::string limit = param(static_cast<std::int64_t>(query.limit));
        std::string offset = param(static_cast<std::int64_t>(query.offset));
        std::string page_sql = std::string("SELECT ") + event_columns + " FROM events e" + where +
                               " ORDER BY e.reported_at DESC, e.id DESC LIMIT " + limit +
                               " OFFSET " + offset;
        auto& q = stmt(page_sql.c_str());
        bind(q);
        while (q.step())
            page.events.push_back(event_from_row(q));
        q.reset();
        return page;
    }

    void update_event(const Event& e, EventStatus expected, TimelineEntry entry) override {
        if (!geo::coordinates_in_lonlat_range(geo::Point{e.position}))
            throw Error(ErrorCode::invalid_geometry, "event position out of range");
        write([&] {
            auto& cur = stmt("SELECT status, X(geom), Y(geom) FROM events WHERE id = ?");
            cur.bind(1, e.id);
            if (!cur.step()) {
                cur.reset();
                throw Error(ErrorCode::not_found, "no event " + std::to_string(e.id));
            }
            std::string status = cur.text(0);
            bool moved = cur.real(1) != e.position.lon || cur.real(2) != e.position.lat;
            cur.reset();
            if (status != to_string(expected))
                throw Error(ErrorCode::conflict,
                            "event " + std::to_string(e.id) + " is now " + status + ", not " +
                                std::string(to_string(expected)) + ": someone acted on it first");
            auto& up = stmt(
                "UPDATE events SET category = ?1, description = ?2, source = ?3, severity = ?4, "
                "status = ?5, level = ?6, footprint = ?7, accuracy_m = ?8, reporter = ?9, "
                "reporter_user_id = ?10, photos = ?11, address = ?12, grid_code = ?13, "
                "community_code = ?14, township_code = ?15, county_code = ?16, "
                "layer_version = ?17, outside_grid = ?18, camera_code = ?19, flight_code = ?20, "
                "duplicate_of = ?21, department_code = ?22, reported_at = ?23, updated_at = ?24, "
                "deadline_at = ?25, closed_at = ?26, satisfied = ?27, "
                "geom = GeomFromWKB(?28, 4326), city_code = ?29 WHERE id = ?30");
            bind_event(up, e);
            up.bind(30, e.id).run();
            if (moved)
                index_position(e.id, e.position, false);
            entry.event_id = e.id;
            append_timeline(entry);
        });
    }

    // The three statements behind event_stats for one grouping: the counts, the handling
    // times and the repeats. ?1 from ?2 to ?3 area codes ?4 visibility on ?5 visible codes
    // ?6 visible reporter ?7 now ?8 radius (m) ?9 half box width (deg lon) ?10 (deg lat)
    struct StatsSql {
        std::string counts, durations, repeats;
    };

    static const StatsSql& stats_sql(StatsUnit by) {
        static const std::array<StatsSql, 7> all = [] {
            std::array<StatsSql, 7> out;
            const char* units[] = {"''",
                                   "e.grid_code",
                                   "e.community_code",
                                   "e.township_code",
                                   "e.county_code",
                                   "e.city_code",
                                   "e.category"};
            std::string where =
                std::string(" FROM events e WHERE (?1 IS NULL OR e.reported_at >= ?1)"
                            " AND (?2 IS NULL OR e.reported_at < ?2)"
                            " AND (?3 IS NULL OR ") +
                any_area_code_in("?3") + ") AND (?4 = 0 OR " + any_area_code_in("?5") +
                " OR e.reporter_user_id = ?6)";
            for (std::size_t i = 0; i < out.size(); ++i) {
                std::string unit = units[i];
                std::string counts = "SELECT " + unit + ", COUNT(*)";
                for (auto status : {"reported", "dispatched", "accepted", "in_progress", "resolved",
                                    "closed", "rejected"})
                    counts += std::string(", SUM(e.status = '") + status + "')";
                counts += ", SUM(e.duplicate_of IS NOT NULL)"
                          ", SUM(e.status = 'closed' AND e.duplicate_of IS NULL)"
                          ", SUM(e.status = 'closed' AND e.duplicate_of IS NULL AND "
                          "      e.closed_at <= e.deadline_at)"
                          ", SUM(e.status NOT IN ('resolved', 'closed'))"
                          ", SUM(e.status NOT IN ('resolved', 'closed') AND e.deadline_at <= ?7)"
                          ", SUM(e.level <> 'grid')"
                          ", SUM(e.satisfied IS NOT NULL), SUM(e.satisfied = 1)" +
                          where + " GROUP BY 1 ORDER BY 1";
                out[i].counts = counts;
                out[i].durations = "SELECT " + unit + ", e.closed_at - e.reported_at" + where +
                                   " AND e.status = 'closed' AND e.duplicate_of IS NULL "
                                   "ORDER BY 1, 2";
                out[i].repeats =
                    "SELECT " + unit + ", COUNT(*)" + where +
                    " AND EXISTS (SELECT 1 FROM events o WHERE o.id IN (SELECT pkid FROM "
                    "idx_events_geom WHERE xmin <= X(e.geom) + ?9 AND xmax >= X(e.geom) - ?9 "
                    "AND ymin <= Y(e.geom) + ?10 AND ymax >= Y(e.geom) - ?10) "
                    "AND o.category = e.category AND (o.reported_at < e.reported_at OR "
                    "(o.reported_at = e.reported_at AND o.id < e.id)) "
                    "AND (?1 IS NULL OR o.reported_at >= ?1) "
                    "AND ST_Distance(o.geom, e.geom, 1) <= ?8) GROUP BY 1 ORDER BY 1";
            }
            return out;
        }();
        return all[static_cast<std::size_t>(by)];
    }

    std::vector<EventStats> event_stats(const StatsQuery& query) override {
        if (!(query.repeat_radius_m >= 0))
            throw Error(ErrorCode::invalid_argument, "the repeat radius must be >= 0 metres");
        std::lock_guard lock(m_mutex);
        const StatsSql& sql = stats_sql(query.by);
        auto ms = [](const std::optional<Time>& t) {
            return t ? std::optional<std::int64_t>(to_ms(*t)) : std::nullopt;
        };
        auto bind = [&](Statement& q) {
            q.bind(1, ms(query.from)).bind(2, ms(query.to));
            if (query.area_codes.empty())
                q.bind_null(3);
            else
                q.bind(3, joined_codes(query.area_codes));
            q.bind(4, query.visible_to ? 1 : 0);
            if (query.visible_to)
                q.bind(5, joined_codes(query.visible_to->codes))
                    .bind(6, query.visible_to->reporter_user_id);
            else
                q.bind_null(5).bind_null(6);
        };
        std::vector<EventStats> out;
        std::map<std::string, std::size_t> row_of;
        auto& counts = stmt(sql.counts.c_str());
        bind(counts);
        counts.bind(7, to_ms(query.now));
        while (counts.step()) {
            EventStats st;
            st.unit = counts.text(0);
            st.reported = counts.int64(1);
            for (std::size_t i = 0; i < st.by_status.size(); ++i)
                st.by_status[i] = counts.int64(static_cast<int>(2 + i));
            int c = 9;
            for (auto* field : {&st.duplicates, &st.closed, &st.on_time, &st.open, &st.overdue,
                                &st.escalated, &st.rated, &st.satisfied})
                *field = counts.int64(c++);
            row_of[st.unit] = out.size();
            out.push_back(std::move(st));
        }
        counts.reset();
        auto& durations = stmt(sql.durations.c_str());
        bind(durations);
        while (durations.step())
            out[row_of.at(durations.text(0))].handling_ms.push_back(durations.int64(1));
        durations.reset();
        auto& repeats = stmt(sql.repeats.c_str());
        bind(repeats);
        // A box that holds the radius at any latitude up to 80 degrees; the distance decides.
        repeats.bind(8, query.repeat_radius_m)
            .bind(9, query.repeat_radius_m / 19'000.0)
            .bind(10, query.repeat_radius_m / 110'000.0);
        while (repeats.step())
            out[row_of.at(repeats.text(0))].repeats = repeats.int64(1);
        repeats.reset();
        if (out.empty() && query.by == StatsUnit::total)
            out.emplace_back(); // no events: one row of zeros
        return out;
    }

    PendingReport add_pending_report(const PendingReport& r) override {
        return write([&] {
            stmt("INSERT INTO pending_reports(category, description, source, severity, reporter, "
                 "reporter_user_id, photos, address, reason, candidates, status, received_at, "
                 "handled_at, handled_by, note, event_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
                .bind(1, r.category)
                .bind(2, r.description)
                .bind(3, to_string(r.source))
                .bind(4, r.severity ? std::optional<std::string_view>(to_string(*r.severity))
                                    : std::nullopt)
                .bind(5, r.reporter)
                .bind(6, r.reporter_user_id)
                .bind(7, json(r.photos).dump())
                .bind(8, r.address)
                .bind(9, r.reason)
                .bind(10, json(r.candidates).dump())
                .bind(11, to_string(r.status))
                .bind(12, to_ms(r.received_at))
                .bind(13, r.handled_at ? std::optional<std::int64_t>(to_ms(*r.handled_at))
                                       : std::nullopt)
                .bind(14, r.handled_by)
                .bind(15, r.note)
                .bind(16, r.event_id)
                .run();
            PendingReport stored = r;
            stored.id = last_id();
            auto& area = stmt("INSERT OR IGNORE INTO pending_report_areas(report_id, code) "
                              "VALUES (?,?)");
            for (const auto& code : r.area_codes)
                area.bind(1, stored.id).bind(2, code).run();
            return stored;
        });
    }

    static constexpr const char* pending_columns =
        "p.id, p.category, p.description, p.source, p.severity, p.reporter, p.reporter_user_id, "
        "p.photos, p.address, p.reason, p.candidates, p.status, p.received_at, p.handled_at, "
        "p.handled_by, p.note, p.event_id, (SELECT group_concat(code, char(31)) FROM "
        "pending_report_areas a WHERE a.report_id = p.id)";

    static PendingReport pending_from_row(const Statement& q) {
        PendingReport r;
        r.id = q.int64(0);
        r.category = q.text(1);
        r.description = q.text(2);
        auto source = parse_event_source(q.text(3));
        auto status = parse_pending_status(q.text(11));
        if (!source || !status)
            throw Error(ErrorCode::store_error, "stored pending report is not understood");
        r.source = *source;
        if (!q.is_null(4))
            r.severity = parse_severity(q.text(4));
        r.reporter = q.text(5);
        if (!q.is_null(6))
            r.reporter_user_id = q.int64(6);
        r.photos = strings_from_json(q.text(7));
        r.address = q.text(8);
        r.reason = q.text(9);
        r.candidates = strings_from_json(q.text(10));
        r.status = *status;
        r.received_at = from_ms(q.int64(12));
        if (!q.is_null(13))
            r.handled_at = from_ms(q.int64(13));
        r.handled_by = q.text(14);
        r.note = q.text(15);
        if (!q.is_null(16))
            r.event_id = q.int64(16);
        r.area_codes = split_list(q.optional_text(17));
        return r;
    }

    std::optional<PendingReport> pending_report(std::int64_t id) override {
        std::lock_guard lock(m_mutex);
        static const std::string sql =
            std::string("SELECT ") + pending_columns + " FROM pending_reports p WHERE p.id = ?";
        auto& q = stmt(sql.c_str());
        q.bind(1, id);
        return first_row(q, pending_from_row);
    }

    PendingPage pending_reports(const PendingQuery& query) override {
        std::lock_guard lock(m_mutex);
        // ?1 status ?2 visibility on (0/1) ?3 visible codes ?4 visible reporter ?5 limit
        // ?6 offset
        static const std::string where =
            " WHERE (?1 IS NULL OR p.status = ?1) AND (?2 = 0 OR p.reporter_user_id = ?4 OR "
            "EXISTS (SELECT 1 FROM pending_report_areas a WHERE a.report_id = p.id AND "
            "instr(char(31) || ?3 || char(31), char(31) || a.code || char(31)) > 0))";
        static const std::string count_sql = "SELECT COUNT(*) FROM pending_reports p" + where;
        static const std::string page_sql = std::string("SELECT ") + pending_columns +
                                            " FROM pending_reports p" + where +
                                            " ORDER BY p.received_at, p.id LIMIT ?5 OFFSET ?6";
        auto bind = [&](Statement& s) {
            s.bind(1, query.status ? std::optional<std::string_view>(to_string(*query.status))
                                   : std::nullopt)
                .bind(2, query.visible_to ? 1 : 0);
            if (query.visible_to)
                s.bind(3, joined_codes(query.visible_to->codes))
                    .bind(4, query.visible_to->reporter_user_id);
            else
                s.bind_null(3).bind_null(4);
        };
        PendingPage page;
        page.total = count_matching(count_sql, bind);
        auto& q = stmt(page_sql.c_str());
        bind(q);
        q.bind(5, static_cast<std::int64_t>(query.limit))
            .bind(6, static_cast<std::int64_t>(query.offset));
        while (q.step())
            page.reports.push_back(pending_from_row(q));
        q.reset();
        return page;
    }

    void update_pending_report(const PendingReport& r, PendingStatus expected) override {
        write([&] {
            auto& cur = stmt("SELECT status FROM pending_reports WHERE id = ?");
            cur.bind(1, r.id);
            if (!cur.step()) {
                cur.reset();
                throw Error(ErrorCode::not_found, "no pending report " + std::to_string(r.id));
            }
            std::string status = cur.text(0);
            cur.reset();
            if (status != to_string(expected))
                throw Error(ErrorCode::conflict,
                            "pending report " + std::to_string(r.id) + " is already " + status);
            stmt("UPDATE pending_reports SET status = ?1, handled_at = ?2, handled_by = ?3, "
                 "note = ?4, event_id = ?5 WHERE id = ?6")
                .bind(1, to_string(r.status))
                .bind(2, r.handled_at ? std::optional<std::int64_t>(to_ms(*r.handled_at))
                                      : std::nullopt)
                .bind(3, r.handled_by)
                .bind(4, r.note)
                .bind(5, r.event_id)
                .bind(6, r.id)
                .run();
        });
    }

    std::vector<TimelineEntry> timeline(std::int64_t event_id) override {
        std::lock_guard lock(m_mutex);
        auto& q = stmt("SELECT id, event_id, at, actor, action, from_status, to_status, note, "
                       "target FROM event_timeline WHERE event_id = ? ORDER BY id");
        q.bind(1, event_id);
        std::vector<TimelineEntry> out;
        while (q.step()) {
            TimelineEntry t;
            t.id = q.int64(0);
            t.event_id = q.int64(1);
            t.at = from_ms(q.int64(2));
            t.actor = q.text(3);
            auto action = parse_event_action(q.text(4));
            auto to = parse_event_status(q.text(6));
            if (!action || !to)
                throw Error(ErrorCode::store_error, "stored timeline entry is not understood");
            t.action = *action;
            if (!q.is_null(5))
                t.from = parse_event_status(q.text(5));
            t.to = *to;
            t.note = q.text(7);
            t.target = q.optional_text(8);
            out.push_back(std::move(t));
        }
        q.reset();
        return out;
    }

    std::vector<std::pair<std::string, std::int64_t>> counts() override {
        std::lock_guard lock(m_mutex);
        static constexpr std::pair<const char*, const char*> queries[] = {
            {"people", "SELECT COUNT(*) FROM people"},
            {"departments", "SELECT COUNT(*) FROM departments"},
            {"buildings", "SELECT COUNT(*) FROM buildings"},
            {"households", "SELECT COALESCE(SUM(households), 0) FROM buildings"},
            {"cameras", "SELECT COUNT(*) FROM cameras"},
            {"cameras_online", "SELECT COUNT(*) FROM cameras WHERE online"},
            {"drone_flights", "SELECT COUNT(*) FROM drone_flights"},
            {"patrol_tracks", "SELECT COUNT(*) FROM patrol_tracks"},
            {"users", "SELECT COUNT(*) FROM users"},
        };
        std::vector<std::pair<std::string, std::int64_t>> out;
        for (const auto& [name, sql] : queries) {
            auto& q = stmt(sql);
            out.emplace_back(name, q.step() ? q.int64(0) : 0);
            q.reset();
        }
        return out;
    }

    // ---- users and sessions ----

    std::int64_t add_user(const User& u) override {
        if (u.username.empty())
            throw Error(ErrorCode::invalid_argument, "a user needs a username");
        return write([&] {
            const char* kind = u.jurisdiction.kind == Jurisdiction::Kind::everything ? "everything"
                               : u.jurisdiction.kind == Jurisdiction::Kind::area     ? "area"
                               : u.jurisdiction.kind == Jurisdiction::Kind::grids    ? "grids"
                                                                                     : "none";
            stmt("INSERT INTO users(username, display_name, role, jurisdiction_kind, area_code, "
                 "password_hash, person_id, department_code) VALUES (?,?,?,?,?,?,?,?)")
                .bind(1, u.username)
                .bind(2, u.display_name)
                .bind(3, to_string(u.role))
                .bind(4, kind)
                .bind(5, u.jurisdiction.area_code.empty() ? std::nullopt
                                                          : std::optional(u.jurisdiction.area_code))
                .bind(6, u.password_hash)
                .bind(7, u.person_id)
                .bind(8, u.department_code)
                .run();
            std::int64_t id = last_id();
            auto& g = stmt("INSERT OR IGNORE INTO user_grids(user_id, grid_code) VALUES (?,?)");
            for (const auto& code : u.jurisdiction.grid_codes)
                g.bind(1, id).bind(2, code).run();
            return id;
        });
    }

    std::vector<User> query_users(const std::optional<std::string>& username,
                                  std::optional<std::int64_t> id) {
        std::lock_guard lock(m_mutex);
        auto& q = stmt(
            "SELECT u.id, u.username, u.display_name, u.role, u.jurisdiction_kind, "
            "u.area_code, u.password_hash, u.person_id, u.department_code, "
            "(SELECT group_concat(grid_code, char(31)) FROM user_grids g WHERE g.user_id = u.id) "
            "FROM users u WHERE (?1 IS NULL OR u.username = ?1) AND (?2 IS NULL OR u.id = ?2) "
            "ORDER BY u.id");
        q.bind(1, username).bind(2, id);
        std::vector<User> out;
        while (q.step()) {
            User u;
            u.id = q.int64(0);
            u.username = q.text(1);
            u.display_name = q.text(2);
            u.role = parse_role(q.text(3)).value_or(Role::reporter);
            std::string kind = q.text(4);
            u.jurisdiction.kind = kind == "everything" ? Jurisdiction::Kind::everything
                                  : kind == "area"     ? Jurisdiction::Kind::area
                                  : kind == "grids"    ? Jurisdiction::Kind::grids
                                                       : Jurisdiction::Kind::none;
            u.jurisdiction.area_code = q.optional_text(5).value_or("");
            u.password_hash = q.text(6);
            if (!q.is_null(7))
                u.person_id = q.int64(7);
            u.department_code = q.optional_text(8);
            u.jurisdiction.grid_codes = split_list(q.optional_text(9));
            out.push_back(std::move(u));
        }
        q.reset();
        return out;
    }

    std::optional<User> find_user(std::string_view username) override {
        auto found = query_users(std::string(username), std::nullopt);
        return found.empty() ? std::nullopt : std::optional(found.front());
    }
    std::optional<User> user(std::int64_t id) override {
        auto found = query_users(std::nullopt, id);
        return found.empty() ? std::nullopt : std::optional(found.front());
    }
    std::vector<User> users() override { return query_users(std::nullopt, std::nullopt); }

    void add_session(std::string_view token_hash, const Session& s) override {
        write_one([&] {
            stmt("INSERT INTO sessions(token_hash, user_id, expires_at) VALUES (?,?,?)")
                .bind(1, token_hash)
                .bind(2, s.user_id)
                .bind(3, to_ms(s.expires_at))
                .run();
        });
    }

    std::int64_t add_api_key(std::string_view key_hash, const ApiKey& key) override {
        if (!user(key.user_id))
            throw Error(ErrorCode::not_found, "no user " + std::to_string(key.user_id));
        return write_one([&] {
            stmt("INSERT INTO api_keys(key_hash, name, user_id, created_at) VALUES (?,?,?,?)")
                .bind(1, key_hash)
                .bind(2, key.name)
                .bind(3, key.user_id)
                .bind(4, to_ms(key.created_at))
                .run();
            return last_id();
        });
    }

    std::optional<ApiKey> find_api_key(std::string_view key_hash) override {
        std::lock_guard lock(m_mutex);
        auto& q = stmt("SELECT id, name, user_id, created_at FROM api_keys WHERE key_hash = ?");
        q.bind(1, key_hash);
        return first_row(q, [](const Statement& row) {
            return ApiKey{row.int64(0), row.text(1), row.int64(2), from_ms(row.int64(3))};
        });
    }

    std::optional<Session> find_session(std::string_view token_hash) override {
        std::lock_guard lock(m_mutex);
        auto& q = stmt("SELECT user_id, expires_at FROM sessions WHERE token_hash = ?");
        q.bind(1, token_hash);
        return first_row(q, [](const Statement& row) {
            return Session{row.int64(0), from_ms(row.int64(1))};
        });
    }

    void remove_session(std::string_view token_hash) override {
        write_one(
            [&] { stmt("DELETE FROM sessions WHERE token_hash = ?").bind(1, token_hash).run(); });
    }

    std::int64_t remove_expired_sessions(Time t) override {
        return write([&] {
            stmt("DELETE FROM sessions WHERE expires_at <= ?").bind(1, to_ms(t)).run();
            return static_cast<std::int64_t>(sqlite3_changes(m_db));
        });
    }

private:
    void migrate() {
        // A non-empty database without our bookkeeping table is someone else's file.
        bool has_tables = false, has_migrations = false;
        {
            Statement q(m_db, "SELECT name FROM sqlite_master WHERE type = 'table'");
            while (q.step()) {
                has_tables = true;
                if (q.text(0) == "schema_migrations")
                    has_migrations = true;
            }
        }
        if (has_tables && !has_migrations)
            throw Error(ErrorCode::store_error,
                        m_file.string() + " is a database but not a Tessera store");
        write([&] {
            if (!has_migrations) {
                run_script("SELECT InitSpatialMetaData(0, 'WGS84')");
                exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                     "description TEXT NOT NULL, applied_at INTEGER NOT NULL)");
            }
            int current = 0;
            {
                Statement q(m_db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
                if (q.step())
                    current = static_cast<int>(q.int64(0));
            }
            if (current > current_schema_version())
                throw Error(ErrorCode::store_error,
                            m_file.string() + " has schema version " + std::to_string(current) +
                                ", newer than this build (" +
                                std::to_string(current_schema_version()) + ")");
            for (const auto& m : detail::spatialite_migrations()) {
                if (m.version <= current)
                    continue;
                run_script(m.sql);
                Statement ins(m_db, "INSERT INTO schema_migrations VALUES (?,?,?)");
                ins.bind(1, m.version).bind(2, m.description).bind(3, to_ms(now())).run();
            }
        });
    }

    void close() {
        m_statements.clear();
        if (m_db)
            sqlite3_close(m_db);
        m_db = nullptr;
        if (m_spatialite)
            spatialite_cleanup_ex(m_spatialite);
        m_spatialite = nullptr;
    }

    std::filesystem::path m_file;
    sqlite3* m_db = nullptr;
    void* m_spatialite = nullptr;
    std::recursive_mutex m_mutex;
    int m_depth = 0;
    std::map<std::string, Statement, std::less<>> m_statements;

public:
    // The thread inside a Transaction, and how deeply (changed by that thread only, under
    // m_mutex): its writes join its transaction instead of a group commit.
    std::atomic<std::thread::id> m_tx_thread{};
    int m_tx_nesting = 0;

private:
    // Group commit for add_event (docs/events.md, "Durable before acknowledged"): writers queue
    // their event; one of them, the leader, writes everything queued in one transaction and
    // commits once, and each waits until its own event is committed (or failed).
    std::mutex m_group_mutex;
    std::vector<GroupWrite*> m_group_queue;
    bool m_group_leader = false;
};

SpatialiteTransaction::SpatialiteTransaction(SpatialiteStore& store)
    : m_store(store)
    , m_lock(store.mutex()) {
    m_store.open_scope();
    if (m_store.m_tx_nesting++ == 0)
        m_store.m_tx_thread = std::this_thread::get_id();
}

SpatialiteTransaction::~SpatialiteTransaction() {
    if (!m_done) {
        try {
            m_store.close_scope(false);
        } catch (...) {
        }
        leave();
    }
}

void SpatialiteTransaction::commit() {
    if (m_done)
        throw Error(ErrorCode::internal, "transaction committed twice");
    m_done = true;
    leave();
    m_store.close_scope(true);
}

void SpatialiteTransaction::leave() {
    if (--m_store.m_tx_nesting == 0)
        m_store.m_tx_thread = std::thread::id();
}

} // namespace

int current_schema_version() {
    return detail::spatialite_migrations().back().version;
}

std::unique_ptr<Store> open_spatialite_store(const std::filesystem::path& file) {
    return std::make_unique<SpatialiteStore>(file);
}

} // namespace tessera::data
