#include "tiles/mvt.hpp"

#include "geo/error.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <protozero/pbf_reader.hpp>
#include <protozero/pbf_writer.hpp>
#include <set>

namespace tessera::tiles {
namespace {

// Field numbers of vector_tile.proto (2.1).
namespace field {
constexpr protozero::pbf_tag_type tile_layers = 3;
constexpr protozero::pbf_tag_type layer_version = 15, layer_name = 1, layer_features = 2,
                                  layer_keys = 3, layer_values = 4, layer_extent = 5;
constexpr protozero::pbf_tag_type feature_id = 1, feature_tags = 2, feature_type = 3,
                                  feature_geometry = 4;
} // namespace field

[[noreturn]] void invalid(const std::string& what) {
    throw Error(ErrorCode::invalid_argument, "invalid vector tile: " + what);
}

// ---- raw protobuf writing, for the hot path of LayerWriter::add ----

constexpr std::size_t varint_size(std::uint64_t v) {
    std::size_t n = 1;
    for (; v >= 0x80; v >>= 7)
        ++n;
    return n;
}

char* put_varint(char* p, std::uint64_t v) {
    for (; v >= 0x80; v >>= 7)
        *p++ = static_cast<char>((v & 0x7f) | 0x80);
    *p++ = static_cast<char>(v);
    return p;
}

constexpr char key_byte(protozero::pbf_tag_type field, protozero::pbf_wire_type wire) {
    return static_cast<char>((field << 3) | static_cast<std::uint32_t>(wire));
}

template <class T>
char* put_fixed(char* p, T v) { // little-endian, as protobuf's fixed32/64
    static_assert(std::endian::native == std::endian::little);
    std::memcpy(p, &v, sizeof v);
    return p + sizeof v;
}

} // namespace

// Exactly one of the Value message's fields; `buffer` is grown when too short, never shrunk.
std::string_view LayerWriter::encode_value(std::string& buffer, const ValueRef& v) {
    using K = Value::Kind;
    using W = protozero::pbf_wire_type;
    if (buffer.size() < v.string.size() + 11)
        buffer.resize(v.string.size() + 11);
    char* p = buffer.data();
    switch (v.kind) {
    case K::string:
        *p++ = key_byte(1, W::length_delimited);
        p = put_varint(p, v.string.size());
        std::memcpy(p, v.string.data(), v.string.size());
        p += v.string.size();
        break;
    case K::float_:
        *p++ = key_byte(2, W::fixed32);
        p = put_fixed(p, static_cast<float>(v.real));
        break;
    case K::double_:
        *p++ = key_byte(3, W::fixed64);
        p = put_fixed(p, v.real);
        break;
    case K::int_:
        *p++ = key_byte(4, W::varint);
        p = put_varint(p, static_cast<std::uint64_t>(v.integer));
        break;
    case K::uint_:
        *p++ = key_byte(5, W::varint);
        p = put_varint(p, v.uinteger);
        break;
    case K::sint_:
        *p++ = key_byte(6, W::varint);
        p = put_varint(p, (static_cast<std::uint64_t>(v.integer) << 1) ^
                              static_cast<std::uint64_t>(v.integer >> 63));
        break;
    case K::bool_:
        *p++ = key_byte(7, W::varint);
        *p++ = v.boolean ? 1 : 0;
        break;
    }
    return {buffer.data(), static_cast<std::size_t>(p - buffer.data())};
}

namespace {

template <class It>
std::size_t packed_size(It begin, It end) {
    std::size_t n = 0;
    for (; begin != end; ++begin)
        n += varint_size(*begin);
    return n;
}

Value read_value(protozero::pbf_reader in) {
    std::optional<Value> v;
    auto set = [&](Value x) {
        if (v)
            invalid("a value with more than one field");
        v = std::move(x);
    };
    using K = Value::Kind;
    using W = protozero::pbf_wire_type;
    while (in.next()) {
        auto expect = [&](W w) {
            if (in.wire_type() != w)
                invalid("a value field with the wrong wire type");
        };
        switch (in.tag()) {
        case 1:
            expect(W::length_delimited);
            set(Value::of(std::string(in.get_view())));
            break;
        case 2:
            expect(W::fixed32);
            set({K::float_, {}, in.get_float(), 0, 0, false});
            break;
        case 3:
            expect(W::fixed64);
            set({K::double_, {}, in.get_double(), 0, 0, false});
            break;
        case 4:
            expect(W::varint);
            set({K::int_, {}, 0, in.get_int64(), 0, false});
            break;
        case 5:
            expect(W::varint);
            set({K::uint_, {}, 0, 0, in.get_uint64(), false});
            break;
        case 6:
            expect(W::varint);
            set({K::sint_, {}, 0, in.get_sint64(), 0, false});
            break;
        case 7:
            expect(W::varint);
            set({K::bool_, {}, 0, 0, 0, in.get_bool()});
            break;
        default:
            invalid("a value of an unknown type (field " + std::to_string(in.tag()) + ")");
        }
    }
    if (!v)
        invalid("an empty value");
    return *v;
}

LayerData read_layer(protozero::pbf_reader in) {
    using W = protozero::pbf_wire_type;
    LayerData layer;
    bool named = false, versioned = false;
    std::vector<std::string> keys;
    std::vector<Value> values;
    struct RawFeature {
        FeatureData data;
        std::vector<std::uint32_t> tags;
        bool has_geometry = false; // a missing type is UNKNOWN, the field's default
    };
    std::vector<RawFeature> raw;
    while (in.next()) {
        auto expect = [&](W w, const char* what) {
            if (in.wire_type() != w)
                invalid(std::string("layer ") + what + " with the wrong wire type");
        };
        switch (in.tag()) {
        case field::layer_version:
            expect(W::varint, "version");
            layer.version = in.get_uint32();
            versioned = true;
            break;
        case field::layer_name:
            expect(W::length_delimited, "name");
            layer.name = std::string(in.get_view());
            named = true;
            break;
        case field::layer_extent:
            expect(W::varint, "extent");
            layer.extent = in.get_uint32();
            break;
        case field::layer_keys:
            expect(W::length_delimited, "key");
            keys.emplace_back(in.get_view());
            break;
        case field::layer_values:
            expect(W::length_delimited, "value");
            values.push_back(read_value(in.get_message()));
            break;
        case field::layer_features: {
            expect(W::length_delimited, "feature");
            RawFeature f;
            auto fin = in.get_message();
            while (fin.next()) {
                switch (fin.tag()) {
                case field::feature_id:
                    if (fin.wire_type() != W::varint)
                        invalid("feature id with the wrong wire type");
                    f.data.id = fin.get_uint64();
                    break;
                case field::feature_tags:
                    if (fin.wire_type() != W::length_delimited)
                        invalid("feature tags with the wrong wire type");
                    for (auto t : fin.get_packed_uint32())
                        f.tags.push_back(t);
                    break;
                case field::feature_type: {
                    if (fin.wire_type() != W::varint)
                        invalid("feature type with the wrong wire type");
                    auto t = fin.get_uint32();
                    if (t > 3)
                        invalid("feature type " + std::to_string(t));
                    f.data.type = static_cast<GeomType>(t);
                    break;
                }
                case field::feature_geometry:
                    if (fin.wire_type() != W::length_delimited)
                        invalid("feature geometry with the wrong wire type");
                    if (f.has_geometry)
                        invalid("a feature with two geometry fields");
                    for (auto g : fin.get_packed_uint32())
                        f.data.geometry.push_back(g);
                    f.has_geometry = true;
                    break;
                default:
                    fin.skip();
                }
            }
            raw.push_back(std::move(f));
            break;
        }
        default:
            in.skip();
        }
    }
    if (!named)
        invalid("a layer without a name");
    // Version 1 layers are readable by the 2.x rules (mvt-fixtures 039); a layer must say
    // which it is (024: no version field).
    if (!versioned || layer.version < 1 || layer.version > 2)
        invalid("layer \"" + layer.name + "\" has no version 1 or 2");
    if (layer.extent == 0)
        invalid("layer \"" + layer.name + "\" has extent 0");
    for (auto& f : raw) {
        if (!f.has_geometry)
            invalid("a feature without geometry");
        if (f.tags.size() % 2)
            invalid("a feature with an odd number of tags");
        for (std::size_t i = 0; i < f.tags.size(); i += 2) {
            if (f.tags[i] >= keys.size())
                invalid("a tag naming key " + std::to_string(f.tags[i]) + " of " +
                        std::to_string(keys.size()));
            if (f.tags[i + 1] >= values.size())
                invalid("a tag naming value " + std::to_string(f.tags[i + 1]) + " of " +
                        std::to_string(values.size()));
            f.data.properties.emplace_back(keys[f.tags[i]], values[f.tags[i + 1]]);
        }
        if (f.data.type != GeomType::unknown)
            decode_geometry(f.data.type, f.data.geometry);
        layer.features.push_back(std::move(f.data));
    }
    return layer;
}

} // namespace

LayerWriter::LayerWriter(std::string name, std::uint32_t extent)
    : m_name(std::move(name))
    , m_extent(extent) {}

namespace {

// A quick hash of short strings, eight bytes at a time (the table only needs them spread).
std::uint64_t hash_bytes(std::string_view s) {
    std::uint64_t h = 0x9e3779b97f4a7c15ull ^ s.size();
    const char* p = s.data();
    std::size_t n = s.size();
    auto mix = [&h](std::uint64_t w) {
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    };
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        mix(w);
    }
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    mix(w);
    return h ^ (h >> 29);
}

} // namespace

