// Labels, shape traces and the summary table.
#include <catch2/catch.hpp>
#include <string>
#include <typenet/dsl.hpp>

using namespace typenet::dsl;

TEST_CASE("compile-time numbers print as a person writes them", "[text]") {
    constexpr auto text = [](auto value) {
        static_text<32> t;
        t << value;
        return t;
    };
    STATIC_REQUIRE(text(0) == "0");
    STATIC_REQUIRE(text(-42) == "-42");
    STATIC_REQUIRE(text(1234567890123LL) == "1234567890123");
    STATIC_REQUIRE(text(0.05) == "0.05");
    STATIC_REQUIRE(text(1.5) == "1.5");
    STATIC_REQUIRE(text(2.0) == "2");
    STATIC_REQUIRE(text(0.0125) == "0.0125");
    STATIC_REQUIRE(text(-0.25) == "-0.25");
}

TEST_CASE("labels spell the layer as it is written", "[text]") {
    STATIC_REQUIRE(decltype(conv<16, 3>)::label == "conv<16,3>");
    STATIC_REQUIRE(decltype(conv<8, 3, stride<2>, pad<1>, dilation<2>, no_bias>)::label ==
                   "conv<8,3,stride<2>,pad<1>,dilation<2>,no_bias>");
    STATIC_REQUIRE(decltype(maxpool<2>)::label == "maxpool<2>");
    STATIC_REQUIRE(decltype(maxpool<3, 2>)::label == "maxpool<3,2>");
    STATIC_REQUIRE(decltype(dropout<0.05>)::label == "dropout<0.05>");
    STATIC_REQUIRE(decltype(leaky_relu)::label == "leaky_relu<0.01>");
    STATIC_REQUIRE(decltype(fixed_conv<filters(sobel_x, laplacian), pad<1>>)::label ==
                   "fixed_conv<sobel_x,laplacian,pad<1>>");
}

TEST_CASE("shape_trace lists the sizes after each windowed layer", "[text]") {
    STATIC_REQUIRE(shape_trace(input<1, 28, 28> | conv<8, 3> | relu | maxpool<2> | conv<8, 3>) ==
                   "28x28 > 26x26 > 13x13 > 11x11");
    STATIC_REQUIRE(shape_trace(input<1, 7, 7>) == "7x7");
    constexpr std::string_view chain = shape_trace(input<1, 199, 199> | repeat<99>(conv<1, 3>));
    STATIC_REQUIRE(chain.size() == 50 * 7 + 45 * 5 + 5 * 3 + 99 * 3);
    STATIC_REQUIRE(chain.substr(0, 17) == "199x199 > 197x197");
}

TEST_CASE("summary prints every layer and the totals", "[text]") {
    constexpr auto net = input<1, 28, 28> | conv<16, 3> | batchnorm | relu | maxpool<2> | flatten | dense<10>;
    const std::string table = to_string(summary(net));
    INFO(table);
    CHECK(table.find("conv<16,3>") != std::string::npos);
    CHECK(table.find("16x26x26") != std::string::npos);
    CHECK(table.find("16x13x13") != std::string::npos);
    CHECK(table.find("2704x1x1") != std::string::npos);
    CHECK(table.find("parameters: 27,242 ") != std::string::npos);  // 160 + 32 + 2704*10 + 10
    CHECK(table.find("running statistics: 32 values") != std::string::npos);
    CHECK(table.find("MACs per image: 124,384") != std::string::npos);  // 16*26*26*9 + 27040
    CHECK(table.find("receptive field of an output pixel: 28") != std::string::npos);
}
