#include "data/auth.hpp"

#include "geo/error.hpp"

#include <sodium.h>

namespace tessera::data {
namespace {

void ensure_sodium() {
    static const bool ready = [] { return sodium_init() >= 0; }();
    if (!ready)
        throw Error(ErrorCode::internal, "libsodium failed to initialise");
}

std::string to_hex(const unsigned char* bytes, std::size_t n) {
    std::string out(n * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), bytes, n);
    out.pop_back();
    return out;
}

// Tokens are high-entropy, so a fast keyed-free hash is enough to keep them out of the store.
std::string token_hash(std::string_view token) {
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(token.data()),
                       token.size(), nullptr, 0);
    return to_hex(digest, sizeof digest);
}

Principal principal_of(const User& u) {
    return {u.id,           u.username,        u.display_name, u.role,
            u.jurisdiction, u.department_code, u.person_id};
}

Time system_now() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
}

} // namespace

std::string hash_password(std::string_view password) {
    ensure_sodium();
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        throw Error(ErrorCode::internal, "out of memory while hashing a password");
    return out;
}

bool verify_password(std::string_view encoded_hash, std::string_view password) {
    ensure_sodium();
    std::string h(encoded_hash); // needs a NUL-terminated string
    return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

Auth::Auth(Store& store, std::chrono::seconds token_lifetime, Clock clock)
    : m_store(store)
    , m_lifetime(token_lifetime)
    , m_clock(clock ? std::move(clock) : Clock(system_now)) {
    ensure_sodium();
}

std::int64_t Auth::create_user(const NewUser& u) {
    if (u.username.empty() || u.username.size() > 64)
        throw Error(ErrorCode::invalid_argument, "username must be 1-64 characters");
    if (u.password.size() < 8)
        throw Error(ErrorCode::invalid_argument,
                    "password for '" + u.username + "' must have at least 8 characters");
    const auto& j = u.jurisdiction;
    bool needs_scope = u.role != Role::admin && u.role != Role::reporter;
    if (needs_scope && j.kind == Jurisdiction::Kind::area && j.area_code.empty())
        throw Error(ErrorCode::invalid_argument, "an area jurisdiction needs an area code");
    if (needs_scope && j.kind == Jurisdiction::Kind::grids && j.grid_codes.empty())
        throw Error(ErrorCode::invalid_argument, "a grid jurisdiction needs at least one grid");
    if (needs_scope &&
        (j.kind == Jurisdiction::Kind::none || j.kind == Jurisdiction::Kind::everything))
        throw Error(ErrorCode::invalid_argument, "role " + std::string(to_string(u.role)) +
                                                     " needs an area or grid jurisdiction");
    if (u.role == Role::admin && j.kind != Jurisdiction::Kind::everything)
        throw Error(ErrorCode::invalid_argument, "an admin's jurisdiction is everything");
    if (u.role == Role::department_staff && !u.department_code)
        throw Error(ErrorCode::invalid_argument, "department staff need a department");
    User user;
    user.username = u.username;
    user.display_name = u.display_name.empty() ? u.username : u.display_name;
    user.role = u.role;
    user.jurisdiction = u.jurisdiction;
    user.password_hash = hash_password(u.password);
    user.person_id = u.person_id;
    user.department_code = u.department_code;
    return m_store.add_user(user);
}

std::optional<LoginResult> Auth::login(std::string_view username, std::string_view password) {
    auto user = m_store.find_user(username);
    if (!user) {
        // Spend the same effort as a real check so timing does not reveal which usernames exist.
        static const std::string dummy = hash_password("tessera-timing-equaliser");
        verify_password(dummy, password);
        return std::nullopt;
    }
    if (!verify_password(user->password_hash, password))
        return std::nullopt;
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    LoginResult r;
    r.token = to_hex(raw, sizeof raw);
    r.expires_at = m_clock() + m_lifetime;
    r.principal = principal_of(*user);
    m_store.add_session(token_hash(r.token), {user->id, r.expires_at});
    return r;
}

std::optional<Principal> Auth::authenticate(std::string_view token) {
    if (token.size() != 64)
        return std::nullopt;
    auto session = m_store.find_session(token_hash(token));
    if (!session || session->expires_at <= m_clock())
        return std::nullopt;
    auto user = m_store.user(session->user_id);
    if (!user)
        return std::nullopt;
    return principal_of(*user);
}

void Auth::logout(std::string_view token) {
    m_store.remove_session(token_hash(token));
}

std::string Auth::create_api_key(std::int64_t user_id, const std::string& app_name) {
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    std::string key = to_hex(raw, sizeof raw);
    register_api_key(user_id, app_name, key);
    return key;
}

void Auth::register_api_key(std::int64_t user_id, const std::string& app_name,
                            std::string_view key) {
    if (key.size() < 32)
        throw Error(ErrorCode::invalid_argument, "an API key needs at least 32 characters");
    m_store.add_api_key(token_hash(key), {0, app_name, user_id, m_clock()});
}

std::optional<Principal> Auth::authenticate_api_key(std::string_view key) {
    if (key.size() < 32 || key.size() > 256)
        return std::nullopt;
    auto found = m_store.find_api_key(token_hash(key));
    if (!found)
        return std::nullopt;
    auto user = m_store.user(found->user_id);
    if (!user)
        return std::nullopt;
    return principal_of(*user);
}

bool Auth::has_api_key(std::string_view key) {
    return m_store.find_api_key(token_hash(key)).has_value();
}

} // namespace tessera::data
