// What every operator's lowering shares: a node of the network's graph as
// Halide sees it (its input values, its output value, their gradients), and
// the context that reads parameters and hands out the Funcs a pipeline
// stores. Each operator family (ops/) keeps its own state beside the node.
//
// Every value is a Func f(x, y, c, n) with PyTorch's NCHW meaning.
// Parameters are read from one flat buffer at the offsets the dsl computed
// (parameter_layout); gradients are written to one flat buffer in the same
// layout; batchnorm's running statistics likewise (buffer_layout).
#pragma once

#include <Halide.h>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <typenet/dsl.hpp>
#include <vector>

#include "tuning.hpp"

namespace typenet::gen {

namespace dsl = typenet::dsl;
using Halide::Expr;
using Halide::Func;
using Halide::RDom;
using Halide::Var;

enum class mode { inference, training };

struct dims {
    Var x{"x"}, y{"y"}, c{"c"}, n{"n"};
};

// The gradient of one parameter tensor: a Func of four dimensions, the
// tensor's PyTorch dimensions innermost first (conv weight: kx, ky, ci, co;
// dense weight: in, out; a bias: c), unused ones of extent 1. It becomes a
// pipeline output written straight into its slice of the flat gradient buffer.
struct tensor_gradient {
    enum class form { conv_weight, dense_weight, per_channel };
    Func grad;
    form shape;
    int extent0 = 1;  // extent of the first dimension
};

// A node after lowering: its values and their gradients. What an operator
// computes on the way (a conv's reduction, a batchnorm's statistics) lives
// in its family's state, not here.
struct lowered_node {
    dsl::node_info info;
    std::string name;            // "n3_conv": a readable prefix for Func names
    std::vector<Func> in;        // one per input, in the node's input order
    Func out;
    Func d_out;                  // gradient of the loss w.r.t. out: its readers' contributions summed
    std::vector<Func> d_in;      // gradient w.r.t. each input (backward, where asked)
    std::vector<tensor_gradient> gradients;
};

// For the values a training step stores (dsl::training_activations):
// define_into(i), the pipeline output that node i's output is defined in
// (training forward); read_from(i), the stored value that backward reads
// instead of recomputing it. Either returns nothing for nodes not stored.
using stored_outputs = std::function<std::optional<Func>(int node)>;
struct storage {
    stored_outputs define_into, read_from;
    // The pipeline output the gradient of parameter_layout's tensor i is defined in.
    std::function<Func(std::size_t tensor)> gradient_into;
    // The pipeline output the network's input gradient is defined in, where
    // the one node reading the input is a conv (else the pipeline copies it).
    std::optional<Func> input_gradient_into;
    // Training backward: `state` holds the forward pass's batch statistics
    // (batch_statistics()), read instead of summed again.
    bool state_is_batch_statistics = false;
};

// What operators read besides their inputs: the pipeline's parameters,
// state, batch size and seed, and the graph's answers about readers.
class lowering_context {
public:
    // `input_node`: the value the lowered nodes read as the pipeline's input
    // (the network's input, or the value before a segment).
    // `tuning`: the schedule choices of one CPU model (outlives the context).
    // `vector_lanes`: floats per vector of the target generated for.
    template <class Net>
    static lowering_context of(Net net, int input_node, mode m, Func params, Func state, Expr batch, Expr seed,
                               storage stored, const tuning_table& tuning, int vector_lanes) {
        lowering_context cx(m, std::move(params), std::move(state), std::move(batch), std::move(seed),
                            std::move(stored));
        cx.tuning_ = &tuning;
        cx.vector_lanes_ = vector_lanes;
        for (const auto& e : dsl::parameter_layout(net)) cx.param_layout_.push_back(e);
        for (const auto& e : dsl::buffer_layout(net)) cx.buffer_layout_.push_back(e);
        cx.input_shape_ = dsl::input_shape(net);
        for (const auto& n : dsl::nodes(net)) {
            cx.nodes_.push_back(n);
            cx.sole_reader_.push_back(dsl::sole_reader(net, n.index));
        }
        cx.network_input_reader_ = dsl::sole_reader(net, dsl::network_input);
        cx.input_node_ = input_node;
        return cx;
    }

    const dims& vars() const { return v_; }
    mode pipeline_mode() const { return mode_; }
    bool training() const { return mode_ == mode::training; }
    Expr batch() const { return batch_; }
    Expr seed() const { return seed_; }
    const storage& stored() const { return stored_; }
    Func params() const { return params_; }
    Func state() const { return state_; }
    const tuning_table& tuning() const { return *tuning_; }
    // Where an algorithm, not only its schedule, depends on the target
    // (a grouped conv along pitched rows).
    int vector_lanes() const { return vector_lanes_; }

