// The uniform layer interface.
//
// Every layer type L provides
//     static constexpr label_text label;                      // e.g. "conv<16,3,pad<1>>"
//     static constexpr layer_description describe(tensor_shape in);
// describe() says what the layer does to an input of that shape: its output,
// its window (if it slides one), its tensors, its cost, or, if the input is
// unacceptable, why (a sentence without the "layer N" prefix, which the
// network adds).
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>

#include "shape.hpp"
#include "text.hpp"

namespace typenet::dsl {

enum class layer_kind {
    conv,
    fixed_conv,
    maxpool,
    avgpool,
    global_avgpool,
    activation,
    batchnorm,
    dropout,
    flatten,
    dense,
    softmax_xent,
    // Units that hold blocks of layers (layers(net) only), and the nodes that
    // join their paths (nodes(net) only): a residual's sum, a concat's stack.
    residual,
    concat,
    add,
};

using label_text = static_text<96>;
using problem_text = static_text<320>;

// A tensor of a layer: a trainable parameter (weight, bias) or a buffer
// (batchnorm running statistics). Dimensions in PyTorch's order.
struct tensor_spec {
    std::string_view name;  // PyTorch's attribute name: "weight", "bias", "running_mean"...
    int rank = 0;
    std::array<int, 4> dims{};

    constexpr std::int64_t count() const {
        std::int64_t n = 1;
        for (int i = 0; i < rank; ++i) n *= dims[i];
        return n;
    }
};

constexpr tensor_spec tensor(std::string_view name, int d0) { return {name, 1, {d0, 0, 0, 0}}; }
constexpr tensor_spec tensor(std::string_view name, int d0, int d1) { return {name, 2, {d0, d1, 0, 0}}; }
constexpr tensor_spec tensor(std::string_view name, int d0, int d1, int d2, int d3) {
    return {name, 4, {d0, d1, d2, d3}};
}

struct layer_spec {
    layer_kind kind{};
    tensor_shape out{};
    std::optional<window> slides;     // present for layers that move a window over the input
    std::array<tensor_spec, 2> params{};   // trainable
    int param_tensors = 0;
    std::array<tensor_spec, 2> buffers{};  // state that is not trained (running statistics)
    int buffer_tensors = 0;
    std::int64_t macs = 0;            // multiply-accumulates per sample
    int fan_in = 0, fan_out = 0;      // as torch.nn.init computes them; 0 for unweighted layers

    constexpr layer_spec& add_param(tensor_spec t) {
        params[param_tensors++] = t;
        return *this;
    }
    constexpr layer_spec& add_buffer(tensor_spec t) {
        buffers[buffer_tensors++] = t;
        return *this;
    }
    constexpr std::int64_t param_count() const {
        std::int64_t n = 0;
        for (int i = 0; i < param_tensors; ++i) n += params[i].count();
        return n;
    }
};

// What describe() returns: the spec, or why the input is unacceptable.
struct layer_description : layer_spec {
    problem_text problem;  // empty when the input is acceptable
};

template <class... Parts>
constexpr layer_description rejected(const Parts&... parts) {
    layer_description d;
    (d.problem << ... << parts);
    return d;
}

template <class L>
concept layer = requires(tensor_shape in) {
    { L::describe(in) } -> std::same_as<layer_description>;
    { L::label } -> std::convertible_to<std::string_view>;
};

// Shape as text, "16x26x26" (channels first) or "26x26" (spatial only).
constexpr static_text<40> shape_text(tensor_shape s) {
    static_text<40> t;
    t << s.c << "x" << s.h << "x" << s.w;
    return t;
}
constexpr static_text<24> spatial_text(int h, int w) {
    static_text<24> t;
    t << h << "x" << w;
    return t;
}

// The output of a window sliding over `in`, or the reason it cannot slide.
constexpr layer_description slide(layer_kind kind, tensor_shape in, window win, int out_channels) {
    const int eh = win.extent_h(), ew = win.extent_w();
    if (eh > in.h + 2 * win.pad || ew > in.w + 2 * win.pad) {
        layer_description s = rejected("its ", spatial_text(win.kh, win.kw), " window");
        if (win.dilation != 1) s.problem << " (dilation " << win.dilation << " spans " << spatial_text(eh, ew) << ")";
        s.problem << " needs an input of at least " << spatial_text(eh - 2 * win.pad, ew - 2 * win.pad)
                  << " but gets " << spatial_text(in.h, in.w);
        if (win.pad != 0) s.problem << " (padding " << win.pad << ")";
        return s;
    }
    layer_description s;
    s.kind = kind;
    s.slides = win;
    s.out = {out_channels, windowed_size(in.h, eh, win.stride, win.pad),
             windowed_size(in.w, ew, win.stride, win.pad)};
    return s;
}

}  // namespace typenet::dsl

namespace typenet::dsl {

// A layer's own setting that must be at least some minimum, e.g. stride >= 1.
struct requirement {
    std::string_view what;
    int value;
    int minimum;
};

// The first requirement that fails, as a rejection; an empty problem if none does.
constexpr layer_description first_unmet(std::initializer_list<requirement> requirements) {
    for (const requirement& r : requirements)
        if (r.value < r.minimum) return rejected("its ", r.what, " must be at least ", r.minimum, " but is ", r.value);
    return {};
}

}  // namespace typenet::dsl
