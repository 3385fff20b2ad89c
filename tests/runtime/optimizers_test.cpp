// Optimizers and schedules against PyTorch 1.13's own trajectories
// (torch_reference.py writes torch_reference.json beside this file).
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <typenet/lr_schedule.hpp>
#include <typenet/optimizers.hpp>

using namespace typenet;

namespace {
const nlohmann::json& reference() {
    static const nlohmann::json j = [] {
        std::ifstream in(TYPENET_TEST_SOURCE_DIR "/runtime/torch_reference.json");
        REQUIRE(in);
        return nlohmann::json::parse(in);
    }();
    return j;
}

// The same options torch_reference.py gives each torch.optim optimizer.
optimizer_options options_for(const std::string& name) {
    if (name == "sgd") return optimizer_options::sgd(0.1);
    if (name == "sgd_momentum") {
        auto o = optimizer_options::sgd(0.1, 0.9, 0.01);
        o.dampening = 0.1;
        return o;
    }
    if (name == "nesterov") return optimizer_options::sgd(0.1, 0.9, 0.01, true);
    if (name == "adagrad") {
        auto o = optimizer_options::adagrad(0.1, 0.01);
        o.lr_decay = 0.01;
        return o;
    }
    if (name == "rmsprop") return optimizer_options::rmsprop(0.01);
    if (name == "rmsprop_momentum") return optimizer_options::rmsprop(0.01, 0.5, 0.01);
    if (name == "rmsprop_centered") {
        auto o = optimizer_options::rmsprop(0.01);
        o.centered = true;
        return o;
    }
    if (name == "adam") return optimizer_options::adam(0.01, 0.01);
    if (name == "adamw") return optimizer_options::adamw(0.01, 0.1);
    FAIL("no options for " << name);
    return {};
}
}  // namespace

TEST_CASE("every optimizer follows torch.optim's trajectory for 10 steps", "[optimizers]") {
    const auto& ref = reference();
    const int n = ref["n"];
    for (const auto& [name, trajectory] : ref["optimizers"].items()) {
        SECTION(name) {
            std::vector<float> p = ref["initial"].get<std::vector<float>>();
            std::vector<float> g(p.size());
            optimizer opt(options_for(name), p.size());
            for (std::size_t t = 1; t <= trajectory.size(); ++t) {
                for (int i = 0; i < n; ++i) g[i] = float(double(p[i]) * (0.3 + 0.01 * i) + 0.1 * std::cos(i + double(t)));
                opt.step(p, g);
                const auto expected = trajectory[t - 1].get<std::vector<double>>();
                for (int i = 0; i < n; ++i) {
                    INFO(name << " step " << t << " element " << i);
                    REQUIRE(p[i] == Approx(expected[i]).margin(2e-6).epsilon(2e-5));
                }
            }
            CHECK(opt.steps() == std::int64_t(trajectory.size()));
        }
    }
}

TEST_CASE("optimizer defaults are PyTorch's", "[optimizers]") {
    CHECK(optimizer_options::adam().lr == 0.001);
    CHECK(optimizer_options::adam().beta2 == 0.999);
    CHECK(optimizer_options::adamw().weight_decay == 0.01);
    CHECK(optimizer_options::adagrad().eps == 1e-10);
    CHECK(optimizer_options::rmsprop().alpha == 0.99);
    CHECK(optimizer_options::named("nesterov", 0.1).nesterov);
    CHECK(optimizer_options::named("momentum", 0.1).momentum == 0.9);
    CHECK_THROWS_WITH(optimizer_options::named("lion", 0.1), Catch::Contains("unknown optimizer \"lion\""));
}

TEST_CASE("an optimizer refuses gradients of another size", "[optimizers]") {
    std::vector<float> p(10), g(9);
    optimizer opt(optimizer_options::adam(), 10);
    CHECK_THROWS_WITH(opt.step(p, g), Catch::Contains("got 9 gradients for 10 parameters"));
}

TEST_CASE("optimizer state is exposed under PyTorch's names", "[optimizers]") {
    optimizer adam(optimizer_options::adam(), 4);
    auto s = adam.state();
    REQUIRE(s.size() == 2);
    CHECK(s[0].name == "exp_avg");
    CHECK(s[1].name == "exp_avg_sq");
    optimizer plain(optimizer_options::sgd(0.1), 4);
    CHECK(plain.state().empty());
    optimizer momentum(optimizer_options::sgd(0.1, 0.9), 4);
    CHECK(momentum.state().at(0).name == "momentum_buffer");
}

TEST_CASE("schedules follow torch.optim.lr_scheduler", "[schedules]") {
    const auto& ref = reference()["schedules"];
    const auto check = [](const lr_schedule& s, const nlohmann::json& expected) {
        const auto rates = expected.get<std::vector<double>>();
        for (std::size_t step = 0; step < rates.size(); ++step) {
            INFO("step " << step);
            CHECK(s.at(0.1, std::int64_t(step), 100, 10) == Approx(rates[step]).margin(1e-9).epsilon(1e-6));
        }
    };
    SECTION("one_cycle") { check(lr_schedule::named("one_cycle"), ref["one_cycle"]); }
    SECTION("cosine") {
        lr_schedule s = lr_schedule::named("cosine");
        s.min_lr = 0.001;
        check(s, ref["cosine"]);
    }
    SECTION("step") {
        lr_schedule s = lr_schedule::named("step");
        s.step_epochs = 2;
        s.gamma = 0.5;
        check(s, ref["step"]);
    }
    SECTION("constant") {
        for (int step : {0, 50, 99}) CHECK(lr_schedule::named("constant").at(0.1, step, 100, 10) == 0.1);
    }
    CHECK_THROWS_WITH(lr_schedule::named("warm"), Catch::Contains("unknown schedule"));
}
