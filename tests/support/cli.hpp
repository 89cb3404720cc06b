// Running the real `tessera` binary (TESSERA_BINARY) from an end-to-end test, as a user would.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace tessera::testing {

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// `tessera ARGS` through the shell, stdout into `out` and stderr into `err`; its exit status.
inline int run_tessera(const std::string& args, const std::filesystem::path& out,
                       const std::filesystem::path& err) {
    const std::string cmd =
        std::string(TESSERA_BINARY) + " " + args + " > " + out.string() + " 2> " + err.string();
    const int status = std::system(cmd.c_str());
    EXPECT_TRUE(WIFEXITED(status)) << cmd;
    return WEXITSTATUS(status);
}

} // namespace tessera::testing
