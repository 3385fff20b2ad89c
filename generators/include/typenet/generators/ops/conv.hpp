// Convolutions (conv, fixed_conv, grouped and depthwise): forward,
// backward, and their schedules side by side.
//
// A plain conv runs in register tiles of its stored consumer (along x, or
// across channels on narrow maps), or as Winograd's tiles where they fit
// (winograd.hpp). A grouped conv reads each output channel's own group of
// input channels: it takes the tiles along x, or along pitched rows on
// narrow maps (pitched_conv), whose reduction is over that group alone,
// and never Winograd's or the channel-tiled paths, which sum over every
// input channel.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "../node.hpp"
#include "../schedule.hpp"
#include "../winograd.hpp"

namespace typenet::gen::ops {

// The input pixels (st q + px, st qy + py) of a conv of stride st: a conv
// of stride 1 over the output gradient with the taps that reach them.
struct input_gradient_phase {
    Func acc, out;  // the reduction, and the phase's map of the input gradient
    RDom r;
};

// A stride-1 conv over rows laid end to end, each followed by its border
// (`pitch` = row + border): one flat index j = y pitch + x, so a tap is
// the offset ty pitch + tx and vectors run along j across rows with no
// tail. A grouped conv's maps are narrow (14 columns), and along x they
// took 8-lane vectors under AVX-512 and computed 16 columns for 14; along
// j they take whole vectors, two pitch columns a row wasted.
//   src(j, c, n)  the bordered input, flat (copied per task)
//   acc(j, c, n)  the reduction, in register tiles of `out`
//   out(j, c, n)  stored per task; the map is out(y pitch + x, c, n)
struct pitched_conv {
    Func src, acc, out;
    RDom r;
    int pitch = 0;
};

// A grouped stride-1 conv's weight gradient over pitched rows: dw(kx, ky,
// ci, co) = sum over n and j of d(j, co, n) src(j + (ky pitch + kx) dil,
// ci of co's group, n), with d the output gradient, flat and zero in each
// row's last pitch columns, and src the input as pitched_conv's.
struct pitched_weight_gradient {
    Func src, d;
    RDom r;  // j (whole AVX-512 vectors of it: the zero border covers the extra lanes), n
};

struct conv_state {
    int groups = 1;
    bool trained = true;   // conv (weights in params) rather than fixed_conv
    Func weights, bias;    // weights(kx, ky, ci, co), ci within the group; bias(co), where it has one
    Func padded;           // the input with its zero border
    Func acc;              // the reduction
    RDom r;                // acc's reduction domain
    std::optional<winograd_conv> winograd;  // where winograd_fits: acc comes from its products
    Func d_acc;            // gradient w.r.t. acc
    Func d_in_acc;         // the reduction behind the input gradient
    Func d_spread;         // d_acc zero-padded (and, unless split by phase, spread out by the stride) for d_in
    RDom r_d_in, r_dw;     // the input and the weight gradient's reduction domains
    std::vector<input_gradient_phase> phases;               // a strided conv's input gradient, split by phase
    std::optional<winograd_conv> winograd_d_in;             // the input gradient as Winograd's tiles
    std::optional<winograd_weight_gradient> winograd_dw;    // the weight gradient from Winograd's products
    std::optional<pitched_conv> pitched, pitched_d_in;      // a grouped stride-1 conv's forward and input gradient
    std::optional<pitched_weight_gradient> pitched_dw;      // and its weight gradient

