#pragma once
#include <typenet/dsl.hpp>

namespace consumer {
using namespace typenet::dsl;
// Every form beyond a chain: a residual with an identity shortcut (its body
// holding a grouped conv), one with a projection shortcut and stride 2 (its
// body holding a depthwise conv), and a concat of three branches, one a
// depthwise conv, one a padded max pooling.
inline constexpr auto graph_net =
    input<3, 12, 12>
    | conv<8, 3, pad<1>> | batchnorm | relu
    | residual(conv<8, 3, pad<1>> | batchnorm | relu | conv<8, 3, pad<1>, groups<2>> | batchnorm) | relu
    | residual(conv<16, 3, stride<2>, pad<1>, groups<8>> | batchnorm | relu | conv<16, 1>,
               conv<16, 1, stride<2>, no_bias>)
    | concat(conv<4, 1>, conv<16, 3, pad<1>, groups<16>> | tanh_activation, maxpool<3, 1, pad<1>>)
    | global_avgpool | flatten | dense<5> | softmax_xent<5>;
}  // namespace consumer
