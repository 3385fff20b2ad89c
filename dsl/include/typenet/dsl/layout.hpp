// Where every tensor lives in the flat buffers: parameter_layout(net) for the
// trainable parameters, buffer_layout(net) for running statistics. Names and
// dimension orders are PyTorch's ("3.weight", "4.body.0.weight", OIHW), so a
// checkpoint maps onto an equivalent torch.nn.Sequential. Tensors are stored
// back to back in graph order.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "analysis.hpp"

namespace typenet::dsl {

struct tensor_entry {
    static_text<72> name;  // "<node path>.<attribute>": "3.weight", "4.body.0.weight"
    int node = 0;          // the node that owns it, in nodes(net)
    int rank = 0;
    std::array<int, 4> dims{};
    std::size_t offset = 0;  // in elements from the start of the buffer
    std::size_t count = 0;
};

namespace detail {
enum class tensor_group { parameters, buffers };

template <class Net, tensor_group Group>
struct layout_of {
    static constexpr std::size_t tensors = [] {
        std::size_t n = 0;
        for (const node_info& l : analysis<Net>::result.nodes)
            n += Group == tensor_group::parameters ? l.param_tensors : l.buffer_tensors;
        return n;
    }();

    static constexpr std::array<tensor_entry, tensors> entries = [] {
        std::array<tensor_entry, tensors> out{};
        std::size_t n = 0, offset = 0;
        for (const node_info& l : analysis<Net>::result.nodes) {
            const bool params = Group == tensor_group::parameters;
            for (int t = 0; t < (params ? l.param_tensors : l.buffer_tensors); ++t) {
                const tensor_spec& spec = params ? l.params[t] : l.buffers[t];
                tensor_entry& e = out[n++];
                e.name << l.path << "." << spec.name;
                e.node = l.index;
                e.rank = spec.rank;
                e.dims = spec.dims;
                e.offset = offset;
                e.count = static_cast<std::size_t>(spec.count());
                offset += e.count;
            }
        }
        return out;
    }();
};
}  // namespace detail

template <network_type Net>
constexpr const auto& parameter_layout(Net) {
    return detail::layout_of<Net, detail::tensor_group::parameters>::entries;
}

template <network_type Net>
constexpr const auto& buffer_layout(Net) {
    return detail::layout_of<Net, detail::tensor_group::buffers>::entries;
}

// Elements in a layout's flat buffer.
template <std::size_t N>
constexpr std::size_t total_count(const std::array<tensor_entry, N>& layout) {
    return N == 0 ? 0 : layout[N - 1].offset + layout[N - 1].count;
}

// The entry named `name` ("3.weight"), or nullptr.
template <std::size_t N>
constexpr const tensor_entry* find_tensor(const std::array<tensor_entry, N>& layout, std::string_view name) {
    for (const tensor_entry& e : layout)
        if (e.name.view() == name) return &e;
    return nullptr;
}

}  // namespace typenet::dsl
