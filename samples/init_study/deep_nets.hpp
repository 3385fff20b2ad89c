// Two deep plain networks for the initialization study: 20 hidden layers of
// 256 units, nothing (no batchnorm, no residual) to rescue a bad start,
// each followed by ReLU in one and tanh in the other.
//
// Fully connected, not convolutional: a 16-channel conv stack on 28x28
// images random-walks its activation scale even under He initialization
// (measured here, and with PyTorch: the last of 20 layers ends 3x to 15x
// below the first), because a layer's few filters see strongly correlated
// inputs; 256 units per layer average that out, so what remains is what
// the initialization does.
#pragma once

#include <typenet/dsl.hpp>

namespace samples {
using namespace typenet::dsl;

inline constexpr auto deep_relu_net = input<1, 28, 28> | flatten | dense<256> | relu |
                                      repeat<19>(dense<256> | relu) | dense<10> | softmax_xent<10>;

inline constexpr auto deep_tanh_net = input<1, 28, 28> | flatten | dense<256> | tanh_activation |
                                      repeat<19>(dense<256> | tanh_activation) | dense<10> | softmax_xent<10>;

static_assert(depth(deep_relu_net) == 43);  // flatten, 20 x (dense, activation), dense, loss

}  // namespace samples
