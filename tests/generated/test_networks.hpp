// Small networks that together use every layer and option, for testing the
// generated pipelines against the reference (small, so finite differences
// over every parameter stay quick).
#pragma once

#include <typenet/dsl.hpp>

namespace test_networks {
using namespace typenet::dsl;

// conv with padding, batchnorm, relu, maxpool, strided conv without bias,
// leaky relu, dropout, flatten, dense, loss.
inline constexpr auto mixed =
    input<2, 9, 8> | conv<4, 3, pad<1>> | batchnorm | relu | maxpool<2> | conv<6, 3, stride<2>, pad<1>, no_bias> |
    leaky_relu | dropout<0.25> | flatten | dense<5> | softmax_xent<5>;

// dilation, tanh, average pooling, an even kernel, sigmoid, global average
// pooling, dense without bias, elu.
inline constexpr auto smooth =
    input<3, 10, 10> | conv<4, 3, dilation<2>> | typenet::dsl::tanh | avgpool<2> | conv<5, 2> | sigmoid |
    global_avgpool | flatten | dense<4, no_bias> | elu | dense<3> | softmax_xent<3>;

// Fixed filters, overlapping padded max pooling, padded average pooling with
// stride 1, batchnorm after flatten.
inline constexpr auto pooled =
    input<1, 12, 11> | fixed_conv<filters(sobel_x, sobel_y, laplacian), pad<1>> | conv<4, 3, stride<2>> | relu |
    maxpool<3, 2, pad<1>> | avgpool<2, 1, pad<1>> | flatten | batchnorm | dense<4> | softmax_xent<4>;

// Channel counts that are whole vectors (8 and 16): the weight gradient's
// channel-vector schedule, with the batch in chunks (1,600 output pixels:
// chunks of 2 images, the last one partial for a batch of 3), a strided
// conv and a 1x1 conv.
inline constexpr auto wide = input<1, 40, 40> | conv<8, 3, pad<1>> | relu | maxpool<4> | conv<16, 3, stride<2>> |
                             batchnorm | relu | conv<16, 1> | global_avgpool | flatten | dense<3> | softmax_xent<3>;

// Maps of whole channel vectors (16) whose rows are too narrow for vectors
// along x: conv tiles across channels, forward and for the input gradient, on
// rows wider than 16 (17), of 8 to 16 (8, 10) and under 8 (6), with a
// batchnorm computed inside the activation after it.
inline constexpr auto tiled = input<2, 19, 12> | conv<16, 3> | relu | conv<16, 3, pad<1>> | batchnorm | relu |
                              maxpool<2> | conv<16, 3, pad<1>> | relu | conv<16, 3> | global_avgpool | flatten |
                              dense<3> | softmax_xent<3>;

// 3x3 convs of stride 1 that Winograd's tiles compute (winograd_applies):
// padded with a batchnorm after it and unpadded with a relu after it, 16
// and 32 output channels, rows of 6 and 5 tiles.
inline constexpr auto winograd = input<3, 10, 12> | conv<16, 3, pad<1>> | relu | conv<16, 3, pad<1>> | batchnorm |
                                 relu | conv<32, 3> | relu | global_avgpool | flatten | dense<3> | softmax_xent<3>;

// A residual unit with an identity shortcut, then one with a projection
// shortcut and stride 2 (ResNet's basic blocks), each followed by relu.
inline constexpr auto residual_units =
    input<4, 8, 8> | conv<8, 3, pad<1>> | relu |
    residual(conv<8, 3, pad<1>> | batchnorm | relu | conv<8, 3, pad<1>> | batchnorm) | relu |
    residual(conv<12, 3, stride<2>, pad<1>> | batchnorm | relu | conv<12, 3, pad<1>>,
             conv<12, 1, stride<2>, no_bias> | batchnorm) |
    relu | global_avgpool | flatten | dense<3> | softmax_xent<3>;

// A concat of three branches of different depths, the last a residual
// holding a dilated grouped conv (a unit nested in a unit), then a padded
// pooling.
inline constexpr auto branches =
    input<3, 9, 9> | conv<6, 3, pad<1>> | relu |
    concat(conv<4, 1>, conv<3, 3, pad<1>> | relu | conv<5, 3, pad<1>> | maxpool<3, 1, pad<1>>,
           residual(conv<6, 3, pad<2>, dilation<2>, groups<3>> | tanh_activation)) |
    avgpool<3> | flatten | dense<4> | softmax_xent<4>;

// Grouped and depthwise convs with stride and padding, a 1x1 grouped conv
// without bias, batchnorm and dropout after them.
inline constexpr auto grouped = input<4, 12, 12> | conv<16, 3, pad<1>, groups<2>> | relu |
                                conv<16, 3, stride<2>, pad<1>, groups<16>> | batchnorm | relu |
                                conv<8, 1, groups<4>, no_bias> | dropout<0.2> | global_avgpool | flatten |
                                dense<3> | softmax_xent<3>;

// No loss head: trained through the gradient of an outside loss.
inline constexpr auto headless = input<3, 8, 8> | conv<4, 3, stride<2>, pad<1>> | relu | conv<2, 1>;

// No loss head, and the input read twice (by the body and the identity
// shortcut): its gradient is the sum of both paths'.
inline constexpr auto headless_residual = input<4, 6, 6> | residual(conv<4, 3, pad<1>> | relu) | conv<2, 1>;

// No loss head, long enough for several training segments: the gradient
// of the outside loss crosses from one segment's backward to the next
// (segments cut after a relu and before a batchnorm both occur).
inline constexpr auto headless_segments = input<3, 9, 9> | conv<4, 3, pad<1>> | batchnorm | relu |
                                          conv<6, 3, stride<2>> | relu | conv<4, 3, pad<1>> | batchnorm | relu |
                                          conv<2, 1>;

}  // namespace test_networks
