// Which node outputs a training step keeps between its forward and its
// backward pass: the contract between the generated training pipelines and
// the runtime that allocates these buffers. A pure function of the graph.
//
// Kept: every node's output except flatten's (a view of its input), the
// loss head's (its input), and the outputs computed inside their one
// reader (computed_inside_next): that of a conv, dense, pooling layer or a
// residual's sum read only by an activation or dropout (fused inside that
// reader's output; backward never reads it), that of a batchnorm read only
// by an activation (recomputed inside the activation from batchnorm's
// stored input; activations differentiate through their output), and that
// of such an activation read only by pooling (recomputed inside the pooling
// the same way: backward reads batchnorm's input in the same passes anyway,
// so the activation costs a write and two reads less).
#pragma once

#include <array>

#include "queries.hpp"

namespace typenet::dsl {

struct stored_activation {
    int node = 0;
    tensor_shape shape{};
};

// Whether a node of kind `k` (reading a batchnorm's output or not) whose
// only reader is of kind `next` is computed inside that reader in training,
// and so not kept (the rule above); the generators' schedules follow the
// same rule.
constexpr bool computed_inside_next(layer_kind k, layer_kind next, bool after_batchnorm) {
    const bool heavy = k == layer_kind::conv || k == layer_kind::fixed_conv || k == layer_kind::dense ||
                       k == layer_kind::maxpool || k == layer_kind::avgpool || k == layer_kind::global_avgpool ||
                       k == layer_kind::add;
    const bool pooling = next == layer_kind::maxpool || next == layer_kind::avgpool;
    return (heavy && (next == layer_kind::activation || next == layer_kind::dropout)) ||
           (k == layer_kind::batchnorm && next == layer_kind::activation) ||
           (k == layer_kind::activation && after_batchnorm && pooling);
}

// Whether node n, in training, is computed inside its only reader.
template <network_type Net>
constexpr bool computed_inside_reader(Net net, int n) {
    const auto& g = nodes(net);
    const int next = sole_reader(net, n);
    if (next < 0) return false;
    const int producer = g[n].inputs[0];
    const bool after_batchnorm = g[n].input_count == 1 && producer != network_input &&
                                 g[producer].kind == layer_kind::batchnorm && sole_reader(net, producer) == n;
    return computed_inside_next(g[n].kind, g[next].kind, after_batchnorm);
}

namespace detail {
template <class Net>
constexpr bool is_stored(std::size_t i) {
    const auto& l = analysis<Net>::result.nodes;
    if (l[i].kind == layer_kind::flatten || l[i].kind == layer_kind::softmax_xent) return false;
    return !computed_inside_reader(Net{}, int(i));
}

template <class Net>
inline constexpr std::size_t stored_count = [] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < analysis<Net>::node_count; ++i) n += is_stored<Net>(i);
    return n;
}();
}  // namespace detail

template <network_type Net>
constexpr auto training_activations(Net) {
    std::array<stored_activation, detail::stored_count<Net>> out{};
    std::size_t k = 0;
    for (std::size_t i = 0; i < analysis<Net>::node_count; ++i)
        if (detail::is_stored<Net>(i)) out[k++] = {static_cast<int>(i), analysis<Net>::result.nodes[i].out};
    return out;
}

}  // namespace typenet::dsl
