// The networks bench/generation_time generates: chains of conv, batchnorm
// and relu on 16x28x28 from 21 to 99 layers (the 99-layer one is the
// 100-layer chain of the targets, with its input), and the residual sample.
#pragma once

#include <typenet/dsl.hpp>

#include "networks/fashion_nets.hpp"

namespace bench {
using namespace typenet::dsl;
template <int Units>
inline constexpr auto chain = input<16, 28, 28> | repeat<Units>(conv<16, 3, pad<1>> | batchnorm | relu);
inline constexpr auto chain_21 = chain<7>;
inline constexpr auto chain_39 = chain<13>;
inline constexpr auto chain_60 = chain<20>;
inline constexpr auto chain_81 = chain<27>;
inline constexpr auto chain_99 = chain<33>;
}  // namespace bench
