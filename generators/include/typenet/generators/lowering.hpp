// The algorithm: every dsl layer lowered to Halide Funcs, forward and
// backward. Scheduling lives apart, in schedule.hpp; nothing here says where
// or in what order anything is computed.
//
// Every activation is a Func f(x, y, c, n) with PyTorch's NCHW meaning.
// Parameters are read from one flat buffer at the offsets the dsl computed
// (parameter_layout); gradients are written to one flat buffer in the same
// layout; batchnorm's running statistics likewise (buffer_layout).
#pragma once

#include <Halide.h>

#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <limits>
#include <stdexcept>
#include <string>
#include <typenet/dsl.hpp>
#include <utility>
#include <vector>

#include "random.hpp"
#include "winograd.hpp"

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

// A layer after lowering: its output and what backward and schedules need.
struct lowered_layer {
    dsl::layer_info info;
    std::string name;      // "l3_conv": a readable prefix for Func names
    Func in;               // the previous layer's output
    Func out;              // this layer's output
    Func acc;              // conv, dense, pooling: the reduction before any activation
    RDom r;                // acc's reduction domain
    Func weights, bias;    // conv: weights(kx, ky, ci, co); dense: weights(i, o)
    Func padded;           // the input with its boundary condition
    Func argmax;           // maxpool, training: the (x, y) input position of each window's maximum
    Func winner;           // maxpool whose windows tile its input, training: argmax as a row-major index (uint8)
    Func mean, inv_std;    // batchnorm: the statistics per channel it normalizes with
    Func batch_var;        // batchnorm, training: the batch's biased variance per channel
    Func d_out, d_in;      // gradients of the loss w.r.t. out and in
    Func d_acc;            // conv, dense: gradient w.r.t. acc
    Func d_in_acc;         // conv: the reduction behind d_in
    Func d_spread;         // conv: d_acc zero-padded (and spread out by the stride) for d_in
    RDom r_d_in;           // its reduction domain
    RDom r_dw;             // conv: the weight gradient's reduction domain
    // Batchnorm, training: sums per channel over the batch, behind mean and
    // inv_std (unless backward reads those from the forward pass); backward
    // also behind the gamma and beta gradients.
    std::vector<Func> channel_sums;
    std::vector<tensor_gradient> gradients;
    winograd_conv winograd;       // conv, where winograd_fits: acc comes from its products
    winograd_conv winograd_d_in;  // conv, where winograd_fits the input gradient: d_in_acc likewise
    winograd_weight_gradient winograd_dw;  // conv, where winograd_fits: the weight gradient from its products
};

template <class Net>
class network_lowering {
public:
    static constexpr Net net{};
    static constexpr std::size_t depth = Net::depth;

    // For the activations a training step stores (dsl::training_activations):
    // define_into(i), the pipeline output that layer i's output is defined in
    // (training forward); read_from(i), the stored activation that backward
    // reads instead of recomputing it. Either returns nothing for layers not
    // stored.
    using stored_outputs = std::function<std::optional<Func>(int layer)>;
    struct storage {
        stored_outputs define_into, read_from;
        // The pipeline output the gradient of parameter_layout's tensor i is defined in.
        std::function<Func(std::size_t tensor)> gradient_into;
        // The pipeline output the first layer's input gradient is defined in,
        // where that layer is a conv (else the pipeline copies it).
        std::optional<Func> input_gradient_into;
        // Training backward: `state` holds the forward pass's batch
        // statistics (batch_statistics()), read instead of summed again.
        bool state_is_batch_statistics = false;
    };

    network_lowering(mode m, Func input, Func params, Func state, Expr batch, Expr seed, storage stored = {})
        : mode_(m), params_(std::move(params)), state_(std::move(state)), batch_(std::move(batch)),
          seed_(std::move(seed)), stored_(std::move(stored)) {
        Func current = std::move(input);
        layers_.resize(depth);
        lower_all(current, std::make_index_sequence<depth>{});
    }

    const dims& vars() const { return v_; }
    std::vector<lowered_layer>& layers() { return layers_; }
    mode pipeline_mode() const { return mode_; }
    Expr batch() const { return batch_; }

    // The network's last output: class scores before the loss head, if any.
    Func output() const {
        for (std::size_t i = depth; i-- > 0;)
            if (layers_[i].info.kind != dsl::layer_kind::softmax_xent) return layers_[i].out;
        throw std::logic_error("typenet: a network needs at least one layer before its loss head");
    }

