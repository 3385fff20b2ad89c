// Elementwise layers: activations and dropout, forward and backward. They
// are stored or computed inside another node as the fusion policy
// (fusion.hpp) decides; nothing of their own to schedule.
#pragma once

#include <algorithm>
#include <cmath>

#include "../node.hpp"
#include "../random.hpp"
#include "../schedule.hpp"

namespace typenet::gen::ops {

struct activation_state {
    dsl::activation function{};
    float parameter = 0;  // leaky_relu's slope, elu's alpha
};

inline void activation_forward(lowering_context& cx, lowered_node& l, const activation_state& s) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    const Expr v = l.in[0](x, y, c, n);
    const float a = s.parameter;
    Expr e;
    switch (s.function) {
        case dsl::activation::relu: e = Halide::max(v, 0.f); break;
        case dsl::activation::leaky_relu: e = Halide::select(v > 0.f, v, a * v); break;
        case dsl::activation::tanh: e = Halide::tanh(v); break;
        case dsl::activation::sigmoid: e = 1.f / (1.f + Halide::exp(-v)); break;
        case dsl::activation::elu: e = Halide::select(v > 0.f, v, a * (Halide::exp(v) - 1.f)); break;
    }
    l.out = cx.output_func(l);
    l.out(x, y, c, n) = e;
}

// Written in terms of the output, so backward never needs the input kept.
inline void activation_backward(lowering_context& cx, lowered_node& l, const activation_state& s) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    const float a = s.parameter;
    const Expr o = l.out(x, y, c, n), g = l.d_out(x, y, c, n);
    Expr d;
    switch (s.function) {
        case dsl::activation::relu: d = Halide::select(o > 0.f, g, 0.f); break;
        case dsl::activation::leaky_relu: d = Halide::select(o > 0.f, g, a * g); break;
        case dsl::activation::tanh: d = g * (1.f - o * o); break;
        case dsl::activation::sigmoid: d = g * o * (1.f - o); break;
        case dsl::activation::elu: d = Halide::select(o > 0.f, g, g * (o + a)); break;
    }
    Func d_in(l.name + "_dx");
    d_in(x, y, c, n) = d;
    l.d_in = {d_in};
}

struct dropout_state {
    double probability = 0;
};

// The mask: a hash of each value's place, the node and the seed (random.hpp).
inline Expr dropout_keep(const lowering_context& cx, const lowered_node& l, double p) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    const double threshold = std::ldexp(p, 32);
    const Expr u = uniform_u32({x, y, c, n}, l.info.index, cx.seed());
    return u >= Halide::cast<uint32_t>(Expr(static_cast<uint32_t>(std::min(threshold, 4294967295.0))));
}

inline bool dropout_active(const lowering_context& cx, const dropout_state& s) {
    return cx.training() && s.probability > 0;
}

inline void dropout_forward(lowering_context& cx, lowered_node& l, const dropout_state& s) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    const double p = s.probability;
    l.out = cx.output_func(l);
    if (dropout_active(cx, s))
        l.out(x, y, c, n) = Halide::select(dropout_keep(cx, l, p), l.in[0](x, y, c, n) * float(1 / (1 - p)), 0.f);
    else
        l.out(x, y, c, n) = l.in[0](x, y, c, n);
}

inline void dropout_backward(lowering_context& cx, lowered_node& l, const dropout_state& s) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    const double p = s.probability;
    Func d_in(l.name + "_dx");
    if (dropout_active(cx, s))
        d_in(x, y, c, n) = Halide::select(dropout_keep(cx, l, p), l.d_out(x, y, c, n) * float(1 / (1 - p)), 0.f);
    else
        d_in(x, y, c, n) = l.d_out(x, y, c, n);
    l.d_in = {d_in};
}

// Dropout's mask is a hash of each value's place: its gradient is computed
// once, not in every pass that reads it.
inline void schedule_dropout_backward(const schedule_context& ctx, lowered_node& l) {
    if (!l.d_in.empty()) ctx.elementwise(l.d_in[0], l.info.in);
}

}  // namespace typenet::gen::ops
