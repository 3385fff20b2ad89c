// The network driver: every node of the dsl's graph lowered to Halide, in
// graph order, each by its operator family (ops/) as a function of its
// input values; a training pipeline lowers one segment's nodes only
// (dsl/training_segments.hpp), reading the value before it as its input. Backward runs the graph in reverse; a value read by
// several nodes gets the sum of their gradients. Scheduling lives apart, in
// fusion.hpp; nothing here says where or in what order anything is computed.
#pragma once

#include <Halide.h>

#include <string>
#include <typenet/dsl.hpp>
#include <utility>
#include <variant>
#include <vector>

#include "node.hpp"
#include "ops/batchnorm.hpp"
#include "ops/conv.hpp"
#include "ops/dense.hpp"
#include "ops/elementwise.hpp"
#include "ops/join.hpp"
#include "ops/pool.hpp"

namespace typenet::gen {

// A node's family state: what its lowering computed on the way. Flatten,
// the loss head and the joins keep none.
using op_state = std::variant<std::monostate, ops::conv_state, ops::pool_state, ops::dense_state,
                              ops::activation_state, ops::batchnorm_state, ops::dropout_state>;

template <class Net>
class network_lowering {
public:
    static constexpr Net net{};
    static constexpr std::size_t node_count = dsl::nodes(net).size();

    // `input` is the value segment.input_node, which the segment's nodes
    // read; `tuning`, the schedule choices to take (it must outlive this).
    network_lowering(const dsl::training_segment& segment, mode m, Func input, Func params, Func state, Expr batch,
                     Expr seed, storage stored, const tuning_table& tuning, int vector_lanes)
        : cx_(lowering_context::of(net, segment.input_node, m, std::move(params), std::move(state), std::move(batch),
                                   std::move(seed), std::move(stored), tuning, vector_lanes)),
          segment_(segment), input_(std::move(input)), nodes_(node_count), states_(node_count),
          d_out_is_sum_(node_count, false) {
        lower_all(std::make_index_sequence<node_count>{});
    }

    const dims& vars() const { return cx_.vars(); }
    const lowering_context& context() const { return cx_; }
    const dsl::training_segment& segment() const { return segment_; }
    std::vector<lowered_node>& nodes() { return nodes_; }
    op_state& state_of(std::size_t i) { return states_[i]; }
    // Whether node i's output gradient is a sum of its readers' (stored).
    bool d_out_is_sum(std::size_t i) const { return d_out_is_sum_[i]; }

    static constexpr bool has_loss_head() {
        return node_count > 0 && dsl::nodes(net)[std::size_t(dsl::output_node(net))].kind == dsl::layer_kind::softmax_xent;
    }
    static constexpr int classes() { return dsl::output_shape(net).c; }

    // The node whose output is the network's: class scores before the loss head, if any.
    static constexpr int scores_node() {
        const int out = dsl::output_node(net);
        return has_loss_head() ? dsl::nodes(net)[std::size_t(out)].inputs[0] : out;
    }
    // The node whose output the segment hands on: the scores where it ends
    // with the loss head, else its output node.
    int handed_on() const { return segment_.loss_head ? scores_node() : segment_.output_node; }
    Func output() const { return value_of(handed_on()); }

    ops::loss_terms softmax_xent(Func labels) const { return ops::softmax_xent(cx_, output(), classes(), labels); }

    // Backward from the gradient of the loss w.r.t. output(). Returns the
    // gradient w.r.t. the segment's input if asked for, else an undefined Func.
    Func backward(Func d_output, bool input_gradient) {
        std::vector<std::vector<Func>> contributions(node_count);
        std::vector<Func> to_input;
        for (std::size_t i = std::size_t(segment_.end_node); i-- > std::size_t(segment_.first_node);) {
            lowered_node& l = nodes_[i];
            if (l.info.kind == dsl::layer_kind::softmax_xent) continue;
            if (int(i) == handed_on()) {
                l.d_out = d_output;
            } else if (contributions[i].size() == 1) {
                l.d_out = contributions[i][0];
            } else {
                l.d_out = sum_of(contributions[i], l.name + "_d_sum");
                d_out_is_sum_[i] = true;
            }
            bool reads_nodes = false;
            for (int k = 0; k < l.info.input_count; ++k) reads_nodes |= l.info.inputs[k] != segment_.input_node;
            backward_node(l, states_[i], reads_nodes || input_gradient);
            for (std::size_t k = 0; k < l.d_in.size(); ++k) {
                const int p = l.info.inputs[k];
                (p == segment_.input_node ? to_input : contributions[std::size_t(p)]).push_back(l.d_in[k]);
            }
        }
        if (!input_gradient) return Func();
        return to_input.size() == 1 ? to_input[0] : sum_of(to_input, "input_d_sum");
    }

    // Batchnorm's batch statistics in training, in buffer_layout's order
    // (ops::define_batch_statistics). Training backward reads them back
    // (storage::state_is_batch_statistics).
    Func batch_statistics() {
        const Var i("i");
        Func out("batch_statistics");
        out(i) = 0.f;
        for_each_batchnorm([&](lowered_node& l, ops::batchnorm_state& s) { ops::define_batch_statistics(l, s, out); });
        return out;
    }

    // Batchnorm's running statistics after this step, in buffer_layout's
    // order (running_mean, running_var of each batchnorm node).
    std::vector<Func> new_state_outputs() {
        std::vector<Func> out;
        for_each_batchnorm([&](lowered_node& l, ops::batchnorm_state& s) {
            auto [mean, var] = ops::new_running_statistics(cx_, l, s);
            out.push_back(mean);
            out.push_back(var);
        });
        return out;
    }

private:
    template <std::size_t... I>
    void lower_all(std::index_sequence<I...>) {
        (lower_node<dsl::node_type<Net, I>, I>(), ...);
    }

