// The C++ face of a generated network library: typed, checked calls into
// the Halide pipelines that typenet_add_network() generates.
//
//   #include "fashion_net_kernels.hpp"        // generated
//   fashion_net_kernels::forward(images, batch, params, state, scores);
//   auto [loss, correct] = fashion_net_kernels::train_step(images, labels, batch, params, state, grads, seed);
//
// Every buffer is a flat span: images NCHW, parameters and gradients in the
// dsl's parameter_layout, batchnorm statistics in its buffer_layout. A size
// that does not match the network is refused with std::invalid_argument
// before any pipeline runs.
#pragma once

#include <HalideBuffer.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <typenet/dsl.hpp>
#include <vector>

#include "cpu_model.hpp"
#include "cpu_target.hpp"

namespace typenet {

// A generated pipeline's `_argv` entry: inputs then outputs, in the order of
// its dsl::pipeline_signature, array elements in order; buffers as
// halide_buffer_t*, scalars by address.
using pipeline_function = int (*)(void** args);

// One build of a pipeline for one CPU target: the target's default, or a
// variant tuned for one CPU model ("amd-25-1").
struct pipeline_variant {
    cpu_target target;
    pipeline_function function;
    const char* tuned_for = nullptr;
};

// The variant a call runs among `count`: the best target this CPU runs
// (choose_cpu_target), in the build tuned for the CPU model in effect if
// there is one, else that target's default. Records it as the active one.
inline const pipeline_variant& choose_variant(const pipeline_variant* variants, std::size_t count) {
    std::vector<cpu_target> built;
    for (std::size_t i = 0; i < count; ++i) built.push_back(variants[i].target);
    const cpu_target chosen = choose_cpu_target(built);
    const std::string model = cpu_model_in_effect();
    const pipeline_variant* fallback = nullptr;
    for (std::size_t i = 0; i < count; ++i) {
        if (variants[i].target != chosen) continue;
        if (variants[i].tuned_for && model == variants[i].tuned_for) {
            detail::record_variant(variants[i].tuned_for);
            return variants[i];
        }
        if (!variants[i].tuned_for) fallback = &variants[i];
    }
    detail::record_variant(nullptr);
    return *fallback;
}

struct step_result {
    float loss = 0;   // mean over the batch
    int correct = 0;  // predictions equal to their label
};

namespace detail {
// `largest` is the most floats one image's value takes anywhere in the
// network: Halide refuses a buffer of 2 GiB or more (without its
// large_buffers feature), so the batch is refused here first, before any
// allocation or pipeline.
inline void require_batch(std::size_t batch, std::size_t largest) {
    if (batch == 0) throw std::invalid_argument("typenet: the batch size must be at least 1, but it is 0");
    const std::size_t most = 0x7fffffff / (sizeof(float) * largest);
    if (batch > most)
        throw std::invalid_argument("typenet: a batch of " + std::to_string(batch) + " is too large for this network: " +
                                    "its largest value, " + std::to_string(largest) + " floats an image, would pass " +
                                    "Halide's 2 GiB buffer limit; use batches of at most " + std::to_string(most));
}
template <class T>
void require_size(std::string_view what, std::span<T> values, std::size_t expected, std::string_view why) {
    const std::size_t actual = values.size();
    if (values.data() == nullptr && actual != 0)
        throw std::invalid_argument("typenet: " + std::string(what) + " is a null pointer with " + std::to_string(actual) +
                                    " values");
    if (actual != expected)
        throw std::invalid_argument("typenet: got " + std::to_string(actual) + " values for " + std::string(what) +
                                    ", but " + std::string(why) + " needs " + std::to_string(expected));
}
inline std::string shape_words(std::size_t batch, dsl::tensor_shape s) {
    return "a batch of " + std::to_string(batch) + " x " + std::to_string(s.c) + "x" + std::to_string(s.h) + "x" +
           std::to_string(s.w);
}

// Halide buffers for one call, kept alive (and at fixed addresses) until it returns.
class call_arguments {
public:
    explicit call_arguments(std::size_t capacity) { buffers_.reserve(capacity); }

