// Fuzz inputs reach the readers as files, the way outside data does: one
// scratch file per process, in /dev/shm where there is one (no disk writes).
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace typenet::fuzz {

// The scratch files this process wrote, removed when it ends (a replay in
// the test suite leaves nothing behind; a crashing fuzzer does).
struct scratch_files {
    std::vector<std::filesystem::path> paths;
    ~scratch_files() {
        std::error_code ec;
        for (const auto& p : paths) std::filesystem::remove(p, ec);
    }
};

inline std::filesystem::path write_input(std::span<const std::uint8_t> bytes, const char* suffix) {
    static scratch_files written;
    std::error_code ec;
    const std::filesystem::path dir = std::filesystem::is_directory("/dev/shm", ec)
                                          ? std::filesystem::path("/dev/shm")
                                          : std::filesystem::temp_directory_path();
    const std::filesystem::path path = dir / ("typenet-fuzz-" + std::to_string(::getpid()) + suffix);
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
        std::perror(path.c_str());
        std::abort();
    }
    if (std::find(written.paths.begin(), written.paths.end(), path) == written.paths.end()) written.paths.push_back(path);
    return path;
}

// A broken promise: say which, and stop (libFuzzer keeps the input).
[[noreturn]] inline void violated(const std::string& what) {
    std::fprintf(stderr, "typenet fuzz: %s\n", what.c_str());
    std::abort();
}

// A refusal must name the file it refuses.
inline void names_the_file(const std::exception& e, const std::filesystem::path& path) {
    if (std::string_view(e.what()).find(path.string()) == std::string_view::npos)
        violated(std::string("a refusal that does not name the file: ") + e.what());
}

}  // namespace typenet::fuzz
