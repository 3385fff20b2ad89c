// maxpool<K>, maxpool<K, S>, avgpool<K>, avgpool<K, S> (stride defaults to K;
// options pad<P> and tile_exactly) and global_avgpool.
//
// Like PyTorch (ceil_mode=False), a window that would hang off the edge is
// dropped; tile_exactly turns that into a compile error instead. avgpool
// counts padded zeros in its mean (PyTorch's count_include_pad=True).
#pragma once

#include "../layer_spec.hpp"
#include "../options.hpp"

namespace typenet::dsl {

template <layer_kind Kind, int K, int S, int Pad, bool Exact>
struct pool_layer {
    static constexpr int kernel = K;
    static constexpr int stride = S;
    static constexpr int padding = Pad;
    static constexpr bool exact = Exact;
    static constexpr window geometry{K, K, S, Pad, 1};

    static constexpr label_text label = [] {
        label_text t;
        t << (Kind == layer_kind::maxpool ? "maxpool<" : "avgpool<") << K;
        if (S != K || Pad != 0 || Exact) t << "," << S;
        if (Pad != 0) t << ",pad<" << Pad << ">";
        if (Exact) t << ",tile_exactly";
        return t << ">";
    }();

    static constexpr layer_description describe(tensor_shape in) {
        layer_description s = first_unmet({{"window size", K, 1}, {"stride", S, 1}, {"padding", Pad, 0}});
        if (!s.problem.empty()) return s;
        if (2 * Pad > K)
            return rejected("its padding ", Pad, " is more than half of its ", spatial_text(K, K), " window");
        s = slide(Kind, in, geometry, in.c);
        if (!s.problem.empty() || !Exact) return s;
        const int left_h = (in.h + 2 * Pad - K) % S, left_w = (in.w + 2 * Pad - K) % S;
        if (left_h != 0 || left_w != 0)
            return rejected("its ", spatial_text(K, K), " window with stride ", S, " does not tile its ",
                            spatial_text(in.h, in.w), " input: ", left_h, " row", left_h == 1 ? "" : "s", " and ",
                            left_w, " column", left_w == 1 ? "" : "s", " would be left over");
        return s;
    }
};

namespace detail {
template <class... Opts>
consteval bool valid_pool_options() {
    static_assert(((is_option<pad, Opts> || std::is_same_v<Opts, tile_exactly>) && ...),
                  "typenet: pooling accepts only the options pad<P> and tile_exactly");
    return true;
}
template <layer_kind Kind, int K, int S, class... Opts>
using pool_of = pool_layer<Kind, K, S, option_value<pad, 0, Opts...>(), has_flag<tile_exactly, Opts...>>;
}  // namespace detail

template <int K, int S = K, class... Opts>
    requires(detail::valid_pool_options<Opts...>())
inline constexpr detail::pool_of<layer_kind::maxpool, K, S, Opts...> maxpool{};

template <int K, int S = K, class... Opts>
    requires(detail::valid_pool_options<Opts...>())
inline constexpr detail::pool_of<layer_kind::avgpool, K, S, Opts...> avgpool{};

// The mean of each channel: a window as large as its input.
struct global_avgpool_layer {
    static constexpr label_text label{"global_avgpool"};
    static constexpr layer_description describe(tensor_shape in) {
        return slide(layer_kind::global_avgpool, in, {in.h, in.w, 1, 0, 1}, in.c);
    }
};
inline constexpr global_avgpool_layer global_avgpool{};

}  // namespace typenet::dsl