std::uint32_t LayerWriter::Interned::index_of(std::string_view item) {
    if (m_spans.size() * 2 >= m_slots.size())
        grow();
    const std::size_t mask = m_slots.size() - 1;
    const std::uint64_t h = hash_bytes(item);
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
        Slot& slot = m_slots[i];
        if (slot.number == 0) {
            m_spans.emplace_back(static_cast<std::uint32_t>(m_bytes.size()),
                                 static_cast<std::uint32_t>(item.size()));
            m_bytes += item;
            slot = {tag, static_cast<std::uint32_t>(m_spans.size())};
            return slot.number - 1;
        }
        if (slot.tag == tag && (*this)[slot.number - 1] == item)
            return slot.number - 1;
    }
}

void LayerWriter::Interned::grow() {
    m_slots.assign(std::max<std::size_t>(256, m_slots.size() * 2), Slot{});
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t n = 0; n < m_spans.size(); ++n) {
        const std::uint64_t h = hash_bytes((*this)[n]);
        std::size_t i = h & mask;
        while (m_slots[i].number != 0)
            i = (i + 1) & mask;
        m_slots[i] = {static_cast<std::uint32_t>(h >> 32), static_cast<std::uint32_t>(n + 1)};
    }
}

void LayerWriter::add(std::optional<std::uint64_t> id, GeomType type,
                      std::span<const std::uint32_t> geometry,
                      std::span<const PropertyRef> properties) {
    if (geometry.empty())
        return;
    m_tags.clear();
    // Features of a layer mostly have the same keys in the same order: try the previous
    // feature's key at this place before the table.
    m_last_keys.resize(std::max(m_last_keys.size(), properties.size()), no_key);
    for (std::size_t i = 0; i < properties.size(); ++i) {
        const auto& [key, value] = properties[i];
        std::uint32_t& k = m_last_keys[i];
        if (k == no_key || m_keys[k] != key)
            k = m_keys.index_of(key);
        m_tags.push_back(k);
        m_tags.push_back(value_index(value));
    }
    add_tagged(id, type, geometry, m_tags);
}

