// Residual units, concats and grouped convs in the language: shapes,
// receptive fields, parameter counts against PyTorch's formulas, the
// recursive tensor names of PyTorch's twin modules, and the graph.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <typenet/dsl.hpp>

using namespace typenet::dsl;

namespace {
constexpr auto basic = conv<16, 3, pad<1>> | batchnorm | relu | conv<16, 3, pad<1>> | batchnorm;
constexpr auto net = input<16, 28, 28> | residual(basic) | relu |
                     residual(conv<32, 3, stride<2>, pad<1>> | batchnorm | relu | conv<32, 3, pad<1>> | batchnorm,
                              conv<32, 1, stride<2>, no_bias> | batchnorm) |
                     relu | concat(conv<8, 1>, conv<8, 3, pad<1>> | relu | conv<8, 3, pad<1>>, residual(conv<32, 3, pad<1>, groups<32>>)) |
                     global_avgpool | flatten | dense<10> | softmax_xent<10>;
}  // namespace

TEST_CASE("units keep or change shapes as their paths do", "[units]") {
    STATIC_REQUIRE(output_shape(input<16, 28, 28> | residual(basic)) == shape<16, 28, 28>);
    constexpr auto& l = layers(net);
    STATIC_REQUIRE(l[2].kind == layer_kind::residual);
    STATIC_REQUIRE(l[2].out == shape<32, 14, 14>);
    STATIC_REQUIRE(l[4].kind == layer_kind::concat);
    STATIC_REQUIRE(l[4].out == shape<8 + 8 + 32, 14, 14>);
    STATIC_REQUIRE(output_shape(net) == shape<10, 1, 1>);
}

TEST_CASE("grouped and depthwise convs count parameters as PyTorch does", "[units][parameters]") {
    // Conv2d(64, 64, 3, groups=8): OutC * InC/G * K * K + OutC.
    STATIC_REQUIRE(parameter_count(input<64, 14, 14> | conv<64, 3, pad<1>, groups<8>>) == 64 * 8 * 9 + 64);
    // Depthwise Conv2d(64, 64, 3, groups=64, bias=False).
    STATIC_REQUIRE(parameter_count(input<64, 28, 28> | conv<64, 3, pad<1>, groups<64>, no_bias>) == 64 * 9);
    // A grouped conv may widen: Conv2d(8, 32, 3, groups=4).
    constexpr auto wide = input<8, 10, 10> | conv<32, 3, groups<4>>;
    STATIC_REQUIRE(parameter_count(wide) == 32 * 2 * 9 + 32);
    STATIC_REQUIRE(mac_count(wide) == 32 * 8 * 8 * 2 * 9);
    STATIC_REQUIRE(layers(wide)[0].fan_in == 2 * 9);    // weight.size(1) * K * K
    STATIC_REQUIRE(layers(wide)[0].fan_out == 32 * 9);  // weight.size(0) * K * K
    STATIC_REQUIRE(layers(wide)[0].label == "conv<32,3,groups<4>>");
}

TEST_CASE("a unit's parameters and MACs are its layers' together", "[units][parameters]") {
    constexpr std::int64_t body = 2 * (16 * 16 * 9 + 16) + 2 * 32;
    STATIC_REQUIRE(layers(net)[0].parameters == body);
    constexpr std::int64_t projection = (32 * 16 * 9 + 32) + 64 + (32 * 32 * 9 + 32) + 64 + 32 * 16 + 64;
    STATIC_REQUIRE(layers(net)[2].parameters == projection);
    constexpr std::int64_t branches = (8 * 32 + 8) + (8 * 32 * 9 + 8) + (8 * 8 * 9 + 8) + (32 * 9 + 32);
    STATIC_REQUIRE(layers(net)[4].parameters == branches);
    STATIC_REQUIRE(parameter_count(net) == body + projection + branches + 48 * 10 + 10);
    STATIC_REQUIRE(layers(net)[0].macs == 2 * 16 * 28 * 28 * 16 * 9);
}

TEST_CASE("tensors are named as in PyTorch's twin modules", "[units][layout]") {
    constexpr auto& p = parameter_layout(net);
    const char* expected[] = {
        "0.body.0.weight",       "0.body.0.bias",         "0.body.1.weight",        "0.body.1.bias",
        "0.body.3.weight",       "0.body.3.bias",         "0.body.4.weight",        "0.body.4.bias",
        "2.body.0.weight",       "2.body.0.bias",         "2.body.1.weight",        "2.body.1.bias",
        "2.body.3.weight",       "2.body.3.bias",         "2.body.4.weight",        "2.body.4.bias",
        "2.shortcut.0.weight",   "2.shortcut.1.weight",   "2.shortcut.1.bias",      "4.branches.0.0.weight",
        "4.branches.0.0.bias",   "4.branches.1.0.weight", "4.branches.1.0.bias",    "4.branches.1.2.weight",
        "4.branches.1.2.bias",   "4.branches.2.0.body.0.weight", "4.branches.2.0.body.0.bias",
        "7.weight",              "7.bias"};
    REQUIRE(p.size() == std::size(expected));
    std::size_t next = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        CHECK(std::string(p[i].name.view()) == expected[i]);
        CHECK(p[i].offset == next);
        next += p[i].count;
    }
    STATIC_REQUIRE(find_tensor(p, "4.branches.2.0.body.0.weight")->dims == std::array<int, 4>{32, 1, 3, 3});
    STATIC_REQUIRE(find_tensor(p, "2.shortcut.0.weight")->dims == std::array<int, 4>{32, 16, 1, 1});
    constexpr auto& b = buffer_layout(net);
    CHECK(std::string(b[0].name.view()) == "0.body.1.running_mean");
    CHECK(std::string(b.back().name.view()) == "2.shortcut.1.running_var");
}

