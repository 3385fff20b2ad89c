// MNIST's IDX files, plain or gzip-compressed: magic number 0x0000 TT NN
// (TT the element type, NN the number of dimensions), NN big-endian 32-bit
// dimensions, then the elements. Only unsigned bytes (TT = 0x08), the type
// every MNIST-format data set uses.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace typenet {

// A data file that cannot be used; what() names the file and what is wrong.
struct data_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct idx_array {
    std::vector<std::uint32_t> dims;    // dims[0] is the number of items
    std::vector<std::uint8_t> values;   // row-major
};

// Reads a whole IDX file (.gz or not: detected from its content); throws
// data_error for a missing, truncated, oversized or malformed file.
idx_array read_idx(const std::filesystem::path& path);

}  // namespace typenet