    // Input channels each output channel reads, and output channels per group.
    int group_in(const lowered_node& l) const { return l.info.in.c / groups; }
    int group_out(const lowered_node& l) const { return l.info.out.c / groups; }
    // Channel-summing fast paths (Winograd, tiles across channels) hold for one group only.
    bool dense_channels() const { return groups == 1; }
    // The input, zero outside its map even where the conv has no padding:
    // pitched rows read past each row's end.
    Func zero_bordered_input(const lowering_context& cx, const lowered_node& l) const {
        return l.info.slides->pad > 0 ? padded : cx.bordered(l.in[0], l.info.in);
    }
};

// The pitched_conv over rows of width `w` whose map, out(y pitch + x, c, n),
// is the sum over r of weight(r) * source(x + first + tx d, y + first +
// ty d, channel(r), n), with (tx, ty) = (r.x, r.y), or turned half a turn
// (k-1-r.x, k-1-r.y) for an input gradient. `source` must be zero outside
// its map (bordered): the last pitch columns of a row read past its end.
template <class Weight, class Channel>
pitched_conv make_pitched_conv(const std::string& name, const dims& v, Func source, int first, int w, int k, int d,
                               int channels_read, bool turned, Weight weight, Channel channel) {
    const Var j("j"), c = v.c, n = v.n;
    pitched_conv p{Func(name + "_flat_src"), Func(name + "_flat_acc"), Func(name + "_flat"),
                   RDom(0, k, 0, k, 0, channels_read, "r_" + name + "_flat"), w + (k - 1) * d};
    const Expr pitch = p.pitch;
    p.src(j, c, n) = source(j % pitch + first, j / pitch + first, c, n);
    const Expr tx = turned ? k - 1 - p.r.x : Expr(p.r.x), ty = turned ? k - 1 - p.r.y : Expr(p.r.y);
    p.acc(j, c, n) = 0.f;
    p.acc(j, c, n) += weight(p.r) * p.src(j + (ty * pitch + tx) * d, channel(p.r), n);
    p.out(j, c, n) = p.acc(j, c, n);
    return p;
}

// The tuning database's key for one pass of conv `l`.
inline conv_key conv_key_of(const lowered_node& l, const conv_state& s, conv_pass pass) {
    const dsl::tensor_shape& in = l.info.in;
    const dsl::tensor_shape& out = l.info.out;
    const dsl::window& w = *l.info.slides;
    return {pass, {in.c, in.h, in.w}, {out.c, out.h, out.w}, w.kh, w.stride, w.dilation, s.groups};
}

// Whether a pass of a grouped stride-1 conv runs along pitched rows
// (pitched_conv, pitched_weight_gradient): where the tuning database says
// so, or by default on maps narrower than a vector where each vector
// loaded feeds several channels (the group's output channels; its input
// channels for the input gradient). A depthwise conv (one FMA a load
// either way) gained nothing so at 14x14 and 7x7, and at 28x28 took
// 1.1-1.5x as long: its flat copies outgrew the cache. Under AVX2 a
// 14-column map fills its 8-lane vectors along x already: there pitched
// rows took 1.2x as long forward and 2-3x for the weight gradient (64->64
// channels in 8 groups, avx2 code on a Zen 5).
inline bool takes_pitched_rows(const lowering_context& cx, const lowered_node& l, const conv_state& s,
                               conv_pass pass) {
    if (s.groups == 1 || l.info.slides->stride != 1) return false;
    const auto route = cx.tuning().choose(conv_key_of(l, s, pass)).route;
    if (route != conv_choice::path::automatic) return route == conv_choice::path::pitched_rows;
    const bool input_gradient = pass == conv_pass::input_gradient;
    const int width = input_gradient ? l.info.in.w : l.info.out.w;
    return width < cx.vector_lanes() && (input_gradient ? s.group_in(l) : s.group_out(l)) > 1;
}

// Whether a pass takes Winograd's tiles: where they fit a plain trained
// conv (`fits`), unless the tuning database chose another path.
inline bool takes_winograd(const lowering_context& cx, const lowered_node& l, const conv_state& s, conv_pass pass,
                           bool fits) {
    if (!fits || !s.trained || !s.dense_channels()) return false;
    const auto route = cx.tuning().choose(conv_key_of(l, s, pass)).route;
    return route == conv_choice::path::automatic || route == conv_choice::path::winograd;
}

template <class L>
conv_state make_conv_state(lowering_context& cx, const lowered_node& l) {
    conv_state s;
    Var kx("kx"), ky("ky"), ci("ci"), co("co");
    s.weights = Func(l.name + "_w");
    if constexpr (requires { L::bank; }) {
        constexpr auto bank = L::bank;
        Halide::Buffer<float> values(bank.size, bank.size, bank.in_channels, bank.out_channels, l.name + "_filters");
        for (int o = 0; o < bank.out_channels; ++o)
            for (int i = 0; i < bank.in_channels; ++i)
                for (int y = 0; y < bank.size; ++y)
                    for (int x = 0; x < bank.size; ++x) values(x, y, i, o) = bank.weight(o, i, y, x);
        s.weights(kx, ky, ci, co) = values(kx, ky, ci, co);
        s.trained = false;
    } else {
        s.groups = L::groups;
        const int off = cx.param_offset(l, "weight");
        const int k = l.info.slides->kh, cin = s.group_in(l);
        s.weights(kx, ky, ci, co) = cx.params()(off + ((co * cin + ci) * k + ky) * k + kx);
        if (L::has_bias) {
            s.bias = Func(l.name + "_b");
            s.bias(co) = cx.params()(cx.param_offset(l, "bias") + co);
        }
    }
    return s;
}

inline void conv_forward(lowering_context& cx, lowered_node& l, conv_state& s) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    const dsl::window& win = *l.info.slides;
    s.padded = win.pad > 0 ? cx.bordered(l.in[0], l.info.in) : l.in[0];
    s.r = RDom(0, win.kw, 0, win.kh, 0, s.group_in(l), "r_" + l.name);
    // The reduction apart from the stored output, so a schedule can keep
    // it in registers per tile of the output.
    s.acc = Func(l.name + "_acc");
    l.out = cx.output_func(l);
    if (takes_winograd(cx, l, s, conv_pass::forward, winograd_fits(win, l.info.in, l.info.out))) {
        s.winograd = winograd_f2x3(l.name, s.weights, s.padded, s.bias, win.pad, l.info.in.c, s.acc, x, y, c, n);
    } else if (takes_pitched_rows(cx, l, s, conv_pass::forward)) {
        const Expr first_in = (c / s.group_out(l)) * s.group_in(l);
        s.pitched = make_pitched_conv(
            l.name, cx.vars(), s.zero_bordered_input(cx, l), -win.pad, l.info.out.w, win.kw, win.dilation,
            s.group_in(l), false, [&](const RDom& r) { return s.weights(r.x, r.y, r.z, c); },
            [&](const RDom& r) { return first_in + r.z; });
        const Expr pitched = s.pitched->out(y * s.pitched->pitch + x, c, n);
        s.acc(x, y, c, n) = s.bias.defined() ? s.bias(c) + pitched : pitched;
    } else {
        // Output channel c reads its group's input channels.
        const Expr first_in = s.groups == 1 ? Expr(0) : (c / s.group_out(l)) * s.group_in(l);
        const RDom& r = s.r;
        s.acc(x, y, c, n) = s.bias.defined() ? s.bias(c) : Expr(0.f);
        s.acc(x, y, c, n) += s.weights(r.x, r.y, r.z, c) * s.padded(x * win.stride + r.x * win.dilation - win.pad,
                                                                      y * win.stride + r.y * win.dilation - win.pad,
                                                                      first_in + r.z, n);
    }
    l.out(x, y, c, n) = s.acc(x, y, c, n);
}