    static constexpr bool has_loss_head() {
        return depth > 0 && dsl::layers(net)[depth - 1].kind == dsl::layer_kind::softmax_xent;
    }
    static constexpr int classes() { return dsl::output_shape(net).c; }

    // Softmax cross-entropy, mean over the batch, and the count of correct
    // predictions; `labels` is a Func of the batch index.
    struct loss_terms {
        Func loss, correct, d_scores;
    };
    loss_terms softmax_xent(Func labels) const {
        const int k = classes();
        Func scores = output();
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        RDom rc(0, k, "rc");
        Func peak("xent_max"), total("xent_sum"), prediction("xent_argmax");
        peak(n) = Halide::maximum(scores(0, 0, rc, n));
        total(n) = Halide::sum(Halide::exp(scores(0, 0, rc, n) - peak(n)));
        prediction(n) = Halide::argmax(scores(0, 0, rc, n))[0];
        Func label("label_clamped");
        label(n) = Halide::clamp(labels(n), 0, k - 1);
        RDom rn(0, batch_, "rn");
        Func loss("loss"), correct("correct"), d_scores("d_scores");
        loss() = Halide::sum(Halide::log(total(rn)) + peak(rn) - scores(0, 0, label(rn), rn)) /
                 Halide::cast<float>(batch_);
        correct() = Halide::sum(Halide::select(prediction(rn) == label(rn), 1, 0));
        d_scores(x, y, c, n) = (Halide::exp(scores(x, y, c, n) - peak(n)) / total(n) -
                                Halide::select(c == label(n), 1.f, 0.f)) /
                               Halide::cast<float>(batch_);
        return {loss, correct, d_scores};
    }

    // Backward from the gradient of the loss w.r.t. output(). Returns the
    // gradient w.r.t. the network's input if asked for, else an undefined Func.
    Func backward(Func d_output, bool input_gradient) {
        Func d = std::move(d_output);
        for (std::size_t i = depth; i-- > 0;) {
            lowered_layer& l = layers_[i];
            if (l.info.kind == dsl::layer_kind::softmax_xent) continue;
            l.d_out = d;
            backward_layer(l, /*need_d_in=*/i > 0 || input_gradient);
            d = l.d_in;
        }
        return input_gradient ? d : Func();
    }

    // Batchnorm's batch statistics in training, in buffer_layout's order:
    // each layer's batch mean where its running_mean is, and its biased
    // batch variance where its running_var is. Training backward reads them
    // back (storage::state_is_batch_statistics).
    Func batch_statistics() const {
        const Var i("i");
        Func out("batch_statistics");
        out(i) = 0.f;
        for (const lowered_layer& l : layers_) {
            if (l.info.kind != dsl::layer_kind::batchnorm) continue;
            const auto [mean_at, var_at] = batchnorm_state(l.info.index);
            const RDom c(0, l.info.in.c, "r_statistics_" + l.name);
            out(mean_at + c) = l.mean(c);
            out(var_at + c) = l.batch_var(c);
        }
        return out;
    }

    // Batchnorm's running statistics after this step, in buffer_layout's
    // order (running_mean, running_var of each batchnorm layer). PyTorch:
    // running = (1 - momentum) * running + momentum * batch statistic, with
    // the unbiased variance.
    std::vector<Func> new_state_outputs() const {
        std::vector<Func> out;
        for (const lowered_layer& l : layers_) {
            if (l.info.kind != dsl::layer_kind::batchnorm) continue;
            const auto [mean_at, var_at] = batchnorm_state(l.info.index);
            const float momentum = static_cast<float>(batchnorm_momentum_.at(l.info.index));
            const auto& s = l.info.in;
            const Expr m = Halide::cast<float>(batch_ * s.h * s.w);
            const Var c("c");
            Func mean(l.name + "_new_mean"), var(l.name + "_new_var");
            mean(c) = (1 - momentum) * state_(mean_at + c) + momentum * l.mean(c);
            var(c) = (1 - momentum) * state_(var_at + c) + momentum * l.batch_var(c) * m / Halide::max(m - 1.f, 1.f);
            out.push_back(mean);
            out.push_back(var);
        }
        return out;
    }

private:
    template <std::size_t... I>
    void lower_all(Func& current, std::index_sequence<I...>) {
        ((lower_layer<typename Net::template layer<I>, I>(layers_[I], current)), ...);
    }