    template <class T>
    void buffer(T* data, std::vector<int> extents) {
        if (buffers_.size() == buffers_.capacity()) throw std::logic_error("typenet: call_arguments capacity");
        using element = std::remove_const_t<T>;
        buffers_.emplace_back(halide_type_of<element>(), const_cast<element*>(data), extents);
        args_.push_back(buffers_.back().raw_buffer());
    }
    // A one-dimensional buffer over elements [min, min + extent) of the
    // array whose element `min` is at `data`.
    void range(float* data, int min, int extent) {
        if (buffers_.size() == buffers_.capacity()) throw std::logic_error("typenet: call_arguments capacity");
        halide_dimension_t dimension(min, extent, 1);
        buffers_.emplace_back(halide_type_of<float>(), data, 1, &dimension);
        args_.push_back(buffers_.back().raw_buffer());
    }
    template <class T>
    void scalar(T* value) {
        args_.push_back(const_cast<std::remove_const_t<T>*>(value));
    }
    void call(const pipeline_variant* variants, std::size_t count, std::string_view name) {
        const pipeline_variant& variant = choose_variant(variants, count);
        before_pipeline_call();
        if (int status = variant.function(args_.data())) pipeline_failed(name, status);
    }

private:
    std::vector<Halide::Runtime::Buffer<void>> buffers_;
    std::vector<void*> args_;
};

// Scratch memory whose pieces all start on 64-byte boundaries. Generated code
// may store whole vectors at a buffer's start, so pipelines are only handed
// memory aligned like this (the caller's flat buffers are copied through it).
class aligned_scratch {
public:
    static constexpr std::size_t alignment = 16;  // floats: 64 bytes

    static constexpr std::size_t round_up(std::size_t n) { return (n + alignment - 1) / alignment * alignment; }

    float* reserve(std::size_t floats) {
        storage_.resize(floats + alignment);
        const auto address = reinterpret_cast<std::uintptr_t>(storage_.data());
        const std::size_t skip = (alignment * sizeof(float) - address % (alignment * sizeof(float))) % (alignment * sizeof(float));
        return storage_.data() + skip / sizeof(float);
    }

private:
    std::vector<float> storage_;
};

inline std::vector<int> image_extents(dsl::tensor_shape s, std::size_t batch) {
    return {s.w, s.h, s.c, static_cast<int>(batch)};
}
// A tensor of the parameter layout as Halide sees it: PyTorch's dimensions
// innermost first, padded to four.
inline std::vector<int> tensor_extents(const dsl::tensor_entry& e) {
    std::vector<int> extents(4, 1);
    for (int d = 0; d < e.rank; ++d) extents[d] = e.dims[e.rank - 1 - d];
    return extents;
}
}  // namespace detail

// Pipelines: a class with static arrays of pipeline_variant, one per CPU
// target built: `infer[target]`, and `train_forward[segment][target]` and
// `train_backward[segment][target]` for each of dsl::training_segments
// (typenet_add_network writes it).
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
    static constexpr auto segments = dsl::training_segments(network);
    static_assert(std::size(Pipelines::train_forward) == segments.size() &&
                      std::size(Pipelines::train_backward) == segments.size(),
                  "typenet: this network's training segments changed since its pipelines were generated: "
                  "re-run cmake so that typenet_add_network builds every segment");

    // The CPU target the next call will run with (and now reports as active).
    static cpu_target selected_target() {
        return choose_variant(Pipelines::infer, std::size(Pipelines::infer)).target;
    }
    // Whether a variant was generated for CPU model `model` ("amd-25-1").
    static bool has_variant_tuned_for(std::string_view model) {
        for (const pipeline_variant& v : Pipelines::infer)
            if (v.tuned_for && model == v.tuned_for) return true;
        return false;
    }
    // The variant the next call will run, as a user reads it ("avx2 tuned for amd-25-1").
    static std::string selected_variant() {
        choose_variant(Pipelines::infer, std::size(Pipelines::infer));
        return active_cpu_variant();
    }

