// A network as a graph of nodes: every plain layer is a node, and so is the
// join of each unit that holds blocks (a residual's sum, a concat's stack).
// Nodes are numbered in the order they are computed; a node reads the
// outputs of earlier nodes, or the network's input (node -1).
//
// Units describe themselves through the same walk that builds the network's
// graph (add_nodes), so a rule that rejects a unit holds wherever it is used,
// nested or not.
#pragma once

#include <array>
#include <boost/hana/basic_tuple.hpp>
#include <boost/hana/flatten.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <cstddef>
#include <string_view>

#include "layer_spec.hpp"
#include "network.hpp"

namespace typenet::dsl {

// The most paths a join reads: the branches of a concat.
inline constexpr int max_node_inputs = 8;
// The network's input, as the producer a node reads.
inline constexpr int network_input = -1;

// "3.body.0": where a node sits, as PyTorch names its module; its tensors
// are "<path>.<attribute>".
using node_path = static_text<56>;

struct node_info : layer_spec {
    int index = 0;                // position in the graph's order
    std::string_view label;       // "conv<16,3>", "add", "concat"
    node_path path;
    int layer = 0;                // the top-level layer it belongs to
    int nesting = 0;              // units around it
    tensor_shape in{};            // the (first) input's shape
    std::array<int, max_node_inputs> inputs{};  // producers, network_input for the input
    int input_count = 0;
    receptive rf_h{}, rf_w{};     // receptive field, jump and start of its output

    constexpr receptive rf() const { return rf_h; }
};

// Whether L is a unit holding blocks of layers (residual, concat).
template <class L>
concept unit_layer = requires { L::node_count; };

template <class L>
constexpr std::size_t node_count_of() {
    if constexpr (unit_layer<L>)
        return L::node_count;
    else
        return 1;
}
template <class... Ls>
constexpr std::size_t block_node_count(block<Ls...>) {
    return (std::size_t{0} + ... + node_count_of<Ls>());
}

// The type standing for a join node in node_types: what a join does is its
// kind (add, concat) and its inputs, both in nodes(net).
struct join_node {
    static constexpr label_text label{"join"};
};

// The C++ types of a layer's nodes, in graph order, as a hana tuple of
// types: code that lowers a node by its type (a conv's bias, a batchnorm's
// epsilon) walks units' blocks through this flattening.
template <class L>
constexpr auto node_types_of();
template <class... Ls>
constexpr auto block_node_types(block<Ls...>) {
    return boost::hana::flatten(boost::hana::make_tuple(node_types_of<Ls>()...));
}
template <class L>
constexpr auto node_types_of() {
    if constexpr (unit_layer<L>)
        return L::node_types();
    else
        return boost::hana::tuple_t<L>;
}

// Nodes as they are added; a rejection stops the walk with `problem` set.
template <std::size_t N>
struct graph_builder {
    tensor_shape input{};
    std::array<node_info, (N == 0 ? 1 : N)> nodes{};
    int count = 0;
    problem_text problem;

    constexpr bool failed() const { return !problem.empty(); }
    constexpr tensor_shape shape_of(int node) const { return node == network_input ? input : nodes[node].out; }
    constexpr receptive rf_h_of(int node) const { return node == network_input ? receptive{} : nodes[node].rf_h; }
    constexpr receptive rf_w_of(int node) const { return node == network_input ? receptive{} : nodes[node].rf_w; }

    // A new node reading `from`; the caller fills in what it computes.
    constexpr node_info& add(int from, std::string_view label, const node_path& path, int layer, int nesting) {
        node_info& n = nodes[count];
        n.index = count++;
        n.label = label;
        n.path = path;
        n.layer = layer;
        n.nesting = nesting;
        n.in = shape_of(from);
        n.inputs[0] = from;
        n.input_count = 1;
        return n;
    }
};

// Where a node of a unit goes: its path and top-level layer.
struct node_place {
    node_path path;
    int layer = 0;
    int nesting = 0;

