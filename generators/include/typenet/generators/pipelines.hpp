// The three Halide generators built for every network:
//   infer           inference mode (dropout off, batchnorm on running statistics):
//                   the network's output and, with a loss head, loss and correct count
//   train_forward   training mode: loss, correct count, batchnorm's updated
//                   running statistics, and what backward reads: the
//                   activations and batchnorm's batch statistics
//   train_backward  the gradient of the loss for every parameter
// A network without a loss head takes the gradient of an outside loss with
// respect to its output (d_output) instead of labels, and also returns the
// gradient with respect to its input (d_input), to chain further back.
//
// Training is two pipelines, not one, because in one pipeline every forward
// activation lives until its use at the far end of backward, and Halide 14's
// lowering (fork_async_producers) then takes time cubic in the depth (47 s
// for a 40-layer chain's training against 2 s for its inference).
//
// Every channel count and spatial size is a constant of the generated code;
// only the batch size is a run-time extent.
#pragma once

#include <Halide.h>

#include <algorithm>
#include <memory>
#include <typenet/dsl.hpp>

#include "lowering.hpp"
#include "schedule.hpp"

namespace typenet::gen {

template <class Net>
struct network_constants {
    static constexpr Net net{};
    static constexpr dsl::tensor_shape input = dsl::input_shape(net);
    static constexpr int params = static_cast<int>(dsl::total_count(dsl::parameter_layout(net)));
    // Buffers are never empty, so a network without batchnorm still has one state element.
    static constexpr int state = std::max<int>(1, static_cast<int>(dsl::total_count(dsl::buffer_layout(net))));
    static constexpr bool has_loss = network_lowering<Net>::has_loss_head();
    // Sizes of the output and input arrays; never zero (a placeholder stands in).
    static constexpr std::size_t activations = std::max<std::size_t>(1, dsl::training_activations(net).size());
    static constexpr std::size_t gradient_outputs = std::max<std::size_t>(1, dsl::parameter_layout(net).size());
    static constexpr std::size_t new_state_outputs = std::max<std::size_t>(1, dsl::buffer_layout(net).size());
};

// A batch of maps of `shape` is dense NCHW, as the runtime passes it: with
// every stride a constant, an address is arithmetic on constants, and a
// vector along channels of 1x1 maps is a dense load instead of a gather.
template <class Param>
void dense_nchw(Param&& p, dsl::tensor_shape shape) {
    p.dim(1).set_stride(shape.w).dim(2).set_stride(shape.w * shape.h).dim(3).set_stride(shape.w * shape.h * shape.c);
}

// Shapes every buffer of a pipeline must have, so a wrong buffer is refused
// by the generated code's own checks as well as by the C++ wrapper.
template <class Net, class In, class Params, class State>
void constrain_inputs(In& input, Params& params, State& state) {
    using k = network_constants<Net>;
    input.dim(0).set_bounds(0, k::input.w).dim(1).set_bounds(0, k::input.h).dim(2).set_bounds(0, k::input.c);
    input.dim(3).set_min(0);
    dense_nchw(input, k::input);
    params.dim(0).set_bounds(0, std::max(1, k::params));
    state.dim(0).set_bounds(0, k::state);
}

template <class Out, class In>
void constrain_like_output(Out&& out, const In& input, dsl::tensor_shape shape) {
    out.dim(0).set_bounds(0, shape.w).dim(1).set_bounds(0, shape.h).dim(2).set_bounds(0, shape.c);
    out.dim(3).set_bounds(0, input.dim(3).extent());
    dense_nchw(out, shape);
}

template <class Net>
class infer_pipeline : public Halide::Generator<infer_pipeline<Net>> {
public:
    Halide::GeneratorInput<Halide::Buffer<float, 4>> input{"input"};
    Halide::GeneratorInput<Halide::Buffer<int32_t, 1>> labels{"labels"};
    Halide::GeneratorInput<Halide::Buffer<float, 1>> params{"params"};
    Halide::GeneratorInput<Halide::Buffer<float, 1>> state{"state"};
    Halide::GeneratorOutput<Halide::Buffer<float, 4>> output{"output"};
    Halide::GeneratorOutput<Halide::Buffer<float, 0>> loss{"loss"};
    Halide::GeneratorOutput<Halide::Buffer<int32_t, 0>> correct{"correct"};