    static int offset_of(const auto& layout, int layer, std::string_view attribute) {
        const std::string name = std::to_string(layer) + "." + std::string(attribute);
        const dsl::tensor_entry* e = dsl::find_tensor(layout, name);
        if (!e) throw std::logic_error("typenet: no tensor " + name + " in the layout");
        return static_cast<int>(e->offset);
    }
    static int param_offset(int layer, std::string_view attribute) {
        return offset_of(dsl::parameter_layout(net), layer, attribute);
    }
    std::pair<int, int> batchnorm_state(int layer) const {
        return {offset_of(dsl::buffer_layout(net), layer, "running_mean"),
                offset_of(dsl::buffer_layout(net), layer, "running_var")};
    }

    template <class L, std::size_t Index>
    void lower_layer(lowered_layer& l, Func& current) {
        using dsl::layer_kind;
        constexpr layer_kind kind = dsl::layers(net)[Index].kind;
        l.info = dsl::layers(net)[Index];
        l.name = "l" + std::to_string(Index) + "_" + kind_name(kind);
        l.in = current;
        if constexpr (kind == layer_kind::conv) {
            conv_forward(l, conv_weights(l), conv_bias(l, L::has_bias));
        } else if constexpr (kind == layer_kind::fixed_conv) {
            conv_forward(l, fixed_weights<L>(l), Func());
        } else if constexpr (kind == layer_kind::dense) {
            dense_forward(l, L::has_bias);
        } else if constexpr (kind == layer_kind::maxpool || kind == layer_kind::avgpool ||
                             kind == layer_kind::global_avgpool) {
            pool_forward(l);
        } else if constexpr (kind == layer_kind::flatten) {
            flatten_forward(l);
        } else if constexpr (kind == layer_kind::activation) {
            activation_forward(l, L::function, L::parameter);
        } else if constexpr (kind == layer_kind::batchnorm) {
            batchnorm_eps_[Index] = static_cast<float>(L::epsilon);
            batchnorm_momentum_[Index] = L::momentum;
            batchnorm_forward(l);
        } else if constexpr (kind == layer_kind::dropout) {
            dropout_forward(l, L::probability);
        } else {
            l.out = l.in;  // the loss head: softmax_xent() computes the loss
        }
        if (stored_.read_from) {
            if (auto kept = stored_.read_from(static_cast<int>(Index))) l.out = *kept;
        }
        current = l.out;
    }

    static std::string kind_name(dsl::layer_kind k) {
        constexpr const char* names[] = {"conv",    "fixed_conv", "maxpool", "avgpool",
                                         "gap",     "activation", "batchnorm", "dropout",
                                         "flatten", "dense",      "xent"};
        return names[static_cast<int>(k)];
    }

    // The Func a layer's output is defined in: a pipeline output if the
    // training forward stores it, else a new Func.
    Func output_func(const lowered_layer& l) const {
        if (stored_.define_into)
            if (auto output = stored_.define_into(l.info.index)) return *output;
        return Func(l.name);
    }

    // The Func the gradient of a layer's parameter tensor is defined in.
    Func gradient_func(const lowered_layer& l, std::string_view attribute) const {
        const std::string name = std::to_string(l.info.index) + "." + std::string(attribute);
        const auto& layout = dsl::parameter_layout(net);
        if (stored_.gradient_into)
            for (std::size_t i = 0; i < layout.size(); ++i)
                if (layout[i].name.view() == name) return stored_.gradient_into(i);
        return Func(l.name + "_d" + std::string(attribute));
    }

    // --- convolution -------------------------------------------------------

    Func conv_weights(lowered_layer& l) {
        const int off = param_offset(l.info.index, "weight");
        const int k = l.info.slides->kh, cin = l.info.in.c;
        Var kx("kx"), ky("ky"), ci("ci"), co("co");
        Func w(l.name + "_w");
        w(kx, ky, ci, co) = params_(off + ((co * cin + ci) * k + ky) * k + kx);
        return w;
    }
    Func conv_bias(lowered_layer& l, bool has_bias) {
        if (!has_bias) return Func();
        const int off = param_offset(l.info.index, "bias");
        Var co("co");
        Func b(l.name + "_b");
        b(co) = params_(off + co);
        return b;
    }
    template <class L>
    Func fixed_weights(lowered_layer& l) {
        constexpr auto bank = L::bank;
        Halide::Buffer<float> values(bank.size, bank.size, bank.in_channels, bank.out_channels, l.name + "_filters");
        for (int o = 0; o < bank.out_channels; ++o)
            for (int i = 0; i < bank.in_channels; ++i)
                for (int y = 0; y < bank.size; ++y)
                    for (int x = 0; x < bank.size; ++x) values(x, y, i, o) = bank.weight(o, i, y, x);
        Var kx("kx"), ky("ky"), ci("ci"), co("co");
        Func w(l.name + "_w");
        w(kx, ky, ci, co) = values(kx, ky, ci, co);
        return w;
    }

