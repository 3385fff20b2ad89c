// Every input the fuzzers found a fault with (fuzz/regressions/), and every
// seed (fuzz/corpus/), replayed through the same harnesses as under
// libFuzzer: each must be read or refused with the reader's own error
// naming the file (a harness aborts otherwise).
#include <catch2/catch.hpp>

#include "../../fuzz/harnesses.hpp"
#include "fuzz_inputs.hpp"

TEST_CASE("the readers' fuzz findings and seeds replay cleanly", "[fuzz]") {
    using namespace typenet::fuzz;
    const std::pair<const char*, void (*)(std::span<const std::uint8_t>)> harnesses[] = {
        {"idx_reader", idx_reader}, {"safetensors_reader", safetensors_reader}, {"checkpoint_loader", checkpoint_loader}};
    for (const auto& [name, harness] : harnesses) {
        const auto inputs = fuzz_inputs(name);
        CHECK(inputs.size() >= 2);  // the committed seeds at least
        for (const auto& [path, bytes] : inputs) {
            INFO(path.string());
            harness(bytes);
        }
    }
}