// d_in_acc, the input gradient's reduction, as a sum over taps and the
// output channels of the input channel's group of d_spread.
inline void direct_input_gradient(lowering_context& cx, lowered_node& l, conv_state& s) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    const dsl::window& win = *l.info.slides;
    const auto& out = l.info.out;
    const int st = win.stride, d = win.dilation, p = win.pad;
    s.r_d_in = RDom(0, win.kw, 0, win.kh, 0, s.group_out(l), "r_dx_" + l.name);
    const RDom& r = s.r_d_in;
    // Rows of taps that fall in d_spread's zero border add nothing: the
    // predicate trims them from each row's loop.
    const Expr row = y + p - r.y * d;
    s.r_d_in.where(row >= 0 && row <= (out.h - 1) * st);
    const Expr first_out = s.groups == 1 ? Expr(0) : (c / s.group_in(l)) * s.group_out(l);
    const Expr ci = s.groups == 1 ? Expr(c) : c % s.group_in(l);
    s.d_in_acc(x, y, c, n) = 0.f;
    s.d_in_acc(x, y, c, n) += s.weights(r.x, r.y, ci, first_out + r.z) *
                              s.d_spread(x + p - r.x * d, y + p - r.y * d, first_out + r.z, n);
}

// The input gradient of a conv of stride st > 1 (no dilation), one phase
// of input pixels at a time: the pixels x = st q + px read the taps
// k = (px + p) % st + st j only, at output column q + (px + p - k) / st.
// Each phase is a stride-1 conv of the zero-bordered output gradient with
// those taps (for stride 2 and 3x3: 4, 2, 2 and 1 of the 9), and d_in
// interleaves the phases' maps. Spread out with zeros instead, three
// quarters of a stride-2 conv's multiplies were by zero.
inline void phased_input_gradient(lowering_context& cx, lowered_node& l, conv_state& s) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    const dsl::window& win = *l.info.slides;
    const int st = win.stride, p = win.pad;
    const Expr first_out = s.groups == 1 ? Expr(0) : (c / s.group_in(l)) * s.group_out(l);
    const Expr ci = s.groups == 1 ? Expr(c) : c % s.group_in(l);
    Expr value;
    for (int py = 0; py < st; ++py)
        for (int px = 0; px < st; ++px) {
            const int kx0 = (px + p) % st, ky0 = (py + p) % st;
            const int taps_x = std::max(0, (win.kw - kx0 + st - 1) / st);
            const int taps_y = std::max(0, (win.kh - ky0 + st - 1) / st);
            Expr phase_value = 0.f;  // no tap reaches these pixels (a 1x1 conv's odd ones)
            if (taps_x > 0 && taps_y > 0) {
                const std::string name = l.name + "_dx_phase" + std::to_string(px) + std::to_string(py);
                input_gradient_phase phase{Func(name + "_acc"), Func(name),
                                           RDom(0, taps_x, 0, taps_y, 0, s.group_out(l), "r_" + name)};
                const RDom& r = phase.r;
                const int ox = (px + p - kx0) / st, oy = (py + p - ky0) / st;
                phase.acc(x, y, c, n) = 0.f;
                phase.acc(x, y, c, n) += s.weights(kx0 + st * r.x, ky0 + st * r.y, ci, first_out + r.z) *
                                         s.d_spread(x + ox - r.x, y + oy - r.y, first_out + r.z, n);
                phase.out(x, y, c, n) = phase.acc(x, y, c, n);
                phase_value = phase.out(x / st, y / st, c, n);
                s.phases.push_back(phase);
            }
            value = value.defined() ? Halide::select(x % st == px && y % st == py, phase_value, value) : phase_value;
        }
    l.d_in[0](x, y, c, n) = value;
}

