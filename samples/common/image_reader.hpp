// Reads a PNG (libpng) or JPEG (libjpeg-turbo) file as one gray channel.
// The file is outside input: decoders made for untrusted files (stb_image,
// used before, wrote past a Huffman table on a fuzzed JPEG), and the declared
// size checked against a pixel limit before anything is decoded, since a
// 400 KB PNG can declare 20000 x 20000 pixels (400 MB of bytes, 1.6 GB as
// floats).
#pragma once

#include <filesystem>
#include <vector>

namespace samples {

// One gray channel, values in [0, 1], row after row.
struct gray_image {
    int width = 0, height = 0;
    std::vector<float> values;
    float at(int x, int y) const { return values[std::size_t(y) * std::size_t(width) + std::size_t(x)]; }
};

inline constexpr double default_megapixels = 64;

// Color becomes luma: (77 R + 150 G + 29 B) / 256 for PNG, JPEG's own Y.
// Throws std::runtime_error naming the file and what is wrong: not a PNG or
// JPEG, damaged, or larger than `max_megapixels` million pixels.
gray_image load_gray(const std::filesystem::path& path, double max_megapixels = default_megapixels);

}  // namespace samples