    // f, with `value` outside its x and y extents; over this pipeline's own
    // variables, so schedules can name them.
    Func zero_outside(const Func& f, const dsl::tensor_shape& s, Expr value = 0.f) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        Func bounded = Halide::BoundaryConditions::constant_exterior(
            f, value, {Halide::Range(0, s.w), Halide::Range(0, s.h), Halide::Range(), Halide::Range()});
        Func padded(f.name() + "_padded");
        padded(x, y, c, n) = bounded(x, y, c, n);
        return padded;
    }

    void conv_forward(lowered_layer& l, Func weights, Func bias) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        const dsl::window& win = *l.info.slides;
        l.weights = weights;
        l.bias = bias;
        l.padded = win.pad > 0 ? zero_outside(l.in, l.info.in) : l.in;
        l.r = RDom(0, win.kw, 0, win.kh, 0, l.info.in.c, "r_" + l.name);
        const RDom& r = l.r;
        // The reduction apart from the stored output, so a schedule can keep
        // it in registers per tile of the output.
        l.acc = Func(l.name + "_acc");
        if (l.info.kind == dsl::layer_kind::conv && winograd_fits(win, l.info.in, l.info.out)) {
            l.winograd = winograd_f2x3(l.name, weights, l.padded, bias, win.pad, l.info.in.c, l.acc, x, y, c, n);
            l.out = output_func(l);
            l.out(x, y, c, n) = l.acc(x, y, c, n);
            return;
        }
        l.acc(x, y, c, n) = bias.defined() ? bias(c) : Expr(0.f);
        l.acc(x, y, c, n) += weights(r.x, r.y, r.z, c) *
                             l.padded(x * win.stride + r.x * win.dilation - win.pad,
                                      y * win.stride + r.y * win.dilation - win.pad, r.z, n);
        l.out = output_func(l);
        l.out(x, y, c, n) = l.acc(x, y, c, n);
    }

    void conv_backward(lowered_layer& l, bool need_d_in) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        const dsl::window& win = *l.info.slides;
        const auto& in = l.info.in;
        const auto& out = l.info.out;
        const int s = win.stride, d = win.dilation, p = win.pad;
        l.d_acc = Func(l.name + "_d");
        l.d_acc(x, y, c, n) = l.d_out(x, y, c, n);
        if (l.info.kind == dsl::layer_kind::conv) {
            Func dw = gradient_func(l, "weight");
            if (winograd_fits(win, in, out)) {
                l.winograd_dw = winograd_f2x3_weight_gradient(l.name, l.padded, p, l.d_acc, out, batch_, dw);
            } else {
                Var kx("kx"), ky("ky"), ci("ci"), co("co");
                l.r_dw = RDom(0, out.w, 0, out.h, 0, batch_, "r_dw_" + l.name);
                const RDom& r = l.r_dw;
                dw(kx, ky, ci, co) = 0.f;
                dw(kx, ky, ci, co) += l.d_acc(r.x, r.y, co, r.z) *
                                      l.padded(r.x * s + kx * d - p, r.y * s + ky * d - p, ci, r.z);
            }
            l.gradients.push_back({dw, tensor_gradient::form::conv_weight, win.kw});
            if (l.bias.defined()) push_bias_gradient(l);
        }
        if (!need_d_in) return;
        // d_in(ix) = sum_k w(k) d_acc((ix + p - k d) / s) where the division is exact.
        Func d_bounded = zero_outside(l.d_acc, out);
        Func d_spread(l.name + "_d_spread");
        l.d_spread = d_spread;
        if (s == 1) {
            d_spread(x, y, c, n) = d_bounded(x, y, c, n);
        } else {
            d_spread(x, y, c, n) =
                Halide::select(x % s == 0 && y % s == 0, d_bounded(x / s, y / s, c, n), 0.f);
        }
        l.d_in = l.info.index == 0 && stored_.input_gradient_into ? *stored_.input_gradient_into
                                                                  : Func(l.name + "_dx");
        l.d_in_acc = Func(l.name + "_dx_acc");
        if (l.info.kind == dsl::layer_kind::conv && winograd_fits(win, out, in)) {
            // A convolution of d_acc, padded by 2 - p, with the kernel turned
            // half a turn and its channels swapped.
            Var kx("kx"), ky("ky"), ci("ci"), co("co");
            Func turned(l.name + "_w_turned");
            turned(kx, ky, co, ci) = l.weights(2 - kx, 2 - ky, ci, co);
            l.winograd_d_in = winograd_f2x3(l.name + "_dx", turned, d_spread, Func(), 2 - p, out.c, l.d_in_acc, x, y, c, n);
        } else {
            direct_input_gradient(l);
        }
        l.d_in(x, y, c, n) = l.d_in_acc(x, y, c, n);
    }

    // d_in_acc, the input gradient's reduction, as a sum over taps and
    // output channels of d_spread.
    void direct_input_gradient(lowered_layer& l) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        const dsl::window& win = *l.info.slides;
        const auto& out = l.info.out;
        const int s = win.stride, d = win.dilation, p = win.pad;
        l.r_d_in = RDom(0, win.kw, 0, win.kh, 0, out.c, "r_dx_" + l.name);
        const RDom& r = l.r_d_in;
        // Rows of taps that fall in d_spread's zero border add nothing: the
        // predicate trims them from each row's loop.
        const Expr row = y + p - r.y * d;
        l.r_d_in.where(row >= 0 && row <= (out.h - 1) * s);
        l.d_in_acc(x, y, c, n) = 0.f;
        l.d_in_acc(x, y, c, n) += l.weights(r.x, r.y, c, r.z) * l.d_spread(x + p - r.x * d, y + p - r.y * d, r.z, n);
    }

    // A bias's gradient: the sum of d_acc per channel. A batchnorm right
    // after the layer (training mode, batch statistics) subtracts each
    // channel's batch mean, which takes any bias away with it, so there the
    // gradient is exactly zero and is not summed.
    void push_bias_gradient(lowered_layer& l) const {
        const auto& out = l.info.out;
        Func grad = gradient_func(l, "bias");
        const std::size_t next = static_cast<std::size_t>(l.info.index) + 1;
        if (next < layers_.size() && layers_[next].info.kind == dsl::layer_kind::batchnorm) {
            Var c("c"), u("u"), v("v"), w("w");
            grad(c, u, v, w) = 0.f;
        } else {
            channel_sum(grad, l.d_acc, out);
        }
        l.gradients.push_back({grad, tensor_gradient::form::per_channel, out.c});
    }

    // Defines `sum` as the sum over x, y and the batch of f(x, y, c, n), per
    // channel: a four-dimensional gradient Func (c, 1, 1, 1).
    Func channel_sum(Func sum, const Func& f, const dsl::tensor_shape& s) const {
        Var c("c"), u("u"), v("v"), w("w");
        RDom r(0, s.w, 0, s.h, 0, batch_, "r_" + sum.name());
        sum(c, u, v, w) = 0.f;
        sum(c, u, v, w) += f(r.x, r.y, c, r.z);
        return sum;
    }

    // --- dense -------------------------------------------------------------

    void dense_forward(lowered_layer& l, bool has_bias) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        const int in_features = l.info.in.c;
        const int w_off = param_offset(l.info.index, "weight");
        Var i("i"), o("o");
        l.weights = Func(l.name + "_w");
        l.weights(i, o) = params_(w_off + o * in_features + i);
        if (has_bias) {
            const int b_off = param_offset(l.info.index, "bias");
            l.bias = Func(l.name + "_b");
            l.bias(o) = params_(b_off + o);
        }
        l.r = RDom(0, in_features, "r_" + l.name);
        l.acc = output_func(l);
        l.acc(x, y, c, n) = has_bias ? l.bias(c) : Expr(0.f);
        l.acc(x, y, c, n) += l.weights(l.r, c) * l.in(x, y, l.r, n);
        l.out = l.acc;
    }

    void dense_backward(lowered_layer& l, bool need_d_in) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        const int out_features = l.info.out.c;
        l.d_acc = Func(l.name + "_d");
        l.d_acc(x, y, c, n) = l.d_out(x, y, c, n);
        Var i("i"), o("o"), u("u"), w("w");
        RDom rn(0, batch_, "r_dw_" + l.name);
        Func dw = gradient_func(l, "weight");
        dw(i, o, u, w) = 0.f;
        dw(i, o, u, w) += l.d_acc(0, 0, o, rn) * l.in(0, 0, i, rn);
        l.gradients.push_back({dw, tensor_gradient::form::dense_weight, l.info.in.c});
        if (l.bias.defined()) push_bias_gradient(l);
        if (!need_d_in) return;
        RDom ro(0, out_features, "r_dx_" + l.name);
        Func d_in(l.name + "_dx");
        d_in(x, y, c, n) = 0.f;
        d_in(x, y, c, n) += l.weights(c, ro) * l.d_acc(x, y, ro, n);
        l.d_in = d_in;
    }

    // --- pooling and flatten -----------------------------------------------

    void pool_forward(lowered_layer& l) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        const dsl::window& win = *l.info.slides;
        const bool is_max = l.info.kind == dsl::layer_kind::maxpool;
        l.padded = win.pad > 0 ? zero_outside(l.in, l.info.in, is_max ? Expr(-std::numeric_limits<float>::infinity())
                                                                       : Expr(0.f))
                               : l.in;
        l.r = RDom(0, win.kw, 0, win.kh, "r_" + l.name);
        const Expr ix = x * win.stride + l.r.x - win.pad, iy = y * win.stride + l.r.y - win.pad;
        l.acc = output_func(l);
        // Training: where each window's first maximum in row-major order is,
        // as PyTorch picks it, for backward.
        if (is_max && mode_ == mode::training && tiles_exactly(l) && win.kw * win.kh <= 16) {
            // An index from a chain of comparisons, one byte a window.
            Expr best = l.in(x * win.stride, y * win.stride, c, n), index = Halide::cast<uint8_t>(0);
            for (int q = 1; q < win.kw * win.kh; ++q) {
                const Expr value = l.in(x * win.stride + q % win.kw, y * win.stride + q / win.kw, c, n);
                index = Halide::select(value > best, Halide::cast<uint8_t>(q), index);
                best = Halide::max(best, value);
            }
            l.winner = Func(l.name + "_winner");
            l.winner(x, y, c, n) = index;
        } else if (is_max && mode_ == mode::training) {
            l.argmax = Func(l.name + "_argmax");
            l.argmax(x, y, c, n) = Halide::argmax(l.padded(ix, iy, c, n));
        }
        if (is_max) {
            l.acc(x, y, c, n) = Halide::maximum(l.padded(ix, iy, c, n));
        } else {
            l.acc(x, y, c, n) = Halide::sum(l.padded(ix, iy, c, n)) / float(win.kh * win.kw);
        }
        l.out = l.acc;
    }

    // A pooling layer whose windows cover its input exactly once.
    static bool tiles_exactly(const lowered_layer& l) {
        const dsl::window& win = *l.info.slides;
        return win.stride == win.kw && win.stride == win.kh && win.pad == 0 && win.dilation == 1 &&
               l.info.out.w * win.stride == l.info.in.w && l.info.out.h * win.stride == l.info.in.h;
    }

    void pool_backward(lowered_layer& l) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        const dsl::window& win = *l.info.slides;
        const auto& out = l.info.out;
        if (l.info.kind == dsl::layer_kind::global_avgpool) {  // one window: a broadcast, not a search
            l.d_in = Func(l.name + "_dx");
            l.d_in(x, y, c, n) = l.d_out(0, 0, c, n) / float(l.info.in.h * l.info.in.w);
            return;
        }
        const int s = win.stride, p = win.pad;
        if (l.winner.defined()) {
            // Windows that tile the input exactly: each pixel is in one, so
            // the gradient is elementwise (and is computed where it is read).
            const Expr ox = x / s, oy = y / s;
            const Expr chosen = Halide::cast<int>(l.winner(ox, oy, c, n)) == x % s + (y % s) * win.kw;
            l.d_in = Func(l.name + "_dx");
            l.d_in(x, y, c, n) = Halide::select(chosen, l.d_out(ox, oy, c, n), 0.f);
            return;
        }
        // The windows covering input pixel ix are ox in [ceil((ix + p - k + 1) / s), floor((ix + p) / s)]:
        // at most ceil(k / s) of them, counted back from the last.
        const int spread_x = (win.kw + s - 1) / s, spread_y = (win.kh + s - 1) / s;
        RDom j(0, spread_x, 0, spread_y, "r_dx_" + l.name);
        const Expr ox = (x + p) / s - j.x, oy = (y + p) / s - j.y;
        const Expr covers = ox >= 0 && ox < out.w && oy >= 0 && oy < out.h && x + p - ox * s < win.kw &&
                            y + p - oy * s < win.kh;
        const Expr oxc = Halide::clamp(ox, 0, out.w - 1), oyc = Halide::clamp(oy, 0, out.h - 1);
        Expr contribution;
        if (l.info.kind == dsl::layer_kind::maxpool) {
            const Expr chosen = l.argmax(oxc, oyc, c, n)[0] == x + p - oxc * s && l.argmax(oxc, oyc, c, n)[1] == y + p - oyc * s;
            contribution = Halide::select(covers && chosen, l.d_out(oxc, oyc, c, n), 0.f);
        } else {
            contribution = Halide::select(covers, l.d_out(oxc, oyc, c, n), 0.f) / float(win.kh * win.kw);
        }
        Func d_in(l.name + "_dx");
        d_in(x, y, c, n) = 0.f;
        d_in(x, y, c, n) += contribution;
        l.d_in = d_in;
    }

    void flatten_forward(lowered_layer& l) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        const auto& s = l.info.in;
        l.out = Func(l.name);
        l.out(x, y, c, n) = l.in(c % s.w, (c / s.w) % s.h, c / (s.w * s.h), n);
    }

    void flatten_backward(lowered_layer& l) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        const auto& s = l.info.in;
        l.d_in = Func(l.name + "_dx");
        l.d_in(x, y, c, n) = l.d_out(0, 0, (c * s.h + y) * s.w + x, n);
    }

    // --- elementwise -------------------------------------------------------

    void activation_forward(lowered_layer& l, dsl::activation f, double parameter) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        const Expr v = l.in(x, y, c, n);
        const float a = static_cast<float>(parameter);
        Expr e;
        switch (f) {
            case dsl::activation::relu: e = Halide::max(v, 0.f); break;
            case dsl::activation::leaky_relu: e = Halide::select(v > 0.f, v, a * v); break;
            case dsl::activation::tanh: e = Halide::tanh(v); break;
            case dsl::activation::sigmoid: e = 1.f / (1.f + Halide::exp(-v)); break;
            case dsl::activation::elu: e = Halide::select(v > 0.f, v, a * (Halide::exp(v) - 1.f)); break;
        }
        l.out = output_func(l);
        l.out(x, y, c, n) = e;
        activation_[l.info.index] = {f, a};
    }

    // Written in terms of the output, so backward never needs the input kept.
    void activation_backward(lowered_layer& l) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        const auto [f, a] = activation_[l.info.index];
        const Expr o = l.out(x, y, c, n), g = l.d_out(x, y, c, n);
        Expr d;
        switch (f) {
            case dsl::activation::relu: d = Halide::select(o > 0.f, g, 0.f); break;
            case dsl::activation::leaky_relu: d = Halide::select(o > 0.f, g, a * g); break;
            case dsl::activation::tanh: d = g * (1.f - o * o); break;
            case dsl::activation::sigmoid: d = g * o * (1.f - o); break;
            case dsl::activation::elu: d = Halide::select(o > 0.f, g, g * (o + a)); break;
        }
        l.d_in = Func(l.name + "_dx");
        l.d_in(x, y, c, n) = d;
    }

    void batchnorm_forward(lowered_layer& l) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        const int idx = l.info.index;
        const int g_off = param_offset(idx, "weight"), b_off = param_offset(idx, "bias");
        const float eps = batchnorm_eps_[idx];
        const auto& s = l.info.in;
        l.weights = Func(l.name + "_gamma");
        l.weights(c) = params_(g_off + c);
        l.bias = Func(l.name + "_beta");
        l.bias(c) = params_(b_off + c);
        l.mean = Func(l.name + "_mean");
        l.inv_std = Func(l.name + "_inv_std");
        if (mode_ == mode::training && stored_.state_is_batch_statistics) {
            const auto [mean_at, var_at] = batchnorm_state(idx);
            l.mean(c) = state_(mean_at + c);
            l.batch_var = Func(l.name + "_batch_var");
            l.batch_var(c) = state_(var_at + c);
            l.inv_std(c) = 1.f / Halide::sqrt(l.batch_var(c) + eps);
        } else if (mode_ == mode::training) {
            l.r = RDom(0, s.w, 0, s.h, 0, batch_, "r_" + l.name);
            const Expr m = Halide::cast<float>(batch_ * s.h * s.w);
            Func sum(l.name + "_sum"), sq(l.name + "_sqdev");
            sum(c) = 0.f;
            sum(c) += l.in(l.r.x, l.r.y, c, l.r.z);
            l.mean(c) = sum(c) / m;
            // Two passes: the squared deviation from the mean, not E[x^2] - E[x]^2.
            sq(c) = 0.f;
            sq(c) += Halide::pow(l.in(l.r.x, l.r.y, c, l.r.z) - l.mean(c), 2);
            l.batch_var = Func(l.name + "_batch_var");
            l.batch_var(c) = sq(c) / m;
            l.inv_std(c) = 1.f / Halide::sqrt(l.batch_var(c) + eps);
            l.channel_sums = {sum, sq};
        } else {
            const auto [mean_at, var_at] = batchnorm_state(idx);
            l.mean(c) = state_(mean_at + c);
            l.inv_std(c) = 1.f / Halide::sqrt(state_(var_at + c) + eps);
        }
        l.out = output_func(l);
        l.out(x, y, c, n) = (l.in(x, y, c, n) - l.mean(c)) * (l.inv_std(c) * l.weights(c)) + l.bias(c);
    }

    void batchnorm_backward(lowered_layer& l, bool need_d_in) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        const auto& s = l.info.in;
        const Expr m = Halide::cast<float>(batch_ * s.h * s.w);
        Func xhat(l.name + "_xhat");
        xhat(x, y, c, n) = (l.in(x, y, c, n) - l.mean(c)) * l.inv_std(c);
        // Both gradients' sums in one pass over the batch, which reads
        // d_out (the activation's mask over the next layer's gradient) once.
        Func sums(l.name + "_gradient_sums");
        const RDom r(0, s.w, 0, s.h, 0, batch_, "r_" + sums.name());
        const Expr dy = l.d_out(r.x, r.y, c, r.z);
        sums(c) = {0.f, 0.f};
        sums(c) = {sums(c)[0] + dy * xhat(r.x, r.y, c, r.z), sums(c)[1] + dy};
        l.channel_sums.push_back(sums);
        Var u("u"), v("v"), w("w");
        Func d_gamma = gradient_func(l, "weight"), d_beta = gradient_func(l, "bias");
        d_gamma(c, u, v, w) = sums(c)[0];
        d_beta(c, u, v, w) = sums(c)[1];
        l.gradients.push_back({d_gamma, tensor_gradient::form::per_channel, s.c});
        l.gradients.push_back({d_beta, tensor_gradient::form::per_channel, s.c});
        if (!need_d_in) return;
        // dx = gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat))
        l.d_in = Func(l.name + "_dx");
        l.d_in(x, y, c, n) = l.weights(c) * l.inv_std(c) *
                             (l.d_out(x, y, c, n) - sums(c)[1] / m - xhat(x, y, c, n) * sums(c)[0] / m);
    }

    Expr dropout_keep(const lowered_layer& l, double p) const {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        const double threshold = std::ldexp(p, 32);
        const Expr u = uniform_u32({x, y, c, n}, l.info.index, seed_);
        return u >= Halide::cast<uint32_t>(Expr(static_cast<uint32_t>(std::min(threshold, 4294967295.0))));
    }

    void dropout_forward(lowered_layer& l, double p) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        l.out = output_func(l);
        if (mode_ == mode::training && p > 0) {
            dropout_p_[l.info.index] = p;
            l.out(x, y, c, n) = Halide::select(dropout_keep(l, p), l.in(x, y, c, n) * float(1 / (1 - p)), 0.f);
        } else {
            l.out(x, y, c, n) = l.in(x, y, c, n);
        }
    }

    void dropout_backward(lowered_layer& l) {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        const double p = dropout_p_[l.info.index];
        l.d_in = Func(l.name + "_dx");
        if (p > 0)
            l.d_in(x, y, c, n) = Halide::select(dropout_keep(l, p), l.d_out(x, y, c, n) * float(1 / (1 - p)), 0.f);
        else
            l.d_in(x, y, c, n) = l.d_out(x, y, c, n);
    }

    void backward_layer(lowered_layer& l, bool need_d_in) {
        using dsl::layer_kind;
        switch (l.info.kind) {
            case layer_kind::conv:
            case layer_kind::fixed_conv: conv_backward(l, need_d_in); break;
            case layer_kind::dense: dense_backward(l, need_d_in); break;
            case layer_kind::maxpool:
            case layer_kind::avgpool:
            case layer_kind::global_avgpool:
                if (need_d_in) pool_backward(l);
                break;
            case layer_kind::flatten: flatten_backward(l); break;
            case layer_kind::activation: activation_backward(l); break;
            case layer_kind::batchnorm: batchnorm_backward(l, need_d_in); break;
            case layer_kind::dropout: dropout_backward(l); break;
            case layer_kind::softmax_xent: break;
        }
    }

    mode mode_;
    dims v_;
    Func params_, state_;
    Expr batch_, seed_;
    storage stored_;
    std::vector<lowered_layer> layers_;
    std::map<int, float> batchnorm_eps_;
    std::map<int, double> batchnorm_momentum_;
    std::map<int, double> dropout_p_;
    std::map<int, std::pair<dsl::activation, float>> activation_;
};

}  // namespace typenet::gen
