// concat(b0, b1, ...): every branch reads the unit's input, and their
// outputs are stacked along channels in that order (Inception). PyTorch's
// twin holds the branches in an nn.ModuleList of nn.Sequential: the tensors
// of branch b's layer j are "<i>.branches.<b>.<j>.<attr>", even for a
// one-layer branch.
#pragma once

#include "../graph.hpp"

namespace typenet::dsl {

template <class... Branches>
struct concat_layer {
    static constexpr std::size_t node_count = (std::size_t{1} + ... + block_node_count(Branches{}));
    static constexpr label_text label = [] {
        label_text t;
        return t << "concat of " << int(sizeof...(Branches)) << " branches";
    }();

    static constexpr auto node_types() {
        return boost::hana::flatten(
            boost::hana::make_tuple(block_node_types(Branches{})..., boost::hana::tuple_t<join_node>));
    }

    template <std::size_t N>
    static constexpr int add_nodes(graph_builder<N>& g, int from, const node_place& place) {
        int paths[sizeof...(Branches)]{};
        int b = 0;
        const auto branch = [&](auto block_value) {
            problem_text what;
            what << "branch " << b;
            paths[b] = add_block(block_value, g, from, place.inner("branches", b), what.view());
            ++b;
            return !g.failed();
        };
        (branch(Branches{}) && ...);
        if (g.failed()) return from;
        tensor_shape out = g.shape_of(paths[0]);
        for (int i = 1; i < b; ++i) {
            const tensor_shape s = g.shape_of(paths[i]);
            if (s.h != out.h || s.w != out.w) {
                g.problem << "its branch " << i << " gives " << shape_text(s) << " but branch 0 gives "
                          << shape_text(g.shape_of(paths[0])) << ": the branches of a concat must agree in height and width";
                return from;
            }
            out.c += s.c;
        }
        return add_join(g, paths, b, layer_kind::concat, "concat", place, out).index;
    }

    static constexpr layer_description describe(tensor_shape in) {
        return describe_unit<concat_layer>(in, layer_kind::concat);
    }
};

template <detail::block_like... Branches>
    requires(sizeof...(Branches) >= 1)
constexpr auto concat(Branches... branches) {
    static_assert(sizeof...(Branches) <= max_node_inputs, "typenet: a concat takes at most 8 branches");
    return concat_layer<decltype(detail::as_block(branches))...>{};
}

}  // namespace typenet::dsl
