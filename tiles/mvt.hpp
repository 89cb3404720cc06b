// Mapbox Vector Tile 2.1 (https://github.com/mapbox/vector-tile-spec/tree/master/2.1), written
// and read with protozero. The writer takes geometry already in tile coordinates as command
// integers (tiles/tile_geometry.hpp makes them from geo types); the reader checks a tile against
// the spec and is what the tests decode with.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::tiles {

enum class GeomType : std::uint32_t { unknown = 0, point = 1, linestring = 2, polygon = 3 };

// A feature property as the spec's Value message holds it: exactly one of the seven kinds.
struct Value {
    enum class Kind { string, float_, double_, int_, uint_, sint_, bool_ };
    Kind kind = Kind::string;
    std::string string;
    double real = 0;          // float_ and double_
    std::int64_t integer = 0; // int_ and sint_
    std::uint64_t uinteger = 0;
    bool boolean = false;

    static Value of(std::string s) { return {Kind::string, std::move(s), 0, 0, 0, false}; }
    static Value of(const char* s) { return of(std::string(s)); }
    static Value of(double d) { return {Kind::double_, {}, d, 0, 0, false}; }
    static Value of(std::int64_t i) { return {Kind::sint_, {}, 0, i, 0, false}; }
    static Value of(bool b) { return {Kind::bool_, {}, 0, 0, 0, b}; }
    friend bool operator==(const Value&, const Value&) = default;
};

using Property = std::pair<std::string, Value>;

// A property value as the writer takes it: a view, so writing a feature allocates nothing. The
// viewed string must outlive the LayerWriter::add call (the writer keeps its own copy).
struct ValueRef {
    Value::Kind kind = Value::Kind::string;
    std::string_view string;
    double real = 0;
    std::int64_t integer = 0;
    std::uint64_t uinteger = 0;
    bool boolean = false;

    ValueRef() = default;
    ValueRef(const Value& v) // NOLINT(google-explicit-constructor): a view of an owned value
        : kind(v.kind)
        , string(v.string)
        , real(v.real)
        , integer(v.integer)
        , uinteger(v.uinteger)
        , boolean(v.boolean) {}
    static ValueRef of(std::string_view s) {
        return with(Value::Kind::string, [&](auto& r) { r.string = s; });
    }
    static ValueRef of(const char* s) { return of(std::string_view(s)); }
    static ValueRef of(double d) {
        return with(Value::Kind::double_, [&](auto& r) { r.real = d; });
    }
    static ValueRef of(std::int64_t i) {
        return with(Value::Kind::sint_, [&](auto& r) { r.integer = i; });
    }
    static ValueRef of(bool b) {
        return with(Value::Kind::bool_, [&](auto& r) { r.boolean = b; });
    }

private:
    template <class F>
    static ValueRef with(Value::Kind kind, F&& set) {
        ValueRef r;
        r.kind = kind;
        set(r);
        return r;
    }
};

struct PropertyRef {
    std::string_view key;
    ValueRef value;
};

// Geometry command integers (spec 4.3): CommandInteger(id, count), zigzag parameters.
constexpr std::uint32_t command(std::uint32_t id, std::uint32_t count) {
    return (id & 0x7) | (count << 3);
}
constexpr std::uint32_t move_to = 1, line_to = 2, close_path = 7;
constexpr std::uint32_t zigzag(std::int32_t v) {
    return (static_cast<std::uint32_t>(v) << 1) ^ static_cast<std::uint32_t>(v >> 31);
}
constexpr std::int32_t unzigzag(std::uint32_t v) {
    return static_cast<std::int32_t>(v >> 1) ^ -static_cast<std::int32_t>(v & 1);
}

// One layer being written. Keys and values are shared between features (each stored once).
// Not thread-safe; a layer is built by one thread.
class LayerWriter {
public:
    explicit LayerWriter(std::string name, std::uint32_t extent = 4096);

    // Adds a feature. `geometry` is the encoded command stream (see GeometryEncoder); an empty
    // one is skipped (a feature clipped away), and so is nothing else: the caller passes
    // geometry that suits `type`.
    void add(std::optional<std::uint64_t> id, GeomType type,
             std::span<const std::uint32_t> geometry, std::span<const PropertyRef> properties);

