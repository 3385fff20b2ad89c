// The flat parameter layout: PyTorch's names and dimension orders, tensors
// back to back with no gap or overlap.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <typenet/dsl.hpp>

using namespace typenet::dsl;

namespace {
constexpr auto net = input<3, 32, 32> | conv<16, 3, pad<1>> | batchnorm | relu | maxpool<2> | conv<32, 3, no_bias> |
                     batchnorm | relu | global_avgpool | flatten | dense<10> | softmax_xent<10>;
}

TEST_CASE("parameters are named as in torch.nn.Sequential", "[layout]") {
    constexpr auto& p = parameter_layout(net);
    STATIC_REQUIRE(p.size() == 9);
    const char* expected[] = {"0.weight", "0.bias",   "1.weight",  "1.bias", "4.weight",
                              "5.weight", "5.bias",   "9.weight", "9.bias"};
    for (std::size_t i = 0; i < p.size(); ++i) CHECK(std::string(p[i].name.view()) == expected[i]);
}

TEST_CASE("dimensions in PyTorch's order: conv OIHW, dense out x in", "[layout]") {
    constexpr auto* conv_weight = find_tensor(parameter_layout(net), "4.weight");
    STATIC_REQUIRE(conv_weight != nullptr);
    STATIC_REQUIRE(conv_weight->rank == 4);
    STATIC_REQUIRE(conv_weight->dims == std::array<int, 4>{32, 16, 3, 3});
    constexpr auto* dense_weight = find_tensor(parameter_layout(net), "9.weight");
    STATIC_REQUIRE(dense_weight->rank == 2);
    STATIC_REQUIRE(dense_weight->dims[0] == 10);
    STATIC_REQUIRE(dense_weight->dims[1] == 32);
    STATIC_REQUIRE(find_tensor(parameter_layout(net), "4.bias") == nullptr);  // no_bias
}

TEST_CASE("tensors are contiguous, disjoint, uniquely named and cover the count", "[layout]") {
    constexpr auto& p = parameter_layout(net);
    std::set<std::string> names;
    std::size_t next = 0;
    for (const tensor_entry& e : p) {
        CHECK(e.offset == next);
        std::size_t elements = 1;
        for (int d = 0; d < e.rank; ++d) elements *= static_cast<std::size_t>(e.dims[d]);
        CHECK(e.count == elements);
        next += e.count;
        CHECK(names.insert(std::string(e.name.view())).second);
    }
    CHECK(next == static_cast<std::size_t>(parameter_count(net)));
    STATIC_REQUIRE(total_count(parameter_layout(net)) == 3 * 16 * 9 + 16 + 32 + 16 * 32 * 9 + 64 + 330);
}

TEST_CASE("batchnorm running statistics live in the buffer layout", "[layout]") {
    constexpr auto& b = buffer_layout(net);
    STATIC_REQUIRE(b.size() == 4);
    CHECK(std::string(b[0].name.view()) == "1.running_mean");
    CHECK(std::string(b[1].name.view()) == "1.running_var");
    CHECK(std::string(b[3].name.view()) == "5.running_var");
    STATIC_REQUIRE(b[3].offset == 16 + 16 + 32);
    STATIC_REQUIRE(total_count(b) == 96);
}
