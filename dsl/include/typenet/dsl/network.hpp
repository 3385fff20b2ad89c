// Networks and blocks, and their composition with `|`.
//
//   network<input_layer<C,H,W>, L0, L1, ...>   a checked network: its type is
//                                              the whole architecture
//   block<L0, L1, ...>                          layers without an input yet
//
// The type is a flat list of layers: a 400-layer network is one template
// with 400 arguments, never 400 levels of nesting.
#pragma once

#include <cstddef>
#include <tuple>
#include <utility>

#include "layer_spec.hpp"

namespace typenet::dsl {

// The head of a network: its input shape, and (so that `|` checks only the
// layers it appends) the output shape of the layers so far and whether they
// end in a loss head. Both follow from the layers, so the type stays canonical.
template <int C, int H, int W, tensor_shape Output = tensor_shape{C, H, W}, bool Ended = false>
struct input_layer {
    static constexpr tensor_shape shape{C, H, W};
    static constexpr tensor_shape output = Output;
    static constexpr bool ended = Ended;
};

template <class Input, layer... Layers>
struct network {
    using input_type = Input;
    static constexpr std::size_t depth = sizeof...(Layers);
    template <std::size_t I>
    using layer = std::tuple_element_t<I, std::tuple<Layers...>>;
};

template <layer... Layers>
struct block {
    static constexpr std::size_t size = sizeof...(Layers);
};

template <class T>
inline constexpr bool is_network = false;
template <class Input, class... Layers>
inline constexpr bool is_network<network<Input, Layers...>> = true;

template <class T>
concept network_type = is_network<T>;

// What a composition evaluates to after a rejected layer: it absorbs further
// layers so that one mistake produces one error.
struct rejected_network {};

template <std::size_t, class T>
using repeated_type = T;

namespace detail {
template <class... Ls>
constexpr block<Ls...> as_block(block<Ls...> b) { return b; }
template <layer L>
constexpr block<L> as_block(L) { return {}; }

template <class T>
concept block_like = layer<T> || requires(T t) { []<class... Ls>(block<Ls...>) {}(t); };

template <class... Ls, class... Ms>
constexpr block<Ls..., Ms...> join(block<Ls...>, block<Ms...>) { return {}; }

template <class Block, std::size_t... Copies, std::size_t... Is>
constexpr auto repeat_block(std::index_sequence<Copies...>, std::index_sequence<Is...>) {
    // Layer i of the result is layer (i mod size) of the block.
    return []<class... Ls>(block<Ls...>) {
        using layers = std::tuple<Ls...>;
        return block<std::tuple_element_t<Is % sizeof...(Ls), layers>...>{};
    }(Block{});
}
}  // namespace detail

// repeat<N>(x): N copies of a layer or block, one after another.
template <std::size_t N, detail::block_like B>
constexpr auto repeat(B b) {
    using flat = decltype(detail::as_block(b));
    return detail::repeat_block<flat>(std::make_index_sequence<N>{},
                                      std::make_index_sequence<N * flat::size>{});
}

}  // namespace typenet::dsl
