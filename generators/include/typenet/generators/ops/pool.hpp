// Pooling (maxpool, avgpool, global_avgpool): forward, backward and their
// schedules side by side.
#pragma once

#include <limits>

#include "../node.hpp"
#include "../schedule.hpp"

namespace typenet::gen::ops {

struct pool_state {
    Func padded;  // the input with its border (-inf for max, 0 for mean), where it has padding
    Func acc;     // the window's max or mean
    RDom r;       // over the window
    // Training maxpool, for backward: where each window's first maximum is,
    // as a row-major index of one byte where the windows tile the input
    // (`winner`), else as an (x, y) input position (`argmax`).
    Func winner, argmax;
};

// A pooling node whose windows cover its input exactly once.
inline bool tiles_exactly(const lowered_node& l) {
    const dsl::window& win = *l.info.slides;
    return win.stride == win.kw && win.stride == win.kh && win.pad == 0 && win.dilation == 1 &&
           l.info.out.w * win.stride == l.info.in.w && l.info.out.h * win.stride == l.info.in.h;
}

inline void pool_forward(lowering_context& cx, lowered_node& l, pool_state& s) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    const dsl::window& win = *l.info.slides;
    const bool is_max = l.info.kind == dsl::layer_kind::maxpool;
    const Func& in = l.in[0];
    s.padded = win.pad > 0 ? cx.bordered(in, l.info.in, is_max ? Expr(-std::numeric_limits<float>::infinity())
                                                                : Expr(0.f))
                           : in;
    s.r = RDom(0, win.kw, 0, win.kh, "r_" + l.name);
    const Expr ix = x * win.stride + s.r.x - win.pad, iy = y * win.stride + s.r.y - win.pad;
    s.acc = cx.output_func(l);
    // Training: where each window's first maximum in row-major order is,
    // as PyTorch picks it, for backward.
    if (is_max && cx.training() && tiles_exactly(l) && win.kw * win.kh <= 16) {
        // An index from a chain of comparisons, one byte a window.
        Expr best = in(x * win.stride, y * win.stride, c, n), index = Halide::cast<uint8_t>(0);
        for (int q = 1; q < win.kw * win.kh; ++q) {
            const Expr value = in(x * win.stride + q % win.kw, y * win.stride + q / win.kw, c, n);
            index = Halide::select(value > best, Halide::cast<uint8_t>(q), index);
            best = Halide::max(best, value);
        }
        s.winner = Func(l.name + "_winner");
        s.winner(x, y, c, n) = index;
    } else if (is_max && cx.training()) {
        s.argmax = Func(l.name + "_argmax");
        s.argmax(x, y, c, n) = Halide::argmax(s.padded(ix, iy, c, n));
    }
    if (is_max)
        s.acc(x, y, c, n) = Halide::maximum(s.padded(ix, iy, c, n));
    else
        s.acc(x, y, c, n) = Halide::sum(s.padded(ix, iy, c, n)) / float(win.kh * win.kw);
    l.out = s.acc;
}

inline void pool_backward(lowering_context& cx, lowered_node& l, pool_state& s, bool need_d_in) {
    if (!need_d_in) return;
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    const dsl::window& win = *l.info.slides;
    const auto& out = l.info.out;
    Func d_in(l.name + "_dx");
    l.d_in = {d_in};
    if (l.info.kind == dsl::layer_kind::global_avgpool) {  // one window: a broadcast, not a search
        d_in(x, y, c, n) = l.d_out(0, 0, c, n) / float(l.info.in.h * l.info.in.w);
        return;
    }
    const int st = win.stride, p = win.pad;
    if (s.winner.defined()) {
        // Windows that tile the input exactly: each pixel is in one, so
        // the gradient is elementwise (and is computed where it is read).
        const Expr ox = x / st, oy = y / st;
        const Expr chosen = Halide::cast<int>(s.winner(ox, oy, c, n)) == x % st + (y % st) * win.kw;
        d_in(x, y, c, n) = Halide::select(chosen, l.d_out(ox, oy, c, n), 0.f);
        return;
    }
    // The windows covering input pixel ix are ox in [ceil((ix + p - k + 1) / s), floor((ix + p) / s)]:
    // at most ceil(k / s) of them, counted back from the last.
    const int spread_x = (win.kw + st - 1) / st, spread_y = (win.kh + st - 1) / st;
    RDom j(0, spread_x, 0, spread_y, "r_dx_" + l.name);
    const Expr ox = (x + p) / st - j.x, oy = (y + p) / st - j.y;
    const Expr covers = ox >= 0 && ox < out.w && oy >= 0 && oy < out.h && x + p - ox * st < win.kw &&
                        y + p - oy * st < win.kh;
    const Expr oxc = Halide::clamp(ox, 0, out.w - 1), oyc = Halide::clamp(oy, 0, out.h - 1);
    Expr contribution;
    if (l.info.kind == dsl::layer_kind::maxpool) {
        const Expr chosen =
            s.argmax(oxc, oyc, c, n)[0] == x + p - oxc * st && s.argmax(oxc, oyc, c, n)[1] == y + p - oyc * st;
        contribution = Halide::select(covers && chosen, l.d_out(oxc, oyc, c, n), 0.f);
    } else {
        contribution = Halide::select(covers, l.d_out(oxc, oyc, c, n), 0.f) / float(win.kh * win.kw);
    }
    d_in(x, y, c, n) = 0.f;
    d_in(x, y, c, n) += contribution;
}

// Forward: the window's reduction stored, or computed per task of the
// elementwise node fused after it (`consumer`).
inline void schedule_pool_forward(const schedule_context& ctx, lowered_node& l, pool_state& s, Func consumer) {
    if (l.info.slides->pad > 0) ctx.elementwise(s.padded, l.info.in);
    ctx.stored_or_fused(s.acc, consumer, l.info.out);
}

// Backward: what it recomputes from the stored input (the window index)
// stored once; global pooling's output gradient computed once (it holds the
// head's softmax and dense gradients), not at every pixel it broadcasts to.
inline void schedule_pool_backward(const schedule_context& ctx, lowered_node& l, pool_state& s) {
    if (s.argmax.defined()) ctx.elementwise(s.argmax, l.info.out);
    if (s.winner.defined()) ctx.elementwise(s.winner, l.info.out);
    if (l.d_in.empty()) return;
    if (l.info.kind == dsl::layer_kind::global_avgpool) ctx.elementwise(l.d_out, l.info.out);
    if (l.d_in[0].has_update_definition()) ctx.reduction(l.d_in[0], l.info.in);
}

}  // namespace typenet::gen::ops
