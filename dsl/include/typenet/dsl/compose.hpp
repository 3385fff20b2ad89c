// `|`: appending layers to a network checks them at once, at the line that
// composes them, with an error that names the rule, the layer and its input.
// Only the appended layers are described: the network's type already carries
// the output shape of the layers before them, so a chain of N `|` costs O(N).
#pragma once

#include <array>

#include "network.hpp"

namespace typenet::dsl {

template <auto>
inline constexpr bool never = false;

// Instantiated only for a rejected network. The compiler prints the message
// as the template argument in the first line of its diagnostic:
//   In instantiation of 'struct typenet::dsl::network_rejected<
//       typenet::dsl::fixed_string<94>{"typenet: layer 4 (conv<32,5>) on a ..."}>'
template <fixed_string Message>
struct network_rejected {
    static_assert(never<Message>, "typenet rejected the network: the reason is in the line above");
};

namespace detail {

struct append_result {
    tensor_shape output;
    bool ended = false;
    problem_text problem;  // "typenet: layer 4 (conv<32,5>) on a 32x3x3 input: ..." or empty
};

// Describes the layers Ms, appended after `first_index` layers whose output is
// `in`; `loss_label` names the loss head that ends them, or is empty.
template <class... Ms>
constexpr append_result append_layers(tensor_shape in, std::size_t first_index, std::string_view loss_label) {
    using describe_fn = layer_description (*)(tensor_shape);
    constexpr std::array<describe_fn, sizeof...(Ms)> describes{&Ms::describe...};
    constexpr std::array<std::string_view, sizeof...(Ms)> labels{Ms::label.view()...};

    append_result r{in, !loss_label.empty()};
    for (std::size_t i = 0; i < sizeof...(Ms); ++i) {
        const std::size_t index = first_index + i;
        layer_description d = describes[i](r.output);
        if (r.ended)
            d = rejected("it comes after the loss head ", loss_label, " (layer ", index - 1,
                         "), which must be the last layer");
        if (!d.problem.empty()) {
            r.problem << "typenet: layer " << index << " (" << labels[i] << ") on a " << shape_text(r.output)
                      << " input: " << d.problem;
            return r;
        }
        r.output = d.out;
        r.ended = d.kind == layer_kind::softmax_xent;
        loss_label = labels[i];
    }
    return r;
}

template <class... Ls>
constexpr std::string_view last_label() {
    std::string_view label;
    ((label = Ls::label.view()), ...);
    return label;
}

template <auto Problem>
constexpr rejected_network reject() {
    (void)network_rejected<exact_string<Problem>()>{};
    return {};
}

template <int C, int H, int W>
constexpr auto make_input() {
    constexpr auto problem = [] {
        problem_text t;
        if (C < 1 || H < 1 || W < 1)
            t << "typenet: input<" << C << "," << H << "," << W
              << "> has a zero or negative size: channels, height and width must be at least 1";
        return t;
    }();
    if constexpr (problem.empty())
        return network<input_layer<C, H, W>>{};
    else
        return reject<problem>();
}

}  // namespace detail

// input<C, H, W>: a network with no layers yet.
template <int C, int H, int W>
inline constexpr auto input = detail::make_input<C, H, W>();

template <int C, int H, int W, tensor_shape Out, bool Ended, class... Ls, class... Ms>
constexpr auto operator|(network<input_layer<C, H, W, Out, Ended>, Ls...>, block<Ms...>) {
    constexpr detail::append_result r =
        detail::append_layers<Ms...>(Out, sizeof...(Ls), Ended ? detail::last_label<Ls...>() : "");
    if constexpr (r.problem.empty())
        return network<input_layer<C, H, W, r.output, r.ended>, Ls..., Ms...>{};
    else
        return detail::reject<r.problem>();
}

template <class Input, class... Ls, layer L>
constexpr auto operator|(network<Input, Ls...> net, L) {
    return net | block<L>{};
}

template <detail::block_like A, detail::block_like B>
constexpr auto operator|(A a, B b) {
    return detail::join(detail::as_block(a), detail::as_block(b));
}

template <class Input, class... Ls, int C, int H, int W>
constexpr auto operator|(network<Input, Ls...>, network<input_layer<C, H, W>>) {
    constexpr auto message = [] {
        problem_text t;
        t << "typenet: input<" << C << "," << H << "," << W << "> can only start a network, but it follows "
          << sizeof...(Ls) << " layer" << (sizeof...(Ls) == 1 ? "" : "s");
        return t;
    }();
    return detail::reject<message>();
}

constexpr rejected_network operator|(rejected_network, auto) { return {}; }

}  // namespace typenet::dsl
