// The segments training pipelines are generated in: they cover the graph
// in order without gaps, cut only between top-level layers where the value
// handed on is a stored activation, split their tensors and stored values
// between them, and stay short where the network allows.
#include <catch2/catch.hpp>
#include <typenet/dsl.hpp>

using namespace typenet::dsl;

namespace {
constexpr auto deep_chain = input<16, 28, 28> | repeat<33>(conv<16, 3, pad<1>> | batchnorm | relu);
constexpr auto basic = conv<16, 3, pad<1>> | batchnorm | relu | conv<16, 3, pad<1>> | batchnorm;
constexpr auto units = input<16, 12, 12> | residual(basic) | relu | residual(basic) | relu | residual(basic) | relu |
                       global_avgpool | flatten | dense<10> | softmax_xent<10>;
constexpr auto small = input<1, 8, 8> | conv<4, 3> | relu | flatten | dense<10> | softmax_xent<10>;
constexpr auto headless = input<3, 8, 8> | repeat<4>(conv<3, 3, pad<1>> | tanh_activation);

// Every property a segmentation must have, checked against the graph and
// the layouts directly.
template <class Net>
void check_segments(Net net) {
    const auto segments = training_segments(net);
    const auto& g = nodes(net);
    const auto stored = training_activations(net);
    const auto& params = parameter_layout(net);
    const auto& buffers = buffer_layout(net);
    REQUIRE(segments.size() >= 1);
    REQUIRE(segments.front().first_node == 0);
    REQUIRE(segments.front().input_node == network_input);
    REQUIRE(segments.front().in == input_shape(net));
    REQUIRE(std::size_t(segments.back().end_node) == g.size());
    REQUIRE(segments.back().output_node == output_node(net));
    std::size_t stored_seen = 0, tensors_seen = 0, state_seen = 0;
    for (std::size_t s = 0; s < segments.size(); ++s) {
        const training_segment& seg = segments[s];
        INFO("segment " << s << " nodes [" << seg.first_node << ", " << seg.end_node << ")");
        REQUIRE(seg.first_node < seg.end_node);
        if (s > 0) {
            const training_segment& before = segments[s - 1];
            REQUIRE(seg.first_node == before.end_node);
            REQUIRE(seg.input_node == before.output_node);
            REQUIRE(before.output_node == before.end_node - 1);
            REQUIRE(seg.in == g[std::size_t(before.output_node)].out);
            REQUIRE(seg.input_gradient);
            REQUIRE_FALSE(before.loss_head);
            // The value handed on is stored, and read by this segment alone.
            bool handed_on_is_stored = false;
            for (const auto& a : stored) handed_on_is_stored |= a.node == before.output_node;
            REQUIRE(handed_on_is_stored);
            for (std::size_t n = std::size_t(seg.end_node); n < g.size(); ++n)
                for (int k = 0; k < g[n].input_count; ++k) REQUIRE(g[n].inputs[k] >= seg.first_node);
        }
        // Its nodes read only each other or its input.
        for (int n = seg.first_node; n < seg.end_node; ++n)
            for (int k = 0; k < g[std::size_t(n)].input_count; ++k) {
                const int p = g[std::size_t(n)].inputs[k];
                REQUIRE((seg.contains(p) || p == seg.input_node));
            }
        // Its ranges continue the previous segment's and hold its own nodes' entries only.
        REQUIRE(seg.stored_first == (seg.stored_count() ? stored_seen : 0));
        for (std::size_t k = seg.stored_first; k < seg.stored_end; ++k) REQUIRE(seg.contains(stored[k].node));
        if (seg.stored_count()) stored_seen = seg.stored_end;
        if (seg.tensor_count()) REQUIRE(seg.tensor_first == tensors_seen);
        for (std::size_t t = seg.tensor_first; t < seg.tensor_end; ++t) REQUIRE(seg.contains(params[t].node));
        if (seg.tensor_count()) tensors_seen = seg.tensor_end;
        if (seg.state_tensors()) {
            REQUIRE(seg.state_first == state_seen);
            REQUIRE(seg.state_offset == buffers[seg.state_first].offset);
            state_seen = seg.state_end;
        }
        for (std::size_t t = seg.state_first; t < seg.state_end; ++t) REQUIRE(seg.contains(buffers[t].node));
    }
    REQUIRE(stored_seen == stored.size());
    REQUIRE(tensors_seen == params.size());
    REQUIRE(state_seen == buffers.size());
}
}  // namespace

TEST_CASE("a deep chain trains in short segments cut after its activations", "[segments]") {
    check_segments(deep_chain);
    constexpr auto segments = training_segments(deep_chain);
    // 99 nodes in units of three, at most max_segment_nodes each.
    STATIC_REQUIRE(segments.size() == (99 + max_segment_nodes / 3 * 3 - 1) / (max_segment_nodes / 3 * 3));
    for (const training_segment& s : segments) {
        REQUIRE(s.end_node - s.first_node <= max_segment_nodes);
        REQUIRE(nodes(deep_chain)[std::size_t(s.output_node)].kind == layer_kind::activation);
    }
    STATIC_REQUIRE(segments.back().loss_head == false);
    STATIC_REQUIRE(segments.front().input_gradient);  // no loss head: the input's gradient is asked
}

TEST_CASE("residual units are never cut, and the loss head never stands alone", "[segments]") {
    check_segments(units);
    constexpr auto segments = training_segments(units);
    constexpr auto& l = layers(units);
    STATIC_REQUIRE(segments.size() > 1);
    for (const training_segment& s : segments) {
        bool starts_a_layer = false;
        for (const auto& layer : l) starts_a_layer |= layer.first_node == s.first_node;
        REQUIRE(starts_a_layer);
        REQUIRE(nodes(units)[std::size_t(s.first_node)].kind != layer_kind::softmax_xent);
    }
    STATIC_REQUIRE(segments.back().loss_head);
    STATIC_REQUIRE(!segments.front().input_gradient);
}

TEST_CASE("a short network is one segment, the whole network", "[segments]") {
    check_segments(small);
    check_segments(headless);
    constexpr auto segments = training_segments(small);
    STATIC_REQUIRE(segments.size() == 1);
    constexpr training_segment whole = whole_network(small);
    STATIC_REQUIRE(segments[0].end_node == whole.end_node);
    STATIC_REQUIRE(segments[0].tensor_end == whole.tensor_end);
    STATIC_REQUIRE(segments[0].stored_end == whole.stored_end);
    STATIC_REQUIRE(whole.loss_head);
    STATIC_REQUIRE(buffer_count(pipeline_argument::gradients, whole) == parameter_layout(small).size());
    STATIC_REQUIRE(buffer_count(pipeline_argument::new_state, whole) == 1);  // a placeholder: no batchnorm
}
