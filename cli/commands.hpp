// Subcommands of the `tessera` executable. Each takes its arguments after the subcommand name
// and returns the process exit code; failures that end the command throw tessera::Error.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::cli {

using Args = std::span<const std::string>;

int transform_command(Args args);
int import_command(Args args);
int export_command(Args args);
int demo_command(Args args);
int locate_command(Args args);
int serve_command(Args args);
int validate_command(Args args);
int audit_command(Args args);
int import_fixes_command(Args args);
int import_flight_command(Args args);

// Minimal option parsing shared by the subcommands: "--name value" and "--flag".
class Options {
public:
    // `flags` lists the options that take no value. Unknown options throw invalid_argument.
    Options(Args args, std::vector<std::string> with_value, std::vector<std::string> flags);

    bool has(std::string_view name) const;
    std::string get(std::string_view name, std::string_view fallback = {}) const;
    std::string require(std::string_view name) const;
    long long get_int(std::string_view name, long long fallback) const;
    // A finite number within min..max (inclusive); `fallback` without the option.
    double get_number(std::string_view name, double fallback, double min, double max) const;
    // The --db option, which must name an existing file.
    std::string database() const;
    // invalid_argument for any positional argument.
    void refuse_positional() const;
    const std::vector<std::string>& positional() const { return m_positional; }

private:
    std::vector<std::pair<std::string, std::string>> m_values;
    std::vector<std::string> m_positional;
};

// The value of --out, refused (invalid_argument) when the file exists and --force is not given;
// empty without --out.
std::filesystem::path output_option(const Options& opts);
// Writes `content` to `path` through `path`.partial and a rename, so that nobody ever reads half
// a file, and an old file stays whole when the write fails. Throws Error(io_error).
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

} // namespace tessera::cli
