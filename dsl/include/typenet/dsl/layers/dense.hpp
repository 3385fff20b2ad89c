// flatten, dense<N> and the softmax cross-entropy head softmax_xent<N>.
#pragma once

#include "../layer_spec.hpp"
#include "../options.hpp"

namespace typenet::dsl {

// C x H x W -> (C*H*W) x 1 x 1, in PyTorch's (C, H, W) order. For the
// receptive field it is a window over the whole input: every output sees all of it.
struct flatten_layer {
    static constexpr label_text label{"flatten"};
    static constexpr layer_description describe(tensor_shape in) {
        layer_description s = slide(layer_kind::flatten, in, {in.h, in.w, 1, 0, 1}, 0);
        s.out = {static_cast<int>(in.size()), 1, 1};
        return s;
    }
};
inline constexpr flatten_layer flatten{};

// torch.nn.Linear: weight N x In (out x in), bias N. Needs a flat input.
template <int N, bool Bias>
struct dense_layer {
    static constexpr int out_features = N;
    static constexpr bool has_bias = Bias;
    static constexpr label_text label = [] {
        label_text t;
        t << "dense<" << N;
        if (!Bias) t << ",no_bias";
        return t << ">";
    }();

    static constexpr layer_description describe(tensor_shape in) {
        layer_description s = first_unmet({{"output size", N, 1}});
        if (!s.problem.empty()) return s;
        if (!in.is_flat())
            return rejected("it needs a flat input (Nx1x1) but gets ", shape_text(in), ": put flatten before it");
        s.kind = layer_kind::dense;
        s.out = {N, 1, 1};
        s.add_param(tensor("weight", N, in.c));
        if (Bias) s.add_param(tensor("bias", N));
        s.macs = std::int64_t{in.c} * N;
        s.fan_in = in.c;
        s.fan_out = N;
        return s;
    }
};

template <int N, class... Opts>
    requires((std::is_same_v<Opts, no_bias> && ...))
inline constexpr dense_layer<N, !detail::has_flag<no_bias, Opts...>> dense{};

// Softmax over N class scores with the cross-entropy loss
// (torch.nn.CrossEntropyLoss, mean over the batch). It ends a network: it
// must be the last layer, and its input must be exactly N x 1 x 1.
template <int Classes>
struct softmax_xent_layer {
    static constexpr int classes = Classes;
    static constexpr label_text label = [] {
        label_text t;
        return t << "softmax_xent<" << Classes << ">";
    }();

    static constexpr layer_description describe(tensor_shape in) {
        layer_description s = first_unmet({{"class count", Classes, 2}});
        if (!s.problem.empty()) return s;
        if (in != tensor_shape{Classes, 1, 1})
            return rejected("it needs ", Classes, " class scores (", Classes, "x1x1) but gets ", shape_text(in));
        s.kind = layer_kind::softmax_xent;
        s.out = in;
        return s;
    }
};
template <int Classes>
inline constexpr softmax_xent_layer<Classes> softmax_xent{};

}  // namespace typenet::dsl