    // The network's output (class scores before the loss head) in inference mode.
    static void forward(std::span<const float> input, std::size_t batch, std::span<const float> params,
                        std::span<const float> state, std::span<float> output) {
        check_common(input, batch, params, state);
        detail::require_size("the output", output, batch * output_shape.size(),
                             detail::shape_words(batch, output_shape));
        std::vector<std::int32_t> no_labels(batch, 0);
        run_infer(input, no_labels, batch, params, state, output.data());
    }

    // Loss and correct predictions in inference mode.
    static step_result evaluate(std::span<const float> input, std::span<const std::int32_t> labels,
                                std::size_t batch, std::span<const float> params, std::span<const float> state)
        requires has_loss_head
    {
        check_common(input, batch, params, state);
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
        check_common(input, batch, params, state);
        check_labels(labels, batch);
        check_gradients(gradients);
        float no_d_output = 0;
        return run_train(input, labels, {&no_d_output, 1}, batch, params, state, gradients, {}, seed);
    }

    // The layers whose outputs a training step keeps between its passes
    // (dsl::training_activations): which train_step_observed copies out.
    static constexpr auto stored_layers = dsl::training_activations(network);
    static constexpr std::size_t stored_size(std::size_t batch) {
        std::size_t n = 0;
        for (const auto& s : stored_layers) n += batch * s.shape.size();
        return n;
    }

    // train_step, also copying out the activations its forward pass kept:
    // for each entry of stored_layers in order, batch x that layer's output
    // (NCHW), back to back (stored_size(batch) values).
    static step_result train_step_observed(std::span<const float> input, std::span<const std::int32_t> labels,
                                           std::size_t batch, std::span<const float> params, std::span<float> state,
                                           std::span<float> gradients, std::uint32_t seed, std::span<float> activations)
        requires has_loss_head
    {
        check_common(input, batch, params, state);
        check_labels(labels, batch);
        check_gradients(gradients);
        detail::require_size("the activations", activations, stored_size(batch), "this network's stored layers");
        float no_d_output = 0;
        return run_train(input, labels, {&no_d_output, 1}, batch, params, state, gradients, {}, seed, activations);
    }

    // For a network without a loss head: the gradients of an outside loss
    // whose gradient with respect to the network's output is `d_output`, for
    // every parameter and for the input (`d_input`, shaped like `input`).
    static void backward(std::span<const float> input, std::span<const float> d_output, std::size_t batch,
                         std::span<const float> params, std::span<float> state, std::span<float> gradients,
                         std::span<float> d_input, std::uint32_t seed)
        requires(!has_loss_head)
    {
        check_common(input, batch, params, state);
        detail::require_size("d_output", d_output, batch * output_shape.size(),
                             detail::shape_words(batch, output_shape));
        detail::require_size("d_input", d_input, batch * input_shape.size(),
                             detail::shape_words(batch, input_shape));
        check_gradients(gradients);
        std::vector<std::int32_t> no_labels(1, 0);
        run_train(input, no_labels, d_output, batch, params, state, gradients, d_input, seed);
    }

private:
    static constexpr auto& param_tensors = dsl::parameter_layout(network);
    static constexpr auto& state_tensors = dsl::buffer_layout(network);
    // The most floats one image takes in any value the pipelines pass along.
    static constexpr std::size_t largest_value = [] {
        std::size_t most = input_shape.size();
        for (const dsl::node_info& n : dsl::nodes(network)) most = std::max(most, std::size_t(n.out.size()));
        return most;
    }();

