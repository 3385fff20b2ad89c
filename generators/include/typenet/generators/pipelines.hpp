// The two Halide generators built for every network:
//   infer       inference mode (dropout off, batchnorm on running statistics):
//               the network's output and, with a loss head, loss and correct count
//   train_step  training mode: loss, correct count, the gradient of the loss
//               for every parameter (flat, in parameter_layout's order) and
//               batchnorm's updated running statistics (flat, buffer_layout's order)
// A network without a loss head takes the gradient of an outside loss with
// respect to its output (d_output) instead of labels.
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
};

// Shapes every buffer of a pipeline must have, so a wrong buffer is refused
// by the generated code's own checks as well as by the C++ wrapper.
template <class Net, class In, class Params, class State>
void constrain_inputs(In& input, Params& params, State& state) {
    using k = network_constants<Net>;
    input.dim(0).set_bounds(0, k::input.w).dim(1).set_bounds(0, k::input.h).dim(2).set_bounds(0, k::input.c);
    input.dim(3).set_min(0);
    params.dim(0).set_bounds(0, std::max(1, k::params));
    state.dim(0).set_bounds(0, k::state);
}

template <class Out, class In>
void constrain_like_output(Out& out, const In& input, dsl::tensor_shape shape) {
    out.dim(0).set_bounds(0, shape.w).dim(1).set_bounds(0, shape.h).dim(2).set_bounds(0, shape.c);
    out.dim(3).set_bounds(0, input.dim(3).extent());
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
        lowering_ = std::make_unique<network_lowering<Net>>(mode::inference, as_func(input), as_func(params),
                                                            as_func(state), input.dim(3).extent(), Expr(0));
        const dims& v = lowering_->vars();
        output(v.x, v.y, v.c, v.n) = lowering_->output()(v.x, v.y, v.c, v.n);
        if constexpr (k::has_loss) {
            auto terms = lowering_->softmax_xent(as_func(labels));
            loss() = terms.loss();
            correct() = terms.correct();
            labels.dim(0).set_bounds(0, input.dim(3).extent());
        } else {
            loss() = 0.f;
            correct() = 0;
        }
        constrain_inputs<Net>(input, params, state);
        constrain_like_output(output, input, dsl::output_shape(k::net));
        schedule_network(*lowering_, this->get_target());
    }

private:
    template <class T>
    static Func as_func(T& buffer) {
        return Func(buffer);
    }
    std::unique_ptr<network_lowering<Net>> lowering_;
};

template <class Net>
class train_pipeline : public Halide::Generator<train_pipeline<Net>> {
public:
    Halide::GeneratorInput<Halide::Buffer<float, 4>> input{"input"};
    Halide::GeneratorInput<Halide::Buffer<int32_t, 1>> labels{"labels"};
    Halide::GeneratorInput<Halide::Buffer<float, 4>> d_output{"d_output"};
    Halide::GeneratorInput<Halide::Buffer<float, 1>> params{"params"};
    Halide::GeneratorInput<Halide::Buffer<float, 1>> state{"state"};
    Halide::GeneratorInput<uint32_t> seed{"seed"};
    Halide::GeneratorOutput<Halide::Buffer<float, 0>> loss{"loss"};
    Halide::GeneratorOutput<Halide::Buffer<int32_t, 0>> correct{"correct"};
    Halide::GeneratorOutput<Halide::Buffer<float, 1>> gradients{"gradients"};
    Halide::GeneratorOutput<Halide::Buffer<float, 1>> new_state{"new_state"};

    void generate() {
        using k = network_constants<Net>;
        lowering_ = std::make_unique<network_lowering<Net>>(mode::training, Func(input), Func(params), Func(state),
                                                            input.dim(3).extent(), seed);
        const dims& v = lowering_->vars();
        Func scores_gradient;
        if constexpr (k::has_loss) {
            auto terms = lowering_->softmax_xent(Func(labels));
            loss() = terms.loss();
            correct() = terms.correct();
            scores_gradient = terms.d_scores;
            labels.dim(0).set_bounds(0, input.dim(3).extent());
            for (Func f : {terms.loss, terms.correct}) f.compute_root();
        } else {
            loss() = 0.f;
            correct() = 0;
            scores_gradient = Func(d_output);
            constrain_like_output(d_output, input, dsl::output_shape(k::net));
        }
        lowering_->backward(scores_gradient);
        Var i("i");
        gradients(i) = lowering_->flat_gradients()(i);
        new_state(i) = lowering_->flat_new_state()(i);
        constrain_inputs<Net>(input, params, state);
        gradients.dim(0).set_bounds(0, std::max(1, k::params));
        new_state.dim(0).set_bounds(0, k::state);
        schedule_network(*lowering_, this->get_target());
    }

private:
    std::unique_ptr<network_lowering<Net>> lowering_;
};

}  // namespace typenet::gen

// Registers the generators "infer" and "train_step" for one network type.
#define TYPENET_REGISTER_PIPELINES(NETWORK_TYPE)                                         \
    using typenet_infer_pipeline = typenet::gen::infer_pipeline<NETWORK_TYPE>;          \
    using typenet_train_pipeline = typenet::gen::train_pipeline<NETWORK_TYPE>;          \
    HALIDE_REGISTER_GENERATOR(typenet_infer_pipeline, infer)                            \
    HALIDE_REGISTER_GENERATOR(typenet_train_pipeline, train_step)
