// fixed_conv<filters(f1, f2, ...), options...>: a convolution whose weights
// are part of the network's type (Sobel, Laplacian, ...). One output channel
// per filter; nothing to train.
#pragma once

#include "../layer_spec.hpp"
#include "../options.hpp"

namespace typenet::dsl {

// One output channel's weights over InC input channels, with a name
// (which becomes the channel's name, e.g. an output file "sobel_x.png").
template <int InC, int K>
struct filter {
    char name[24]{};
    float weights[InC][K][K]{};

    static constexpr int in_channels = InC;
    static constexpr int size = K;
    constexpr std::string_view name_view() const { return std::string_view(name); }
};

// A single-channel K x K kernel.
template <int K>
using kernel = filter<1, K>;

template <int OutC, int InC, int K>
struct filter_bank {
    filter<InC, K> filters[OutC]{};

    static constexpr int out_channels = OutC;
    static constexpr int in_channels = InC;
    static constexpr int size = K;
    constexpr float weight(int o, int i, int y, int x) const { return filters[o].weights[i][y][x]; }
};

template <int InC, int K, class... More>
consteval auto filters(const filter<InC, K>& first, const More&... more) {
    static_assert((std::is_same_v<More, filter<InC, K>> && ...),
                  "typenet: all filters of a fixed_conv must have the same size and input channel count");
    return filter_bank<1 + sizeof...(More), InC, K>{{first, more...}};
}

// The lesson's three edge filters, exactly as the lesson writes them.
inline constexpr kernel<3> sobel_x{"sobel_x", {{{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}}}};
inline constexpr kernel<3> sobel_y{"sobel_y", {{{1, 2, 1}, {0, 0, 0}, {-1, -2, -1}}}};
inline constexpr kernel<3> laplacian{"laplacian", {{{0, 1, 0}, {1, -4, 1}, {0, 1, 0}}}};

template <auto Bank, int Stride, int Pad, int Dilation>
struct fixed_conv_layer {
    static constexpr auto bank = Bank;
    static constexpr int out_channels = Bank.out_channels;
    static constexpr int kernel = Bank.size;
    static constexpr int stride = Stride;
    static constexpr int padding = Pad;
    static constexpr int dilation = Dilation;
    static constexpr window geometry{Bank.size, Bank.size, Stride, Pad, Dilation};

    static constexpr label_text label = [] {
        label_text t;
        t << "fixed_conv<";
        for (int o = 0; o < Bank.out_channels; ++o) t << (o ? "," : "") << Bank.filters[o].name_view();
        if (Stride != 1) t << ",stride<" << Stride << ">";
        if (Pad != 0) t << ",pad<" << Pad << ">";
        if (Dilation != 1) t << ",dilation<" << Dilation << ">";
        return t << ">";
    }();

    static constexpr layer_description describe(tensor_shape in) {
        if (in.c != Bank.in_channels)
            return rejected("its filters read ", Bank.in_channels, " input channel", Bank.in_channels == 1 ? "" : "s",
                            " but the input has ", in.c);
        layer_description s = first_unmet({{"stride", Stride, 1}, {"padding", Pad, 0}, {"dilation", Dilation, 1}});
        if (!s.problem.empty()) return s;
        s = slide(layer_kind::fixed_conv, in, geometry, Bank.out_channels);
        if (s.problem.empty()) s.macs = s.out.size() * in.c * Bank.size * Bank.size;
        return s;
    }
};

namespace detail {
template <class... Opts>
consteval bool valid_fixed_conv_options() {
    static_assert(((is_option<stride, Opts> || is_option<pad, Opts> || is_option<dilation, Opts>) && ...),
                  "typenet: fixed_conv accepts only the options stride<S>, pad<P> and dilation<D>");
    return true;
}
}  // namespace detail

template <auto Bank, class... Opts>
    requires(detail::valid_fixed_conv_options<Opts...>())
inline constexpr fixed_conv_layer<Bank, detail::option_value<stride, 1, Opts...>(),
                                  detail::option_value<pad, 0, Opts...>(),
                                  detail::option_value<dilation, 1, Opts...>()>
    fixed_conv{};

}  // namespace typenet::dsl