    void generate() {
        using k = network_constants<Net>;
        // The last layer's output is defined in `output` where its lowering
        // allows, so the scores are not copied.
        const int last = static_cast<int>(Net::depth) - (k::has_loss ? 2 : 1);
        const auto define_into = [this, last](int layer) -> std::optional<Func> {
            if (layer == last) return Func(output);
            return std::nullopt;
        };
        lowering_ = std::make_unique<network_lowering<Net>>(mode::inference, Func(input), Func(params), Func(state),
                                                            input.dim(3).extent(), Expr(0),
                                                            typename network_lowering<Net>::storage{define_into, {}, {}, {}});
        const dims& v = lowering_->vars();
        if (!Func(output).defined()) output(v.x, v.y, v.c, v.n) = lowering_->output()(v.x, v.y, v.c, v.n);
        if constexpr (k::has_loss) {
            auto terms = lowering_->softmax_xent(Func(labels));
            loss() = terms.loss();
            correct() = terms.correct();
            labels.dim(0).set_bounds(0, input.dim(3).extent());
        } else {
            loss() = 0.f;
            correct() = 0;
        }
        constrain_inputs<Net>(input, params, state);
        constrain_like_output(output, input, dsl::output_shape(k::net));
        schedule_forward(*lowering_, this->get_target());
    }

private:
    std::unique_ptr<network_lowering<Net>> lowering_;
};

// Training, forward: loss, correct count, batchnorm's new running
// statistics (one output per tensor of buffer_layout), and the layer outputs
// backward needs (one output per entry of dsl::training_activations).
template <class Net>
class train_forward_pipeline : public Halide::Generator<train_forward_pipeline<Net>> {
    using k = network_constants<Net>;

public:
    Halide::GeneratorInput<Halide::Buffer<float, 4>> input{"input"};
    Halide::GeneratorInput<Halide::Buffer<int32_t, 1>> labels{"labels"};
    Halide::GeneratorInput<Halide::Buffer<float, 1>> params{"params"};
    Halide::GeneratorInput<Halide::Buffer<float, 1>> state{"state"};
    Halide::GeneratorInput<uint32_t> seed{"seed"};
    Halide::GeneratorOutput<Halide::Buffer<float, 0>> loss{"loss"};
    Halide::GeneratorOutput<Halide::Buffer<int32_t, 0>> correct{"correct"};
    Halide::GeneratorOutput<Halide::Buffer<float, 1>[k::new_state_outputs]> new_state{"new_state"};
    Halide::GeneratorOutput<Halide::Buffer<float, 4>[k::activations]> activations{"activations"};
    // Batchnorm's batch mean and biased variance, in buffer_layout's order,
    // which backward reads instead of summing the batch again.
    Halide::GeneratorOutput<Halide::Buffer<float, 1>> batch_statistics{"batch_statistics"};

    void generate() {
        constexpr auto stored = dsl::training_activations(k::net);
        const auto define_into = [this, stored](int layer) -> std::optional<Func> {
            for (std::size_t i = 0; i < stored.size(); ++i)
                if (stored[i].layer == layer) return activations[i];
            return std::nullopt;
        };
        lowering_ = std::make_unique<network_lowering<Net>>(mode::training, Func(input), Func(params), Func(state),
                                                            input.dim(3).extent(), seed,
                                                            typename network_lowering<Net>::storage{define_into, {}, {}, {}});
        const dims& v = lowering_->vars();
        if constexpr (k::has_loss) {
            auto terms = lowering_->softmax_xent(Func(labels));
            loss() = terms.loss();
            correct() = terms.correct();
            labels.dim(0).set_bounds(0, input.dim(3).extent());
        } else {
            loss() = 0.f;
            correct() = 0;
        }
        const auto statistics = lowering_->new_state_outputs();
        for (std::size_t i = 0; i < statistics.size(); ++i) new_state[i](v.c) = statistics[i](v.c);
        if (statistics.empty()) new_state[0](v.c) = 0.f;  // a placeholder: no batchnorm
        batch_statistics(v.c) = lowering_->batch_statistics()(v.c);
        batch_statistics.dim(0).set_bounds(0, k::state);
        for (std::size_t i = 0; i < stored.size(); ++i)
            constrain_like_output(activations[i].output_buffer(), input, stored[i].shape);
        if (stored.empty()) activations[0](v.x, v.y, v.c, v.n) = 0.f;
        constrain_inputs<Net>(input, params, state);
        schedule_forward(*lowering_, this->get_target());
    }

private:
    std::unique_ptr<network_lowering<Net>> lowering_;
};

// Training, backward: from the stored activations, the gradient of the loss
// for every parameter (one output per tensor of parameter_layout, in reverse
// order, each four-dimensional, PyTorch's dimensions innermost first) and,
// for a network without a loss head, for its input.
//
// The reverse order: Halide realizes stages depth-first from each output in
// turn, so with the last layer's gradients first each layer's intermediate
// gradient is freed right after its consumers instead of at the end, which
// shortens generation (34 s to 28 s for a 40-layer chain). Generation still
// grows with the square of the depth: Halide 14 walks every stage's bounds
// for each stage.
template <class Net>
class train_backward_pipeline : public Halide::Generator<train_backward_pipeline<Net>> {
    using k = network_constants<Net>;

public:
    Halide::GeneratorInput<Halide::Buffer<float, 4>> input{"input"};
    Halide::GeneratorInput<Halide::Buffer<int32_t, 1>> labels{"labels"};
    Halide::GeneratorInput<Halide::Buffer<float, 4>> d_output{"d_output"};
    Halide::GeneratorInput<Halide::Buffer<float, 1>> params{"params"};
    Halide::GeneratorInput<uint32_t> seed{"seed"};
    Halide::GeneratorInput<Halide::Buffer<float, 4>[k::activations]> activations{"activations"};
    Halide::GeneratorInput<Halide::Buffer<float, 1>> batch_statistics{"batch_statistics"};  // the forward's
    Halide::GeneratorOutput<Halide::Buffer<float, 4>[k::gradient_outputs]> gradients{"gradients"};
    Halide::GeneratorOutput<Halide::Buffer<float, 4>> d_input{"d_input"};

