// The fusion policy: which values are stored and which are computed inside
// their reader, asked of the graph (a value's one reader, never the layer
// at index plus one); each family then schedules its own Funcs (ops/).
//
// Forward, a heavy node (conv, dense, pooling) is fused with the run of
// elementwise nodes that alone read it, one after the other: its reduction
// is computed per tile of the run's last Func, which alone is stored. A
// training forward stores what backward reads (dsl::training_activations),
// so there a heavy node fuses with the first only, and never with a
// batchnorm, whose statistics need its input stored. A join (a residual's
// sum, a concat) is stored unless its one reader is elementwise, which then
// computes it. Backward inlines the derivatives of elementwise nodes into
// the stored gradient of the heavy node before them, so each activation
// mask is applied once.
#pragma once

#include <Halide.h>

#include "lowering.hpp"
#include "schedule.hpp"

namespace typenet::gen {

inline bool is_heavy(dsl::layer_kind k) {
    using dsl::layer_kind;
    return k == layer_kind::conv || k == layer_kind::fixed_conv || k == layer_kind::dense ||
           k == layer_kind::maxpool || k == layer_kind::avgpool || k == layer_kind::global_avgpool;
}
inline bool is_elementwise(dsl::layer_kind k) {
    using dsl::layer_kind;
    return k == layer_kind::activation || k == layer_kind::batchnorm || k == layer_kind::dropout;
}

// Schedules the forward pass of a lowered network (inference, or the
// forward half of a training step).
template <class Net>
void schedule_forward(network_lowering<Net>& lowering, const Halide::Target& target) {
    using dsl::layer_kind;
    constexpr Net net{};
    auto& nodes = lowering.nodes();
    const bool training = lowering.context().training();
    // Inference alone may be called with one image or a few (training
    // runs whole batches), so it alone gets the loop nest of small batches.
    schedule_context ctx(target, lowering.vars(), lowering.context().tuning(),
                         training ? Halide::Expr() : lowering.context().batch());
    const auto kind_of = [&](int i) { return nodes[std::size_t(i)].info.kind; };

    const dsl::training_segment& segment = lowering.segment();
    // `stored[i]`: node i's output is already scheduled as a stored Func.
    std::vector<bool> stored(nodes.size(), false);
    for (std::size_t i = std::size_t(segment.first_node); i < std::size_t(segment.end_node); ++i) {
        lowered_node& l = nodes[i];
        const layer_kind kind = l.info.kind;
        op_state& state = lowering.state_of(i);
        if (is_heavy(kind)) {
            // The elementwise nodes after it, each the one reader of the last,
            // that it fuses with.
            int end = int(i);
            for (int next = dsl::sole_reader(net, end); segment.contains(next) && is_elementwise(kind_of(next)) &&
                                                         !(training && (end != int(i) || kind_of(next) == layer_kind::batchnorm));
                 next = dsl::sole_reader(net, end))
                end = next;
            const Func consumer = nodes[std::size_t(end)].out;
            if (auto* s = std::get_if<ops::conv_state>(&state))
                ops::schedule_conv_forward(ctx, l, *s, consumer);
            else if (auto* s = std::get_if<ops::dense_state>(&state))
                ops::schedule_dense_forward(ctx, l, *s, consumer);
            else
                ops::schedule_pool_forward(ctx, l, std::get<ops::pool_state>(state), consumer);
            stored[std::size_t(end)] = true;
            stored[i] = true;
            continue;
        }
        if (auto* s = std::get_if<ops::batchnorm_state>(&state)) ops::schedule_batchnorm_statistics(ctx, l, *s);
        const bool joins = kind == layer_kind::add || kind == layer_kind::concat;
        if (stored[i] || !(is_elementwise(kind) || joins)) continue;
        // Inference inlines an elementwise run into the Func that ends it;
        // training, what dsl::computed_inside_reader says into its reader.
        // A concat is always stored: inlined, its reader would select a
        // branch at every load.
        const int next = dsl::sole_reader(net, int(i));
        const bool run_continues = segment.contains(next) && is_elementwise(kind_of(next));
        const bool inline_here = kind != layer_kind::concat &&
                                 (training ? dsl::computed_inside_reader(net, int(i)) : run_continues);
        if (!inline_here) {
            ctx.elementwise(l.out, l.info.out);
            stored[i] = true;
        }
    }
}

// Schedules the backward half of a training step. Activations and
// batchnorm's batch statistics come from buffers; what backward recomputes
// from them (maxpool's argmax or window index) is stored once.
template <class Net>
void schedule_backward(network_lowering<Net>& lowering, const Halide::Target& target) {
    using dsl::layer_kind;
    constexpr Net net{};
    schedule_context ctx(target, lowering.vars(), lowering.context().tuning());
    auto& nodes = lowering.nodes();
    const dsl::training_segment& segment = lowering.segment();
    for (std::size_t i = std::size_t(segment.first_node); i < std::size_t(segment.end_node); ++i) {
        lowered_node& l = nodes[i];
        op_state& state = lowering.state_of(i);
        // A node's output gradient is already stored where it is a sum of
        // its readers', a batchnorm's input gradient, or the pipeline's
        // input (a network without a loss head, a segment before the last).
        const bool d_out_stored = lowering.d_out_is_sum(i) ||
                                  (int(i) == lowering.handed_on() && !segment.loss_head) ||
                                  lowering.context().read_only_by(int(i), layer_kind::batchnorm);
        if (lowering.d_out_is_sum(i)) ctx.elementwise(l.d_out, l.info.out);
        if (auto* s = std::get_if<ops::conv_state>(&state))
            ops::schedule_conv_backward(ctx, l, *s, d_out_stored);
        else if (auto* s = std::get_if<ops::dense_state>(&state))
            ops::schedule_dense_backward(ctx, l, *s, d_out_stored);
        else if (auto* s = std::get_if<ops::pool_state>(&state))
            ops::schedule_pool_backward(ctx, l, *s);
        else if (auto* s = std::get_if<ops::batchnorm_state>(&state))
            ops::schedule_batchnorm_backward(ctx, l, *s);
        else if (std::holds_alternative<ops::dropout_state>(state))
            ops::schedule_dropout_backward(ctx, l);
    }
}

}  // namespace typenet::gen