    static void check_common(std::span<const float> input, std::size_t batch, std::span<const float> params,
                             std::span<const float> state) {
        detail::require_batch(batch, largest_value);
        detail::require_size("the input", input, batch * input_shape.size(),
                             detail::shape_words(batch, input_shape));
        detail::require_size("the parameters", params, parameter_count, "this network");
        detail::require_size("the batchnorm state", state, state_count, "this network");
    }
    static void check_labels(std::span<const std::int32_t> labels, std::size_t batch) {
        detail::require_size("the labels", labels, batch, "a batch of " + std::to_string(batch));
        for (std::size_t i = 0; i < labels.size(); ++i)
            if (labels[i] < 0 || labels[i] >= classes)
                throw std::invalid_argument("typenet: label " + std::to_string(labels[i]) + " at position " +
                                            std::to_string(i) + " is outside [0, " + std::to_string(classes) + ")");
    }
    static void check_gradients(std::span<float> gradients) {
        detail::require_size("the gradients", gradients, parameter_count, "this network");
    }

    // Where each tensor of a layout goes in the aligned workspace, after
    // `start`: every tensor on its own aligned boundary.
    template <std::size_t N>
    static constexpr std::array<std::size_t, N + 1> aligned_slots(const std::array<dsl::tensor_entry, N>& tensors) {
        std::array<std::size_t, N + 1> at{};
        for (std::size_t t = 0; t < N; ++t) at[t + 1] = at[t] + detail::aligned_scratch::round_up(tensors[t].count);
        return at;
    }
    static constexpr auto gradient_slots = aligned_slots(param_tensors);
    static constexpr auto state_slots = aligned_slots(state_tensors);
    static constexpr int statistics_size = std::max<int>(1, int(state_count));

    // Everything one call may pass, by pipeline argument; pass() hands the
    // pipeline the arguments its signature names, in its order, for the
    // segment (or, for inference, the whole network) it runs.
    struct call_data {
        dsl::training_segment segment = dsl::whole_network(network);
        std::size_t batch = 0;
        const float* input = nullptr;     // the segment's input
        std::span<const std::int32_t> labels;
        const float* d_output = nullptr;  // the gradient of the segment's output (without a loss head)
        const float* params = nullptr;
        const float* state = nullptr;
        std::uint32_t seed = 0;
        float* stored = nullptr;          // the stored values, back to back, each aligned
        float* statistics = nullptr;      // batchnorm's batch statistics
        float* output = nullptr;
        step_result* result = nullptr;
        float* new_state = nullptr;       // state_slots of the workspace
        float* gradients = nullptr;       // gradient_slots of the workspace
        float* d_input = nullptr;         // the gradient of the segment's input, where it returns one
        float* placeholder = nullptr;     // one element, for what this network has none of
    };

    // Where stored value k starts in the workspace: each after the last, aligned.
    static std::size_t stored_offset(std::size_t k, std::size_t batch) {
        std::size_t at = 0;
        for (std::size_t j = 0; j < k; ++j) at += detail::aligned_scratch::round_up(batch * stored_layers[j].shape.size());
        return at;
    }

