// conv<OutC, K, options...>: a trainable 2-D convolution (torch.nn.Conv2d),
// weight OutC x InC x K x K (OIHW) and, unless no_bias, a bias of OutC.
#pragma once

#include "../layer_spec.hpp"
#include "../options.hpp"

namespace typenet::dsl {

template <int OutC, int K, int Stride, int Pad, int Dilation, bool Bias>
struct conv_layer {
    static constexpr int out_channels = OutC;
    static constexpr int kernel = K;
    static constexpr int stride = Stride;
    static constexpr int padding = Pad;
    static constexpr int dilation = Dilation;
    static constexpr bool has_bias = Bias;
    static constexpr window geometry{K, K, Stride, Pad, Dilation};

    static constexpr label_text label = [] {
        label_text t;
        t << "conv<" << OutC << "," << K;
        if (Stride != 1) t << ",stride<" << Stride << ">";
        if (Pad != 0) t << ",pad<" << Pad << ">";
        if (Dilation != 1) t << ",dilation<" << Dilation << ">";
        if (!Bias) t << ",no_bias";
        return t << ">";
    }();

    static constexpr layer_description describe(tensor_shape in) {
        layer_description s = first_unmet({{"output channel count", OutC, 1},
                                    {"kernel size", K, 1},
                                    {"stride", Stride, 1},
                                    {"padding", Pad, 0},
                                    {"dilation", Dilation, 1}});
        if (!s.problem.empty()) return s;
        s = slide(layer_kind::conv, in, geometry, OutC);
        if (!s.problem.empty()) return s;
        s.add_param(tensor("weight", OutC, in.c, K, K));
        if (Bias) s.add_param(tensor("bias", OutC));
        s.macs = s.out.size() * in.c * K * K;
        s.fan_in = in.c * K * K;
        s.fan_out = OutC * K * K;
        return s;
    }
};

namespace detail {
template <class... Opts>
consteval bool valid_conv_options() {
    static_assert(((is_option<stride, Opts> || is_option<pad, Opts> || is_option<dilation, Opts> ||
                    std::is_same_v<Opts, no_bias>) && ...),
                  "typenet: conv accepts only the options stride<S>, pad<P>, dilation<D> and no_bias");
    static_assert(option_count<stride, Opts...> <= 1 && option_count<pad, Opts...> <= 1 &&
                      option_count<dilation, Opts...> <= 1,
                  "typenet: a conv option is given twice");
    return true;
}
}  // namespace detail

template <int OutC, int K, class... Opts>
    requires(detail::valid_conv_options<Opts...>())
inline constexpr conv_layer<OutC, K, detail::option_value<stride, 1, Opts...>(),
                            detail::option_value<pad, 0, Opts...>(), detail::option_value<dilation, 1, Opts...>(),
                            !detail::has_flag<no_bias, Opts...>>
    conv{};

}  // namespace typenet::dsl
