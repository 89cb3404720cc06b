#include "data/auth.hpp"
#include "geo/error.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

using namespace tessera;
using namespace tessera::data;

namespace {

class AuthTest : public ::testing::Test {
protected:
    tessera::testing::TempDir dir;
    std::unique_ptr<Store> store = open_spatialite_store(dir / "a.db");
    Time clock_now = *parse_time("2026-11-22T08:00:00Z");
    Auth auth{*store, std::chrono::hours(1), [this] { return clock_now; }};
};

} // namespace

TEST(Password, Argon2idHashVerifies) {
    std::string h = hash_password("correct horse");
    EXPECT_TRUE(h.starts_with("$argon2id$")) << h;
    EXPECT_TRUE(verify_password(h, "correct horse"));
    EXPECT_FALSE(verify_password(h, "correct hors"));
    EXPECT_NE(hash_password("correct horse"), h); // salted
}

TEST_F(AuthTest, LoginAuthenticateExpireLogout) {
    auth.create_user({"op",
                      "区指挥员",
                      Role::command_operator,
                      {Jurisdiction::Kind::area, "411102", {}},
                      "s3cret-pass",
                      {},
                      {}});
    EXPECT_FALSE(auth.login("op", "wrong-pass"));
    EXPECT_FALSE(auth.login("nobody", "s3cret-pass"));
    auto r = auth.login("op", "s3cret-pass");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->token.size(), 64u);
    EXPECT_EQ(r->expires_at, clock_now + std::chrono::hours(1));
    EXPECT_EQ(r->principal.role, Role::command_operator);

    auto p = auth.authenticate(r->token);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->jurisdiction.area_code, "411102");
    EXPECT_FALSE(auth.authenticate(std::string(64, 'a')));
    EXPECT_FALSE(auth.authenticate("short"));

    clock_now += std::chrono::minutes(61);
    EXPECT_FALSE(auth.authenticate(r->token)) << "expired token accepted";

    clock_now -= std::chrono::minutes(30);
    auto again = auth.login("op", "s3cret-pass");
    ASSERT_TRUE(auth.authenticate(again->token));
    auth.logout(again->token);
    EXPECT_FALSE(auth.authenticate(again->token));
}

TEST_F(AuthTest, StoresNoPlainTextSecrets) {
    auth.create_user({"admin",
                      "",
                      Role::admin,
                      {Jurisdiction::Kind::everything, "", {}},
                      "admin-pass-1",
                      {},
                      {}});
    auto r = auth.login("admin", "admin-pass-1");
    ASSERT_TRUE(r);
    EXPECT_FALSE(store->find_session(r->token)) << "token stored in the clear";
    EXPECT_EQ(store->find_user("admin")->password_hash.find("admin-pass-1"), std::string::npos);
}

TEST_F(AuthTest, CreateUserValidates) {
    auto code = [&](NewUser u) {
        try {
            auth.create_user(u);
        } catch (const Error& e) {
            return e.code();
        }
        return ErrorCode::internal;
    };
    EXPECT_EQ(code({"a",
                    "",
                    Role::grid_officer,
                    {Jurisdiction::Kind::grids, "", {"G1"}},
                    "short",
                    {},
                    {}}),
              ErrorCode::invalid_argument);
    EXPECT_EQ(code({"b",
                    "",
                    Role::grid_officer,
                    {Jurisdiction::Kind::grids, "", {}},
                    "long-enough",
                    {},
                    {}}),
              ErrorCode::invalid_argument);
    EXPECT_EQ(code({"c",
                    "",
                    Role::command_operator,
                    {Jurisdiction::Kind::everything, "", {}},
                    "long-enough",
                    {},
                    {}}),
              ErrorCode::invalid_argument);
    EXPECT_EQ(code({"d",
                    "",
                    Role::department_staff,
                    {Jurisdiction::Kind::area, "411100", {}},
                    "long-enough",
                    {},
                    {}}),
              ErrorCode::invalid_argument);
    EXPECT_EQ(code({"", "", Role::reporter, {}, "long-enough", {}, {}}),
              ErrorCode::invalid_argument);
    auth.create_user({"e", "", Role::reporter, {}, "long-enough", {}, {}});
    EXPECT_EQ(code({"e", "", Role::reporter, {}, "long-enough", {}, {}}), ErrorCode::conflict);
    EXPECT_EQ(store->users().size(), 1u);
}

