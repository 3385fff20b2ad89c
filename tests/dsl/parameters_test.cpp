// Parameter counts, MACs and fans, against PyTorch's counting rules and
// published figures for LeNet-5.
#include <catch2/catch.hpp>
#include <typenet/dsl.hpp>

using namespace typenet::dsl;

TEST_CASE("LeNet-5 has 61,706 parameters and 416,520 MACs", "[parameters]") {
    constexpr auto lenet = input<1, 32, 32> | conv<6, 5> | typenet::dsl::tanh | avgpool<2> | conv<16, 5> |
                           typenet::dsl::tanh | avgpool<2> | flatten | dense<120> | typenet::dsl::tanh | dense<84> |
                           typenet::dsl::tanh | dense<10>;
    STATIC_REQUIRE(parameter_count(lenet) == 61'706);
    // 28*28*6*25 + 10*10*16*150 + 400*120 + 120*84 + 84*10
    STATIC_REQUIRE(mac_count(lenet) == 117'600 + 240'000 + 48'000 + 10'080 + 840);
}

TEST_CASE("conv, batchnorm and dense follow PyTorch's counting", "[parameters]") {
    // Conv2d(3, 16, 3): 3*16*9 weights + 16 biases.
    STATIC_REQUIRE(parameter_count(input<3, 32, 32> | conv<16, 3>) == 3 * 16 * 9 + 16);
    STATIC_REQUIRE(parameter_count(input<3, 32, 32> | conv<16, 3, no_bias>) == 3 * 16 * 9);
    // Stride, padding and dilation change shapes, never the parameter count.
    STATIC_REQUIRE(parameter_count(input<3, 32, 32> | conv<16, 3, stride<2>, pad<1>, dilation<2>>) == 3 * 16 * 9 + 16);
    // BatchNorm2d(16): gamma and beta trainable; running statistics are not parameters.
    STATIC_REQUIRE(parameter_count(input<16, 8, 8> | batchnorm) == 32);
    STATIC_REQUIRE(parameter_count(input<16, 8, 8> | flatten | dense<10>) == 1024 * 10 + 10);
    STATIC_REQUIRE(parameter_count(input<16, 8, 8> | flatten | dense<10, no_bias>) == 1024 * 10);
    STATIC_REQUIRE(parameter_count(input<16, 8, 8> | relu | maxpool<2> | dropout<0.5> | global_avgpool) == 0);
}

TEST_CASE("per-layer parameters and MACs", "[parameters]") {
    constexpr auto net = input<1, 28, 28> | conv<16, 3> | batchnorm | relu | conv<32, 3, stride<2>> | flatten |
                         dense<10>;
    constexpr auto& l = layers(net);
    STATIC_REQUIRE(l[0].param_count() == 160);
    STATIC_REQUIRE(l[0].macs == 16 * 26 * 26 * 9);
    STATIC_REQUIRE(l[1].param_count() == 32);
    STATIC_REQUIRE(l[3].out == shape<32, 12, 12>);  // (26 - 3) / 2 + 1
    STATIC_REQUIRE(l[3].param_count() == 16 * 32 * 9 + 32);
    STATIC_REQUIRE(l[3].macs == 32 * 12 * 12 * 16 * 9);
    STATIC_REQUIRE(l[5].macs == 32 * 12 * 12 * 10);
    STATIC_REQUIRE(parameter_count(net) == 160 + 32 + 4640 + 46090);
}

TEST_CASE("fan-in and fan-out as torch.nn.init computes them", "[parameters]") {
    constexpr auto net = input<8, 16, 16> | conv<16, 3> | relu | flatten | dense<10>;
    constexpr auto& l = layers(net);
    STATIC_REQUIRE(l[0].fan_in == 8 * 9);    // in_channels * receptive field size
    STATIC_REQUIRE(l[0].fan_out == 16 * 9);  // out_channels * receptive field size
    STATIC_REQUIRE(l[1].fan_in == 0);
    STATIC_REQUIRE(l[3].fan_in == 16 * 14 * 14);
    STATIC_REQUIRE(l[3].fan_out == 10);
}
