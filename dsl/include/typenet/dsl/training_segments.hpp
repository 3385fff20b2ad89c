// Training pipelines are generated per segment: a run of whole top-level
// layers, cut where the network has one live value and that value is a
// stored activation anyway. Halide 14's lowering takes time that grows
// with the square of a pipeline's length (conv|batchnorm|relu chains, AVX2:
// a 21-node chain's training forward generates in 43 s, a 60-node one's in
// 351 s), so pipelines of bounded length keep generation linear in depth. The runtime
// chains the segments: forward in order, each reading the value the
// previous one stored; backward in reverse, each handing the gradient of its
// input to the one before.
//
// A network of up to max_segment_nodes nodes is one segment, generated and
// run exactly as a whole network.
#pragma once

#include <array>
#include <cstddef>

#include "layout.hpp"
#include "training_layout.hpp"

namespace typenet::dsl {

// The longest run of nodes a segment holds where the network allows a cut.
inline constexpr int max_segment_nodes = 6;

struct training_segment {
    int first_node = 0, end_node = 0;  // its nodes: [first_node, end_node) of nodes(net)
    int input_node = network_input;    // the value it reads: the network's input or the previous segment's output
    int output_node = network_input;   // the value it hands on (the last segment: the network's output node)
    tensor_shape in{}, out{};          // their shapes
    bool loss_head = false;            // the last segment of a network with a loss head
    bool input_gradient = false;       // its backward returns the gradient w.r.t. its input
    // Its entries of training_activations, parameter_layout and buffer_layout: [first, end).
    std::size_t stored_first = 0, stored_end = 0;
    std::size_t tensor_first = 0, tensor_end = 0;
    std::size_t state_first = 0, state_end = 0;
    // Its running statistics' range in the flat state buffer.
    std::size_t state_offset = 0, state_count = 0;

    constexpr std::size_t stored_count() const { return stored_end - stored_first; }
    constexpr std::size_t tensor_count() const { return tensor_end - tensor_first; }
    constexpr std::size_t state_tensors() const { return state_end - state_first; }
    constexpr bool contains(int node) const { return node >= first_node && node < end_node; }
};

namespace detail {
// Whether a segment may end after top-level layer i: a later layer other
// than the loss head follows, and the layer's output is stored anyway (so
// the next segment reads a buffer that already exists, and nothing is
// computed inside a reader across the cut).
template <class Net>
constexpr bool may_cut_after(std::size_t i) {
    const auto& r = analysis<Net>::result;
    if (i + 1 >= analysis<Net>::depth || r.layers[i + 1].kind == layer_kind::softmax_xent) return false;
    return is_stored<Net>(std::size_t(r.layers[i].end_node - 1));
}

// The top-level layers after which segments end (the last layer always
// ends one): greedy, each segment as long as max_segment_nodes allows, or
// up to the first allowed cut after it where none comes sooner.
template <class Net>
constexpr auto segment_ends() {
    const auto& r = analysis<Net>::result;
    constexpr std::size_t depth = analysis<Net>::depth;
    std::array<std::size_t, depth + 1> ends{};
    std::size_t count = 0;
    int first = 0;                 // the current segment's first node
    std::ptrdiff_t last_cut = -1;  // the latest layer it may end after
    for (std::size_t i = 0; i < depth; ++i) {
        if (r.layers[i].end_node - first > max_segment_nodes && last_cut >= 0) {
            ends[count++] = std::size_t(last_cut);
            first = r.layers[std::size_t(last_cut)].end_node;
            last_cut = -1;
        }
        if (may_cut_after<Net>(i)) last_cut = std::ptrdiff_t(i);
    }
    ends[count++] = depth == 0 ? 0 : depth - 1;
    return std::pair{ends, count};
}

template <class Net>
inline constexpr auto segment_plan = segment_ends<Net>();

// [first, end) of the entries (each naming its `node`) whose node is `in`; [0, 0) if none.
template <class Entries, class Pred>
constexpr std::pair<std::size_t, std::size_t> range_where(const Entries& entries, Pred in) {
    const std::size_t n = entries.size();
    std::size_t first = n, end = 0;
    for (std::size_t t = 0; t < n; ++t)
        if (in(entries[t].node)) {
            if (first == n) first = t;
            end = t + 1;
        }
    return first == n ? std::pair{std::size_t{0}, std::size_t{0}} : std::pair{first, end};
}
}  // namespace detail

// The segments of network Net's training pipelines, in forward order.
template <network_type Net>
constexpr auto training_segments(Net net) {
    constexpr auto plan = detail::segment_plan<Net>;
    const auto& r = analysis<Net>::result;
    const auto stored = training_activations(net);
    const auto& params = parameter_layout(net);
    const auto& buffers = buffer_layout(net);
    const bool has_loss_head =
        analysis<Net>::depth > 0 && r.nodes[std::size_t(r.output_node)].kind == layer_kind::softmax_xent;
    std::array<training_segment, plan.second> out{};
    int first = 0;
    for (std::size_t s = 0; s < plan.second; ++s) {
        training_segment& g = out[s];
        const bool last = s + 1 == plan.second;
        g.first_node = first;
        g.end_node = analysis<Net>::depth == 0 ? 0 : r.layers[plan.first[s]].end_node;
        g.input_node = s == 0 ? network_input : out[s - 1].output_node;
        g.output_node = last ? r.output_node : g.end_node - 1;
        g.in = s == 0 ? analysis<Net>::input : out[s - 1].out;
        g.out = last ? r.output : r.nodes[std::size_t(g.output_node)].out;
        g.loss_head = last && has_loss_head;
        g.input_gradient = s > 0 || !has_loss_head;
        const auto in_segment = [&g](int node) { return g.contains(node); };
        std::tie(g.stored_first, g.stored_end) = detail::range_where(stored, in_segment);
        std::tie(g.tensor_first, g.tensor_end) = detail::range_where(params, in_segment);
        std::tie(g.state_first, g.state_end) = detail::range_where(buffers, in_segment);
        if (g.state_end > g.state_first) {
            g.state_offset = buffers[g.state_first].offset;
            g.state_count = buffers[g.state_end - 1].offset + buffers[g.state_end - 1].count - g.state_offset;
        }
        first = g.end_node;
    }
    return out;
}

// The whole network as one segment: what inference runs.
template <network_type Net>
constexpr training_segment whole_network(Net net) {
    training_segment g = training_segments(net).back();
    g.first_node = 0;
    g.input_node = network_input;
    g.in = analysis<Net>::input;
    g.input_gradient = !g.loss_head;
    g.stored_first = 0;
    g.stored_end = training_activations(net).size();
    g.tensor_first = 0;
    g.tensor_end = parameter_layout(net).size();
    g.state_first = 0;
    g.state_end = buffer_layout(net).size();
    g.state_offset = 0;
    g.state_count = total_count(buffer_layout(net));
    return g;
}

}  // namespace typenet::dsl