inline void conv_backward(lowering_context& cx, lowered_node& l, conv_state& s, bool need_d_in) {
    const auto& [x, y, c, n] = std::tie(cx.vars().x, cx.vars().y, cx.vars().c, cx.vars().n);
    const dsl::window& win = *l.info.slides;
    const auto& in = l.info.in;
    const auto& out = l.info.out;
    const int st = win.stride, d = win.dilation, p = win.pad;
    s.d_acc = Func(l.name + "_d");
    s.d_acc(x, y, c, n) = l.d_out(x, y, c, n);
    if (s.trained) {
        Func dw = cx.gradient_func(l, "weight");
        if (takes_winograd(cx, l, s, conv_pass::weight_gradient, winograd_fits(win, in, out))) {
            s.winograd_dw = winograd_f2x3_weight_gradient(l.name, s.padded, p, s.d_acc, out, cx.batch(), dw);
        } else if (takes_pitched_rows(cx, l, s, conv_pass::weight_gradient)) {
            Var kx("kx"), ky("ky"), ci("ci"), co("co"), j("j");
            const int pitch = out.w + (win.kw - 1) * d, flat = (out.h * pitch + 15) / 16 * 16;
            pitched_weight_gradient g{Func(l.name + "_dw_flat_src"), Func(l.name + "_dw_flat_d"),
                                      RDom(0, flat, 0, cx.batch(), "r_dw_" + l.name)};
            g.src(j, c, n) = s.zero_bordered_input(cx, l)(j % pitch - p, j / pitch - p, c, n);
            g.d(j, c, n) = cx.bordered(s.d_acc, out)(j % pitch, j / pitch, c, n);
            const Expr first_in = (co / s.group_out(l)) * s.group_in(l);
            dw(kx, ky, ci, co) = 0.f;
            dw(kx, ky, ci, co) +=
                g.d(g.r.x, co, g.r.y) * g.src(g.r.x + (ky * pitch + kx) * d, first_in + ci, g.r.y);
            s.pitched_dw = g;
        } else {
            Var kx("kx"), ky("ky"), ci("ci"), co("co");
            s.r_dw = RDom(0, out.w, 0, out.h, 0, cx.batch(), "r_dw_" + l.name);
            const RDom& r = s.r_dw;
            const Expr first_in = s.groups == 1 ? Expr(0) : (co / s.group_out(l)) * s.group_in(l);
            dw(kx, ky, ci, co) = 0.f;
            dw(kx, ky, ci, co) += s.d_acc(r.x, r.y, co, r.z) *
                                  s.padded(r.x * st + kx * d - p, r.y * st + ky * d - p, first_in + ci, r.z);
        }
        l.gradients.push_back({dw, tensor_gradient::form::conv_weight, win.kw});
        if (s.bias.defined()) push_bias_gradient(cx, l, s.d_acc);
    }
    if (!need_d_in) return;
    // d_in(ix) = sum_k w(k) d_acc((ix + p - k d) / s) where the division is exact.
    Func d_bounded = cx.bordered(s.d_acc, out);
    const bool only_reader_of_input = cx.sole_reader(cx.input_node()) == l.info.index;
    Func d_in = only_reader_of_input && cx.stored().input_gradient_into ? *cx.stored().input_gradient_into
                                                                : Func(l.name + "_dx");
    l.d_in = {d_in};
    s.d_spread = Func(l.name + "_d_spread");
    const bool by_phase = st > 1 && d == 1;
    if (st == 1 || by_phase) {
        s.d_spread(x, y, c, n) = d_bounded(x, y, c, n);
    } else {
        s.d_spread(x, y, c, n) = Halide::select(x % st == 0 && y % st == 0, d_bounded(x / st, y / st, c, n), 0.f);
    }
    if (by_phase) return phased_input_gradient(cx, l, s);
    s.d_in_acc = Func(l.name + "_dx_acc");
    if (takes_winograd(cx, l, s, conv_pass::input_gradient, winograd_fits(win, out, in))) {
        // A convolution of d_acc, padded by 2 - p, with the kernel turned
        // half a turn and its channels swapped.
        Var kx("kx"), ky("ky"), ci("ci"), co("co");
        Func turned(l.name + "_w_turned");
        turned(kx, ky, co, ci) = s.weights(2 - kx, 2 - ky, ci, co);
        s.winograd_d_in = winograd_f2x3(l.name + "_dx", turned, s.d_spread, Func(), 2 - p, out.c, s.d_in_acc, x, y, c, n);
    } else if (takes_pitched_rows(cx, l, s, conv_pass::input_gradient)) {
        const Expr first_out = (c / s.group_in(l)) * s.group_out(l), ci = c % s.group_in(l);
        s.pitched_d_in = make_pitched_conv(
            l.name + "_dx", cx.vars(), s.d_spread, p - (win.kw - 1) * d, in.w, win.kw, d, s.group_out(l), true,
            [&](const RDom& r) { return s.weights(r.x, r.y, ci, first_out + r.z); },
            [&](const RDom& r) { return first_out + r.z; });
        s.d_in_acc(x, y, c, n) = s.pitched_d_in->out(y * s.pitched_d_in->pitch + x, c, n);
    } else {
        direct_input_gradient(cx, l, s);
    }
    d_in(x, y, c, n) = s.d_in_acc(x, y, c, n);
}

