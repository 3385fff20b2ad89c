// The sample networks for 28x28 gray images (Fashion-MNIST), shared by the
// summary sample and the trainer.
#pragma once

#include <typenet/dsl.hpp>

namespace samples {
using namespace typenet::dsl;

// Two padded 3x3 conv pairs with batchnorm, each followed by 2x2 max pooling,
// then a linear classifier over all 7x7x64 features (keeping where a feature
// is, which global pooling would average away): under 100k parameters.
inline constexpr auto fashion_net =
    input<1, 28, 28>
    | conv<32, 3, pad<1>> | batchnorm | relu
    | conv<32, 3, pad<1>> | batchnorm | relu
    | maxpool<2>                                  // 14x14
    | conv<64, 3, pad<1>> | batchnorm | relu
    | conv<64, 3, pad<1>> | batchnorm | relu
    | maxpool<2>                                  // 7x7
    | flatten
    | dropout<0.25> | dense<10> | softmax_xent<10>;

static_assert(parameter_count(fashion_net) < 100'000);
static_assert(output_shape(fashion_net) == shape<10, 1, 1>);

// EVA style: unpadded 3x3 convs, batchnorm, max pooling after the receptive
// field reaches edges-and-gradients size, 1x1 "transition" convs that cut
// channels, global average pooling instead of a dense layer.
inline constexpr auto eva_net =
    input<1, 28, 28>
    | conv<8, 3> | batchnorm | relu                // 26x26, RF 3
    | conv<16, 3> | batchnorm | relu               // 24x24, RF 5
    | conv<16, 3> | batchnorm | relu               // 22x22, RF 7
    | maxpool<2>                                  // 11x11, RF 8
    | conv<8, 1> | batchnorm | relu                // transition
    | conv<16, 3> | batchnorm | relu               // 9x9, RF 12
    | conv<16, 3> | batchnorm | relu               // 7x7, RF 16
    | conv<16, 3> | batchnorm | relu | dropout<0.05>  // 5x5, RF 20
    | conv<16, 3> | batchnorm | relu               // 3x3, RF 24
    | conv<10, 1>                                 // one channel per class
    | global_avgpool | flatten | softmax_xent<10>;  // RF 28

static_assert(parameter_count(eva_net) < 20'000);
static_assert(receptive_field(eva_net) >= 28);
static_assert(output_shape(eva_net) == shape<10, 1, 1>);

// ResNet style: units whose output is their body plus their input, so the
// gradient reaches early layers through the shortcut too. A conv right
// before a batchnorm has no bias (the batch mean takes it away).
//   basic unit       two 3x3 convs, identity shortcut
//   projection unit  stride 2 and twice the channels, so the shortcut is a
//                    strided 1x1 conv that makes the same shape
//   separable unit   a depthwise 3x3 (one filter per channel) then a 1x1
//                    that mixes channels: MobileNet's split of a 3x3 conv,
//                    9x fewer weights than a full 3x3 over 64 channels
template <int C>
inline constexpr auto basic_unit = residual(conv<C, 3, pad<1>, no_bias> | batchnorm | relu |
                                            conv<C, 3, pad<1>, no_bias> | batchnorm) | relu;
template <int C>
inline constexpr auto projection_unit = residual(conv<C, 3, stride<2>, pad<1>, no_bias> | batchnorm | relu |
                                                     conv<C, 3, pad<1>, no_bias> | batchnorm,
                                                 conv<C, 1, stride<2>, no_bias> | batchnorm) | relu;
template <int C>
inline constexpr auto separable_unit = residual(conv<C, 3, pad<1>, groups<C>, no_bias> | batchnorm | relu |
                                                conv<C, 1, no_bias> | batchnorm) | relu;

inline constexpr auto resnet_net =
    input<1, 28, 28>
    | conv<32, 3, pad<1>, no_bias> | batchnorm | relu   // 28x28, RF 3
    | basic_unit<32>                                    // 28x28, RF 7
    | projection_unit<64>                               // 14x14, RF 13
    | separable_unit<64>                                // 14x14, RF 17
    | maxpool<2>                                        // 7x7, RF 19
    | separable_unit<64>                                // 7x7, RF 27
    | global_avgpool | flatten | dense<10> | softmax_xent<10>;

static_assert(parameter_count(resnet_net) < 100'000);
static_assert(output_shape(resnet_net) == shape<10, 1, 1>);

}  // namespace samples