void LayerWriter::add_tagged(std::optional<std::uint64_t> id, GeomType type,
                             std::span<const std::uint32_t> geometry,
                             std::span<const std::uint32_t> tags) {
    if (geometry.empty())
        return;
    if (tags.size() % 2 != 0)
        throw Error(ErrorCode::invalid_argument, "feature tags come in key-value pairs");
    for (std::size_t i = 0; i < tags.size(); i += 2)
        if (tags[i] >= m_keys.size() || tags[i + 1] >= m_values.size())
            throw Error(ErrorCode::invalid_argument, "a feature tag refers to no key or value");
    // The Feature message written straight into the layer's buffer (what protozero's
    // pbf_writer would write, without its bookkeeping: this runs once per feature).
    using W = protozero::pbf_wire_type;
    const std::size_t tags_size = packed_size(tags.begin(), tags.end());
    const std::size_t geometry_size = packed_size(geometry.begin(), geometry.end());
    std::size_t body = 2 + 1 + varint_size(geometry_size) + geometry_size; // type, geometry
    if (id)
        body += 1 + varint_size(*id);
    if (!tags.empty())
        body += 1 + varint_size(tags_size) + tags_size;
    const std::size_t start = m_features.size();
    m_features.resize(start + 1 + varint_size(body) + body);
    char* p = m_features.data() + start;
    *p++ = key_byte(field::layer_features, W::length_delimited);
    p = put_varint(p, body);
    if (id) {
        *p++ = key_byte(field::feature_id, W::varint);
        p = put_varint(p, *id);
    }
    if (!tags.empty()) {
        *p++ = key_byte(field::feature_tags, W::length_delimited);
        p = put_varint(p, tags_size);
        for (std::uint32_t t : tags)
            p = put_varint(p, t);
    }
    *p++ = key_byte(field::feature_type, W::varint);
    *p++ = static_cast<char>(type);
    *p++ = key_byte(field::feature_geometry, W::length_delimited);
    p = put_varint(p, geometry_size);
    for (std::uint32_t c : geometry)
        p = put_varint(p, c);
    assert(p == m_features.data() + m_features.size());
    ++m_count;
}