// --- schedules ----------------------------------------------------------

// A pitched_conv whose map `consumer` (shape `s`) reads: a task per image
// and block of output channels, which copies its flat input and stores
// its flat map, computed in register tiles of `choice.vectors` vectors
// along j (1 by default) by as many channels as the registers hold. The
// flat map's extent is rounded up to whole tiles; the input's zero border
// covers what the extra lanes read.
inline void schedule_pitched_conv(const schedule_context& ctx, pitched_conv& p, Func consumer,
                                  const dsl::tensor_shape& s, const conv_choice& choice) {
    const auto args = consumer.args();  // x, y, c, n
    const Var x = args[0], y = args[1], c = args[2], n = args[3];
    const int vec = ctx.vector_size(), vectors = std::max(1, choice.vectors);
    const int channels = ctx.channel_tile(s.c, ctx.accumulators() / vectors, choice.channels);
    Var co("co"), ci("ci"), task("task");
    consumer.compute_root().split(c, co, ci, channels).reorder(x, y, ci, co, n).fuse(co, n, task).parallel(task);
    if (int lanes = ctx.row_lanes(s.w)) consumer.vectorize(x, lanes);
    const auto flat = p.out.args();  // j, c, n
    const Var j = flat[0], jc = flat[1];
    Var jo("jo"), ji("ji");
    p.out.compute_at(consumer, task)
        .split(j, jo, ji, vec * vectors, Halide::TailStrategy::RoundUp)
        .reorder(ji, jc, jo)
        .vectorize(ji, vec);
    p.acc.compute_at(p.out, jo).reorder(j, jc).vectorize(j, vec).unroll(jc);
    p.acc.update().reorder(j, jc, p.r.x, p.r.y, p.r.z).vectorize(j, vec).unroll(jc);
    if (vectors > 1) p.acc.unroll(j), p.acc.update().unroll(j);
    p.src.compute_at(consumer, task).vectorize(p.src.args()[0], vec);
}

