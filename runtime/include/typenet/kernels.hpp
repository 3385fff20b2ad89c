// The C++ face of a generated network library: typed, checked calls into
// the Halide pipelines that typenet_add_network() generates.
//
//   using kernels = typenet::network_kernels<decltype(net), net_pipelines>;   // (generated)
//   kernels::forward(images, batch, params, state, scores);
//   auto [loss, correct] = kernels::train_step(images, labels, batch, params, state, grads, seed);
//
// Every buffer is a flat span: images NCHW, parameters and gradients in the
// dsl's parameter_layout, batchnorm statistics in its buffer_layout. A size
// that does not match the network is refused with std::invalid_argument
// before any pipeline runs.
#pragma once

#include <HalideBuffer.h>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <typenet/dsl.hpp>
#include <vector>

#include "cpu_target.hpp"

namespace typenet {

using infer_function = int (*)(halide_buffer_t* input, halide_buffer_t* labels, halide_buffer_t* params,
                               halide_buffer_t* state, halide_buffer_t* output, halide_buffer_t* loss,
                               halide_buffer_t* correct);
using train_function = int (*)(halide_buffer_t* input, halide_buffer_t* labels, halide_buffer_t* d_output,
                               halide_buffer_t* params, halide_buffer_t* state, uint32_t seed,
                               halide_buffer_t* loss, halide_buffer_t* correct, halide_buffer_t* gradients,
                               halide_buffer_t* new_state);

// One build of a pipeline for one CPU target.
template <class Function>
struct pipeline_variant {
    cpu_target target;
    Function function;
};

struct step_result {
    float loss = 0;   // mean over the batch
    int correct = 0;  // predictions equal to their label
};

namespace detail {
inline void require_batch(std::size_t batch) {
    if (batch == 0) throw std::invalid_argument("typenet: the batch size must be at least 1, but it is 0");
    if (batch > 0x7fffffff) throw std::invalid_argument("typenet: a batch of " + std::to_string(batch) + " is too large");
}
inline void require_size(std::string_view what, std::size_t actual, std::size_t expected, std::string_view why) {
    if (actual != expected)
        throw std::invalid_argument("typenet: got " + std::to_string(actual) + " values for " + std::string(what) +
                                    ", but " + std::string(why) + " needs " + std::to_string(expected));
}
inline std::string shape_words(std::size_t batch, dsl::tensor_shape s) {
    return "a batch of " + std::to_string(batch) + " x " + std::to_string(s.c) + "x" + std::to_string(s.h) + "x" +
           std::to_string(s.w);
}
}  // namespace detail

// Pipelines: a class with static arrays `infer` and `train_step` of
// pipeline_variant, one per CPU target built (typenet_add_network writes it).
template <class Net, class Pipelines>
class network_kernels {
public:
    using network_type = Net;
    static constexpr Net network{};
    static constexpr dsl::tensor_shape input_shape = dsl::input_shape(network);
    static constexpr dsl::tensor_shape output_shape = dsl::output_shape(network);
    static constexpr std::size_t parameter_count = dsl::total_count(dsl::parameter_layout(network));
    static constexpr std::size_t state_count = dsl::total_count(dsl::buffer_layout(network));
    static constexpr bool has_loss_head =
        Net::depth > 0 && dsl::layers(network)[Net::depth - 1].kind == dsl::layer_kind::softmax_xent;
    static constexpr int classes = output_shape.c;

    // The network's output (class scores before the loss head) in inference mode.
    static void forward(std::span<const float> input, std::size_t batch, std::span<const float> params,
                        std::span<const float> state, std::span<float> output) {
        check_common(input, batch, params, state.size());
        detail::require_size("the output", output.size(), batch * output_shape.size(),
                             detail::shape_words(batch, output_shape));
        std::vector<std::int32_t> no_labels(batch, 0);
        run_infer(input, no_labels, batch, params, state, output.data());
    }

    // Loss and correct predictions in inference mode.
    static step_result evaluate(std::span<const float> input, std::span<const std::int32_t> labels,
                                std::size_t batch, std::span<const float> params, std::span<const float> state)
        requires has_loss_head
    {
        check_common(input, batch, params, state.size());
        check_labels(labels, batch);
        std::vector<float> scores(batch * output_shape.size());
        return run_infer(input, labels, batch, params, state, scores.data());
    }

    // One training step: loss and correct count, the gradient of the mean
    // loss for every parameter, and batchnorm's running statistics updated
    // in place. Dropout masks follow from `seed`.
    static step_result train_step(std::span<const float> input, std::span<const std::int32_t> labels,
                                  std::size_t batch, std::span<const float> params, std::span<float> state,
                                  std::span<float> gradients, std::uint32_t seed)
        requires has_loss_head
    {
        check_common(input, batch, params, state.size());
        check_labels(labels, batch);
        check_gradients(gradients);
        float dummy = 0;
        return run_train(input, labels, {&dummy, 1}, batch, params, state, gradients, seed, false);
    }

