// The error code a call throws, for tests that check which kind of failure they get.
#pragma once

#include "geo/error.hpp"

#include <functional>
#include <gtest/gtest.h>

namespace tessera::testing {

// The code of the tessera::Error that `f` throws; a test failure (and ErrorCode::internal) when
// it throws nothing.
inline ErrorCode code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    ADD_FAILURE() << "no error thrown";
    return ErrorCode::internal;
}

} // namespace tessera::testing