// Forward: the reduction computed in tiles of `consumer` (the conv's output,
// or the last elementwise node fused after it), with its padded input
// copied per task, while it stays in cache, so loads need no checks.
inline void schedule_conv_forward(const schedule_context& ctx, lowered_node& l, conv_state& s, Func consumer) {
    const bool padded = l.info.slides->pad > 0;
    const conv_choice choice = ctx.choose(conv_key_of(l, s, conv_pass::forward));
    if (s.winograd) {  // reads the weights once, into its transform: no copy first
        ctx.conv_winograd(*s.winograd, s.acc, consumer, l.info.out, padded ? s.padded : Func(), l.info.in,
                          choice.parallel);
        return;
    }
    ctx.parameter_sized(s.weights);
    if (s.pitched) return schedule_pitched_conv(ctx, *s.pitched, consumer, l.info.out, choice);
    conv_weights across;
    if (s.dense_channels()) across.f = s.weights;
    const Var task = ctx.conv_tiles(s.acc, consumer, l.info.out, s.r, across, choice);
    if (padded) ctx.padded_per_task(s.padded, consumer, task, l.info.in);
}

// A conv's padded input, where it has one, copied whole for the weight
// gradient's `partial`, which then reads plain memory instead of checking
// every load.
inline void padded_input_for(const schedule_context& ctx, const lowered_node& l, conv_state& s, Func partial) {
    if (l.info.slides->pad == 0) return;
    Func padded = s.padded.in(partial);
    padded.compute_root();
    ctx.vectorize_and_parallelize(padded, l.info.in);
}

inline void conv_weight_gradient_along_x(const schedule_context& ctx, const lowered_node& l, conv_state& s,
                                         Func dw) {
    const RDom& r = s.r_dw;
    const auto& out = l.info.out;
    const auto args = dw.args();
    const Var kx = args[0], ky = args[1], ci = args[2], co = args[3];
    const int vec = ctx.vector_size();
    // Vectors that divide the row where one is wide enough: a vector
    // tail would load the input a lane at a time.
    int lanes = ctx.row_lanes(out.w);
    for (int divisor = vec; divisor >= 8 && divisor > lanes / 2; --divisor)
        if (out.w % divisor == 0) {
            lanes = divisor;
            break;
        }
    if (lanes == 0) {
        dw.update().parallel(co);
        return;
    }
    Halide::RVar rxo("rxo"), rxi("rxi");
    Var lane("lane"), coo("coo"), coi("coi");
    Func partial = dw.update().split(r.x, rxo, rxi, lanes, schedule_context::guard).rfactor(rxi, lane);
    padded_input_for(ctx, l, s, partial);
    // Output channels per pass: each input vector loaded feeds this many
    // FMAs; 9 taps x 2 channels of accumulators need AVX-512's 32 registers.
    // A grouped conv's neighbouring output channels read other inputs.
    const int channels = ctx.accumulators() >= 24 && out.c % 2 == 0 && s.dense_channels() ? 2 : 1;
    dw.update().split(co, coo, coi, channels).reorder(rxi, kx, ky, coi, ci, coo).parallel(coo);
    partial.compute_at(dw, ci).reorder_storage(lane, kx, ky, co, ci).vectorize(lane);
    partial.update()
        .reorder(lane, kx, ky, co, rxo, r.y, r.z)
        .vectorize(lane)
        .unroll(kx)
        .unroll(ky)
        .unroll(co);
}

// A pitched_weight_gradient: a task per block of output channels (two
// where the registers hold 18 accumulators and the group has two), one
// input channel at a time, every tap in vectors along j; the flat copies
// are stored whole.
inline void conv_weight_gradient_pitched(const schedule_context& ctx, const lowered_node& l, conv_state& s, Func dw) {
    pitched_weight_gradient& g = *s.pitched_dw;
    const auto args = dw.args();
    const Var kx = args[0], ky = args[1], ci = args[2], co = args[3];
    const int vec = ctx.vector_size();
    const int channels = ctx.accumulators() >= 24 && s.group_out(l) % 2 == 0 ? 2 : 1;
    Halide::RVar rxo("rxo"), rxi("rxi");
    Var lane("lane"), coo("coo"), coi("coi");
    Func partial = dw.update().split(g.r.x, rxo, rxi, vec).rfactor(rxi, lane);
    dw.update().split(co, coo, coi, channels).reorder(rxi, kx, ky, coi, ci, coo).parallel(coo);
    partial.compute_at(dw, ci).reorder_storage(lane, kx, ky, co, ci).vectorize(lane);
    partial.update()
        .reorder(lane, kx, ky, co, rxo, g.r.y)
        .vectorize(lane)
        .unroll(kx)
        .unroll(ky)
        .unroll(co);
    for (Func flat : {g.src, g.d}) {
        const auto v = flat.args();  // j, c, n
        flat.compute_root().vectorize(v[0], vec).parallel(v[2]);
    }
}