    // The one node reading node i's output (or the network's input), or -1.
    int sole_reader(int i) const {
        return i == dsl::network_input ? network_input_reader_ : sole_reader_.at(std::size_t(i));
    }
    // The value the pipeline reads as its input: the network's input or the value before a segment.
    int input_node() const { return input_node_; }
    const dsl::node_info& node(int i) const { return nodes_.at(std::size_t(i)); }
    // The shape of node i's output, or of the network's input.
    dsl::tensor_shape shape_of(int i) const { return i == dsl::network_input ? input_shape_ : node(i).out; }
    // Whether node i's only reader is of kind k.
    bool read_only_by(int i, dsl::layer_kind k) const {
        const int r = sole_reader(i);
        return r >= 0 && node(r).kind == k;
    }

    int param_offset(const lowered_node& l, std::string_view attribute) const {
        return int(entry(param_layout_, l, attribute).offset);
    }
    int state_offset(const lowered_node& l, std::string_view attribute) const {
        return int(entry(buffer_layout_, l, attribute).offset);
    }

    // The Func a node's output is defined in: a pipeline output if the
    // training forward stores it, else a new Func.
    Func output_func(const lowered_node& l) const {
        if (stored_.define_into)
            if (auto output = stored_.define_into(l.info.index)) return *output;
        return Func(l.name);
    }

    // The Func the gradient of a node's parameter tensor is defined in.
    Func gradient_func(const lowered_node& l, std::string_view attribute) const {
        const std::string name = tensor_name(l, attribute);
        if (stored_.gradient_into)
            for (std::size_t i = 0; i < param_layout_.size(); ++i)
                if (param_layout_[i].name.view() == name) return stored_.gradient_into(i);
        return Func(l.name + "_d" + std::string(attribute));
    }

    // f, with `value` outside its x and y extents; over this pipeline's own
    // variables, so schedules can name them.
    Func bordered(const Func& f, const dsl::tensor_shape& s, Expr value = 0.f) const {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        Func bounded = Halide::BoundaryConditions::constant_exterior(
            f, value, {Halide::Range(0, s.w), Halide::Range(0, s.h), Halide::Range(), Halide::Range()});
        Func padded(f.name() + "_padded");
        padded(x, y, c, n) = bounded(x, y, c, n);
        return padded;
    }

private:
    lowering_context(mode m, Func params, Func state, Expr batch, Expr seed, storage stored)
        : mode_(m), params_(std::move(params)), state_(std::move(state)), batch_(std::move(batch)),
          seed_(std::move(seed)), stored_(std::move(stored)) {}

    static std::string tensor_name(const lowered_node& l, std::string_view attribute) {
        return std::string(l.info.path.view()) + "." + std::string(attribute);
    }
    static const dsl::tensor_entry& entry(const std::vector<dsl::tensor_entry>& layout, const lowered_node& l,
                                          std::string_view attribute) {
        const std::string name = tensor_name(l, attribute);
        for (const dsl::tensor_entry& e : layout)
            if (e.name.view() == name) return e;
        throw std::logic_error("typenet: no tensor " + name + " in the layout");
    }

    mode mode_;
    dims v_;
    Func params_, state_;
    Expr batch_, seed_;
    storage stored_;
    std::vector<dsl::tensor_entry> param_layout_, buffer_layout_;
    dsl::tensor_shape input_shape_{};
    std::vector<dsl::node_info> nodes_;
    std::vector<int> sole_reader_;
    int network_input_reader_ = -1;
    int input_node_ = dsl::network_input;
    const tuning_table* tuning_ = nullptr;
    int vector_lanes_ = 8;
};

// A bias's gradient (conv, dense): the sum of d_acc per channel. A
// batchnorm reading the node alone (training mode, batch statistics)
// subtracts each channel's batch mean, which takes any bias away with it,
// so there the gradient is exactly zero and is not summed.
inline void push_bias_gradient(lowering_context& cx, lowered_node& l, const Func& d_acc) {
    const auto& out = l.info.out;
    Func grad = cx.gradient_func(l, "bias");
    Var c("c"), u("u"), v("v"), w("w");
    if (cx.read_only_by(l.info.index, dsl::layer_kind::batchnorm)) {
        grad(c, u, v, w) = 0.f;
    } else {
        RDom r(0, out.w, 0, out.h, 0, cx.batch(), "r_" + grad.name());
        grad(c, u, v, w) = 0.f;
        grad(c, u, v, w) += d_acc(r.x, r.y, c, r.z);
    }
    l.gradients.push_back({grad, tensor_gradient::form::per_channel, out.c});
}

}  // namespace typenet::gen
