// Tensor shapes and the geometry of a sliding window.
#pragma once

#include <cstdint>

namespace typenet::dsl {

// The shape of one sample (the batch is a run-time extent): channels x height x width.
struct tensor_shape {
    int c = 0, h = 0, w = 0;

    constexpr std::int64_t size() const { return std::int64_t{c} * h * w; }
    constexpr bool is_flat() const { return h == 1 && w == 1; }
    constexpr bool operator==(const tensor_shape&) const = default;
};

template <int C, int H, int W>
inline constexpr tensor_shape shape{C, H, W};

// A square window sliding over both spatial axes (conv, pooling), or a
// rectangular one covering the whole input (global pooling, flatten).
struct window {
    int kh = 1, kw = 1;
    int stride = 1;
    int pad = 0;
    int dilation = 1;

    constexpr int extent_h() const { return dilation * (kh - 1) + 1; }
    constexpr int extent_w() const { return dilation * (kw - 1) + 1; }
};

// n_out = floor((n_in + 2p - k_eff) / s) + 1, for one axis.
constexpr int windowed_size(int n, int extent, int stride, int pad) {
    int span = n + 2 * pad - extent;
    return span < 0 ? 0 : span / stride + 1;
}

// Receptive-field arithmetic along one axis: r, the receptive field; j, the
// jump (distance in input pixels between adjacent outputs); start, the centre
// of the first output's receptive field in input coordinates.
struct receptive {
    int r = 1;
    int j = 1;
    double start = 0.5;

    constexpr receptive through(int extent, int stride, int pad) const {
        return {r + (extent - 1) * j, j * stride, start + ((extent - 1) / 2.0 - pad) * j};
    }
    constexpr bool operator==(const receptive&) const = default;
};

}  // namespace typenet::dsl