TEST_CASE("the receptive field of a unit is the largest over its paths", "[units][receptive_field]") {
    // Body: two 3x3 convs (RF 5); identity shortcut: RF 1.
    STATIC_REQUIRE(receptive_field(input<16, 28, 28> | residual(basic)) == 5);
    // Branches of RF 1, 5 and 3 after a 3x3 conv (RF 3): 3 + 4 = 7.
    constexpr auto inception = input<3, 16, 16> | conv<8, 3, pad<1>> |
                               concat(conv<4, 1>, conv<4, 3, pad<1>> | conv<4, 3, pad<1>>, conv<4, 3, pad<1>>);
    STATIC_REQUIRE(receptive_field(inception) == 7);
    STATIC_REQUIRE(layers(inception)[1].rf().j == 1);
    // A stride-2 body (RF 3 + 2 * 2 = 7, jump 2) beside a 1x1 stride-2 shortcut (RF 1).
    constexpr auto down = input<8, 16, 16> | residual(conv<8, 3, stride<2>, pad<1>> | conv<8, 3, pad<1>>,
                                                      conv<8, 1, stride<2>>);
    STATIC_REQUIRE(receptive_field(down) == 7);
    STATIC_REQUIRE(layers(down)[0].rf().j == 2);
}

TEST_CASE("the graph: each node's inputs and readers", "[units][graph]") {
    constexpr auto small = input<4, 8, 8> | relu | residual(conv<4, 3, pad<1>> | relu) | conv<2, 1>;
    constexpr auto& g = nodes(small);
    STATIC_REQUIRE(g.size() == 5);  // relu, body conv, body relu, add, conv
    STATIC_REQUIRE(g[3].kind == layer_kind::add);
    STATIC_REQUIRE(g[3].input_count == 2);
    STATIC_REQUIRE(g[3].inputs[0] == 2);  // the body's output
    STATIC_REQUIRE(g[3].inputs[1] == 0);  // the identity shortcut: the relu before the unit
    STATIC_REQUIRE(reader_count(small, 0) == 2);
    STATIC_REQUIRE(sole_reader(small, 0) == -1);
    STATIC_REQUIRE(sole_reader(small, 1) == 2);
    STATIC_REQUIRE(sole_reader(small, network_input) == 0);
    STATIC_REQUIRE(output_node(small) == 4);
    CHECK(std::string(g[1].path.view()) == "1.body.0");
    // Kept for backward: the relu read twice, the body's conv (read by
    // relu: computed inside it) not, the sum read by a conv.
    constexpr auto kept = training_activations(small);
    STATIC_REQUIRE(kept.size() == 4);
    STATIC_REQUIRE(kept[0].node == 0);
    STATIC_REQUIRE(kept[1].node == 2);
    STATIC_REQUIRE(kept[2].node == 3);
    STATIC_REQUIRE(kept[3].node == 4);
}

TEST_CASE("units compose with repeat and nest inside each other", "[units]") {
    constexpr auto deep = input<8, 12, 12> | repeat<3>(residual(conv<8, 3, pad<1>> | relu) | relu);
    STATIC_REQUIRE(depth(deep) == 6);
    STATIC_REQUIRE(nodes(deep).size() == 12);
    STATIC_REQUIRE(receptive_field(deep) == 7);
    constexpr auto nested = input<8, 12, 12> | concat(residual(concat(conv<4, 1>, conv<4, 3, pad<1>>)), conv<2, 1>);
    STATIC_REQUIRE(output_shape(nested) == shape<10, 12, 12>);
    CHECK(std::string(parameter_layout(nested)[2].name.view()) == "0.branches.0.0.body.0.branches.1.0.weight");
}

TEST_CASE("summary shows a unit's layers indented under it", "[units][text]") {
    const std::string table = to_string(summary(input<16, 28, 28> | residual(basic) | relu));
    CHECK(table.find("   0  residual") != std::string::npos);
    CHECK(table.find("        body.0 conv<16,3,pad<1>>") != std::string::npos);
    CHECK(table.find("        body.4 batchnorm") != std::string::npos);
    CHECK(table.find("        add") != std::string::npos);
    CHECK(table.find("   1  relu") != std::string::npos);
    CHECK(table.find("parameters: 4,704") != std::string::npos);
    STATIC_REQUIRE(shape_trace(net) == "28x28 > 14x14 > 1x1 > 1x1");
}
