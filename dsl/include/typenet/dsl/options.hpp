// Layer options, written as types after a layer's sizes:
//     conv<32, 3, stride<2>, pad<1>, dilation<2>, groups<4>, no_bias>
//     maxpool<2, 2, tile_exactly>
#pragma once

#include <type_traits>

namespace typenet::dsl {

template <int S>
struct stride {};
template <int P>
struct pad {};
template <int D>
struct dilation {};
// A conv in G groups, as PyTorch's `groups`: each reads InC/G input channels
// and writes OutC/G output channels; groups<InC> is a depthwise conv.
template <int G>
struct groups {};
// A conv or dense layer without a bias (common before batchnorm).
struct no_bias {};
// A pooling layer that rejects inputs its windows do not cover exactly,
// instead of dropping the leftover rows and columns as PyTorch does.
struct tile_exactly {};

namespace detail {

template <template <int> class Option, class T>
inline constexpr bool is_option = false;
template <template <int> class Option, int V>
inline constexpr bool is_option<Option, Option<V>> = true;

template <template <int> class Option, class T>
constexpr int value_or(int fallback) {
    if constexpr (is_option<Option, T>)
        return []<int V>(Option<V>*) { return V; }(static_cast<T*>(nullptr));
    else
        return fallback;
}

template <template <int> class Option, int Default, class... Opts>
constexpr int option_value() {
    int value = Default;
    ((value = value_or<Option, Opts>(value)), ...);
    return value;
}

template <template <int> class Option, class... Opts>
inline constexpr int option_count = (0 + ... + int(is_option<Option, Opts>));

template <class Flag, class... Opts>
inline constexpr bool has_flag = (std::is_same_v<Flag, Opts> || ...);

}  // namespace detail
}  // namespace typenet::dsl
