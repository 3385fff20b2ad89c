// residual(body) and residual(body, shortcut): a unit whose output is
// body(x) + x, or body(x) + shortcut(x) for a unit that changes the shape
// (ResNet's projection, e.g. conv<32,1,stride<2>,no_bias> | batchnorm).
// PyTorch's twin is a module with `body` and `shortcut` nn.Sequential
// attributes: the tensors of its body's layer j are "<i>.body.<j>.<attr>".
#pragma once

#include "../graph.hpp"

namespace typenet::dsl {

template <class Body, class Shortcut>
struct residual_layer {
    static constexpr std::size_t node_count = block_node_count(Body{}) + block_node_count(Shortcut{}) + 1;
    static constexpr label_text label = [] {
        label_text t{"residual"};
        if (Shortcut::size != 0) t << " with shortcut";
        return t;
    }();

    static constexpr auto node_types() {
        return boost::hana::flatten(boost::hana::make_tuple(block_node_types(Body{}), block_node_types(Shortcut{}),
                                                            boost::hana::tuple_t<join_node>));
    }

    template <std::size_t N>
    static constexpr int add_nodes(graph_builder<N>& g, int from, const node_place& place) {
        const int paths[2] = {add_block(Body{}, g, from, place.inner("body", -1), "body"),
                              g.failed() ? from : add_block(Shortcut{}, g, from, place.inner("shortcut", -1), "shortcut")};
        if (g.failed()) return from;
        const tensor_shape body = g.shape_of(paths[0]), shortcut = g.shape_of(paths[1]);
        if (body != shortcut) {
            g.problem << "its body gives " << shape_text(body) << " but its ";
            if (Shortcut::size == 0)
                g.problem << "identity shortcut passes on " << shape_text(shortcut)
                          << ": give it a shortcut that makes " << shape_text(body)
                          << ", as residual(body, conv<...,1,stride<S>> | batchnorm)";
            else
                g.problem << "shortcut gives " << shape_text(shortcut) << ": both must give the same shape";
            return from;
        }
        return add_join(g, paths, 2, layer_kind::add, "add", place, body).index;
    }

    static constexpr layer_description describe(tensor_shape in) {
        return describe_unit<residual_layer>(in, layer_kind::residual);
    }
};

template <detail::block_like Body>
constexpr auto residual(Body body) {
    return residual_layer<decltype(detail::as_block(body)), block<>>{};
}
template <detail::block_like Body, detail::block_like Shortcut>
constexpr auto residual(Body body, Shortcut shortcut) {
    return residual_layer<decltype(detail::as_block(body)), decltype(detail::as_block(shortcut))>{};
}

}  // namespace typenet::dsl
