// The flat, aligned buffers a network trains: parameters (and their
// gradients, and optimizer state) in the dsl's parameter_layout, batchnorm
// statistics in its buffer_layout. Tensors are views by PyTorch name.
#pragma once

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typenet/dsl/layout.hpp>
#include <vector>
#include <xsimd/xsimd.hpp>

namespace typenet {

// Floats on 64-byte boundaries: whole vectors load and store from the start.
using aligned_floats = std::vector<float, xsimd::aligned_allocator<float, 64>>;

using tensor_layout = std::span<const dsl::tensor_entry>;

// The entry of `layout` named `name` ("3.weight"); throws naming what exists.
inline const dsl::tensor_entry& tensor_named(tensor_layout layout, std::string_view name) {
    for (const dsl::tensor_entry& e : layout)
        if (e.name.view() == name) return e;
    std::string known;
    for (const dsl::tensor_entry& e : layout) known += (known.empty() ? "" : ", ") + std::string(e.name.view());
    throw std::out_of_range("typenet: this network has no tensor \"" + std::string(name) + "\" (it has: " + known + ")");
}

// The elements of one tensor inside a flat buffer laid out by `layout`.
template <class T>
std::span<T> tensor_view(std::span<T> flat, tensor_layout layout, std::string_view name) {
    const dsl::tensor_entry& e = tensor_named(layout, name);
    return flat.subspan(e.offset, e.count);
}

// Dimensions as text, PyTorch's order: "32x1x3x3".
inline std::string dims_text(const dsl::tensor_entry& e) {
    std::string s;
    for (int d = 0; d < e.rank; ++d) s += (d ? "x" : "") + std::to_string(e.dims[d]);
    return s.empty() ? "scalar" : s;
}

}  // namespace typenet