    void generate() {
        constexpr auto stored = dsl::training_activations(k::net);
        const auto read_stored = [this, stored](int layer) -> std::optional<Func> {
            for (std::size_t i = 0; i < stored.size(); ++i)
                if (stored[i].layer == layer) return Func(activations[i]);
            return std::nullopt;
        };
        lowering_ = std::make_unique<network_lowering<Net>>(mode::training, Func(input), Func(params),
                                                            Func(batch_statistics),
                                                            input.dim(3).extent(), seed,
                                                            typename network_lowering<Net>::storage{
                                                                {}, read_stored,
                                                                [this](std::size_t i) {
                                                                    return gradients[k::gradient_outputs - 1 - i];
                                                                },
                                                                k::has_loss ? std::nullopt : std::optional<Func>(d_input),
                                                                /*state_is_batch_statistics=*/true});
        const dims& v = lowering_->vars();
        Func scores_gradient;
        if constexpr (k::has_loss) {
            scores_gradient = lowering_->softmax_xent(Func(labels)).d_scores;
            labels.dim(0).set_bounds(0, input.dim(3).extent());
        } else {
            // A Func of its own, so a schedule may store it like any other gradient.
            scores_gradient = Func("d_output_in");
            scores_gradient(v.x, v.y, v.c, v.n) = d_output(v.x, v.y, v.c, v.n);
            constrain_like_output(d_output, input, dsl::output_shape(k::net));
        }
        Func input_gradient = lowering_->backward(scores_gradient, !k::has_loss);
        if constexpr (k::has_loss) {
            d_input(v.x, v.y, v.c, v.n) = 0.f;  // a placeholder: only networks without a loss head return it
            for (int d = 0; d < 4; ++d) d_input.dim(d).set_bounds(0, 1);
        } else {
            // Unless the lowering defined it (a first conv's input gradient).
            if (!Func(d_input).defined()) d_input(v.x, v.y, v.c, v.n) = input_gradient(v.x, v.y, v.c, v.n);
            constrain_like_output(d_input, input, k::input);
        }
        constexpr auto& tensors = dsl::parameter_layout(k::net);
        if (tensors.empty()) gradients[0](v.x, v.y, v.c, v.n) = 0.f;  // a placeholder: nothing to train
        for (std::size_t t = 0; t < tensors.size(); ++t) {
            // PyTorch's dimensions innermost first, the rest of extent 1.
            Halide::OutputImageParam out = gradients[k::gradient_outputs - 1 - t].output_buffer();
            for (int d = 0; d < 4; ++d)
                out.dim(d).set_bounds(0, d < tensors[t].rank ? tensors[t].dims[tensors[t].rank - 1 - d] : 1);
        }
        input.dim(0).set_bounds(0, k::input.w).dim(1).set_bounds(0, k::input.h).dim(2).set_bounds(0, k::input.c);
        dense_nchw(input, k::input);
        for (std::size_t i = 0; i < stored.size(); ++i) constrain_like_output(activations[i], input, stored[i].shape);
        params.dim(0).set_bounds(0, std::max(1, k::params));
        batch_statistics.dim(0).set_bounds(0, k::state);
        schedule_backward(*lowering_, this->get_target());
    }

private:
    std::unique_ptr<network_lowering<Net>> lowering_;
};

}  // namespace typenet::gen

// Registers the generators "infer", "train_forward" and "train_backward" for one network type.
#define TYPENET_REGISTER_PIPELINES(NETWORK_TYPE)                                               \
    using typenet_infer_pipeline = typenet::gen::infer_pipeline<NETWORK_TYPE>;                \
    using typenet_train_forward_pipeline = typenet::gen::train_forward_pipeline<NETWORK_TYPE>;   \
    using typenet_train_backward_pipeline = typenet::gen::train_backward_pipeline<NETWORK_TYPE>; \
    HALIDE_REGISTER_GENERATOR(typenet_infer_pipeline, infer)                                  \
    HALIDE_REGISTER_GENERATOR(typenet_train_forward_pipeline, train_forward)                  \
    HALIDE_REGISTER_GENERATOR(typenet_train_backward_pipeline, train_backward)
