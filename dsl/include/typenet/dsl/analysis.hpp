// Everything the network's type implies, computed once per network type at
// compile time (and only when asked): its graph of nodes (graph.hpp) and,
// per top-level layer, its input and output shape, receptive field, jump
// and start, parameters, MACs, fans.
#pragma once

#include <array>

#include "graph.hpp"
#include "network.hpp"

namespace typenet::dsl {

// What the network knows about one of its top-level layers. A unit's
// (residual, concat) spec has no tensors of its own: its nodes hold them.
struct layer_info : layer_spec {
    int index = 0;          // position after the input: PyTorch's nn.Sequential index
    std::string_view label;  // the layer type's label, e.g. "conv<16,3>"
    tensor_shape in{};
    receptive rf_h{}, rf_w{};  // receptive field, jump and start along height and width
    std::int64_t parameters = 0;  // its trainable values, a unit's nodes' together
    int first_node = 0, end_node = 0;  // its nodes in nodes(net): [first_node, end_node)

    constexpr receptive rf() const { return rf_h; }
};

template <class Net>
struct analysis;

template <int C, int H, int W, tensor_shape Output, bool Ended, class... Layers>
struct analysis<network<input_layer<C, H, W, Output, Ended>, Layers...>> {
    static constexpr std::size_t depth = sizeof...(Layers);
    static constexpr std::size_t node_count = (std::size_t{0} + ... + node_count_of<Layers>());
    static constexpr tensor_shape input{C, H, W};

    struct result_type {
        std::array<layer_info, depth> layers{};
        std::array<node_info, node_count> nodes{};
        // Per node, how many nodes read its output, and which one where
        // that is exactly one (else -1); index node_count is the input's.
        std::array<int, node_count + 1> reader_count{};
        std::array<int, node_count + 1> sole_reader{};
        int output_node = network_input;
        tensor_shape output{C, H, W};
        receptive rf_h{}, rf_w{};
    };

    // Composition has checked every layer, so the walk cannot fail here.
    static constexpr result_type result = [] {
        graph_builder<node_count> g{input};
        result_type r;
        int from = network_input;
        int i = 0;
        const auto walk = [&]<class L>() {
            layer_info& info = r.layers[i];
            info.first_node = g.count;
            node_place place;
            place.path << i;
            place.layer = i;
            from = add_nodes<L>(g, from, place);
            info.end_node = g.count;
            const node_info& out = g.nodes[from];
            if constexpr (unit_layer<L>) {
                info.kind = out.kind == layer_kind::add ? layer_kind::residual : layer_kind::concat;
                info.out = out.out;
            } else {
                static_cast<layer_spec&>(info) = out;
            }
            info.index = i;
            info.label = L::label.view();
            info.in = r.output;
            info.rf_h = out.rf_h;
            info.rf_w = out.rf_w;
            info.macs = 0;
            for (int n = info.first_node; n < info.end_node; ++n) {
                info.parameters += g.nodes[n].param_count();
                info.macs += g.nodes[n].macs;
            }
            r.output = out.out;
            r.rf_h = out.rf_h;
            r.rf_w = out.rf_w;
            ++i;
        };
        (walk.template operator()<Layers>(), ...);
        r.output_node = from;
        for (std::size_t n = 0; n < node_count; ++n) {
            r.nodes[n] = g.nodes[n];
            for (int k = 0; k < g.nodes[n].input_count; ++k) {
                const int p = g.nodes[n].inputs[k];
                const std::size_t at = p == network_input ? node_count : std::size_t(p);
                r.sole_reader[at] = r.reader_count[at]++ == 0 ? int(n) : -1;
            }
        }
        for (std::size_t n = 0; n <= node_count; ++n)
            if (r.reader_count[n] != 1) r.sole_reader[n] = -1;
        return r;
    }();
};

}  // namespace typenet::dsl
