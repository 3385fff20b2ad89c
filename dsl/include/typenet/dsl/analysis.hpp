// Everything the network's type implies, computed once per network type in
// one loop at compile time (and only when asked): each layer's input and
// output shape, receptive field, jump and start, parameters, MACs, fans.
#pragma once

#include <array>

#include "network.hpp"

namespace typenet::dsl {

// What the network knows about one of its layers.
struct layer_info : layer_spec {
    int index = 0;          // position after the input: PyTorch's nn.Sequential index
    std::string_view label;  // the layer type's label, e.g. "conv<16,3>"
    tensor_shape in{};
    receptive rf_h{}, rf_w{};  // receptive field, jump and start along height and width

    constexpr receptive rf() const { return rf_h; }
};

template <class Net>
struct analysis;

template <int C, int H, int W, tensor_shape Output, bool Ended, class... Layers>
struct analysis<network<input_layer<C, H, W, Output, Ended>, Layers...>> {
    static constexpr std::size_t depth = sizeof...(Layers);
    static constexpr tensor_shape input{C, H, W};

    struct result_type {
        std::array<layer_info, depth> layers{};
        tensor_shape output{C, H, W};
        receptive rf_h{}, rf_w{};
    };

    // Composition has checked every layer, so each describe() succeeds here.
    static constexpr result_type result = [] {
        using describe_fn = layer_description (*)(tensor_shape);
        constexpr std::array<describe_fn, depth> describes{&Layers::describe...};
        constexpr std::array<std::string_view, depth> labels{Layers::label.view()...};

        result_type r;
        for (std::size_t i = 0; i < depth; ++i) {
            const layer_description spec = describes[i](r.output);
            if (spec.slides) {
                const window& win = *spec.slides;
                r.rf_h = r.rf_h.through(win.extent_h(), win.stride, win.pad);
                r.rf_w = r.rf_w.through(win.extent_w(), win.stride, win.pad);
            }
            layer_info& info = r.layers[i];
            static_cast<layer_spec&>(info) = spec;
            info.index = static_cast<int>(i);
            info.label = labels[i];
            info.in = r.output;
            info.rf_h = r.rf_h;
            info.rf_w = r.rf_w;
            r.output = spec.out;
        }
        return r;
    }();
};

}  // namespace typenet::dsl