    static void pass(detail::call_arguments& a, dsl::pipeline_argument argument, bool as_output, call_data& d) {
        using enum dsl::pipeline_argument;
        const dsl::training_segment& g = d.segment;
        const std::vector<int> one{1, 1, 1, 1};
        switch (argument) {
            case input: a.buffer(d.input, detail::image_extents(g.in, d.batch)); break;
            case labels: a.buffer(d.labels.data(), {static_cast<int>(d.labels.size())}); break;
            case d_output:
                a.buffer(g.loss_head ? d.placeholder : d.d_output,
                         g.loss_head ? one : detail::image_extents(g.out, d.batch));
                break;
            case params: a.buffer(d.params, {std::max<int>(1, int(parameter_count))}); break;
            case state: a.buffer(d.state, {statistics_size}); break;
            case seed: a.scalar(&d.seed); break;
            case stored:
                for (std::size_t k = g.stored_first; k < g.stored_end; ++k)
                    a.buffer(d.stored + stored_offset(k, d.batch), detail::image_extents(stored_layers[k].shape, d.batch));
                if (g.stored_count() == 0) a.buffer(d.placeholder, one);
                break;
            case batch_statistics:
                // Backward reads them all; a training forward writes its segment's range.
                if (!as_output)
                    a.buffer(d.statistics, {statistics_size});
                else if (g.state_count > 0)
                    a.range(d.statistics + g.state_offset, int(g.state_offset), int(g.state_count));
                else
                    a.buffer(d.placeholder, {1});
                break;
            case output: a.buffer(d.output, detail::image_extents(output_shape, d.batch)); break;
            case loss: a.buffer(&d.result->loss, {}); break;
            case correct: a.buffer(&d.result->correct, {}); break;
            case new_state:
                for (std::size_t t = g.state_first; t < g.state_end; ++t)
                    a.buffer(d.new_state + state_slots[t], {int(state_tensors[t].count)});
                if (g.state_tensors() == 0) a.buffer(d.placeholder, {1});
                break;
            case gradients:
                for (std::size_t t = g.tensor_end; t-- > g.tensor_first;)
                    a.buffer(d.gradients + gradient_slots[t], detail::tensor_extents(param_tensors[t]));
                if (g.tensor_count() == 0) a.buffer(d.placeholder, one);
                break;
            case d_input:
                a.buffer(g.input_gradient ? d.d_input : d.placeholder,
                         g.input_gradient ? detail::image_extents(g.in, d.batch) : one);
                break;
        }
    }

    template <std::size_t Targets>
    static void call(const dsl::pipeline_signature& signature, const pipeline_variant (&variants)[Targets],
                     std::string_view what, call_data& d) {
        std::size_t buffers = 0;
        for (auto list : {signature.inputs, signature.outputs})
            for (dsl::pipeline_argument argument : list) buffers += dsl::buffer_count(argument, d.segment);
        detail::call_arguments a(buffers);
        for (dsl::pipeline_argument argument : signature.inputs) pass(a, argument, false, d);
        for (dsl::pipeline_argument argument : signature.outputs) pass(a, argument, true, d);
        a.call(variants, Targets, what);
    }

    // Which stored value each segment after the first reads as its input.
    static constexpr auto segment_inputs = [] {
        std::array<std::size_t, segments.size()> at{};
        for (std::size_t s = 1; s < segments.size(); ++s) {
            at[s] = stored_layers.size();
            for (std::size_t k = 0; k < stored_layers.size(); ++k)
                if (stored_layers[k].node == segments[s].input_node) at[s] = k;
        }
        return at;
    }();
    static_assert(std::none_of(segment_inputs.begin() + std::min<std::size_t>(1, segments.size()), segment_inputs.end(),
                               [](std::size_t k) { return k == stored_layers.size(); }),
                  "typenet: a training segment reads a value that training does not store");
    // The largest value handed from one segment to the next.
    static constexpr std::size_t largest_boundary = [] {
        std::size_t n = 0;
        for (std::size_t s = 1; s < segments.size(); ++s) n = std::max(n, std::size_t(segments[s].in.size()));
        return n;
    }();

    static step_result run_infer(std::span<const float> input, std::span<const std::int32_t> labels,
                                 std::size_t batch, std::span<const float> params, std::span<const float> state,
                                 float* output) {
        float no_params = 0, no_state = 0, placeholder = 0;
        step_result result;
        call_data d;
        d.batch = batch;
        d.input = input.data();
        d.labels = labels;
        d.params = params.empty() ? &no_params : params.data();
        d.state = state.empty() ? &no_state : state.data();
        d.output = output;
        d.result = &result;
        d.placeholder = &placeholder;
        call(dsl::infer_signature, Pipelines::infer, "inference", d);
        return result;
    }

