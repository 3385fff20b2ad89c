// The samples' command lines: every value checked when it is parsed, and a
// wrong one answered with one line naming the option, what it must be and
// what was given, and exit status 2 (never a crash, never a silent default).
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace samples {

namespace detail {
inline std::string given(const std::string& text) { return ", not \"" + text + "\""; }
}  // namespace detail

// A whole number in [lo, hi] (checked on the text, before CLI11 converts it,
// so "abc", "1.5" and "1e30" get the same sentence as 0).
inline CLI::Validator whole_number(long long lo, long long hi) {
    const std::string range = std::to_string(lo) + " to " + std::to_string(hi);
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            long long value = 0;
            const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < lo || value > hi)
                return "must be a whole number from " + range + detail::given(text);
            return {};
        },
        "INT in " + range);
}

// A finite number above `lo` (or from `lo`, when `lo_allowed`) up to `hi`.
inline CLI::Validator real_number(double lo, bool lo_allowed, double hi) {
    std::ostringstream words;
    words << (lo_allowed ? "from " : "above ") << lo << " to " << hi;
    const std::string range = words.str();
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            char* end = nullptr;
            const double value = text.empty() ? NAN : std::strtod(text.c_str(), &end);
            const bool inside = std::isfinite(value) && (lo_allowed ? value >= lo : value > lo) && value <= hi;
            if (!inside || end != text.c_str() + text.size()) return "must be a finite number " + range + detail::given(text);
            return {};
        },
        "NUMBER " + range);
}

// A name that `check` accepts (it throws std::invalid_argument with the
// choices otherwise: the list lives where the names are defined).
inline CLI::Validator named(std::function<void(const std::string&)> check) {
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            try {
                check(text);
                return {};
            } catch (const std::invalid_argument& e) {
                std::string why = e.what();
                if (why.starts_with("typenet: ")) why.erase(0, 9);
                return why;
            }
        },
        "NAME");
}

inline CLI::Validator existing_file() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            std::error_code ec;
            if (!std::filesystem::is_regular_file(text, ec)) return "must name an existing file" + detail::given(text);
            return {};
        },
        "FILE");
}

inline CLI::Validator existing_folder() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            std::error_code ec;
            if (!std::filesystem::is_directory(text, ec)) return "must name an existing folder" + detail::given(text);
            return {};
        },
        "FOLDER");
}

// A folder to write into: an existing one, or one that can be created.
inline CLI::Validator folder_to_write() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            std::error_code ec;
            if (text.empty() || (std::filesystem::exists(text, ec) && !std::filesystem::is_directory(text, ec)))
                return "must name a folder (an existing file is in the way)" + detail::given(text);
            return {};
        },
        "FOLDER");
}

// A file to write: not a folder, in a folder that exists (or, when the
// program creates its folder, any folder).
inline CLI::Validator file_to_write(bool folder_must_exist = true) {
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            const std::filesystem::path path(text);
            const std::filesystem::path folder = path.parent_path().empty() ? "." : path.parent_path();
            std::error_code ec;
            if (text.empty() || std::filesystem::is_directory(path, ec) || !path.has_filename())
                return "must name a file, not a folder" + detail::given(text);
            if (folder_must_exist && !std::filesystem::is_directory(folder, ec))
                return "must be in an existing folder (" + folder.string() + " is not one)" + detail::given(text);
            return {};
        },
        "FILE");
}

// Parses the command line; a value to return from main (0 after --help,
// 2 after a wrong command line, with one line on stderr), or nothing to go on.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
        return std::nullopt;
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << std::filesystem::path(argv[0]).filename().string() << ": " << e.what()
                  << " (see --help)\n";
        return 2;
    }
}

}  // namespace samples
