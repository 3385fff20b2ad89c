// The lesson's first question as a network: one gray channel in, three fixed
// 3x3 filters out (Sobel-X, Sobel-Y, Laplacian, exactly the lesson's matrices).
// Sizes are part of a network's type, so the network takes a tile of
// (edge_tile + 2)^2 pixels and an image of any size goes through as a batch
// of overlapping tiles (each tile's 1-pixel border is its 3x3 window's reach).
#pragma once

#include <typenet/dsl.hpp>

namespace samples {
using namespace typenet::dsl;

inline constexpr int edge_tile = 64;
inline constexpr auto edge_net =
    input<1, edge_tile + 2, edge_tile + 2> | fixed_conv<filters(sobel_x, sobel_y, laplacian)>;

static_assert(output_shape(edge_net) == shape<3, edge_tile, edge_tile>);
static_assert(receptive_field(edge_net) == 3);

}  // namespace samples
