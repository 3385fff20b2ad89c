// The committed fuzz inputs of one harness: fuzz/corpus/<name>/ (seeds) and
// fuzz/regressions/<name>/ (findings), each file's path and bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

inline std::vector<std::pair<std::filesystem::path, std::vector<std::uint8_t>>> fuzz_inputs(const char* harness) {
    std::vector<std::pair<std::filesystem::path, std::vector<std::uint8_t>>> out;
    const std::filesystem::path root = TYPENET_FUZZ_DIR;
    for (const char* kind : {"corpus", "regressions"}) {
        const auto dir = root / kind / harness;
        if (!std::filesystem::is_directory(dir)) continue;
        for (const auto& file : std::filesystem::directory_iterator(dir)) {
            std::ifstream in(file.path(), std::ios::binary);
            out.emplace_back(file.path(), std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {}));
        }
    }
    return out;
}
