// A `tessera serve` child process (the real binary, TESSERA_BINARY) on a free port with a
// database in a temporary directory, for end-to-end tests.
#pragma once

#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace tessera::testing {

using namespace std::chrono_literals;

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The server's stdout and stderr go to files in `dir` (never a pipe that could fill up and block
// the server). The database is dir/e2e.db; it must exist.
class ServerProcess {
public:
    ServerProcess(const TempDir& dir, std::vector<std::string> extra_args = {}) {
        m_out = dir / "serve.out";
        m_err = dir / "serve.err";
        std::vector<std::string> args = {
            TESSERA_BINARY, "serve",
            "--db",         (dir / "e2e.db").string(),
            "--port",       "0",
            "--threads",    "2",
            "--web",        std::string(TESSERA_SOURCE_DIR) + "/web/dist"};
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        // Everything the child needs is prepared before fork(): it only opens, dups and execs.
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        m_pid = fork();
        if (m_pid == 0) {
            int out = ::open(m_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            int err = ::open(m_err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(out, STDOUT_FILENO);
            dup2(err, STDERR_FILENO);
            execv(argv[0], argv.data());
            _exit(127);
        }
        // Wait for "Tessera serving http://localhost:PORT/" (ASan builds start slowly).
        static const std::regex serving(R"(Tessera serving http://localhost:(\d+)/)");
        auto deadline = std::chrono::steady_clock::now() + 60s;
        while (std::chrono::steady_clock::now() < deadline) {
            std::smatch m;
            std::string out = read_file(m_out);
            if (std::regex_search(out, m, serving)) {
                m_port = static_cast<std::uint16_t>(std::stoi(m[1]));
                return;
            }
            if (exited(0ms))
                break;
            std::this_thread::sleep_for(20ms);
        }
        ADD_FAILURE() << "server did not start; stdout:\n"
                      << read_file(m_out) << "\nstderr:\n"
                      << read_file(m_err);
    }
    ~ServerProcess() {
        if (m_pid > 0 && !m_status) {
            ::kill(m_pid, SIGKILL);
            waitpid(m_pid, nullptr, 0);
        }
    }

    std::uint16_t port() const { return m_port; }
    std::string stdout_text() const { return read_file(m_out); }
    std::string stderr_text() const { return read_file(m_err); }
    void signal(int sig) { ::kill(m_pid, sig); }

    // True when the process has exited within `wait`; its wait status is then in status().
    bool exited(std::chrono::milliseconds wait) {
        if (m_status)
            return true;
        auto deadline = std::chrono::steady_clock::now() + wait;
        do {
            int status = 0;
            if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
                m_status = status;
                return true;
            }
            std::this_thread::sleep_for(10ms);
        } while (std::chrono::steady_clock::now() < deadline);
        return false;
    }
    int status() const { return m_status.value_or(-1); }

private:
    pid_t m_pid = -1;
    std::uint16_t m_port = 0;
    std::optional<int> m_status;
    std::filesystem::path m_out, m_err;
};

} // namespace tessera::testing
