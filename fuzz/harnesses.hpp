// What each fuzz target does with one input: hand the bytes to a reader of
// outside data as a file, and check that it either reads them or refuses
// them with its one documented error naming the file. Anything else (another
// exception, a crash, a sanitizer's report, an allocation past the fuzzer's
// limit, a refusal that changed the caller's buffers) is a finding.
//
// The same functions run in two places: under libFuzzer (fuzz/targets.cpp,
// clang with ASan and UBSan) and in the ordinary test suite, which replays
// every input in fuzz/regressions/ (tests/runtime/fuzz_regressions_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

namespace typenet::fuzz {

void idx_reader(std::span<const std::uint8_t> bytes);
void safetensors_reader(std::span<const std::uint8_t> bytes);
void checkpoint_loader(std::span<const std::uint8_t> bytes);
void image_reader(std::span<const std::uint8_t> bytes);  // the samples' (fuzz/image_reader.cpp)

// A valid checkpoint of the network checkpoint_loader loads into: a seed.
void write_checkpoint_seed(const std::filesystem::path& path);

}  // namespace typenet::fuzz
