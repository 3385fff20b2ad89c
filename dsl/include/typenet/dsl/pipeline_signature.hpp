// The arguments of the three pipelines generated for every network, in
// order: declared here once, and read both by the generators (which add
// their Inputs and Outputs in this order) and by the runtime (which passes
// its buffers in this order). A Halide pipeline takes its inputs, then its
// outputs.
//
//   infer           inference mode (dropout off, batchnorm on running
//                   statistics): the output and, with a loss head, loss and
//                   correct count
//   train_forward   training mode: loss, correct count, batchnorm's new
//                   running statistics, and what backward reads: the stored
//                   values (training_activations) and the batch statistics
//   train_backward  the gradient of the loss for every parameter and, for a
//                   network without a loss head, for its input
//
// The training pipelines are built per segment (training_segments.hpp):
// each takes the arguments below for its own nodes only. A segment's
// `input` is the value it reads (the previous segment's stored output),
// `d_output` the gradient of the value it hands on (from the next
// segment's `d_input`), and `loss` and `correct` are its own only where it
// ends with the loss head.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

#include "training_segments.hpp"

namespace typenet::dsl {

enum class pipeline_argument {
    input,               // images, NCHW (the batch is the run-time extent)
    labels,              // one int32 per image; a placeholder without a loss head
    d_output,            // the outside loss's gradient w.r.t. the output (without a loss head)
    params,              // the flat parameter buffer (parameter_layout)
    state,               // running statistics (buffer_layout)
    seed,                // uint32: dropout's masks
    stored,              // one buffer per training_activations entry
    batch_statistics,    // batchnorm's batch mean and biased variance, laid out like `state`
                         // (a training forward writes its segment's range only)
    output,              // the network's output (class scores before a loss head)
    loss,                // float, mean over the batch
    correct,             // int32, predictions equal to their label
    new_state,           // one buffer per buffer_layout tensor: the running statistics after the step
    gradients,           // one buffer per parameter_layout tensor, the last tensor first
    d_input,             // the gradient w.r.t. the input (without a loss head)
};

struct pipeline_signature {
    std::string_view name;
    std::span<const pipeline_argument> inputs, outputs;
};

namespace detail {
using enum pipeline_argument;
inline constexpr pipeline_argument infer_inputs[] = {input, labels, params, state};
inline constexpr pipeline_argument infer_outputs[] = {output, loss, correct};
inline constexpr pipeline_argument train_forward_inputs[] = {input, labels, params, state, seed};
inline constexpr pipeline_argument train_forward_outputs[] = {loss, correct, new_state, stored, batch_statistics};
inline constexpr pipeline_argument train_backward_inputs[] = {input,  labels, d_output,        params,
                                                              seed,   stored, batch_statistics};
inline constexpr pipeline_argument train_backward_outputs[] = {gradients, d_input};
}  // namespace detail

inline constexpr pipeline_signature infer_signature{"infer", detail::infer_inputs, detail::infer_outputs};
inline constexpr pipeline_signature train_forward_signature{"train_forward", detail::train_forward_inputs,
                                                            detail::train_forward_outputs};
// The gradients come last tensor first: Halide realizes stages depth-first
// from each output in turn, so with the last layer's gradients first each
// layer's intermediate gradient is freed right after its consumers instead
// of at the end, which shortens generation (34 s to 28 s for a 40-layer chain).
inline constexpr pipeline_signature train_backward_signature{"train_backward", detail::train_backward_inputs,
                                                             detail::train_backward_outputs};

// The arguments that are arrays of buffers, one per stored value or tensor.
constexpr bool is_array(pipeline_argument a) {
    return a == pipeline_argument::stored || a == pipeline_argument::new_state || a == pipeline_argument::gradients;
}

// How many buffers an argument is for segment `s`: one per tensor or stored
// value of its own for the arrays, never zero (a placeholder of one element
// stands in for an empty array), one for the rest.
constexpr std::size_t buffer_count(pipeline_argument a, const training_segment& s) {
    const auto at_least_one = [](std::size_t n) { return n == 0 ? std::size_t{1} : n; };
    switch (a) {
        case pipeline_argument::stored: return at_least_one(s.stored_count());
        case pipeline_argument::new_state: return at_least_one(s.state_tensors());
        case pipeline_argument::gradients: return at_least_one(s.tensor_count());
        default: return 1;
    }
}

}  // namespace typenet::dsl