    constexpr node_place inner(std::string_view part, int index) const {
        node_place p = *this;
        p.path << "." << part;
        if (index >= 0) p.path << "." << index;
        ++p.nesting;
        return p;
    }
    constexpr node_place at(int index) const {
        node_place p = *this;
        p.path << "." << index;
        return p;
    }
};

// Adds the nodes of layer L reading node `from`; returns the node holding
// its output (meaningless once the builder has failed).
template <class L, std::size_t N>
constexpr int add_nodes(graph_builder<N>& g, int from, const node_place& place) {
    if constexpr (unit_layer<L>) {
        return L::add_nodes(g, from, place);
    } else {
        const layer_description d = L::describe(g.shape_of(from));
        if (!d.problem.empty()) {
            g.problem = d.problem;
            return from;
        }
        node_info& n = g.add(from, L::label.view(), place.path, place.layer, place.nesting);
        static_cast<layer_spec&>(n) = d;
        n.rf_h = g.rf_h_of(from);
        n.rf_w = g.rf_w_of(from);
        if (d.slides) {
            n.rf_h = n.rf_h.through(d.slides->extent_h(), d.slides->stride, d.slides->pad);
            n.rf_w = n.rf_w.through(d.slides->extent_w(), d.slides->stride, d.slides->pad);
        }
        return n.index;
    }
}

// Adds a unit's block, layer after layer, from `from`; `part` names it in
// paths ("body") and `what` in sentences ("body", "branch 2"). Returns its
// output node, or `from` for an empty block.
template <class... Ls, std::size_t N>
constexpr int add_block(block<Ls...>, graph_builder<N>& g, int from, const node_place& place,
                        std::string_view what) {
    constexpr std::array<std::string_view, sizeof...(Ls)> labels{Ls::label.view()...};
    int j = 0;
    const auto step = [&]<class L>() {
        const tensor_shape in = g.shape_of(from);
        from = add_nodes<L>(g, from, place.at(j));
        if (!g.failed() && g.nodes[from].kind == layer_kind::softmax_xent) {
            g.problem << "it is a loss head, which must end the network, not sit inside a residual or concat";
        }
        if (g.failed()) {
            problem_text t;
            t << "in its " << what << ", layer " << j << " (" << labels[j] << ") on a " << shape_text(in)
              << " input: " << g.problem;
            g.problem = t;
            return false;
        }
        ++j;
        return true;
    };
    (step.template operator()<Ls>() && ...);
    return from;
}

// Adds a join of `count` paths; its rf is the largest of theirs.
template <std::size_t N>
constexpr node_info& add_join(graph_builder<N>& g, const int* paths, int count, layer_kind kind,
                              std::string_view label, const node_place& place, tensor_shape out) {
    node_info& n = g.add(paths[0], label, place.path, place.layer, place.nesting);
    n.kind = kind;
    n.out = out;
    n.input_count = count;
    int widest = paths[0];
    for (int i = 0; i < count; ++i) {
        n.inputs[i] = paths[i];
        if (g.rf_h_of(paths[i]).r > g.rf_h_of(widest).r) widest = paths[i];
    }
    n.rf_h = g.rf_h_of(widest);
    n.rf_w = g.rf_w_of(widest);
    return n;
}

// A unit's own description, for composing it: its output, its cost, or why
// it cannot take `in`. Unit is the unit's type.
template <class Unit>
constexpr layer_description describe_unit(tensor_shape in, layer_kind kind) {
    graph_builder<Unit::node_count> g{in};
    const int out = Unit::add_nodes(g, network_input, node_place{});
    if (g.failed()) return rejected(g.problem);
    layer_description d;
    d.kind = kind;
    d.out = g.shape_of(out);
    for (int i = 0; i < g.count; ++i) d.macs += g.nodes[i].macs;
    return d;
}

}  // namespace typenet::dsl
