// libFuzzer's entry point for one harness, chosen when it is compiled
// (-DTYPENET_FUZZ_HARNESS=idx_reader, ...).
#include "harnesses.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    typenet::fuzz::TYPENET_FUZZ_HARNESS({data, size});
    return 0;
}
