// Winograd's minimal filtering F(2x2, 3x3) for a 3x3 convolution of stride 1
// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
// 2016): each 2x2 tile of the output comes from a 4x4 tile of the input with
// 16 multiplies per pair of input and output channels, where the direct
// convolution takes 36. The input channels' sum becomes 16 small matrix
// products (one per point of the transformed tile), the part that costs.
//
// In one dimension, two outputs y of three weights g over four inputs d:
//   y = A^T [(G g) * (B^T d)]
//   B^T d = (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
//   G g   = (g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2)
//   A^T m = (m0 + m1 + m2, m1 - m2 - m3)
// and in two, the same along x (index a) and then along y (index b).
//
// The weight gradient dg_k = sum_i dy_i d_(i+k) is the same trilinear form
// read for g instead of y (the derivative of sum_i dy_i y_i), so
//   dg = G^T [(A dy) * (B^T d)]
//   A dy    = (dy0, dy0 + dy1, dy0 - dy1, -dy1)
//   G^T q   = (q0 + (q1 + q2) / 2, (q1 - q2) / 2, (q1 + q2) / 2 + q3)
// where the products are summed over every tile of the batch.
#pragma once

#include <Halide.h>

#include <string>

#include <typenet/dsl.hpp>

namespace typenet::gen {

using Halide::Func;
using Halide::RDom;
using Halide::Var;

struct winograd_weight_gradient {
    Func input;    // V, as for the forward
    Func d_out;    // E(a, b, co, tx, ty, n) = A dy A^T, dy the 2x2 output gradient tile at (2 tx, 2 ty)
    Func product;  // P(a, b, ci, co) = sum over tiles and images of E V
    RDom r;        // P's sum: tx, ty, n
};

struct winograd_conv {
    Func weights;  // U(a, b, ci, co) = G w G^T
    Func input;    // V(a, b, ci, tx, ty, n) = B^T d B, d the 4x4 input tile at (2 tx, 2 ty)
    Func product;  // M(a, b, co, tx, ty, n) = sum over ci of U V
    RDom r;        // M's sum over input channels
};

// Where the tiles pay, for a 3x3 convolution of stride 1 from `in` to
// `out`: maps of whole 2x2 tiles, rows of at most 16 tiles (a row's
// products stay in registers), and enough channels that the transforms
// cost little beside the products. The input gradient is such a
// convolution too, from the output gradient to the input's shape.
constexpr bool winograd_fits(const dsl::window& w, const dsl::tensor_shape& in, const dsl::tensor_shape& out) {
    return w.kw == 3 && w.kh == 3 && w.stride == 1 && w.dilation == 1 && out.w % 2 == 0 && out.h % 2 == 0 &&
           out.w >= 8 && out.w <= 32 && in.c >= 16 && out.c % 16 == 0;
}

// V(a, b, ci, tx, ty, n) = B^T d B, d the 4x4 tile of `padded` (a map
// with a zero border of `pad`) under the output tile (tx, ty).
inline Func winograd_input(const std::string& name, Func padded, int pad) {
    using Halide::mux;
    Var a("a"), b("b"), ci("ci"), tx("tx"), ty("ty"), n("n");
    // B^T along x, per input row v of the tile; inline, so that a schedule
    // can wrap `padded` where the transform reads it.
    const auto bx = [&](int v) {
        const auto d = [&](int u) { return padded(2 * tx + u - pad, 2 * ty + v - pad, ci, n); };
        return mux(a, {d(0) - d(2), d(1) + d(2), d(2) - d(1), d(1) - d(3)});
    };
    Func input(name + "_wino_in");
    input(a, b, ci, tx, ty, n) = mux(b, {bx(0) - bx(2), bx(1) + bx(2), bx(2) - bx(1), bx(1) - bx(3)});
    return input;
}

// Defines the transforms and the products of a conv `name`, and `out(x, y,
// c, n)`, the convolution (plus `bias`, where defined), from the products.
inline winograd_conv winograd_f2x3(const std::string& name, Func weights, Func padded, Func bias, int pad,
                                   int in_channels, Func out, const Var& x, const Var& y, const Var& c,
                                   const Var& n) {
    using Halide::mux;
    Var a("a"), b("b"), ci("ci"), co("co"), tx("tx"), ty("ty"), k("k");
    winograd_conv w;

    Func gx(name + "_wino_gx");  // G along kx
    const auto g = [&](int kx) { return weights(kx, k, ci, co); };
    gx(a, k, ci, co) = mux(a, {g(0), 0.5f * (g(0) + g(1) + g(2)), 0.5f * (g(0) - g(1) + g(2)), g(2)});
    w.weights = Func(name + "_wino_w");
    const auto gy = [&](int ky) { return gx(a, ky, ci, co); };
    w.weights(a, b, ci, co) = mux(b, {gy(0), 0.5f * (gy(0) + gy(1) + gy(2)), 0.5f * (gy(0) - gy(1) + gy(2)), gy(2)});

    w.input = winograd_input(name, padded, pad);

    w.r = RDom(0, in_channels, "r_wino_" + name);
    w.product = Func(name + "_wino_product");
    w.product(a, b, co, tx, ty, n) = 0.f;
    w.product(a, b, co, tx, ty, n) += w.weights(a, b, w.r, co) * w.input(a, b, w.r, tx, ty, n);

    Func ax(name + "_wino_ax");  // A^T along x
    const auto m = [&](int i) { return w.product(i, b, co, tx, ty, n); };
    ax(a, b, co, tx, ty, n) = mux(a, {m(0) + m(1) + m(2), m(1) - m(2) - m(3)});
    const auto h = [&](int j) { return ax(x % 2, j, c, x / 2, y / 2, n); };
    const Halide::Expr tile = mux(y % 2, {h(0) + h(1) + h(2), h(1) - h(2) - h(3)});
    out(x, y, c, n) = bias.defined() ? bias(c) + tile : tile;
    return w;
}

// Defines the transforms and the products behind the weight gradient of a
// conv `name` from `padded` to an output of shape `out` whose gradient is
// `d_out`, and `dw(kx, ky, ci, co)` from the products.
inline winograd_weight_gradient winograd_f2x3_weight_gradient(const std::string& name, Func padded, int pad,
                                                              Func d_out, const dsl::tensor_shape& out,
                                                              Halide::Expr batch, Func dw) {
    using Halide::mux;
    Var a("a"), b("b"), ci("ci"), co("co"), tx("tx"), ty("ty"), n("n"), kx("kx"), ky("ky");
    winograd_weight_gradient w;
    w.input = winograd_input(name + "_dw", padded, pad);

    // A along x, per output row j of the tile; inline, so that the schedule
    // can wrap d_out where E reads it.
    const auto ex = [&](int j) {
        const auto g = [&](int i) { return d_out(2 * tx + i, 2 * ty + j, co, n); };
        return mux(a, {g(0), g(0) + g(1), g(0) - g(1), -g(1)});
    };
    w.d_out = Func(name + "_dw_wino_d");
    w.d_out(a, b, co, tx, ty, n) = mux(b, {ex(0), ex(0) + ex(1), ex(0) - ex(1), -ex(1)});

    w.r = RDom(0, out.w / 2, 0, out.h / 2, 0, batch, "r_dw_wino_" + name);
    w.product = Func(name + "_dw_wino_product");
    w.product(a, b, ci, co) = 0.f;
    w.product(a, b, ci, co) += w.d_out(a, b, co, w.r.x, w.r.y, w.r.z) * w.input(a, b, ci, w.r.x, w.r.y, w.r.z);

    Func px(name + "_dw_wino_px");  // G^T along x
    const auto q = [&](int i) { return w.product(i, b, ci, co); };
    px(kx, b, ci, co) = mux(kx, {q(0) + 0.5f * (q(1) + q(2)), 0.5f * (q(1) - q(2)), 0.5f * (q(1) + q(2)) + q(3)});
    const auto r = [&](int row) { return px(kx, row, ci, co); };
    dw(kx, ky, ci, co) = mux(ky, {r(0) + 0.5f * (r(1) + r(2)), 0.5f * (r(1) - r(2)), 0.5f * (r(1) + r(2)) + r(3)});
    return w;
}

}  // namespace typenet::gen
