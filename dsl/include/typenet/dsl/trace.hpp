// shape_trace(net): the spatial size at the input and after every layer that
// slides a window or is a unit that changes it, as one compile-time string:
// "199x199 > 197x197 > ... > 1x1".
#pragma once

#include <string_view>

#include "analysis.hpp"

namespace typenet::dsl {

namespace detail {
template <class Net, class Sink>
constexpr void write_trace(Sink& sink) {
    const auto& a = analysis<Net>::input;
    sink << a.h << "x" << a.w;
    for (const layer_info& l : analysis<Net>::result.layers)
        if (l.slides || ((l.kind == layer_kind::residual || l.kind == layer_kind::concat) &&
                         (l.out.h != l.in.h || l.out.w != l.in.w)))
            sink << " > " << l.out.h << "x" << l.out.w;
}

struct length_counter {
    std::size_t length = 0;
    constexpr length_counter& operator<<(std::string_view s) {
        length += s.size();
        return *this;
    }
    constexpr length_counter& operator<<(int n) {
        static_text<12> t;
        t << n;
        length += t.size();
        return *this;
    }
};

template <class Net>
inline constexpr std::size_t trace_length = [] {
    length_counter c;
    write_trace<Net>(c);
    return c.length;
}();

template <class Net>
inline constexpr static_text<trace_length<Net>> trace_text = [] {
    static_text<trace_length<Net>> t;
    write_trace<Net>(t);
    return t;
}();
}  // namespace detail

template <network_type Net>
constexpr std::string_view shape_trace(Net) {
    return detail::trace_text<Net>.view();
}

}  // namespace typenet::dsl
