// The joins of units: a residual's sum and a concat's stack along channels,
// forward and backward. Backward hands each input its share of the output
// gradient: all of it to both paths of a sum, its own channels to each
// branch of a concat.
#pragma once

#include "../node.hpp"

namespace typenet::gen::ops {

inline void add_forward(lowering_context& cx, lowered_node& l) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    Expr sum = l.in[0](x, y, c, n);
    for (std::size_t k = 1; k < l.in.size(); ++k) sum += l.in[k](x, y, c, n);
    l.out = cx.output_func(l);
    l.out(x, y, c, n) = sum;
}

inline void add_backward(lowered_node& l) { l.d_in.assign(l.in.size(), l.d_out); }

// Channel c of the output is channel c - first_k of the branch k it falls in.
inline void concat_forward(lowering_context& cx, lowered_node& l) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    Expr value;
    int start = 0;
    for (std::size_t k = 0; k < l.in.size(); ++k) {
        const int channels = cx.shape_of(l.info.inputs[k]).c;
        const Expr from_k = l.in[k](x, y, Halide::clamp(c - start, 0, channels - 1), n);
        value = k == 0 ? from_k : Halide::select(c >= start, from_k, value);
        start += channels;
    }
    l.out = cx.output_func(l);
    l.out(x, y, c, n) = value;
}

inline void concat_backward(lowering_context& cx, lowered_node& l) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    l.d_in.clear();
    int start = 0;
    for (std::size_t k = 0; k < l.in.size(); ++k) {
        Func d(l.name + "_dx" + std::to_string(k));
        d(x, y, c, n) = l.d_out(x, y, c + start, n);
        l.d_in.push_back(d);
        start += cx.shape_of(l.info.inputs[k]).c;
    }
}

}  // namespace typenet::gen::ops