TEST(Policy, BoundariesArePublicEverythingElseScoped) {
    Scope grid_g1{{"411100", "411102", "411102001000", "411102001001"}, "G1", std::nullopt};
    Scope other{{"411100", "411103", "411103002000", "411103002004"}, "G9", std::nullopt};
    EXPECT_TRUE(may(nullptr, Action::view, Resource::boundary, grid_g1));
    EXPECT_FALSE(may(nullptr, Action::view, Resource::event, grid_g1));
    EXPECT_FALSE(may(nullptr, Action::act, Resource::boundary, grid_g1));

    Principal admin{1, "admin", "", Role::admin, {Jurisdiction::Kind::everything, "", {}}, {}, {}};
    Principal city{2,  "city", "", Role::command_operator, {Jurisdiction::Kind::area, "411100", {}},
                   {}, {}};
    Principal township{
        3, "t", "", Role::command_operator, {Jurisdiction::Kind::area, "411102001000", {}}, {}, {}};
    Principal chief{4,  "c", "", Role::grid_chief, {Jurisdiction::Kind::area, "411102001001", {}},
                    {}, {}};
    Principal officer{
        5, "o", "", Role::grid_officer, {Jurisdiction::Kind::grids, "", {"G1", "G2"}}, {}, 50};
    Principal citizen{6, "r", "", Role::reporter, {}, {}, {}};

    for (const Principal* p : {&admin, &city, &township, &chief, &officer})
        EXPECT_TRUE(may(p, Action::view, Resource::event, grid_g1)) << p->username;
    EXPECT_TRUE(may(&admin, Action::view, Resource::camera, other));
    EXPECT_TRUE(may(&city, Action::view, Resource::camera, other));
    EXPECT_FALSE(may(&township, Action::view, Resource::event, other));
    EXPECT_FALSE(may(&chief, Action::view, Resource::person, other));
    EXPECT_FALSE(may(&officer, Action::view, Resource::track, other));
    EXPECT_FALSE(may(&officer, Action::view, Resource::event, Scope{}));

    EXPECT_FALSE(may(&citizen, Action::view, Resource::event, grid_g1));
    Scope own = grid_g1;
    own.owner_user_id = 6;
    EXPECT_TRUE(may(&citizen, Action::view, Resource::event, own));
    EXPECT_FALSE(may(&citizen, Action::view, Resource::camera, own));

    // Editing boundaries: admins, and command operators inside their area only.
    EXPECT_TRUE(may(&township, Action::act, Resource::boundary, grid_g1));
    EXPECT_FALSE(may(&township, Action::act, Resource::boundary, other));
    EXPECT_FALSE(may(&officer, Action::act, Resource::boundary, grid_g1));
    EXPECT_FALSE(may(&city, Action::view, Resource::user, grid_g1));
    EXPECT_TRUE(may(&admin, Action::view, Resource::user, grid_g1));

    // Officers' fixes: one's own anywhere, others' by admins and command operators in their area.
    EXPECT_TRUE(may_report_position(officer, 50, other));
    EXPECT_FALSE(may_report_position(officer, 51, grid_g1)) << "not a colleague's";
    EXPECT_FALSE(may_report_position(chief, 50, grid_g1));
    EXPECT_TRUE(may_report_position(township, 50, grid_g1));
    EXPECT_FALSE(may_report_position(township, 50, other));
    EXPECT_TRUE(may_report_position(admin, 50, other));
    Principal citizen_officer = citizen;
    citizen_officer.person_id = 50;
    EXPECT_FALSE(may_report_position(citizen_officer, 50, grid_g1));
}