    // For a network without a loss head: gradients of an outside loss whose
    // gradient with respect to the network's output is `d_output`.
    static void backward(std::span<const float> input, std::span<const float> d_output, std::size_t batch,
                         std::span<const float> params, std::span<float> state, std::span<float> gradients,
                         std::uint32_t seed)
        requires(!has_loss_head)
    {
        check_common(input, batch, params, state.size());
        detail::require_size("d_output", d_output.size(), batch * output_shape.size(),
                             detail::shape_words(batch, output_shape));
        check_gradients(gradients);
        std::vector<std::int32_t> no_labels(1, 0);
        run_train(input, no_labels, d_output, batch, params, state, gradients, seed, true);
    }

private:
    static void check_common(std::span<const float> input, std::size_t batch, std::span<const float> params,
                             std::size_t state_size) {
        detail::require_batch(batch);
        detail::require_size("the input", input.size(), batch * input_shape.size(),
                             detail::shape_words(batch, input_shape));
        detail::require_size("the parameters", params.size(), parameter_count, "this network");
        detail::require_size("the batchnorm state", state_size, state_count, "this network");
    }
    static void check_labels(std::span<const std::int32_t> labels, std::size_t batch) {
        detail::require_size("the labels", labels.size(), batch, "a batch of " + std::to_string(batch));
        for (std::size_t i = 0; i < labels.size(); ++i)
            if (labels[i] < 0 || labels[i] >= classes)
                throw std::invalid_argument("typenet: label " + std::to_string(labels[i]) + " at position " +
                                            std::to_string(i) + " is outside [0, " + std::to_string(classes) + ")");
    }
    static void check_gradients(std::span<float> gradients) {
        detail::require_size("the gradients", gradients.size(), parameter_count, "this network");
    }

    template <class Function, std::size_t N>
    static Function pick(const pipeline_variant<Function> (&variants)[N]) {
        cpu_target built[N];
        for (std::size_t i = 0; i < N; ++i) built[i] = variants[i].target;
        const cpu_target chosen = choose_cpu_target(built);
        for (const auto& v : variants)
            if (v.target == chosen) return v.function;
        return variants[N - 1].function;
    }

    using const_buffer = Halide::Runtime::Buffer<const float>;
    using buffer = Halide::Runtime::Buffer<float>;

    static const_buffer images(std::span<const float> data, std::size_t batch, dsl::tensor_shape s) {
        return const_buffer(data.data(), s.w, s.h, s.c, static_cast<int>(batch));
    }
    // Pipelines take buffers of at least one element; an empty span becomes one zero.
    static const_buffer flat(std::span<const float> data, float& fallback) {
        if (data.empty()) return const_buffer(&fallback, 1);
        return const_buffer(data.data(), static_cast<int>(data.size()));
    }
    static buffer flat(std::span<float> data, float& fallback) {
        if (data.empty()) return buffer(&fallback, 1);
        return buffer(data.data(), static_cast<int>(data.size()));
    }

    static step_result run_infer(std::span<const float> input, std::span<const std::int32_t> labels,
                                 std::size_t batch, std::span<const float> params, std::span<const float> state,
                                 float* output) {
        float no_params = 0, no_state = 0;
        const_buffer in = images(input, batch, input_shape);
        Halide::Runtime::Buffer<const std::int32_t> label_buffer(labels.data(), static_cast<int>(labels.size()));
        const_buffer param_buffer = flat(params, no_params), state_buffer = flat(state, no_state);
        buffer out(output, output_shape.w, output_shape.h, output_shape.c, static_cast<int>(batch));
        step_result result;
        auto loss = buffer::make_scalar(&result.loss);
        auto correct = Halide::Runtime::Buffer<std::int32_t>::make_scalar(&result.correct);
        detail::before_pipeline_call();
        const infer_function infer = pick(Pipelines::infer);
        if (int status = infer(in, label_buffer, param_buffer, state_buffer, out, loss, correct))
            detail::pipeline_failed("inference", status);
        return result;
    }

    static step_result run_train(std::span<const float> input, std::span<const std::int32_t> labels,
                                 std::span<const float> d_output, std::size_t batch, std::span<const float> params,
                                 std::span<float> state, std::span<float> gradients, std::uint32_t seed,
                                 bool d_output_is_image) {
        float no_params = 0, no_state = 0, no_gradients = 0;
        const_buffer in = images(input, batch, input_shape);
        Halide::Runtime::Buffer<const std::int32_t> label_buffer(labels.data(), static_cast<int>(labels.size()));
        const_buffer d_out = d_output_is_image ? images(d_output, batch, output_shape)
                                               : const_buffer(d_output.data(), 1, 1, 1, 1);
        const_buffer param_buffer = flat(params, no_params);
        std::vector<float> old_state(state.begin(), state.end());
        const_buffer state_in = flat(std::span<const float>(old_state), no_state);
        float no_new_state = 0;
        buffer state_out = flat(state, no_new_state);
        buffer grads = flat(gradients, no_gradients);
        step_result result;
        auto loss = buffer::make_scalar(&result.loss);
        auto correct = Halide::Runtime::Buffer<std::int32_t>::make_scalar(&result.correct);
        detail::before_pipeline_call();
        const train_function train = pick(Pipelines::train_step);
        if (int status =
                train(in, label_buffer, d_out, param_buffer, state_in, seed, loss, correct, grads, state_out))
            detail::pipeline_failed("training", status);
        return result;
    }
};

}  // namespace typenet
