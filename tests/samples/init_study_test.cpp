// samples/init_study: what the seed says about initialization, measured on
// the deep ReLU network with noise input (the acceptance criteria).
#include <catch2/catch.hpp>

#include "deep_relu_net_kernels.hpp"
#include "init_study/study.hpp"

namespace {
samples::study_result run(const typenet::initializer& init, int steps) {
    constexpr std::size_t batch = 32;
    std::vector<float> images(batch * 784);
    std::vector<std::int32_t> labels(batch);
    typenet::random_stream random(5);
    for (float& v : images) v = float(random.normal());
    for (auto& l : labels) l = std::int32_t(random.below(10));
    typenet::init_plan plan;
    plan.weights = init;
    return samples::study<deep_relu_net_kernels>("", plan, images, labels, batch, steps, 7);
}
double growth(const samples::study_result& r) { return r.layers.back().stddev / r.layers.front().stddev; }
}  // namespace

TEST_CASE("with ReLU, He keeps the scale, too small vanishes, too large explodes", "[init_study]") {
    const auto he = run(typenet::initializer::he_normal(), 0);
    REQUIRE(he.layers.size() == 20);
    CHECK(growth(he) > 0.5);
    CHECK(growth(he) < 2.0);
    CHECK(growth(run(typenet::initializer::normal(0, 0.01), 0)) < 1e-3);
    CHECK(growth(run(typenet::initializer::normal(0, 1), 0)) > 1e3);
    for (const auto& l : he.layers) CHECK(l.weight_gradient_norm > 0);
}

TEST_CASE("constant weights stay identical across a layer's units while He's differ", "[init_study]") {
    CHECK(run(typenet::initializer::constant(0.01), 5).filter_difference == 0.0);
    CHECK(run(typenet::initializer::he_normal(), 5).filter_difference > 0.1);
}