    // Pipelines write their array outputs (gradients, running statistics)
    // only into the aligned workspace; they are copied into the caller's
    // flat buffers afterwards.
    static step_result run_train(std::span<const float> input, std::span<const std::int32_t> labels,
                                 std::span<const float> d_output, std::size_t batch, std::span<const float> params,
                                 std::span<float> state, std::span<float> gradients, std::span<float> d_input,
                                 std::uint32_t seed, std::span<float> activations_out = {}) {
        using detail::aligned_scratch;
        // Workspace: the stored values backward reads, then the gradients,
        // then the new running statistics, then the batch statistics
        // backward reads (laid out like the running ones), a placeholder
        // element, then two buffers for the gradients handed from one
        // segment's backward to the one before.
        const std::size_t stored_size = stored_offset(stored_layers.size(), batch);
        const std::size_t boundary_size = aligned_scratch::round_up(batch * largest_boundary);
        thread_local aligned_scratch scratch;
        float* workspace = scratch.reserve(stored_size + gradient_slots.back() + state_slots.back() +
                                           aligned_scratch::round_up(statistics_size) + aligned_scratch::alignment +
                                           2 * boundary_size);
        float no_params = 0, no_state = 0;
        step_result result;
        call_data d;
        d.batch = batch;
        d.input = input.data();
        d.labels = labels;
        d.d_output = d_output.data();
        d.params = params.empty() ? &no_params : params.data();
        d.state = state.empty() ? &no_state : state.data();
        d.seed = seed;
        d.stored = workspace;
        d.gradients = workspace + stored_size;
        d.new_state = d.gradients + gradient_slots.back();
        d.statistics = d.new_state + state_slots.back();
        d.placeholder = d.statistics + aligned_scratch::round_up(statistics_size);
        d.result = &result;
        const auto segment_input = [&](std::size_t s) {
            return s == 0 ? input.data() : d.stored + stored_offset(segment_inputs[s], batch);
        };
        float* const handed[2] = {d.placeholder + aligned_scratch::alignment,
                                  d.placeholder + aligned_scratch::alignment + boundary_size};

        // Forward, segment after segment; only the last has the loss.
        step_result no_loss;
        for (std::size_t s = 0; s < segments.size(); ++s) {
            d.segment = segments[s];
            d.input = segment_input(s);
            d.result = s + 1 == segments.size() ? &result : &no_loss;
            call(dsl::train_forward_signature, Pipelines::train_forward[s], "training forward", d);
        }
        if (!activations_out.empty()) {
            const float* from = d.stored;
            float* to = activations_out.data();
            for (const auto& s : stored_layers) {
                std::copy_n(from, batch * s.shape.size(), to);
                from += aligned_scratch::round_up(batch * s.shape.size());
                to += batch * s.shape.size();
            }
        }
        // Backward, the last segment first: segment s writes its input's
        // gradient into handed[s % 2], which segment s - 1 reads.
        for (std::size_t s = segments.size(); s-- > 0;) {
            d.segment = segments[s];
            d.input = segment_input(s);
            d.d_output = s + 1 == segments.size() ? d_output.data() : handed[(s + 1) % 2];
            d.d_input = s == 0 ? d_input.data() : handed[s % 2];
            call(dsl::train_backward_signature, Pipelines::train_backward[s], "training backward", d);
        }

        for (std::size_t t = 0; t < param_tensors.size(); ++t)
            std::copy_n(d.gradients + gradient_slots[t], param_tensors[t].count,
                        gradients.data() + param_tensors[t].offset);
        for (std::size_t t = 0; t < state_tensors.size(); ++t)
            std::copy_n(d.new_state + state_slots[t], state_tensors[t].count, state.data() + state_tensors[t].offset);
        return result;
    }
};

}  // namespace typenet
