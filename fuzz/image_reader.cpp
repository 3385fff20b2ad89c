// The samples' image reader (stb_image) under attack. The limit is lower
// than the samples' default so that a declared size just under it stays
// within the fuzzer's memory limit; the check is the same.
#include "common/image_reader.hpp"

#include <stdexcept>

#include "harnesses.hpp"
#include "input_file.hpp"

namespace typenet::fuzz {

void image_reader(std::span<const std::uint8_t> bytes) {
    const auto path = write_input(bytes, ".img");
    constexpr double megapixels = 4;
    try {
        const samples::gray_image g = samples::load_gray(path, megapixels);
        if (g.width <= 0 || g.height <= 0 || double(g.width) * g.height > megapixels * 1e6 ||
            g.values.size() != std::size_t(g.width) * std::size_t(g.height))
            violated("an image of " + std::to_string(g.width) + "x" + std::to_string(g.height) + " pixels");
        for (float v : g.values)
            if (!(v >= 0 && v <= 1)) violated("a gray level outside [0, 1]");
    } catch (const std::runtime_error& e) {
        names_the_file(e, path);
    }
}

}  // namespace typenet::fuzz
