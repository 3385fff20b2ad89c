// summary(net): a table like Keras' model.summary() or torchinfo, computed
// at compile time and printed at run time:
//
//   #  layer          output      params     MACs   RF  jump
//   -  input          1x28x28          0        0    1     1
//   0  conv<16,3>     16x26x26       160   97,344    3     1
//   ...
//
// A unit (residual, concat) is a row with its totals, followed by its
// nodes, indented, each named by its path inside the unit ("body.0").
#pragma once

#include <cstdint>
#include <iomanip>
#include <ostream>
#include <span>
#include <sstream>
#include <string>

#include "layout.hpp"
#include "queries.hpp"

namespace typenet::dsl {

struct network_summary {
    tensor_shape input;
    std::span<const layer_info> layers;
    std::span<const node_info> nodes;
    std::int64_t parameters = 0;
    std::int64_t buffer_values = 0;
    std::int64_t macs = 0;
    int receptive_field = 1;
};

template <network_type Net>
constexpr network_summary summary(Net net) {
    return {input_shape(net),      layers(net),          nodes(net),         parameter_count(net),
            static_cast<std::int64_t>(total_count(buffer_layout(net))), mac_count(net), receptive_field(net)};
}

namespace detail {
inline std::string grouped(std::int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}
inline std::string shape_string(tensor_shape s) { return std::string(shape_text(s).view()); }
}  // namespace detail

inline std::ostream& operator<<(std::ostream& os, const network_summary& s) {
    // A unit's nodes: "body.0 conv<16,3>", indented two spaces per unit around it.
    // A join ("add", "concat") at its unit's inner indentation, its path left out.
    const auto inner_label = [](const node_info& n) {
        const bool join = n.kind == layer_kind::add || n.kind == layer_kind::concat;
        std::string path(n.path.view());
        path = join ? "" : path.substr(path.find('.') + 1) + " ";
        return std::string(2 * (n.nesting + join), ' ') + path + std::string(n.label);
    };
    const auto is_unit = [](const layer_info& l) {
        return l.kind == layer_kind::residual || l.kind == layer_kind::concat;
    };
    std::size_t label_width = 5;
    for (const layer_info& l : s.layers) label_width = std::max(label_width, l.label.size());
    for (const layer_info& l : s.layers)
        if (is_unit(l))
            for (int n = l.first_node; n < l.end_node; ++n)
                label_width = std::max(label_width, inner_label(s.nodes[std::size_t(n)]).size());
    const auto row = [&](std::string_view index, std::string_view label, tensor_shape out, std::int64_t params,
                         std::int64_t macs, receptive rf) {
        os << std::right << std::setw(4) << index << "  " << std::left << std::setw(int(label_width)) << label
           << "  " << std::setw(12) << detail::shape_string(out) << std::right << std::setw(12)
           << detail::grouped(params) << std::setw(15) << detail::grouped(macs) << std::setw(6) << rf.r
           << std::setw(6) << rf.j << '\n';
    };
    const std::size_t width = 4 + 2 + label_width + 2 + 12 + 12 + 15 + 6 + 6;
    os << std::right << std::setw(4) << "#" << "  " << std::left << std::setw(int(label_width)) << "layer" << "  "
       << std::setw(12) << "output" << std::right << std::setw(12) << "params" << std::setw(15) << "MACs"
       << std::setw(6) << "RF" << std::setw(6) << "jump" << '\n'
       << std::string(width, '-') << '\n';
    row("-", "input", s.input, 0, 0, receptive{});
    for (const layer_info& l : s.layers) {
        row(std::to_string(l.index), l.label, l.out, l.parameters, l.macs, l.rf());
        if (!is_unit(l)) continue;
        for (int i = l.first_node; i < l.end_node; ++i) {
            const node_info& n = s.nodes[std::size_t(i)];
            row("", inner_label(n), n.out, n.param_count(), n.macs, n.rf());
        }
    }
    os << std::string(width, '-') << '\n'
       << "parameters: " << detail::grouped(s.parameters) << " (" << std::fixed << std::setprecision(1)
       << double(s.parameters) * 4 / 1024 << " KiB as float32)\n";
    if (s.buffer_values != 0) os << "running statistics: " << detail::grouped(s.buffer_values) << " values\n";
    os << "MACs per image: " << detail::grouped(s.macs) << '\n'
       << "receptive field of an output pixel: " << s.receptive_field << '\n';
    os.unsetf(std::ios::floatfield);
    return os;
}

inline std::string to_string(const network_summary& s) {
    std::ostringstream os;
    os << s;
    return os.str();
}

}  // namespace typenet::dsl