    // The same with the tags already numbered, for callers that number their own attributes
    // and look each one up here once per tile rather than once per feature: `tags` alternates
    // key_index() and value_index() results.
    std::uint32_t key_index(std::string_view key) { return m_keys.index_of(key); }
    std::uint32_t value_index(const ValueRef& value) {
        return m_values.index_of(encode_value(m_scratch, value));
    }
    void add_tagged(std::optional<std::uint64_t> id, GeomType type,
                    std::span<const std::uint32_t> geometry, std::span<const std::uint32_t> tags);

    const std::string& name() const { return m_name; }
    std::uint32_t extent() const { return m_extent; }
    std::size_t size() const { return m_count; }
    // The Layer message's body (version 2, name, features, keys, values, extent).
    std::string serialize() const;

private:
    // The body of a Value message (spec 4.1), written at the start of `buffer`.
    static std::string_view encode_value(std::string& buffer, const ValueRef& v);

    // Distinct byte strings numbered in the order first seen, stored back to back in one buffer
    // with an open-addressing hash table of their numbers: interning costs no allocation per
    // string.
    class Interned {
    public:
        std::uint32_t index_of(std::string_view item);
        std::size_t size() const { return m_spans.size(); }
        std::string_view operator[](std::size_t i) const {
            return std::string_view(m_bytes).substr(m_spans[i].first, m_spans[i].second);
        }

    private:
        void grow();
        std::string m_bytes;
        std::vector<std::pair<std::uint32_t, std::uint32_t>> m_spans; // offset, length
        struct Slot {
            std::uint32_t tag = 0;    // the hash's high half
            std::uint32_t number = 0; // the string's number + 1; 0: empty
        };
        std::vector<Slot> m_slots;
    };

    std::string m_name;
    std::uint32_t m_extent;
    std::string m_features; // encoded `features` fields, in order
    std::size_t m_count = 0;
    Interned m_keys;
    Interned m_values;                 // each the encoded body of a Value message
    std::string m_scratch;             // the value being looked up, encoded
    std::vector<std::uint32_t> m_tags; // of the feature being added
    static constexpr std::uint32_t no_key = ~0u;
    std::vector<std::uint32_t> m_last_keys; // the previous feature's keys, by place
};

// A tile: its layers in order. Layers without features are left out (the spec says encoders
// should not write them); a tile with no layers is the empty buffer.
std::string encode_tile(std::span<const LayerWriter> layers);

// ---- Reading -------------------------------------------------------------------------------

struct FeatureData {
    std::optional<std::uint64_t> id;
    GeomType type = GeomType::unknown;
    std::vector<Property> properties; // tags resolved against the layer's keys and values
    std::vector<std::uint32_t> geometry;
};

struct LayerData {
    std::uint32_t version = 1;
    std::string name;
    std::uint32_t extent = 4096;
    std::vector<FeatureData> features;
};

// A geometry decoded to tile coordinates: for points, one part per point; for lines, one part
// per line; for polygons, one part per ring (closing point repeated), rings in stored order.
struct DecodedGeometry {
    std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> parts;
};

// Decodes a tile and checks it against version 2 of the spec: every layer has a name (unique
// in the tile), version 1 or 2, and valid keys, values and tags; every feature a known type and a
// geometry whose commands fit it (decode_geometry). Throws Error(invalid_argument) naming the
// first problem. Unknown fields are skipped, as protobuf readers do.
std::vector<LayerData> decode_tile(std::string_view data);

// The command stream of a feature as coordinates; throws Error(invalid_argument) when the
// commands do not fit the type (a ClosePath in a line, a MoveTo without its parameters, a
// polygon ring with fewer than three points, ...).
DecodedGeometry decode_geometry(GeomType type, std::span<const std::uint32_t> geometry);

// Twice the signed area of a ring in tile coordinates (x right, y down): positive for an
// exterior ring, negative for a hole (spec 4.3.4.4).
std::int64_t ring_area2(std::span<const std::pair<std::int64_t, std::int64_t>> ring);

} // namespace tessera::tiles