    Func value_of(int node) const { return node == segment_.input_node ? input_ : nodes_[std::size_t(node)].out; }

    Func sum_of(const std::vector<Func>& terms, const std::string& name) const {
        const auto& [x, y, c, n] = std::tie(cx_.vars().x, cx_.vars().y, cx_.vars().c, cx_.vars().n);
        Func sum(name);
        Expr e = terms[0](x, y, c, n);
        for (std::size_t k = 1; k < terms.size(); ++k) e += terms[k](x, y, c, n);
        sum(x, y, c, n) = e;
        return sum;
    }

    template <class F>
    void for_each_batchnorm(F f) {
        for (std::size_t i = 0; i < node_count; ++i)
            if (auto* s = std::get_if<ops::batchnorm_state>(&states_[i])) f(nodes_[i], *s);
    }

    static std::string kind_name(dsl::layer_kind k) {
        constexpr const char* names[] = {"conv",    "fixed_conv", "maxpool", "avgpool",  "gap",    "activation",
                                         "batchnorm", "dropout",  "flatten", "dense",    "xent",   "residual",
                                         "concat",  "add"};
        return names[static_cast<int>(k)];
    }
    // "l4_body_0_conv": the node's path, then its kind.
    static std::string func_name(const dsl::node_info& info) {
        std::string name = "l";
        for (char ch : info.path.view()) name += ch == '.' ? '_' : ch;
        return name + "_" + kind_name(info.kind);
    }

    template <class L, std::size_t Index>
    void lower_node() {
        using dsl::layer_kind;
        constexpr dsl::node_info info = dsl::nodes(net)[Index];
        if (!segment_.contains(int(Index))) return;
        lowered_node& l = nodes_[Index];
        l.info = info;
        l.name = func_name(info);
        for (int k = 0; k < info.input_count; ++k) l.in.push_back(value_of(info.inputs[k]));
        op_state& state = states_[Index];
        if constexpr (info.kind == layer_kind::conv || info.kind == layer_kind::fixed_conv) {
            ops::conv_forward(cx_, l, state.emplace<ops::conv_state>(ops::make_conv_state<L>(cx_, l)));
        } else if constexpr (info.kind == layer_kind::dense) {
            ops::dense_forward(cx_, l, state.emplace<ops::dense_state>(ops::make_dense_state<L>(cx_, l)));
        } else if constexpr (info.kind == layer_kind::maxpool || info.kind == layer_kind::avgpool ||
                             info.kind == layer_kind::global_avgpool) {
            ops::pool_forward(cx_, l, state.emplace<ops::pool_state>());
        } else if constexpr (info.kind == layer_kind::flatten) {
            ops::flatten_forward(cx_, l);
        } else if constexpr (info.kind == layer_kind::activation) {
            ops::activation_forward(cx_, l, state.emplace<ops::activation_state>(L::function, float(L::parameter)));
        } else if constexpr (info.kind == layer_kind::batchnorm) {
            ops::batchnorm_forward(cx_, l, state.emplace<ops::batchnorm_state>(ops::make_batchnorm_state<L>(cx_, l)));
        } else if constexpr (info.kind == layer_kind::dropout) {
            ops::dropout_forward(cx_, l, state.emplace<ops::dropout_state>(L::probability));
        } else if constexpr (info.kind == layer_kind::add) {
            ops::add_forward(cx_, l);
        } else if constexpr (info.kind == layer_kind::concat) {
            ops::concat_forward(cx_, l);
        } else {
            l.out = l.in[0];  // the loss head: softmax_xent() computes the loss
        }
        if (cx_.stored().read_from)
            if (auto kept = cx_.stored().read_from(int(Index))) l.out = *kept;
    }

    void backward_node(lowered_node& l, op_state& state, bool need_d_in) {
        using dsl::layer_kind;
        switch (l.info.kind) {
            case layer_kind::conv:
            case layer_kind::fixed_conv: ops::conv_backward(cx_, l, std::get<ops::conv_state>(state), need_d_in); break;
            case layer_kind::dense: ops::dense_backward(cx_, l, std::get<ops::dense_state>(state), need_d_in); break;
            case layer_kind::maxpool:
            case layer_kind::avgpool:
            case layer_kind::global_avgpool: ops::pool_backward(cx_, l, std::get<ops::pool_state>(state), need_d_in); break;
            case layer_kind::flatten: ops::flatten_backward(cx_, l); break;
            case layer_kind::activation: ops::activation_backward(cx_, l, std::get<ops::activation_state>(state)); break;
            case layer_kind::batchnorm:
                ops::batchnorm_backward(cx_, l, std::get<ops::batchnorm_state>(state), need_d_in);
                break;
            case layer_kind::dropout: ops::dropout_backward(cx_, l, std::get<ops::dropout_state>(state)); break;
            case layer_kind::add: ops::add_backward(l); break;
            case layer_kind::concat: ops::concat_backward(cx_, l); break;
            case layer_kind::softmax_xent:
            case layer_kind::residual: break;
        }
    }

    lowering_context cx_;
    dsl::training_segment segment_;
    Func input_;
    std::vector<lowered_node> nodes_;
    std::vector<op_state> states_;
    std::vector<bool> d_out_is_sum_;
};

}  // namespace typenet::gen
