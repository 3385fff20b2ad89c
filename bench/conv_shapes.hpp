// The convolutions bench/conv_vs_pytorch measures: batch 64, 3x3, stride 1,
// no padding, float32; a depthwise and a grouped one, padded as the residual
// sample uses them; and the lesson's 99-layer 1-channel chain (batch 1).
#pragma once

#include <typenet/dsl.hpp>

namespace bench {
using namespace typenet::dsl;
inline constexpr auto conv_1_16 = input<1, 28, 28> | conv<16, 3>;
inline constexpr auto conv_16_16 = input<16, 26, 26> | conv<16, 3>;
inline constexpr auto conv_16_32 = input<16, 12, 12> | conv<32, 3>;
inline constexpr auto conv_32_32 = input<32, 10, 10> | conv<32, 3>;
inline constexpr auto conv_64_64 = input<64, 56, 56> | conv<64, 3>;
inline constexpr auto depthwise_64 = input<64, 28, 28> | conv<64, 3, pad<1>, groups<64>>;
inline constexpr auto grouped_64_64 = input<64, 14, 14> | conv<64, 3, pad<1>, groups<8>>;
inline constexpr auto chain_99 = input<1, 199, 199> | repeat<99>(conv<1, 3>);
}  // namespace bench
