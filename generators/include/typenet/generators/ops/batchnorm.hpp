// Batch normalization: forward on batch statistics (training) or running
// ones (inference), backward, the running statistics' update, and the
// schedules of its per-channel sums.
#pragma once

#include "../node.hpp"
#include "../schedule.hpp"

namespace typenet::gen::ops {

struct batchnorm_state {
    float epsilon = 1e-5f;
    double momentum = 0.1;
    Func gamma, beta;
    Func mean, inv_std;  // the statistics per channel it normalizes with
    Func batch_var;      // training: the batch's biased variance per channel
    // Training: sums per channel over the batch, behind mean and inv_std
    // (unless backward reads those from the forward pass), and backward's
    // behind the gamma and beta gradients.
    std::vector<Func> channel_sums;
    int mean_at = 0, var_at = 0;  // its running statistics in the state buffer
};

template <class L>
batchnorm_state make_batchnorm_state(lowering_context& cx, const lowered_node& l) {
    batchnorm_state s;
    s.epsilon = static_cast<float>(L::epsilon);
    s.momentum = L::momentum;
    s.mean_at = cx.state_offset(l, "running_mean");
    s.var_at = cx.state_offset(l, "running_var");
    return s;
}

inline void batchnorm_forward(lowering_context& cx, lowered_node& l, batchnorm_state& s) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    const auto& shape = l.info.in;
    const Func& in = l.in[0];
    const Func& state = cx.state();
    s.gamma = Func(l.name + "_gamma");
    s.gamma(c) = cx.params()(cx.param_offset(l, "weight") + c);
    s.beta = Func(l.name + "_beta");
    s.beta(c) = cx.params()(cx.param_offset(l, "bias") + c);
    s.mean = Func(l.name + "_mean");
    s.inv_std = Func(l.name + "_inv_std");
    if (cx.training() && cx.stored().state_is_batch_statistics) {
        s.mean(c) = state(s.mean_at + c);
        s.batch_var = Func(l.name + "_batch_var");
        s.batch_var(c) = state(s.var_at + c);
        s.inv_std(c) = 1.f / Halide::sqrt(s.batch_var(c) + s.epsilon);
    } else if (cx.training()) {
        const RDom r(0, shape.w, 0, shape.h, 0, cx.batch(), "r_" + l.name);
        const Expr m = Halide::cast<float>(cx.batch() * shape.h * shape.w);
        Func sum(l.name + "_sum"), sq(l.name + "_sqdev");
        sum(c) = 0.f;
        sum(c) += in(r.x, r.y, c, r.z);
        s.mean(c) = sum(c) / m;
        // Two passes: the squared deviation from the mean, not E[x^2] - E[x]^2.
        sq(c) = 0.f;
        sq(c) += Halide::pow(in(r.x, r.y, c, r.z) - s.mean(c), 2);
        s.batch_var = Func(l.name + "_batch_var");
        s.batch_var(c) = sq(c) / m;
        s.inv_std(c) = 1.f / Halide::sqrt(s.batch_var(c) + s.epsilon);
        s.channel_sums = {sum, sq};
    } else {
        s.mean(c) = state(s.mean_at + c);
        s.inv_std(c) = 1.f / Halide::sqrt(state(s.var_at + c) + s.epsilon);
    }
    l.out = cx.output_func(l);
    l.out(x, y, c, n) = (in(x, y, c, n) - s.mean(c)) * (s.inv_std(c) * s.gamma(c)) + s.beta(c);
}

inline void batchnorm_backward(lowering_context& cx, lowered_node& l, batchnorm_state& s, bool need_d_in) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    const auto& shape = l.info.in;
    const Expr m = Halide::cast<float>(cx.batch() * shape.h * shape.w);
    Func xhat(l.name + "_xhat");
    xhat(x, y, c, n) = (l.in[0](x, y, c, n) - s.mean(c)) * s.inv_std(c);
    // Both gradients' sums in one pass over the batch, which reads
    // d_out (the activation's mask over the next layer's gradient) once.
    Func sums(l.name + "_gradient_sums");
    const RDom r(0, shape.w, 0, shape.h, 0, cx.batch(), "r_" + sums.name());
    const Expr dy = l.d_out(r.x, r.y, c, r.z);
    sums(c) = {0.f, 0.f};
    sums(c) = {sums(c)[0] + dy * xhat(r.x, r.y, c, r.z), sums(c)[1] + dy};
    s.channel_sums.push_back(sums);
    Var u("u"), v("v"), w("w");
    Func d_gamma = cx.gradient_func(l, "weight"), d_beta = cx.gradient_func(l, "bias");
    d_gamma(c, u, v, w) = sums(c)[0];
    d_beta(c, u, v, w) = sums(c)[1];
    l.gradients.push_back({d_gamma, tensor_gradient::form::per_channel, shape.c});
    l.gradients.push_back({d_beta, tensor_gradient::form::per_channel, shape.c});
    if (!need_d_in) return;
    // dx = gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat))
    Func d_in(l.name + "_dx");
    d_in(x, y, c, n) =
        s.gamma(c) * s.inv_std(c) * (l.d_out(x, y, c, n) - sums(c)[1] / m - xhat(x, y, c, n) * sums(c)[0] / m);
    l.d_in = {d_in};
}

// Training: the batch's statistics into `out` (the batch_statistics
// buffer, laid out like the running ones): the batch mean where
// running_mean is, the biased batch variance where running_var is.
inline void define_batch_statistics(const lowered_node& l, const batchnorm_state& s, Func out) {
    const RDom c(0, l.info.in.c, "r_statistics_" + l.name);
    out(s.mean_at + c) = s.mean(c);
    out(s.var_at + c) = s.batch_var(c);
}

// The running statistics after this step: PyTorch's running = (1 -
// momentum) * running + momentum * batch statistic, with the unbiased
// variance. Returns (mean, var).
inline std::pair<Func, Func> new_running_statistics(const lowering_context& cx, const lowered_node& l,
                                                    const batchnorm_state& s) {
    const float momentum = static_cast<float>(s.momentum);
    const auto& shape = l.info.in;
    const Expr m = Halide::cast<float>(cx.batch() * shape.h * shape.w);
    const Var c("c");
    Func mean(l.name + "_new_mean"), var(l.name + "_new_var");
    mean(c) = (1 - momentum) * cx.state()(s.mean_at + c) + momentum * s.mean(c);
    var(c) = (1 - momentum) * cx.state()(s.var_at + c) + momentum * s.batch_var(c) * m / Halide::max(m - 1.f, 1.f);
    return {mean, var};
}

inline void schedule_batchnorm_statistics(const schedule_context& ctx, lowered_node& l, batchnorm_state& s) {
    for (Func& r : s.channel_sums) ctx.channel_sums(r, l.info.in);
    ctx.parameter_sized(s.mean);
    ctx.parameter_sized(s.inv_std);
}

// Backward: the statistics, and the input gradient stored (the node before
// reads it instead of storing a copy of its own output gradient).
inline void schedule_batchnorm_backward(const schedule_context& ctx, lowered_node& l, batchnorm_state& s) {
    schedule_batchnorm_statistics(ctx, l, s);
    if (!l.d_in.empty()) ctx.elementwise(l.d_in[0], l.info.in);
}

}  // namespace typenet::gen::ops
