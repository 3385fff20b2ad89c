// summary(net): a table like Keras' model.summary() or torchinfo, computed
// at compile time and printed at run time:
//
//   #  layer          output      params     MACs   RF  jump
//   -  input          1x28x28          0        0    1     1
//   0  conv<16,3>     16x26x26       160   97,344    3     1
//   ...
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
    std::int64_t parameters = 0;
    std::int64_t buffer_values = 0;
    std::int64_t macs = 0;
    int receptive_field = 1;
};

template <network_type Net>
constexpr network_summary summary(Net net) {
    return {input_shape(net),      layers(net),          parameter_count(net),
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
    std::size_t label_width = 5;
    for (const layer_info& l : s.layers) label_width = std::max(label_width, l.label.size());
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
    for (const layer_info& l : s.layers) row(std::to_string(l.index), l.label, l.out, l.param_count(), l.macs, l.rf());
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
