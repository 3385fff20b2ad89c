// What one initialization does to a deep network: per layer, the
// activations' mean and standard deviation and the gradient norm of the
// weights feeding them, on one batch; and whether training steps keep a
// layer's filters identical (the symmetry problem).
#pragma once

#include <cmath>
#include <string>
#include <typenet/trainer.hpp>
#include <vector>

namespace samples {

struct layer_statistics {
    int layer = 0;          // the activation's index in the network
    int depth = 0;          // 1 for the first conv's activation, ...
    double mean = 0, stddev = 0;
    double weight_gradient_norm = 0;  // of the conv feeding this activation
};

struct study_result {
    std::string init;
    std::vector<layer_statistics> layers;
    double filter_difference = 0;  // after the training steps: largest |w[unit] - w[0]| in any hidden layer
};

template <class Kernels>
study_result study(const std::string& name, const typenet::init_plan& plan, std::span<const float> images,
                   std::span<const std::int32_t> labels, std::size_t batch, int training_steps, std::uint64_t seed) {
    using namespace typenet;
    constexpr auto& layout = dsl::parameter_layout(Kernels::network);
    constexpr auto& net_nodes = dsl::nodes(Kernels::network);
    aligned_floats params(Kernels::parameter_count), grads(Kernels::parameter_count);
    std::vector<float> state(Kernels::state_count), activations(Kernels::stored_size(batch));
    initialize(params, layout, net_nodes, plan, seed);

    Kernels::train_step_observed(images, labels, batch, params, state, grads, 1, activations);
    study_result r{name, {}, 0};
    std::size_t at = 0;
    int depth = 0;
    for (const auto& s : Kernels::stored_layers) {
        const std::size_t n = batch * s.shape.size();
        if (net_nodes[std::size_t(s.node)].kind == dsl::layer_kind::activation) {
            double sum = 0, squares = 0;
            for (std::size_t i = at; i < at + n; ++i) sum += activations[i], squares += double(activations[i]) * activations[i];
            const double mean = sum / double(n);
            // The weights of the layer feeding this activation (the chain's layer before).
            const dsl::tensor_entry& w = tensor_named(layout, std::to_string(s.node - 1) + ".weight");
            double norm = 0;
            for (std::size_t i = w.offset; i < w.offset + w.count; ++i) norm += double(grads[i]) * grads[i];
            r.layers.push_back({s.node, ++depth, mean, std::sqrt(std::max(0.0, squares / double(n) - mean * mean)),
                                std::sqrt(norm)});
        }
        at += n;
    }

    optimizer sgd(optimizer_options::sgd(0.01), params.size());
    for (int step = 0; step < training_steps; ++step) {
        Kernels::train_step(images, labels, batch, params, state, grads, std::uint32_t(step));
        sgd.step(params, grads);
    }
    // Each output unit's (or conv filter's) weights are one row: out x in (x k x k).
    // The output layer is left out: its units answer different classes, so
    // the labels themselves make them differ.
    int output_layer = 0;
    for (const dsl::tensor_entry& e : layout) output_layer = e.rank >= 2 ? e.node : output_layer;
    for (const dsl::tensor_entry& e : layout) {
        if (e.rank < 2 || e.node == output_layer) continue;
        const std::size_t filter = e.count / std::size_t(e.dims[0]);
        for (std::size_t o = 1; o < std::size_t(e.dims[0]); ++o)
            for (std::size_t i = 0; i < filter; ++i)
                r.filter_difference = std::max(r.filter_difference,
                                               double(std::abs(params[e.offset + o * filter + i] - params[e.offset + i])));
    }
    return r;
}

}  // namespace samples