// A conv weight gradient from Winograd's tiles (winograd.hpp). The
// batch is split in groups of images, each a parallel task, and each
// group in chunks of about 128 tiles, one after the other. A chunk
// transforms its tiles of input and of output gradient (from
// channels-innermost copies), then, per point of the tile, sums a
// register block of input channels by a vector of output channels over
// its tiles and adds the block to its group's sum, which stays in cache.
// The groups' sums are added, then transformed back.
inline void conv_weight_gradient_winograd(const schedule_context& ctx, const lowered_node& l, conv_state& s) {
    winograd_weight_gradient& w = *s.winograd_dw;
    const auto& out = l.info.out;
    const int vec = ctx.vector_size();
    const auto guard = schedule_context::guard;
    const int tiles = (out.w / 2) * (out.h / 2);
    const int images = std::max(1, 128 / tiles);
    const int chunks_per_group = std::max(1, schedule_context::images_per_weight_gradient_group / images);
    Halide::RVar chunk_o("chunk_o"), ni("ni"), go("go"), chunk("chunk");
    Var group("group"), one_chunk("one_chunk");
    Func group_sums = w.product.update()
                          .split(w.r.z, chunk_o, ni, images, guard)
                          .split(chunk_o, go, chunk, chunks_per_group, guard)
                          .rfactor(go, group);
    Func block_sums = group_sums.update().rfactor(chunk, one_chunk);
    const auto p = group_sums.args();  // a, b, ci, co, group
    const Var a = p[0], b = p[1], ci = p[2], co = p[3];
    // The groups' sums added: vectors of output channels, a task per
    // point of the tile.
    Var ab("ab");
    w.product.compute_root().reorder_storage(co, ci, a, b).vectorize(co, vec);
    Var cov("cov"), cob("cob");
    w.product.update()
        .split(co, cob, cov, vec)
        .reorder(cov, go, cob, ci, a, b)
        .vectorize(cov)
        .fuse(a, b, ab)
        .parallel(ab);
    int block = std::min(l.info.in.c, ctx.accumulators());
    while (l.info.in.c % block != 0) --block;
    Var cio("cio"), cii("cii"), coo("coo"), coi("coi");
    group_sums.compute_root().reorder_storage(co, ci, a, b, group).vectorize(co, vec).parallel(group);
    group_sums.update()
        .split(co, coo, coi, vec)
        .split(ci, cio, cii, block)
        .reorder(coi, cii, coo, cio, a, b, chunk, group)
        .vectorize(coi)
        .unroll(cii)
        .parallel(group);
    block_sums.compute_at(group_sums, coo).reorder_storage(co, ci).reorder(co, ci).vectorize(co, vec).unroll(ci);
    block_sums.update().reorder(co, ci, w.r.x, w.r.y, ni).vectorize(co, vec).unroll(ci);

    // The chunk's tiles: the output gradient's are the vectors, the
    // input's the broadcasts, a register block's from one line.
    ctx.winograd_tiles_per_chunk(w.d_out, s.d_acc, out.w, group_sums, chunk);
    ctx.winograd_tiles_per_chunk(w.input, s.padded, l.info.in.w, group_sums, chunk);
    if (l.info.slides->pad > 0) ctx.padded_per_task(s.padded, group_sums, chunk, l.info.in);
}