std::string LayerWriter::serialize() const {
    std::string out;
    protozero::pbf_writer layer(out);
    layer.add_uint32(field::layer_version, 2);
    layer.add_string(field::layer_name, m_name);
    out += m_features;
    for (std::size_t i = 0; i < m_keys.size(); ++i) {
        auto k = m_keys[i];
        layer.add_string(field::layer_keys, k.data(), k.size());
    }
    for (std::size_t i = 0; i < m_values.size(); ++i) {
        auto v = m_values[i];
        layer.add_message(field::layer_values, v.data(), v.size());
    }
    layer.add_uint32(field::layer_extent, m_extent);
    return out;
}

std::string encode_tile(std::span<const LayerWriter> layers) {
    std::string out;
    protozero::pbf_writer tile(out);
    for (const auto& layer : layers)
        if (layer.size() > 0)
            tile.add_message(field::tile_layers, layer.serialize());
    return out;
}

std::vector<LayerData> decode_tile(std::string_view data) {
    std::vector<LayerData> layers;
    std::set<std::string> names;
    try {
        protozero::pbf_reader tile(protozero::data_view(data.data(), data.size()));
        while (tile.next()) {
            if (tile.tag() != field::tile_layers) {
                tile.skip();
                continue;
            }
            if (tile.wire_type() != protozero::pbf_wire_type::length_delimited)
                invalid("a layer with the wrong wire type");
            layers.push_back(read_layer(tile.get_message()));
            if (!names.insert(layers.back().name).second)
                invalid("two layers named \"" + layers.back().name + "\"");
        }
    } catch (const protozero::exception& e) {
        invalid(std::string("not a protocol buffer (") + e.what() + ")");
    }
    return layers;
}

DecodedGeometry decode_geometry(GeomType type, std::span<const std::uint32_t> geometry) {
    DecodedGeometry out;
    std::int64_t x = 0, y = 0;
    std::size_t i = 0;
    // The `count` coordinate pairs after a MoveTo or LineTo; each starts a part for MoveTo.
    auto read_points = [&](const char* name, std::uint32_t count, bool new_parts) {
        if (count == 0)
            invalid(std::string(name) + " with count 0");
        if (count > (geometry.size() - i) / 2)
            invalid(std::string(name) + " count " + std::to_string(count) + " beyond the geometry");
        for (std::uint32_t k = 0; k < count; ++k) {
            x += unzigzag(geometry[i++]);
            y += unzigzag(geometry[i++]);
            if (new_parts)
                out.parts.push_back({{x, y}});
            else
                out.parts.back().emplace_back(x, y);
        }
    };
    bool ring_open = false;
    while (i < geometry.size()) {
        std::uint32_t id = geometry[i] & 0x7, count = geometry[i] >> 3;
        ++i;
        if (id == move_to) {
            if (type != GeomType::point && count != 1)
                invalid("MoveTo with count " + std::to_string(count) + " outside a point");
            if (type == GeomType::polygon && ring_open)
                invalid("a polygon ring without ClosePath");
            read_points("MoveTo", count, true);
            ring_open = true;
        } else if (id == line_to) {
            if (type == GeomType::point || out.parts.empty())
                invalid("LineTo without a MoveTo, or in a point");
            read_points("LineTo", count, false);
        } else if (id == close_path) {
            if (type != GeomType::polygon)
                invalid("ClosePath outside a polygon");
            if (count != 1)
                invalid("ClosePath with count " + std::to_string(count));
            if (out.parts.empty() || !ring_open)
                invalid("ClosePath without a ring");
            auto& ring = out.parts.back();
            if (ring.size() < 3)
                invalid("a polygon ring with fewer than three points");
            ring.push_back(ring.front());
            ring_open = false;
        } else {
            invalid("unknown command " + std::to_string(id));
        }
    }
    if (type == GeomType::polygon && ring_open)
        invalid("a polygon ring without ClosePath");
    if (type == GeomType::linestring)
        for (const auto& line : out.parts)
            if (line.size() < 2)
                invalid("a line with fewer than two points");
    if (type == GeomType::polygon && !out.parts.empty() && ring_area2(out.parts.front()) <= 0)
        invalid("a polygon whose first ring is not an exterior ring (positive area)");
    return out;
}

std::int64_t ring_area2(std::span<const std::pair<std::int64_t, std::int64_t>> ring) {
    std::int64_t sum = 0;
    for (std::size_t i = 0; i + 1 < ring.size(); ++i)
        sum += ring[i].first * ring[i + 1].second - ring[i + 1].first * ring[i].second;
    return sum;
}

} // namespace tessera::tiles
