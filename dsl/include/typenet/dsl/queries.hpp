// Compile-time questions about a network, all constexpr:
//   output_shape(net), layer_shapes(net), receptive_field(net),
//   parameter_count(net), mac_count(net), layers(net), depth(net).
#pragma once

#include <algorithm>
#include <array>
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
    for (const layer_info& l : analysis<Net>::result.layers) n += l.param_count();
    return n;
}

// Multiply-accumulates of one sample's forward pass (conv and dense layers).
template <network_type Net>
constexpr std::int64_t mac_count(Net) {
    std::int64_t n = 0;
    for (const layer_info& l : analysis<Net>::result.layers) n += l.macs;
    return n;
}

// The layer types, for code that lowers each layer (hana::for_each).
template <class Input, class... Ls>
constexpr auto layer_types(network<Input, Ls...>) {
    return boost::hana::tuple_t<Ls...>;
}

}  // namespace typenet::dsl
