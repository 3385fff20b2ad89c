// Output shapes, against sizes worked out by hand from PyTorch's documented
// formula H_out = floor((H_in + 2p - d(k-1) - 1) / s + 1) and against a
// brute-force count of window positions.
#include <catch2/catch.hpp>
#include <typenet/dsl.hpp>

using namespace typenet::dsl;

TEST_CASE("conv output shapes with stride, padding and dilation", "[shape]") {
    STATIC_REQUIRE(output_shape(input<1, 28, 28> | conv<8, 3>) == shape<8, 26, 26>);
    STATIC_REQUIRE(output_shape(input<1, 28, 28> | conv<8, 3, stride<2>>) == shape<8, 13, 13>);
    STATIC_REQUIRE(output_shape(input<1, 28, 28> | conv<8, 3, stride<2>, pad<1>>) == shape<8, 14, 14>);
    STATIC_REQUIRE(output_shape(input<1, 28, 28> | conv<8, 3, dilation<2>>) == shape<8, 24, 24>);
    STATIC_REQUIRE(output_shape(input<1, 28, 28> | conv<8, 3, pad<1>>) == shape<8, 28, 28>);
    // Non-square input, every option at once: k_eff = 9; (32+4-9)/3+1 = 10, (20+4-9)/3+1 = 6.
    STATIC_REQUIRE(output_shape(input<3, 32, 20> | conv<8, 5, stride<3>, pad<2>, dilation<2>>) == shape<8, 10, 6>);
    // Options in any order mean the same layer.
    STATIC_REQUIRE(std::is_same_v<decltype(conv<8, 3, pad<1>, stride<2>>), decltype(conv<8, 3, stride<2>, pad<1>>)>);
}

TEST_CASE("pooling output shapes", "[shape]") {
    STATIC_REQUIRE(output_shape(input<4, 26, 26> | maxpool<2>) == shape<4, 13, 13>);
    STATIC_REQUIRE(output_shape(input<4, 13, 13> | maxpool<2>) == shape<4, 6, 6>);  // floor, like PyTorch
    STATIC_REQUIRE(output_shape(input<4, 13, 13> | maxpool<3, 2>) == shape<4, 6, 6>);
    STATIC_REQUIRE(output_shape(input<4, 112, 112> | maxpool<3, 2, pad<1>>) == shape<4, 56, 56>);  // ResNet's stem
    STATIC_REQUIRE(output_shape(input<4, 7, 7> | avgpool<2>) == shape<4, 3, 3>);
    STATIC_REQUIRE(output_shape(input<4, 12, 12> | avgpool<2, 2, tile_exactly>) == shape<4, 6, 6>);
    STATIC_REQUIRE(output_shape(input<16, 7, 5> | global_avgpool) == shape<16, 1, 1>);
}

TEST_CASE("shape-keeping layers, flatten and dense", "[shape]") {
    constexpr auto net = input<16, 7, 5> | relu | leaky_relu | typenet::dsl::tanh | sigmoid | elu | batchnorm |
                         dropout<0.5>;
    STATIC_REQUIRE(output_shape(net) == shape<16, 7, 5>);
    STATIC_REQUIRE(output_shape(net | flatten) == shape<560, 1, 1>);
    STATIC_REQUIRE(output_shape(net | flatten | dense<10>) == shape<10, 1, 1>);
    STATIC_REQUIRE(output_shape(net | global_avgpool | dense<4> | softmax_xent<4>) == shape<4, 1, 1>);
}

TEST_CASE("fixed-weight conv keeps its filters in the type", "[shape]") {
    constexpr auto edges = input<1, 64, 48> | fixed_conv<filters(sobel_x, sobel_y, laplacian)>;
    STATIC_REQUIRE(output_shape(edges) == shape<3, 62, 46>);
    STATIC_REQUIRE(output_shape(input<1, 64, 48> | fixed_conv<filters(laplacian), pad<1>>) == shape<1, 64, 48>);
    constexpr auto bank = decltype(edges)::layer<0>::bank;
    STATIC_REQUIRE(bank.weight(0, 0, 1, 0) == -2.0f);  // sobel_x's middle row: -2 0 2
    STATIC_REQUIRE(bank.weight(1, 0, 0, 1) == 2.0f);   // sobel_y's top row: 1 2 1
    STATIC_REQUIRE(bank.weight(2, 0, 1, 1) == -4.0f);  // laplacian's centre
    STATIC_REQUIRE(parameter_count(edges) == 0);
}

TEST_CASE("layer_shapes lists the input and every layer's output", "[shape]") {
    constexpr auto net = input<1, 28, 28> | conv<16, 3> | relu | maxpool<2> | flatten;
    constexpr auto shapes = layer_shapes(net);
    STATIC_REQUIRE(shapes.size() == 5);
    STATIC_REQUIRE(shapes[0] == shape<1, 28, 28>);
    STATIC_REQUIRE(shapes[1] == shape<16, 26, 26>);
    STATIC_REQUIRE(shapes[2] == shape<16, 26, 26>);
    STATIC_REQUIRE(shapes[3] == shape<16, 13, 13>);
    STATIC_REQUIRE(shapes[4] == shape<2704, 1, 1>);
}

TEST_CASE("repeat copies blocks in order", "[shape]") {
    constexpr auto net = input<3, 32, 32> | repeat<3>(conv<8, 3, pad<1>> | batchnorm | relu);
    STATIC_REQUIRE(depth(net) == 9);
    STATIC_REQUIRE(layers(net)[3].kind == layer_kind::conv);
    STATIC_REQUIRE(layers(net)[4].kind == layer_kind::batchnorm);
    STATIC_REQUIRE(layers(net)[8].kind == layer_kind::activation);
    STATIC_REQUIRE(output_shape(net) == shape<8, 32, 32>);
    STATIC_REQUIRE(depth(input<1, 199, 199> | repeat<99>(conv<1, 3>)) == 99);
}

// Counts the positions of a window of `extent` that lie inside the padded input.
static int count_window_positions(int n, int extent, int stride, int pad) {
    int positions = 0;
    for (int start = -pad; start + extent <= n + pad; start += stride) ++positions;
    return positions;
}

TEST_CASE("windowed_size matches a brute-force count of window positions", "[shape]") {
    for (int n = 1; n <= 40; ++n)
        for (int k = 1; k <= 7; ++k)
            for (int d = 1; d <= 3; ++d)
                for (int s = 1; s <= 4; ++s)
                    for (int p = 0; p <= 3; ++p) {
                        const int extent = d * (k - 1) + 1;
                        INFO("n=" << n << " k=" << k << " d=" << d << " s=" << s << " p=" << p);
                        REQUIRE(windowed_size(n, extent, s, p) == count_window_positions(n, extent, s, p));
                    }
}
