// Compile-time questions about a network, all constexpr:
//   output_shape(net), layer_shapes(net), receptive_field(net),
//   parameter_count(net), mac_count(net), layers(net), depth(net),
//   nodes(net), reader_count(net, node), sole_reader(net, node), output_node(net).
#pragma once

#include <algorithm>
#include <array>
#include <boost/hana/at.hpp>
#include <boost/hana/flatten.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <cstdint>

#include "analysis.hpp"

namespace typenet::dsl {

template <network_type Net>
constexpr std::size_t depth(Net) { return Net::depth; }

template <network_type Net>
constexpr tensor_shape input_shape(Net) { return analysis<Net>::input; }

template <network_type Net>
constexpr tensor_shape output_shape(Net) { return analysis<Net>::result.output; }

// The shape after each layer, preceded by the input's: depth(net) + 1 entries.
template <network_type Net>
constexpr auto layer_shapes(Net) {
    std::array<tensor_shape, Net::depth + 1> shapes{analysis<Net>::input};
    for (std::size_t i = 0; i < Net::depth; ++i) shapes[i + 1] = analysis<Net>::result.layers[i].out;
    return shapes;
}

// Per layer: kind, label, shapes, receptive field, jump, start, tensors,
// parameters, MACs, fan-in and fan-out.
template <network_type Net>
constexpr const auto& layers(Net) { return analysis<Net>::result.layers; }

// The graph: every plain layer and every join of a unit, in the order they
// are computed (graph.hpp). For a chain, node i is layer i.
template <network_type Net>
constexpr const auto& nodes(Net) { return analysis<Net>::result.nodes; }

// How many nodes read node `n`'s output (network_input: the input's).
template <network_type Net>
constexpr int reader_count(Net, int n) {
    return analysis<Net>::result.reader_count[n == network_input ? analysis<Net>::node_count : std::size_t(n)];
}

// The one node that reads node `n`'s output, or -1 where none or several
// do: "is this value read only by the next op?", asked of the graph.
template <network_type Net>
constexpr int sole_reader(Net, int n) {
    return analysis<Net>::result.sole_reader[n == network_input ? analysis<Net>::node_count : std::size_t(n)];
}

// The node whose output is the network's.
template <network_type Net>
constexpr int output_node(Net) { return analysis<Net>::result.output_node; }

// Input pixels seen by one output pixel of the last layer, along the axis
// where that is largest (the two are equal for square inputs).
template <network_type Net>
constexpr int receptive_field(Net) {
    const auto& r = analysis<Net>::result;
    return std::max(r.rf_h.r, r.rf_w.r);
}

// Trainable parameters, counted as PyTorch's sum(p.numel() for p in model.parameters()).
template <network_type Net>
constexpr std::int64_t parameter_count(Net) {
    std::int64_t n = 0;
    for (const node_info& l : analysis<Net>::result.nodes) n += l.param_count();
    return n;
}

// Multiply-accumulates of one sample's forward pass (conv and dense layers).
template <network_type Net>
constexpr std::int64_t mac_count(Net) {
    std::int64_t n = 0;
    for (const node_info& l : analysis<Net>::result.nodes) n += l.macs;
    return n;
}

// The layer types, for code that lowers each layer (hana::for_each).
template <class Input, class... Ls>
constexpr auto layer_types(network<Input, Ls...>) {
    return boost::hana::tuple_t<Ls...>;
}

// The type of every node, in graph order: the layer type of a plain node,
// join_node for a unit's join (a hana tuple of types).
template <class Input, class... Ls>
constexpr auto node_types(network<Input, Ls...>) {
    return boost::hana::flatten(boost::hana::make_tuple(node_types_of<Ls>()...));
}

// Node I's type, as a plain type.
template <network_type Net, std::size_t I>
using node_type = typename decltype(+node_types(Net{})[boost::hana::size_c<I>])::type;

}  // namespace typenet::dsl
