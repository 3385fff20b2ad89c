// Optimizers over the flat parameter buffer, vectorized with xsimd. Each
// follows the update that PyTorch 1.13 documents for torch.optim (same
// defaults, same order of operations), so a run switched from PyTorch
// follows the same trajectory. With g the gradient and t the step (from 1):
//   sgd      g += wd p; b = t==1 ? g : mu b + (1-dampening) g;
//            g = nesterov ? g + mu b : b (momentum > 0); p -= lr g
//   adagrad  clr = lr / (1 + (t-1) lr_decay); g += wd p; s += g^2; p -= clr g / (sqrt(s) + eps)
//   rmsprop  g += wd p; v = alpha v + (1-alpha) g^2; centered: a = alpha a + (1-alpha) g, v~ = v - a^2;
//            d = sqrt(v~) + eps; momentum: b = mu b + g / d, p -= lr b; else p -= lr g / d
//   adam     g += wd p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
//            p -= lr / (1-b1^t) * m / (sqrt(v) / sqrt(1-b2^t) + eps)
//   adamw    p *= 1 - lr wd; then adam without the wd term
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "parameters.hpp"

namespace typenet {

enum class optimizer_kind { sgd, adagrad, rmsprop, adam, adamw };

struct optimizer_options {
    optimizer_kind kind = optimizer_kind::sgd;
    double lr = 0.01;
    double weight_decay = 0;
    double momentum = 0;            // sgd, rmsprop
    double dampening = 0;           // sgd
    bool nesterov = false;          // sgd
    double alpha = 0.99;            // rmsprop
    bool centered = false;          // rmsprop
    double lr_decay = 0;            // adagrad
    double initial_accumulator = 0; // adagrad
    double beta1 = 0.9, beta2 = 0.999;
    double eps = 1e-8;              // adagrad's default is 1e-10

    // PyTorch's defaults for each optimizer.
    static optimizer_options sgd(double lr, double momentum = 0, double weight_decay = 0, bool nesterov = false);
    static optimizer_options adagrad(double lr = 0.01, double weight_decay = 0);
    static optimizer_options rmsprop(double lr = 0.01, double momentum = 0, double weight_decay = 0);
    static optimizer_options adam(double lr = 0.001, double weight_decay = 0);
    static optimizer_options adamw(double lr = 0.001, double weight_decay = 0.01);
    // By name: "sgd", "momentum" (0.9), "nesterov" (0.9), "adagrad", "rmsprop", "adam", "adamw".
    static optimizer_options named(std::string_view name, double lr);

    bool operator==(const optimizer_options&) const = default;
};

std::string_view optimizer_name(optimizer_kind kind);

class optimizer {
public:
    optimizer(const optimizer_options& options, std::size_t parameter_count);

    // One update of `params` from `gradients`, at learning rate `lr` (a
    // schedule's value for this step; options().lr is the base rate).
    void step(std::span<float> params, std::span<const float> gradients, double lr);
    void step(std::span<float> params, std::span<const float> gradients) { step(params, gradients, options_.lr); }

    const optimizer_options& options() const { return options_; }
    std::int64_t steps() const { return steps_; }

    // The state a checkpoint keeps, by PyTorch's names ("momentum_buffer",
    // "sum", "square_avg", "grad_avg", "exp_avg", "exp_avg_sq"), each shaped
    // like the parameters. restore() takes them back with the step count.
    struct named_state {
        std::string_view name;
        std::span<float> values;
    };
    std::vector<named_state> state();
    void set_steps(std::int64_t steps) { steps_ = steps; }

private:
    optimizer_options options_;
    std::int64_t steps_ = 0;
    aligned_floats first_, second_;  // per optimizer: momentum / sum / square_avg / exp_avg, then grad_avg / exp_avg_sq
};

}  // namespace typenet
