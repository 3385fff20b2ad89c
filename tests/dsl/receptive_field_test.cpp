// Receptive field, jump and start, against hand-made tables and against a
// brute-force back-projection of one output pixel through every window.
#include <catch2/catch.hpp>
#include <typenet/dsl.hpp>
#include <vector>

using namespace typenet::dsl;

TEST_CASE("the issue's table: 28 -> conv3 -> conv3 -> maxpool2 -> conv3", "[receptive_field]") {
    constexpr auto net = input<1, 28, 28> | conv<8, 3> | conv<8, 3> | maxpool<2> | conv<8, 3>;
    constexpr auto& l = layers(net);
    STATIC_REQUIRE(l[0].rf().r == 3);
    STATIC_REQUIRE(l[1].rf().r == 5);
    STATIC_REQUIRE(l[2].rf().r == 6);
    STATIC_REQUIRE(l[3].rf().r == 10);
    STATIC_REQUIRE(l[0].rf().j == 1);
    STATIC_REQUIRE(l[1].rf().j == 1);
    STATIC_REQUIRE(l[2].rf().j == 2);
    STATIC_REQUIRE(l[3].rf().j == 2);
    STATIC_REQUIRE(receptive_field(net) == 10);
}

TEST_CASE("the reference article's example: 5x5, two convs k3 s2 p1", "[receptive_field]") {
    // n: 5 -> 3 -> 2; j: 2, 4; r: 3, 7; start stays at 0.5.
    constexpr auto net = input<1, 5, 5> | conv<1, 3, stride<2>, pad<1>> | conv<1, 3, stride<2>, pad<1>>;
    constexpr auto& l = layers(net);
    STATIC_REQUIRE(l[0].out.h == 3);
    STATIC_REQUIRE(l[1].out.h == 2);
    STATIC_REQUIRE(l[0].rf() == receptive{3, 2, 0.5});
    STATIC_REQUIRE(l[1].rf() == receptive{7, 4, 0.5});
}

TEST_CASE("global average pooling counts as a window as large as its input", "[receptive_field]") {
    // 4x4 -> 1x1 after jump 2 adds (4 - 1) * 2 = 6.
    constexpr auto net = input<1, 9, 9> | conv<4, 2> | maxpool<2> | global_avgpool;
    STATIC_REQUIRE(layers(net)[1].out.h == 4);
    STATIC_REQUIRE(layers(net)[1].rf().r == 3);
    STATIC_REQUIRE(layers(net)[2].rf().r == 9);
}

TEST_CASE("dilation widens the receptive field; elementwise layers keep it", "[receptive_field]") {
    STATIC_REQUIRE(receptive_field(input<1, 28, 28> | conv<1, 3, dilation<2>>) == 5);
    STATIC_REQUIRE(receptive_field(input<1, 28, 28> | conv<1, 3, dilation<2>> | relu | batchnorm | dropout<0.1>) ==
                   5);
    STATIC_REQUIRE(receptive_field(input<1, 199, 199> | repeat<99>(conv<1, 3>)) == 199);
}

// The input interval [lo, hi] (pixel indices, may reach into the padding)
// that output pixel `o` of a chain of windows depends on.
struct interval {
    long lo, hi;
};
static interval back_project(const std::vector<window>& chain, long o) {
    interval iv{o, o};
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        const long extent = it->extent_h();
        iv = {iv.lo * it->stride - it->pad, iv.hi * it->stride - it->pad + extent - 1};
    }
    return iv;
}

template <network_type Net>
static void check_against_back_projection(Net net) {
    std::vector<window> chain;
    for (const layer_info& l : layers(net)) {
        if (!l.slides) continue;
        chain.push_back(*l.slides);
        const interval first = back_project(chain, 0), second = back_project(chain, 1);
        INFO("layer " << l.index << " " << l.label);
        CHECK(l.rf().r == first.hi - first.lo + 1);
        CHECK(l.rf().start == Approx((first.lo + first.hi) / 2.0 + 0.5));
        if (l.out.h > 1) CHECK(l.rf().j == second.lo - first.lo);
    }
}

TEST_CASE("receptive field, jump and start agree with back-projection", "[receptive_field]") {
    check_against_back_projection(input<1, 64, 64> | conv<4, 3, stride<2>, pad<1>> | maxpool<3, 2> |
                                  conv<4, 5, dilation<2>, pad<3>> | avgpool<2> | conv<4, 3>);
    check_against_back_projection(input<1, 28, 28> | conv<8, 3> | conv<8, 3> | maxpool<2> | conv<8, 3> |
                                  conv<8, 1> | conv<8, 3, stride<2>>);
    check_against_back_projection(input<1, 40, 40> | conv<4, 7, stride<2>, pad<3>> | maxpool<3, 2, pad<1>> |
                                  conv<4, 3, pad<1>> | conv<4, 3, stride<2>, pad<1>>);
}
