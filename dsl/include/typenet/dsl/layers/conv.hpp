// conv<OutC, K, options...>: a trainable 2-D convolution (torch.nn.Conv2d),
// weight OutC x InC/G x K x K (OIHW, G the groups, 1 unless groups<G>) and,
// unless no_bias, a bias of OutC.
#pragma once

#include "../layer_spec.hpp"
#include "../options.hpp"

namespace typenet::dsl {

template <int OutC, int K, int Stride, int Pad, int Dilation, bool Bias, int Groups = 1>
struct conv_layer {
    static constexpr int out_channels = OutC;
    static constexpr int kernel = K;
    static constexpr int stride = Stride;
    static constexpr int padding = Pad;
    static constexpr int dilation = Dilation;
    static constexpr bool has_bias = Bias;
    static constexpr int groups = Groups;
    static constexpr window geometry{K, K, Stride, Pad, Dilation};

    static constexpr label_text label = [] {
        label_text t;
        t << "conv<" << OutC << "," << K;
        if (Stride != 1) t << ",stride<" << Stride << ">";
        if (Pad != 0) t << ",pad<" << Pad << ">";
        if (Dilation != 1) t << ",dilation<" << Dilation << ">";
        if (Groups != 1) t << ",groups<" << Groups << ">";
        if (!Bias) t << ",no_bias";
        return t << ">";
    }();

    static constexpr layer_description describe(tensor_shape in) {
        layer_description s = first_unmet({{"output channel count", OutC, 1},
                                    {"kernel size", K, 1},
                                    {"stride", Stride, 1},
                                    {"padding", Pad, 0},
                                    {"dilation", Dilation, 1},
                                    {"group count", Groups, 1}});
        if (!s.problem.empty()) return s;
        if (in.c % Groups != 0 || OutC % Groups != 0)
            return rejected("its ", Groups, " groups must divide both its input channels (", in.c,
                            ") and its output channels (", OutC, ")");
        s = slide(layer_kind::conv, in, geometry, OutC);
        if (!s.problem.empty()) return s;
        const int group_in = in.c / Groups;
        s.add_param(tensor("weight", OutC, group_in, K, K));
        if (Bias) s.add_param(tensor("bias", OutC));
        s.macs = s.out.size() * group_in * K * K;
        // torch.nn.init: fan_in from the weight's dim 1 (InC/G), fan_out from dim 0.
        s.fan_in = group_in * K * K;
        s.fan_out = OutC * K * K;
        return s;
    }
};

namespace detail {
template <class... Opts>
consteval bool valid_conv_options() {
    static_assert(((is_option<stride, Opts> || is_option<pad, Opts> || is_option<dilation, Opts> ||
                    is_option<groups, Opts> || std::is_same_v<Opts, no_bias>) && ...),
                  "typenet: conv accepts only the options stride<S>, pad<P>, dilation<D>, groups<G> and no_bias");
    static_assert(option_count<stride, Opts...> <= 1 && option_count<pad, Opts...> <= 1 &&
                      option_count<dilation, Opts...> <= 1 && option_count<groups, Opts...> <= 1,
                  "typenet: a conv option is given twice");
    return true;
}
}  // namespace detail

template <int OutC, int K, class... Opts>
    requires(detail::valid_conv_options<Opts...>())
inline constexpr conv_layer<OutC, K, detail::option_value<stride, 1, Opts...>(),
                            detail::option_value<pad, 0, Opts...>(), detail::option_value<dilation, 1, Opts...>(),
                            !detail::has_flag<no_bias, Opts...>, detail::option_value<groups, 1, Opts...>()>
    conv{};

}  // namespace typenet::dsl
