// The safetensors format: an 8-byte little-endian header length N, N bytes of
// JSON ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
// "__metadata__": {string: string}}), then the tensors' raw little-endian
// bytes, offsets counted from the end of the header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace typenet {

struct checkpoint_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct stored_tensor {
    std::string name;
    std::string dtype;                 // "F32", "I64", ...
    std::vector<std::int64_t> shape;   // empty for a scalar
    std::vector<std::byte> data;

    std::int64_t elements() const;
    std::string shape_text() const;    // "32x1x3x3"
};

struct safetensors_file {
    std::vector<stored_tensor> tensors;  // in file order
    std::map<std::string, std::string> metadata;

    const stored_tensor* find(const std::string& name) const;
    void add_f32(std::string name, std::vector<std::int64_t> shape, std::span<const float> values);
    void add_i64(std::string name, std::vector<std::int64_t> shape, std::span<const std::int64_t> values);
};

// Writes atomically: a temporary file beside `path`, flushed to disk, then
// renamed over it. On any failure (a full disk included) the temporary file
// is removed, `path` keeps its old content, and checkpoint_error says why.
void write_safetensors(const std::filesystem::path& path, const safetensors_file& file);

// Reads and validates a whole file; checkpoint_error names the file and the fault.
safetensors_file read_safetensors(const std::filesystem::path& path);

// Byte size of one element of a safetensors dtype; 0 for an unknown one.
std::size_t dtype_size(const std::string& dtype);

}  // namespace typenet
