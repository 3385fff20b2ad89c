// Which layer outputs a training step keeps between its forward and its
// backward pass: the contract between the generated training pipelines and
// the runtime that allocates these buffers. A pure function of the network.
//
// Kept: every layer's output except flatten's (a view of its input), the
// loss head's (its input), that of a conv, dense or pooling layer directly
// followed by an activation or dropout (computed, fused, inside that
// layer's output; backward never reads it), that of a batchnorm directly
// followed by an activation (recomputed inside the activation from
// batchnorm's stored input; activations differentiate through their output),
// and that of such an activation directly followed by pooling (recomputed
// inside the pooling the same way: backward reads batchnorm's input in the
// same passes anyway, so the activation costs a write and two reads less).
#pragma once

#include <array>

#include "analysis.hpp"

namespace typenet::dsl {

struct stored_activation {
    int layer = 0;
    tensor_shape shape{};
};

// Whether a layer of kind `k` (right after a batchnorm or not) followed by
// one of kind `next` is computed inside the next layer in training, and so
// not kept (the rule above); the generators' schedules follow the same rule.
constexpr bool computed_inside_next(layer_kind k, layer_kind next, bool after_batchnorm) {
    const bool heavy = k == layer_kind::conv || k == layer_kind::fixed_conv || k == layer_kind::dense ||
                       k == layer_kind::maxpool || k == layer_kind::avgpool || k == layer_kind::global_avgpool;
    const bool pooling = next == layer_kind::maxpool || next == layer_kind::avgpool;
    return (heavy && (next == layer_kind::activation || next == layer_kind::dropout)) ||
           (k == layer_kind::batchnorm && next == layer_kind::activation) ||
           (k == layer_kind::activation && after_batchnorm && pooling);
}

namespace detail {
template <class Net>
constexpr bool is_stored(std::size_t i) {
    const auto& l = analysis<Net>::result.layers;
    if (l[i].kind == layer_kind::flatten || l[i].kind == layer_kind::softmax_xent) return false;
    return !(i + 1 < Net::depth &&
             computed_inside_next(l[i].kind, l[i + 1].kind, i > 0 && l[i - 1].kind == layer_kind::batchnorm));
}

template <class Net>
inline constexpr std::size_t stored_count = [] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < Net::depth; ++i) n += is_stored<Net>(i);
    return n;
}();
}  // namespace detail

template <network_type Net>
constexpr auto training_activations(Net) {
    std::array<stored_activation, detail::stored_count<Net>> out{};
    std::size_t k = 0;
    for (std::size_t i = 0; i < Net::depth; ++i)
        if (detail::is_stored<Net>(i)) out[k++] = {static_cast<int>(i), analysis<Net>::result.layers[i].out};
    return out;
}

}  // namespace typenet::dsl
