// Initializers: statistics over many draws against torch.nn.init's
// definitions, with fans computed here by hand; determinism; defaults.
#include <catch2/catch.hpp>

#include <cmath>
#include <typenet/initializers.hpp>

using namespace typenet;
using namespace typenet::dsl;

namespace {
// conv: fan_in 16*3*3 = 144, fan_out 64*3*3 = 576; dense<300>: fan_in 64*10*10 = 6400, fan_out 300.
inline constexpr auto net = input<16, 12, 12> | conv<64, 3> | batchnorm | relu | flatten | dense<300> |
                            typenet::dsl::tanh_activation | dense<10>;
constexpr auto& layout = parameter_layout(net);
constexpr auto& net_layers = nodes(net);

struct moments {
    double mean, variance, low, high;
};
moments of(std::span<const float> v) {
    double sum = 0, squares = 0, low = 1e30, high = -1e30;
    for (float x : v) {
        sum += x;
        squares += double(x) * x;
        low = std::min<double>(low, x);
        high = std::max<double>(high, x);
    }
    const double mean = sum / double(v.size());
    return {mean, squares / double(v.size()) - mean * mean, low, high};
}

std::vector<float> initialized(const init_plan& plan, std::uint64_t seed = 7) {
    std::vector<float> p(total_count(layout));
    initialize(p, layout, net_layers, plan, seed);
    return p;
}
std::span<const float> tensor(const std::vector<float>& p, std::string_view name) {
    return tensor_view(std::span<const float>(p), layout, name);
}
}  // namespace

TEST_CASE("the dsl's fans are torch.nn.init's", "[init]") {
    CHECK(net_layers[0].fan_in == 144);
    CHECK(net_layers[0].fan_out == 576);
    CHECK(net_layers[4].fan_in == 6400);
    CHECK(net_layers[4].fan_out == 300);
}

TEST_CASE("each initializer has the mean and variance its formula gives", "[init]") {
    struct expectation {
        initializer init;
        double conv_variance, dense_variance;  // for the conv (144, 576) and dense<300> (6400, 300) weights
        bool uniform;
    };
    const double s2 = 2.0;  // ReLU gain squared
    const expectation cases[] = {
        {initializer::xavier_uniform(), 2.0 / (144 + 576), 2.0 / (6400 + 300), true},   // a^2/3, a^2 = 6/(fi+fo)
        {initializer::xavier_normal(), 2.0 / (144 + 576), 2.0 / (6400 + 300), false},
        {initializer::he_uniform(), s2 / 144, s2 / 6400, true},                          // a^2/3, a^2 = 6/fi
        {initializer::he_normal(), s2 / 144, s2 / 6400, false},
        {initializer::lecun_normal(), 1.0 / 144, 1.0 / 6400, false},
        {initializer::normal(0, 0.01), 1e-4, 1e-4, false},
        {initializer::uniform(-0.5, 0.5), 1.0 / 12, 1.0 / 12, true},
    };
    for (const expectation& c : cases) {
        init_plan plan;
        plan.weights = c.init;
        const auto p = initialized(plan);
        for (auto [name, variance] : {std::pair{"0.weight", c.conv_variance}, std::pair{"4.weight", c.dense_variance}}) {
            INFO("method " << int(c.init.method) << " tensor " << name);
            const moments m = of(tensor(p, name));
            const double sd = std::sqrt(variance);
            CHECK(std::abs(m.mean) < 0.02 * sd);  // 9,216 and 1,920,000 draws
            CHECK(m.variance == Approx(variance).epsilon(0.05));
            if (c.uniform) {
                const double bound = std::sqrt(3 * variance);
                CHECK(m.low >= -bound);
                CHECK(m.high <= bound);
                CHECK(m.high > 0.98 * bound);
            } else {
                CHECK(m.high > 3 * sd);  // a normal reaches past 3 sd in thousands of draws; a uniform cannot
            }
        }
    }
}

TEST_CASE("constant and zeros fill exactly", "[init]") {
    init_plan plan;
    plan.weights = initializer::constant(0.25);
    const auto p = initialized(plan);
    for (float v : tensor(p, "0.weight")) REQUIRE(v == 0.25f);
    plan.weights = initializer::zeros();
    const auto zeros = initialized(plan);
    for (float v : tensor(zeros, "4.weight")) REQUIRE(v == 0.0f);
}

TEST_CASE("defaults: he_normal before ReLU, xavier elsewhere, zero biases, batchnorm 1 and 0", "[init]") {
    CHECK(weight_initializer(net_layers, 0, {}).method == init_method::he_normal);   // conv -> batchnorm -> relu
    CHECK(weight_initializer(net_layers, 4, {}).method == init_method::xavier_uniform);  // dense -> tanh
    CHECK(weight_initializer(net_layers, 6, {}).method == init_method::xavier_uniform);  // last dense
    const auto p = initialized({});
    CHECK(of(tensor(p, "0.weight")).variance == Approx(2.0 / 144).epsilon(0.05));
    for (float v : tensor(p, "0.bias")) REQUIRE(v == 0.0f);
    for (float v : tensor(p, "1.weight")) REQUIRE(v == 1.0f);
    for (float v : tensor(p, "1.bias")) REQUIRE(v == 0.0f);
}

TEST_CASE("the default follows a conv's one reader through the graph", "[init]") {
    // Nodes: 0 conv, 1 batchnorm, 2 relu, 3 body conv, 4 body batchnorm,
    // 5 add, 6 relu, 7 conv read by relu and by the concat's second path.
    constexpr auto g = input<4, 8, 8> | conv<4, 3, pad<1>> | batchnorm | relu |
                       residual(conv<4, 3, pad<1>> | batchnorm) | relu | conv<4, 1> |
                       concat(relu, conv<2, 1>);
    constexpr auto& n = nodes(g);
    STATIC_REQUIRE(n[7].kind == layer_kind::conv);
    CHECK(weight_initializer(n, 0, {}).method == init_method::he_normal);       // -> batchnorm -> relu
    CHECK(weight_initializer(n, 3, {}).method == init_method::xavier_uniform);  // -> batchnorm -> add
    CHECK(weight_initializer(n, 7, {}).method == init_method::xavier_uniform);  // read by two nodes
}

TEST_CASE("a per-layer choice wins and leaves the other layers' values alone", "[init]") {
    init_plan plan;
    plan.per_layer[6] = initializer::constant(3);
    const auto with = initialized(plan), without = initialized({});
    for (float v : tensor(with, "6.weight")) REQUIRE(v == 3.0f);
    const auto a = tensor(with, "4.weight"), b = tensor(without, "4.weight");
    CHECK(std::equal(a.begin(), a.end(), b.begin()));
}

TEST_CASE("the same seed gives bit-identical parameters, another seed others", "[init]") {
    CHECK(initialized({}, 11) == initialized({}, 11));
    CHECK(initialized({}, 11) != initialized({}, 12));
}