// A conv weight gradient dw(kx, ky, ci, co) = sum over n, y, x of
// d_out(x, y, co, n) * in(x + kx, y + ky, ci, n). The batch is split into
// chunks whose partial sums (rfactor) are tasks: per task, one input
// channel by a block of output channels by every kernel tap stays in
// registers, vectors along output channels, while the chunk's pixels
// stream past; a channel-innermost copy of d_out makes those vectors
// contiguous loads, and the chunk is sized so it stays in cache across
// the input channels. A grouped conv takes this path when each vector of
// output channels lies within one group (so it reads one input channel);
// other shapes keep vectors along x.
//
// The tuning database may ask for vectors along x, for channel vectors
// where they apply (even with one input channel per group), and for the
// images per chunk.
inline void conv_weight_gradient(const schedule_context& ctx, const lowered_node& l, conv_state& s, Func dw) {
    if (s.winograd_dw) return conv_weight_gradient_winograd(ctx, l, s);
    if (s.pitched_dw) return conv_weight_gradient_pitched(ctx, l, s, dw);
    const conv_choice choice = ctx.choose(conv_key_of(l, s, conv_pass::weight_gradient));
    const RDom& r = s.r_dw;
    const auto& out = l.info.out;
    const auto args = dw.args();
    const Var kx = args[0], ky = args[1], ci = args[2], co = args[3];
    const int taps = l.info.slides->kw * l.info.slides->kh;
    const int group_out = s.group_out(l);
    int lanes = ctx.vector_size();
    while (lanes > 8 && group_out % lanes != 0) lanes /= 2;
    int co_vectors = 0;
    for (int v = 4; v >= 1 && co_vectors == 0; --v)
        if (out.c % (lanes * v) == 0 && taps * v <= ctx.accumulators()) co_vectors = v;
    // With one input channel, the channel-last copy of d_out costs more
    // than the products it would feed.
    const bool one_input = s.group_in(l) == 1 && choice.route != conv_choice::path::channel_vectors;
    if (group_out % lanes != 0 || co_vectors == 0 || one_input || choice.route == conv_choice::path::along_x)
        return conv_weight_gradient_along_x(ctx, l, s, dw);

    const int pixels = out.w * out.h;
    const int chunk = choice.images ? choice.images : std::max(1, 4096 / pixels);
    const int block = lanes * co_vectors;
    Halide::RVar rno("rno"), rni("rni");
    Var b("b"), coo("coo"), coi("coi"), task("task");
    Func partial = dw.update().split(r.z, rno, rni, chunk, schedule_context::guard).rfactor(rno, b);
    Func tiles = partial.in(dw);
    tiles.compute_root()
        .split(co, coo, coi, block)
        .reorder(coi, kx, ky, ci, coo, b)
        .fuse(ci, coo, task)
        .fuse(task, b, task)
        .parallel(task)
        .vectorize(coi, lanes);
    partial.compute_at(tiles, task).reorder_storage(co, kx, ky, ci, b).vectorize(co, lanes);
    partial.update().reorder(co, kx, ky, r.x, r.y, rni, ci, b).vectorize(co, lanes).unroll(co).unroll(kx).unroll(ky);
    // d_out with channels innermost, for the task's contiguous vectors.
    Func d_channels_last = s.d_acc.in(partial);
    d_channels_last.compute_root();
    ctx.channels_last(d_channels_last, s.d_acc, lanes, out.w);
    d_channels_last.parallel(d_channels_last.args()[3]);
    padded_input_for(ctx, l, s, partial);
}

// Backward: the output gradient stored unless it already is (`d_out_stored`:
// a batchnorm's input gradient, a pipeline input, a sum of readers'), the
// weight and bias gradients, and the input gradient in tiles of its own.
// Weights stay inline: stored, they would be computed up front and live to
// the end, which Halide 14's lowering pays for cubically. The input
// gradient's tiles across channels read a stored copy of their own, in
// their layout.
inline void schedule_conv_backward(const schedule_context& ctx, lowered_node& l, conv_state& s, bool d_out_stored) {
    if (!d_out_stored) ctx.elementwise(s.d_acc, l.info.out);
    for (const tensor_gradient& g : l.gradients) {
        if (g.shape == tensor_gradient::form::conv_weight)
            conv_weight_gradient(ctx, l, s, g.grad);
        else if (g.grad.has_update_definition())
            ctx.channel_sums(g.grad, l.info.out);  // the bias's
    }
    if (l.d_in.empty()) return;
    const conv_choice choice = ctx.choose(conv_key_of(l, s, conv_pass::input_gradient));
    if (s.winograd_d_in) {
        ctx.conv_winograd(*s.winograd_d_in, s.d_in_acc, l.d_in[0], l.info.in, s.d_spread, l.info.out,
                          choice.parallel);
        return;
    }
    if (s.pitched_d_in) return schedule_pitched_conv(ctx, *s.pitched_d_in, l.d_in[0], l.info.in, choice);
    conv_weights across{Func(), /*input_gradient=*/true};
    if (s.dense_channels()) across.f = s.weights;
    if (!s.phases.empty()) {
        const int st = l.info.slides->stride;
        const dsl::tensor_shape phase_shape{l.info.in.c, (l.info.in.h + st - 1) / st, (l.info.in.w + st - 1) / st};
        for (input_gradient_phase& phase : s.phases) {
            const Var task = ctx.conv_tiles(phase.acc, phase.out, phase_shape, phase.r, across, choice);
            ctx.padded_per_task(s.d_spread.in(phase.acc), phase.out, task, l.info.out);
        }
        ctx.elementwise(l.d_in[0], l.info.in);
        return;
    }
    // Zero-padded per task, while it stays in cache, rather than checked at every load.
    const Var task = ctx.conv_tiles(s.d_in_acc, l.d_in[0], l.info.in, s.r_d_in, across, choice);
    ctx.padded_per_task(s.d_spread, l.d_in[0], task, l.info.out);
}

}  // namespace typenet::gen::ops
