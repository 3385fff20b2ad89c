#pragma once
#include <typenet/dsl.hpp>

namespace consumer {
using namespace typenet::dsl;
inline constexpr auto edge_net = input<1, 5, 6> | fixed_conv<filters(sobel_x)> | conv<1, 1>;
}
