// Users, passwords and bearer tokens.
//
// Passwords are hashed with Argon2id (libsodium crypto_pwhash_str, "interactive" limits).
// Tokens are 256 random bits, shown to the client once; the store keeps only their BLAKE2b hash,
// with an expiry. Thread-safe (the Store serialises access; libsodium is thread-safe).
#pragma once

#include "data/policy.hpp"
#include "data/store.hpp"

#include <chrono>
#include <functional>

namespace tessera::data {

std::string hash_password(std::string_view password);
bool verify_password(std::string_view encoded_hash, std::string_view password);

struct NewUser {
    std::string username;
    std::string display_name;
    Role role = Role::reporter;
    Jurisdiction jurisdiction;
    std::string password; // plain text; at least 8 characters
    std::optional<std::int64_t> person_id;
    std::optional<std::string> department_code;
};

struct LoginResult {
    std::string token; // give to the client; send back as "Authorization: Bearer <token>"
    Time expires_at{};
    Principal principal;
};

class Auth {
public:
    using Clock = std::function<Time()>;

    // DEFAULT: tokens live 12 hours; the clock is the system clock (injectable for tests).
    explicit Auth(Store& store, std::chrono::seconds token_lifetime = std::chrono::hours(12),
                  Clock clock = {});

    // Validates (role/jurisdiction consistency, password length) and stores the user.
    // Throws Error(invalid_argument) or Error(conflict) for an existing username.
    std::int64_t create_user(const NewUser& u);

    // nullopt for an unknown user or a wrong password (indistinguishable to the caller).
    std::optional<LoginResult> login(std::string_view username, std::string_view password);
    // The principal for a live token, nullopt for unknown or expired tokens.
    std::optional<Principal> authenticate(std::string_view token);
    void logout(std::string_view token);

    // A new API key for an app acting as `user_id` (a reporter, usually); returns the key, which
    // is stored only as a hash. Error(not_found) for an unknown user.
    std::string create_api_key(std::int64_t user_id, const std::string& app_name);
    // Stores a key chosen by the caller (the demo's well-known key); at least 32 characters.
    void register_api_key(std::int64_t user_id, const std::string& app_name, std::string_view key);
    // The principal an API key acts as, nullopt for an unknown key.
    std::optional<Principal> authenticate_api_key(std::string_view key);
    // True when the store holds this key.
    bool has_api_key(std::string_view key);

    Time now() const { return m_clock(); }

private:
    Store& m_store;
    std::chrono::seconds m_lifetime;
    Clock m_clock;
};

} // namespace tessera::data
