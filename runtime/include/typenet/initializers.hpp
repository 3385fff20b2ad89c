// Parameter initialization (the lesson's question 4), from each layer's fan-in
// and fan-out as the dsl computes them (torch.nn.init's definitions):
//   xavier_uniform  U(-a, a),  a = gain * sqrt(6 / (fan_in + fan_out))
//   xavier_normal   N(0, s),   s = gain * sqrt(2 / (fan_in + fan_out))
//   he_uniform      U(-a, a),  a = gain * sqrt(3 / fan_in)     gain sqrt(2) for ReLU
//   he_normal       N(0, s),   s = gain / sqrt(fan_in)
//   lecun_normal    N(0, s),   s = 1 / sqrt(fan_in)
// Each tensor draws from its own seeded stream, so the same seed gives
// bit-identical parameters, and changing one layer's choice leaves the others.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <typenet/dsl.hpp>

#include "parameters.hpp"

namespace typenet {

enum class init_method { zeros, constant, uniform, normal, xavier_uniform, xavier_normal, he_uniform, he_normal, lecun_normal };

struct initializer {
    init_method method = init_method::he_normal;
    double a = 0;  // constant: the value; uniform: low; normal: mean; xavier/he: the gain
    double b = 0;  // uniform: high; normal: standard deviation

    static initializer zeros() { return {init_method::zeros}; }
    static initializer constant(double value) { return {init_method::constant, value}; }
    static initializer uniform(double low, double high) { return {init_method::uniform, low, high}; }
    static initializer normal(double mean, double stddev) { return {init_method::normal, mean, stddev}; }
    static initializer xavier_uniform(double gain = 1) { return {init_method::xavier_uniform, gain}; }
    static initializer xavier_normal(double gain = 1) { return {init_method::xavier_normal, gain}; }
    static initializer he_uniform(double gain = std::sqrt(2.0)) { return {init_method::he_uniform, gain}; }
    static initializer he_normal(double gain = std::sqrt(2.0)) { return {init_method::he_normal, gain}; }
    static initializer lecun_normal() { return {init_method::lecun_normal}; }

    // "he_normal", "xavier_uniform", ... ; throws on an unknown name.
    static initializer named(std::string_view name);
};

// Which initializer each weighted layer gets. Unless told otherwise:
// he_normal for a conv or dense layer whose output goes (through batchnorm
// or not, read by it alone) into a ReLU-family activation, xavier_uniform
// for any other; biases zero; batchnorm gamma 1 and beta 0.
struct init_plan {
    std::optional<initializer> weights;     // every weighted layer, instead of the rule above
    // By node index (dsl::nodes; for a chain, nn.Sequential's layer index); wins over `weights`.
    std::map<int, initializer> per_layer;
    initializer biases = initializer::zeros();
};

// Fills `params` (laid out by `layout`) for the network whose graph is `nodes` (dsl::nodes).
void initialize(std::span<float> params, tensor_layout layout, std::span<const dsl::node_info> nodes,
                const init_plan& plan, std::uint64_t seed);

// The initializer `plan` gives node `index` (a conv or dense layer).
initializer weight_initializer(std::span<const dsl::node_info> nodes, int index, const init_plan& plan);

// The standard deviation a weight initializer draws with, for a layer of these fans.
double init_stddev(const initializer& init, int fan_in, int fan_out);

}  // namespace typenet
