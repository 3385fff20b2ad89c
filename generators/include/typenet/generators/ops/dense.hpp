// The classifier's end: flatten, dense and the softmax cross-entropy head,
// forward, backward and their schedules side by side.
#pragma once

#include "../node.hpp"
#include "../schedule.hpp"

namespace typenet::gen::ops {

struct dense_state {
    Func weights, bias;  // weights(i, o); bias(o), where it has one
    Func acc;
    RDom r;
    Func d_acc;
};

template <class L>
dense_state make_dense_state(lowering_context& cx, const lowered_node& l) {
    dense_state s;
    const int in_features = l.info.in.c;
    const int w_off = cx.param_offset(l, "weight");
    Var i("i"), o("o");
    s.weights = Func(l.name + "_w");
    s.weights(i, o) = cx.params()(w_off + o * in_features + i);
    if (L::has_bias) {
        s.bias = Func(l.name + "_b");
        s.bias(o) = cx.params()(cx.param_offset(l, "bias") + o);
    }
    return s;
}

inline void dense_forward(lowering_context& cx, lowered_node& l, dense_state& s) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    s.r = RDom(0, l.info.in.c, "r_" + l.name);
    s.acc = cx.output_func(l);
    s.acc(x, y, c, n) = s.bias.defined() ? s.bias(c) : Expr(0.f);
    s.acc(x, y, c, n) += s.weights(s.r, c) * l.in[0](x, y, s.r, n);
    l.out = s.acc;
}

inline void dense_backward(lowering_context& cx, lowered_node& l, dense_state& s, bool need_d_in) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    s.d_acc = Func(l.name + "_d");
    s.d_acc(x, y, c, n) = l.d_out(x, y, c, n);
    Var i("i"), o("o"), u("u"), w("w");
    RDom rn(0, cx.batch(), "r_dw_" + l.name);
    Func dw = cx.gradient_func(l, "weight");
    dw(i, o, u, w) = 0.f;
    dw(i, o, u, w) += s.d_acc(0, 0, o, rn) * l.in[0](0, 0, i, rn);
    l.gradients.push_back({dw, tensor_gradient::form::dense_weight, l.info.in.c});
    if (s.bias.defined()) push_bias_gradient(cx, l, s.d_acc);
    if (!need_d_in) return;
    RDom ro(0, l.info.out.c, "r_dx_" + l.name);
    Func d_in(l.name + "_dx");
    d_in(x, y, c, n) = 0.f;
    d_in(x, y, c, n) += s.weights(c, ro) * s.d_acc(x, y, ro, n);
    l.d_in = {d_in};
}

inline void schedule_dense_forward(const schedule_context& ctx, lowered_node& l, dense_state& s, Func consumer) {
    ctx.parameter_sized(s.weights, l.info.in.c);
    ctx.stored_or_fused(s.acc, consumer, l.info.out);
}

inline void schedule_dense_backward(const schedule_context& ctx, lowered_node& l, dense_state& s, bool d_out_stored) {
    if (!d_out_stored) ctx.elementwise(s.d_acc, l.info.out);
    for (const tensor_gradient& g : l.gradients) {
        if (g.shape == tensor_gradient::form::dense_weight)
            ctx.dense_weight_gradient(g.grad, g.extent0);
        else if (g.grad.has_update_definition())
            ctx.channel_sums(g.grad, l.info.out);  // the bias's
    }
    if (!l.d_in.empty()) ctx.reduction(l.d_in[0], l.info.in);
}

// C x H x W -> (C*H*W) x 1 x 1: a view, computed where it is read.
inline void flatten_forward(lowering_context& cx, lowered_node& l) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    const auto& s = l.info.in;
    l.out = Func(l.name);
    l.out(x, y, c, n) = l.in[0](c % s.w, (c / s.w) % s.h, c / (s.w * s.h), n);
}

inline void flatten_backward(lowering_context& cx, lowered_node& l) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    const auto& s = l.info.in;
    Func d_in(l.name + "_dx");
    d_in(x, y, c, n) = l.d_out(0, 0, (c * s.h + y) * s.w + x, n);
    l.d_in = {d_in};
}

// Softmax cross-entropy of `scores` (classes x 1 x 1), mean over the
// batch, and the count of correct predictions; `labels` is a Func of the
// batch index.
struct loss_terms {
    Func loss, correct, d_scores;
};
inline loss_terms softmax_xent(const lowering_context& cx, Func scores, int classes, Func labels) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    RDom rc(0, classes, "rc");
    Func peak("xent_max"), total("xent_sum"), prediction("xent_argmax");
    peak(n) = Halide::maximum(scores(0, 0, rc, n));
    total(n) = Halide::sum(Halide::exp(scores(0, 0, rc, n) - peak(n)));
    prediction(n) = Halide::argmax(scores(0, 0, rc, n))[0];
    Func label("label_clamped");
    label(n) = Halide::clamp(labels(n), 0, classes - 1);
    const Expr batch = cx.batch();
    RDom rn(0, batch, "rn");
    Func loss("loss"), correct("correct"), d_scores("d_scores");
    loss() = Halide::sum(Halide::log(total(rn)) + peak(rn) - scores(0, 0, label(rn), rn)) / Halide::cast<float>(batch);
    correct() = Halide::sum(Halide::select(prediction(rn) == label(rn), 1, 0));
    d_scores(x, y, c, n) =
        (Halide::exp(scores(x, y, c, n) - peak(n)) / total(n) - Halide::select(c == label(n), 1.f, 0.f)) /
        Halide::cast<float>(batch);
    return {loss, correct, d_scores};
}

}  // namespace typenet::gen::ops
