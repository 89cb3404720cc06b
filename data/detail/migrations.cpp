#include "data/detail/migrations.hpp"

namespace tessera::data::detail {
namespace {

constexpr Migration migrations[] = {
    {1,
     "layers, versioned features, changesets, people, departments, buildings, cameras, "
     "drone flights, patrol tracks, users, sessions",
     R"sql(
CREATE TABLE layers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    parent_id   INTEGER REFERENCES layers(id),
    precedence  INTEGER NOT NULL DEFAULT 0,
    source_crs  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

CREATE TABLE changesets (
    id               INTEGER PRIMARY KEY,
    layer_id         INTEGER NOT NULL REFERENCES layers(id),
    version          INTEGER NOT NULL,
    author           TEXT NOT NULL,
    reason           TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    features_added   INTEGER NOT NULL DEFAULT 0,
    features_removed INTEGER NOT NULL DEFAULT 0,
    UNIQUE (layer_id, version)
);

-- One row per version of a feature; the current version has valid_to NULL.
CREATE TABLE features (
    id           INTEGER PRIMARY KEY,
    layer_id     INTEGER NOT NULL REFERENCES layers(id),
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    parent_code  TEXT,
    properties   TEXT NOT NULL DEFAULT '[]',
    version      INTEGER NOT NULL,
    valid_from   INTEGER NOT NULL,
    valid_to     INTEGER,
    changeset_id INTEGER NOT NULL REFERENCES changesets(id),
    min_x REAL NOT NULL, min_y REAL NOT NULL, max_x REAL NOT NULL, max_y REAL NOT NULL
);
SELECT AddGeometryColumn('features', 'geom', 4326, 'GEOMETRY', 'XY', 1);
SELECT CreateSpatialIndex('features', 'geom');
CREATE UNIQUE INDEX features_current_code ON features(layer_id, code) WHERE valid_to IS NULL;
CREATE INDEX features_layer_time ON features(layer_id, valid_to, valid_from);
CREATE INDEX features_parent ON features(layer_id, parent_code);

CREATE TABLE departments (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL
);
CREATE TABLE department_categories (
    department_id INTEGER NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
    category      TEXT NOT NULL,
    PRIMARY KEY (department_id, category)
);

CREATE TABLE people (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL,
    phone           TEXT NOT NULL,
    department_code TEXT REFERENCES departments(code)
);
CREATE TABLE person_grids (
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    grid_code TEXT NOT NULL,
    PRIMARY KEY (person_id, grid_code)
);
CREATE INDEX person_grids_grid ON person_grids(grid_code);

CREATE TABLE buildings (
    id             INTEGER PRIMARY KEY,
    code           TEXT NOT NULL UNIQUE,
    households     INTEGER NOT NULL CHECK (households >= 0),
    address        TEXT NOT NULL,
    community_code TEXT NOT NULL
);
SELECT AddGeometryColumn('buildings', 'geom', 4326, 'POINT', 'XY', 1);
SELECT CreateSpatialIndex('buildings', 'geom');

CREATE TABLE cameras (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    heading_deg REAL NOT NULL,
    fov_deg     REAL NOT NULL CHECK (fov_deg > 0 AND fov_deg <= 360),
    range_m     REAL NOT NULL CHECK (range_m > 0),
    online      INTEGER NOT NULL
);
SELECT AddGeometryColumn('cameras', 'geom', 4326, 'POINT', 'XY', 1);
SELECT CreateSpatialIndex('cameras', 'geom');

-- times: little-endian int64 milliseconds, one per vertex of geom.
CREATE TABLE drone_flights (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    purpose    TEXT NOT NULL,
    swath_m    REAL NOT NULL CHECK (swath_m > 0),
    started_at INTEGER NOT NULL,
    ended_at   INTEGER NOT NULL,
    times      BLOB NOT NULL
);
SELECT AddGeometryColumn('drone_flights', 'geom', 4326, 'LINESTRING', 'XY', 1);

CREATE TABLE patrol_tracks (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people(id),
    started_at INTEGER NOT NULL,
    ended_at   INTEGER NOT NULL,
    times      BLOB NOT NULL
);
SELECT AddGeometryColumn('patrol_tracks', 'geom', 4326, 'LINESTRING', 'XY', 1);
CREATE INDEX patrol_tracks_person ON patrol_tracks(person_id, started_at);

CREATE TABLE users (
    id                INTEGER PRIMARY KEY,
    username          TEXT NOT NULL UNIQUE,
    display_name      TEXT NOT NULL,
    role              TEXT NOT NULL,
    jurisdiction_kind TEXT NOT NULL,
    area_code         TEXT,
    password_hash     TEXT NOT NULL,
    person_id         INTEGER REFERENCES people(id),
    department_code   TEXT REFERENCES departments(code)
);
CREATE TABLE user_grids (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    grid_code TEXT NOT NULL,
    PRIMARY KEY (user_id, grid_code)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
)sql"},
    {2, "events and their timelines",
     R"sql(
-- Events: intake, assignment (codes and layer version at intake) and the current state of the
-- closed loop. Times are milliseconds since the epoch; photos a JSON array of URLs; footprint
-- the WKB of a drone finding's area.
CREATE TABLE events (
    id               INTEGER PRIMARY KEY,
    category         TEXT NOT NULL,
    description      TEXT NOT NULL,
    source           TEXT NOT NULL,
    severity         TEXT NOT NULL,
    status           TEXT NOT NULL,
    level            TEXT NOT NULL,
    footprint        BLOB,
    accuracy_m       REAL,
    reporter         TEXT NOT NULL,
    reporter_user_id INTEGER REFERENCES users(id),
    photos           TEXT NOT NULL DEFAULT '[]',
    address          TEXT,
    grid_code        TEXT NOT NULL,
    community_code   TEXT NOT NULL,
    township_code    TEXT NOT NULL,
    county_code      TEXT NOT NULL,
    layer_version    INTEGER NOT NULL,
    outside_grid     INTEGER NOT NULL,
    camera_code      TEXT,
    flight_code      TEXT,
    duplicate_of     INTEGER REFERENCES events(id),
    department_code  TEXT,
    reported_at      INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    deadline_at      INTEGER NOT NULL,
    closed_at        INTEGER,
    satisfied        INTEGER
);
SELECT AddGeometryColumn('events', 'geom', 4326, 'POINT', 'XY', 1);
SELECT CreateSpatialIndex('events', 'geom');
CREATE INDEX events_open ON events(status, deadline_at);
CREATE INDEX events_grid ON events(grid_code, reported_at);
CREATE INDEX events_community ON events(community_code, reported_at);
CREATE INDEX events_township ON events(township_code, reported_at);
CREATE INDEX events_county ON events(county_code, reported_at);
CREATE INDEX events_reported ON events(reported_at);

-- Append-only: rows are inserted, never updated or deleted.
CREATE TABLE event_timeline (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES events(id),
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    note        TEXT NOT NULL,
    target      TEXT
);
CREATE INDEX event_timeline_event ON event_timeline(event_id, id);
CREATE TRIGGER event_timeline_append_only_update BEFORE UPDATE ON event_timeline
BEGIN SELECT RAISE(ABORT, 'event_timeline is append-only'); END;
CREATE TRIGGER event_timeline_append_only_delete BEFORE DELETE ON event_timeline
BEGIN SELECT RAISE(ABORT, 'event_timeline is append-only'); END;
)sql"},
    {3, "events carry the city code above their county",
     R"sql(
-- The county's parent (a city or prefecture, not a layer): city command centers see their events.
ALTER TABLE events ADD COLUMN city_code TEXT NOT NULL DEFAULT '';
CREATE INDEX events_city ON events(city_code, reported_at);
)sql"},
    {4, "api keys for reporting apps",
     R"sql(
-- Keys an app (a citizens' mini-program, an Open311 client) sends as api_key. Only a hash of the
-- key is kept; the app acts as its user (a reporter), so it sees the reports it sent.
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY,
    key_hash   TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
);
)sql"},
    {5, "address lookup and the manual-location queue",
     R"sql(
-- Hotline tickets that carry only an address are placed through the buildings' addresses.
CREATE INDEX buildings_address ON buildings(address);

-- Reports no address resolved to one place, waiting for an operator (docs/events.md).
CREATE TABLE pending_reports (
    id               INTEGER PRIMARY KEY,
    category         TEXT NOT NULL,
    description      TEXT NOT NULL,
    source           TEXT NOT NULL,
    severity         TEXT,
    reporter         TEXT NOT NULL,
    reporter_user_id INTEGER REFERENCES users(id),
    photos           TEXT NOT NULL,  -- JSON array of URLs
    address          TEXT NOT NULL,
    reason           TEXT NOT NULL,
    candidates       TEXT NOT NULL,  -- JSON array of building codes
    status           TEXT NOT NULL,
    received_at      INTEGER NOT NULL,
    handled_at       INTEGER,
    handled_by       TEXT NOT NULL DEFAULT '',
    note             TEXT NOT NULL DEFAULT '',
    event_id         INTEGER REFERENCES events(id)
);
CREATE INDEX pending_reports_status ON pending_reports(status, received_at);
-- Who may see a pending report: any of its area codes in the caller's jurisdiction.
CREATE TABLE pending_report_areas (
    report_id INTEGER NOT NULL REFERENCES pending_reports(id),
    code      TEXT NOT NULL,
    PRIMARY KEY (report_id, code)
);
)sql"},
    {6, "the store keeps the events' spatial index",
     R"sql(
-- Events are the hot table (docs/events.md, "Ingest"). SpatiaLite's generic triggers on
-- events.geom cost over 100 us per insert and per update: three stamp geometry_columns_time (a
-- scan with Lower() on every row), two check the geometry type against geometry_columns, and
-- RTreeAlign() keeps the spatial index; any trigger also makes each statement keep an undo
-- journal. The store checks the geometry before writing and keeps idx_events_geom itself, in the
-- same transaction as the row. Only the delete trigger stays (events are never deleted).
DROP TRIGGER ggi_events_geom;
DROP TRIGGER ggu_events_geom;
DROP TRIGGER tmi_events_geom;
DROP TRIGGER tmu_events_geom;
DROP TRIGGER tmd_events_geom;
DROP TRIGGER gii_events_geom;
DROP TRIGGER giu_events_geom;
)sql"},
    {7, "spatial indexes on drone flights and patrol tracks",
     R"sql(
-- The map draws the flights and tracks in a tile (docs/tiles.md); CreateSpatialIndex fills the
-- index from the rows already there.
SELECT CreateSpatialIndex('drone_flights', 'geom');
SELECT CreateSpatialIndex('patrol_tracks', 'geom');
)sql"},
    {8, "drafts: redrawing a layer in steps before committing it",
     R"sql(
-- A draft changeset (docs/redrawing.md): the features it changes, by code, and the operations
-- that changed them, until it is committed as one changeset or discarded.
CREATE TABLE drafts (
    id           INTEGER PRIMARY KEY,
    layer_id     INTEGER NOT NULL REFERENCES layers(id),
    base_version INTEGER NOT NULL,
    status       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    title        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    changeset_id INTEGER REFERENCES changesets(id)
);
CREATE INDEX drafts_layer ON drafts(layer_id, id);
CREATE TABLE draft_operations (
    draft_id INTEGER NOT NULL REFERENCES drafts(id),
    seq      INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    detail   TEXT NOT NULL,
    author   TEXT NOT NULL,
    at       INTEGER NOT NULL,
    codes    TEXT NOT NULL, -- JSON array of the feature codes it changed
    PRIMARY KEY (draft_id, seq)
);
-- One row per feature the draft changes: its new content, or removed = 1.
CREATE TABLE draft_features (
    draft_id    INTEGER NOT NULL REFERENCES drafts(id),
    code        TEXT NOT NULL,
    removed     INTEGER NOT NULL,
    name        TEXT,
    parent_code TEXT,
    properties  TEXT,
    geom        BLOB, -- WKB, EPSG:4326
    PRIMARY KEY (draft_id, code)
);
-- Every version of one feature, for its history.
CREATE INDEX features_code ON features(layer_id, code, version);
-- A layer's feature count and extent from the index alone, without reading the rows.
CREATE INDEX features_extent ON features(layer_id, valid_to, min_x, min_y, max_x, max_y);
)sql"},
    {9, "owners in drafts, and a revision counter for people",
     R"sql(
-- Who a draft makes responsible for a feature (docs/redrawing.md, "Owners"), one row per code;
-- kept after the commit, so a changeset's owner changes stay on record.
CREATE TABLE draft_owners (
    draft_id INTEGER NOT NULL REFERENCES drafts(id),
    code     TEXT NOT NULL,
    people   TEXT NOT NULL, -- JSON array of person codes
    PRIMARY KEY (draft_id, code)
);
-- The assignment engine reads people again when this moves (whoever wrote them).
CREATE TABLE revisions (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO revisions(name, value) VALUES ('people', 0);
CREATE TRIGGER people_revision_i AFTER INSERT ON people
BEGIN UPDATE revisions SET value = value + 1 WHERE name = 'people'; END;
CREATE TRIGGER people_revision_u AFTER UPDATE ON people
BEGIN UPDATE revisions SET value = value + 1 WHERE name = 'people'; END;
CREATE TRIGGER people_revision_d AFTER DELETE ON people
BEGIN UPDATE revisions SET value = value + 1 WHERE name = 'people'; END;
CREATE TRIGGER person_grids_revision_i AFTER INSERT ON person_grids
BEGIN UPDATE revisions SET value = value + 1 WHERE name = 'people'; END;
CREATE TRIGGER person_grids_revision_d AFTER DELETE ON person_grids
BEGIN UPDATE revisions SET value = value + 1 WHERE name = 'people'; END;
)sql"},
    {10, "officers' latest positions",
     R"sql(
-- The newest fix per officer, from a track or a lone fix an app sent (docs/coverage.md, "Live
-- positions"): where dispatch finds them. Small (one row per officer), read by box and age.
CREATE TABLE officer_positions (
    person_id  INTEGER PRIMARY KEY REFERENCES people(id),
    at         INTEGER NOT NULL,
    lon        REAL NOT NULL,
    lat        REAL NOT NULL,
    accuracy_m REAL
);
CREATE INDEX officer_positions_at ON officer_positions(at);
-- Until now the end of an officer's latest track was their latest position.
INSERT INTO officer_positions(person_id, at, lon, lat)
SELECT person_id, ended_at, X(EndPoint(geom)), Y(EndPoint(geom))
FROM patrol_tracks AS t
WHERE id = (SELECT id FROM patrol_tracks WHERE person_id = t.person_id
            ORDER BY ended_at DESC, id DESC LIMIT 1);
)sql"},
};

} // namespace

std::span<const Migration> spatialite_migrations() {
    return migrations;
}

} // namespace tessera::data::detail
