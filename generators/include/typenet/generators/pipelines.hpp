// The three Halide generators built for every network (infer,
// train_forward, train_backward), each adding its Inputs and Outputs in the
// order dsl/pipeline_signature.hpp declares, which the runtime reads too.
// The training generators take a GeneratorParam `segment`: they build that
// segment of dsl::training_segments(net) alone.
//
// Training is two pipelines, not one, because in one pipeline every forward
// activation lives until its use at the far end of backward, and Halide 14's
// lowering (fork_async_producers) then takes time cubic in the depth (47 s
// for a 40-layer chain's training against 2 s for its inference).
//
// Every channel count and spatial size is a constant of the generated code;
// only the batch size is a run-time extent. A GeneratorParam `tuning` names
// a tuning database (tuning.hpp) whose choices the schedules take; without
// it, they take their defaults.
#pragma once

#include <Halide.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <typenet/dsl.hpp>
#include <vector>

#include "fusion.hpp"
#include "lowering.hpp"

namespace typenet::gen {

using dsl::pipeline_argument;

// A batch of maps of `shape` is dense NCHW, as the runtime passes it: with
// every stride a constant, an address is arithmetic on constants, and a
// vector along channels of 1x1 maps is a dense load instead of a gather.
template <class Param>
void dense_nchw(Param&& p, dsl::tensor_shape shape) {
    p.dim(1).set_stride(shape.w).dim(2).set_stride(shape.w * shape.h).dim(3).set_stride(shape.w * shape.h * shape.c);
}

// What every pipeline of network Net shares: its arguments, added in the
// signature's order, and the shapes each buffer must have, so a wrong
// buffer is refused by the generated code's own checks as well as by the
// C++ wrapper.
template <class Net, class Self>
class network_pipeline : public Halide::Generator<Self> {
public:
    Halide::GeneratorParam<std::string> tuning_file{"tuning", ""};

protected:
    using InputBuffer = Halide::GeneratorInput<Halide::Buffer<>>;
    using OutputBuffer = Halide::GeneratorOutput<Halide::Buffer<>>;
    static constexpr Net net{};
    static constexpr auto stored_values = dsl::training_activations(net);
    static constexpr auto segments = dsl::training_segments(net);
    static constexpr auto& param_tensors = dsl::parameter_layout(net);
    // Flat buffers are never empty: a placeholder element stands in.
    static constexpr int param_count = std::max<int>(1, int(dsl::total_count(dsl::parameter_layout(net))));
    static constexpr int state_count = std::max<int>(1, int(dsl::total_count(dsl::buffer_layout(net))));

    // The arguments of `signature` for segment `s` (inference: the whole network).
    void add_arguments(const dsl::pipeline_signature& signature, const dsl::training_segment& s) {
        segment_ = s;
        for (pipeline_argument a : signature.inputs) {
            if (a == pipeline_argument::seed) {
                seed_ = this->template add_input<uint32_t>("seed");
                continue;
            }
            const auto [type, dimensions] = element_of(a);
            for (std::size_t i = 0; i < dsl::buffer_count(a, s); ++i)
                inputs_[a].push_back(this->template add_input<Halide::Buffer<>>(name_of(a, i), type, dimensions));
        }
        for (pipeline_argument a : signature.outputs) {
            const auto [type, dimensions] = element_of(a);
            for (std::size_t i = 0; i < dsl::buffer_count(a, s); ++i)
                outputs_[a].push_back(this->template add_output<Halide::Buffer<>>(name_of(a, i), type, dimensions));
        }
    }

    // Segment number `index` of the network's training pipelines, or a clear error.
    static const dsl::training_segment& training_segment(int index) {
        if (index < 0 || std::size_t(index) >= segments.size())
            throw std::invalid_argument("typenet: this network's training has " + std::to_string(segments.size()) +
                                        " segments, so segment=" + std::to_string(index) + " does not exist");
        return segments[std::size_t(index)];
    }
    const dsl::training_segment& segment() const { return segment_; }
    // Floats per vector of the target generated for (the lowering's vector_lanes).
    int vector_lanes() const { return this->get_target().template natural_vector_size<float>(); }
    // The choices of the database `tuning` names, read once; none without it.
    const tuning_table& tuning() {
        if (!tuning_ && !tuning_file.value().empty()) tuning_ = read_tuning(tuning_file.value());
        if (!tuning_) tuning_.emplace();
        return *tuning_;
    }

    InputBuffer& in(pipeline_argument a, std::size_t i = 0) { return *inputs_.at(a).at(i); }
    OutputBuffer& out(pipeline_argument a, std::size_t i = 0) { return *outputs_.at(a).at(i); }
    Halide::Expr seed_value() const { return seed_ ? Halide::Expr(*seed_) : Halide::Expr(0u); }
    Halide::Expr batch() { return in(pipeline_argument::input).dim(3).extent(); }

    void constrain_input() {
        InputBuffer& input = in(pipeline_argument::input);
        const dsl::tensor_shape shape = segment_.in;
        input.dim(0).set_bounds(0, shape.w).dim(1).set_bounds(0, shape.h).dim(2).set_bounds(0, shape.c);
        input.dim(3).set_min(0);
        dense_nchw(input, shape);
    }
    void constrain_flat(InputBuffer& b, int count) { b.dim(0).set_bounds(0, count); }
    template <class Buffer>
    void constrain_batch_of(Buffer&& b, dsl::tensor_shape shape) {
        b.dim(0).set_bounds(0, shape.w).dim(1).set_bounds(0, shape.h).dim(2).set_bounds(0, shape.c);
        b.dim(3).set_bounds(0, batch());
        dense_nchw(b, shape);
    }

    // Softmax cross-entropy's loss and correct count into the outputs, or
    // zeros without a loss head.
    void define_loss(network_lowering<Net>& lowering) {
        if (segment_.loss_head) {
            auto terms = lowering.softmax_xent(Func(in(pipeline_argument::labels)));
            out(pipeline_argument::loss)() = terms.loss();
            out(pipeline_argument::correct)() = terms.correct();
            in(pipeline_argument::labels).dim(0).set_bounds(0, batch());
        } else {
            out(pipeline_argument::loss)() = 0.f;
            out(pipeline_argument::correct)() = 0;
        }
    }

    // Which of the segment's stored values, if any, node i is.
    std::optional<std::size_t> stored_index(int node) const {
        for (std::size_t s = segment_.stored_first; s < segment_.stored_end; ++s)
            if (stored_values[s].node == node) return s - segment_.stored_first;
        return std::nullopt;
    }
    // Constrains the segment's stored values to their shapes (or defines the
    // placeholder of a segment that stores none).
    template <class Buffers>
    void constrain_stored(Buffers&& buffer) {
        for (std::size_t s = segment_.stored_first; s < segment_.stored_end; ++s)
            constrain_batch_of(buffer(s - segment_.stored_first), stored_values[s].shape);
    }

private:
    static std::pair<Halide::Type, int> element_of(pipeline_argument a) {
        using enum pipeline_argument;
        switch (a) {
            case labels: return {Halide::Int(32), 1};
            case params:
            case state:
            case new_state:
            case batch_statistics: return {Halide::Float(32), 1};
            case loss: return {Halide::Float(32), 0};
            case correct: return {Halide::Int(32), 0};
            default: return {Halide::Float(32), 4};
        }
    }
    static std::string name_of(pipeline_argument a, std::size_t i) {
        constexpr const char* names[] = {"input",  "labels", "d_output",  "params",    "state",     "seed",     "stored",
                                         "batch_statistics", "output", "loss", "correct", "new_state", "gradients",
                                         "d_input"};
        const std::string name = names[static_cast<int>(a)];
        return dsl::is_array(a) ? name + "_" + std::to_string(i) : name;
    }

    dsl::training_segment segment_{};
    std::optional<tuning_table> tuning_;
    std::map<pipeline_argument, std::vector<InputBuffer*>> inputs_;
    std::map<pipeline_argument, std::vector<OutputBuffer*>> outputs_;
    Halide::GeneratorInput<uint32_t>* seed_ = nullptr;
};

template <class Net>
class infer_pipeline : public network_pipeline<Net, infer_pipeline<Net>> {
    using base = network_pipeline<Net, infer_pipeline<Net>>;
    using enum pipeline_argument;

public:
    void configure() { this->add_arguments(dsl::infer_signature, dsl::whole_network(base::net)); }

    void generate() {
        // The scores are defined in `output` where their lowering allows, not copied.
        const int last = network_lowering<Net>::scores_node();
        const auto define_into = [this, last](int node) -> std::optional<Func> {
            if (node == last) return Func(this->out(output));
            return std::nullopt;
        };
        lowering_ = std::make_unique<network_lowering<Net>>(this->segment(), mode::inference, Func(this->in(input)),
                                                            Func(this->in(params)), Func(this->in(state)),
                                                            this->batch(), Expr(0), storage{define_into, {}, {}, {}},
                                                            this->tuning(), this->vector_lanes());
        const dims& v = lowering_->vars();
        Func scores = this->out(output);
        if (!scores.defined()) scores(v.x, v.y, v.c, v.n) = lowering_->output()(v.x, v.y, v.c, v.n);
        this->define_loss(*lowering_);
        this->constrain_input();
        this->constrain_flat(this->in(params), base::param_count);
        this->constrain_flat(this->in(state), base::state_count);
        this->constrain_batch_of(this->out(output), dsl::output_shape(base::net));
        schedule_forward(*lowering_, this->get_target());
    }

private:
    std::unique_ptr<network_lowering<Net>> lowering_;
};

// Training, forward: loss, correct count, batchnorm's new running
// statistics, the stored values backward reads, and batchnorm's batch mean
// and biased variance (laid out like the running statistics), which
// backward reads instead of summing the batch again.
template <class Net>
class train_forward_pipeline : public network_pipeline<Net, train_forward_pipeline<Net>> {
    using base = network_pipeline<Net, train_forward_pipeline<Net>>;
    using enum pipeline_argument;

public:
    Halide::GeneratorParam<int> segment_index{"segment", 0};

    void configure() {
        this->add_arguments(dsl::train_forward_signature, base::training_segment(segment_index));
    }

    void generate() {
        const dsl::training_segment& segment = this->segment();
        const auto define_into = [this](int node) -> std::optional<Func> {
            if (auto s = this->stored_index(node)) return Func(this->out(stored, *s));
            return std::nullopt;
        };
        lowering_ = std::make_unique<network_lowering<Net>>(segment, mode::training, Func(this->in(input)),
                                                            Func(this->in(params)), Func(this->in(state)),
                                                            this->batch(), this->seed_value(),
                                                            storage{define_into, {}, {}, {}}, this->tuning(),
                                                            this->vector_lanes());
        const dims& v = lowering_->vars();
        this->define_loss(*lowering_);
        const auto statistics = lowering_->new_state_outputs();
        for (std::size_t i = 0; i < statistics.size(); ++i) this->out(new_state, i)(v.c) = statistics[i](v.c);
        if (statistics.empty()) this->out(new_state)(v.c) = 0.f;  // a placeholder: no batchnorm
        // The segment's range of the flat statistics (a placeholder element without batchnorm).
        this->out(batch_statistics)(v.c) = lowering_->batch_statistics()(v.c);
        if (segment.state_count > 0)
            this->out(batch_statistics).dim(0).set_bounds(int(segment.state_offset), int(segment.state_count));
        else
            this->out(batch_statistics).dim(0).set_bounds(0, 1);
        this->constrain_stored([this](std::size_t i) -> auto& { return this->out(stored, i); });
        if (segment.stored_count() == 0) this->out(stored)(v.x, v.y, v.c, v.n) = 0.f;
        this->constrain_input();
        this->constrain_flat(this->in(params), base::param_count);
        this->constrain_flat(this->in(state), base::state_count);
        schedule_forward(*lowering_, this->get_target());
    }

private:
    std::unique_ptr<network_lowering<Net>> lowering_;
};

// Training, backward: from the stored values, the gradient of the loss for
// every parameter (one output per tensor of parameter_layout, the last
// first, each four-dimensional, PyTorch's dimensions innermost first) and,
// for a network without a loss head, for its input.
template <class Net>
class train_backward_pipeline : public network_pipeline<Net, train_backward_pipeline<Net>> {
    using base = network_pipeline<Net, train_backward_pipeline<Net>>;
    using enum pipeline_argument;

public:
    Halide::GeneratorParam<int> segment_index{"segment", 0};

    void configure() {
        this->add_arguments(dsl::train_backward_signature, base::training_segment(segment_index));
    }

    void generate() {
        const dsl::training_segment& segment = this->segment();
        const auto read_stored = [this](int node) -> std::optional<Func> {
            if (auto s = this->stored_index(node)) return Func(this->in(stored, *s));
            return std::nullopt;
        };
        // The segment's tensors are its array of gradients, the last first.
        const auto gradient_into = [this, &segment](std::size_t t) {
            return Func(this->out(gradients, segment.tensor_end - 1 - t));
        };
        const std::optional<Func> input_gradient_into =
            segment.input_gradient ? std::optional<Func>(Func(this->out(d_input))) : std::nullopt;
        lowering_ = std::make_unique<network_lowering<Net>>(
            segment, mode::training, Func(this->in(input)), Func(this->in(params)), Func(this->in(batch_statistics)),
            this->batch(), this->seed_value(),
            storage{{}, read_stored, gradient_into, input_gradient_into, /*state_is_batch_statistics=*/true},
            this->tuning(), this->vector_lanes());
        const dims& v = lowering_->vars();
        Func scores_gradient;
        if (segment.loss_head) {
            scores_gradient = lowering_->softmax_xent(Func(this->in(labels))).d_scores;
            this->in(labels).dim(0).set_bounds(0, this->batch());
        } else {
            // A Func of its own, so a schedule may store it like any other gradient.
            scores_gradient = Func("d_output_in");
            scores_gradient(v.x, v.y, v.c, v.n) = this->in(d_output)(v.x, v.y, v.c, v.n);
            this->constrain_batch_of(this->in(d_output), segment.out);
        }
        Func input_gradient = lowering_->backward(scores_gradient, segment.input_gradient);
        Func d_in = this->out(d_input);
        if (!segment.input_gradient) {
            d_in(v.x, v.y, v.c, v.n) = 0.f;  // a placeholder: the network's input gradient is asked without a loss head
            for (int d = 0; d < 4; ++d) this->out(d_input).dim(d).set_bounds(0, 1);
        } else {
            // Unless the lowering defined it (a conv reading the input alone).
            if (!d_in.defined()) d_in(v.x, v.y, v.c, v.n) = input_gradient(v.x, v.y, v.c, v.n);
            this->constrain_batch_of(this->out(d_input), segment.in);
        }
        // A placeholder where the segment trains nothing.
        if (segment.tensor_count() == 0) this->out(gradients)(v.x, v.y, v.c, v.n) = 0.f;
        for (std::size_t t = segment.tensor_first; t < segment.tensor_end; ++t) {
            // PyTorch's dimensions innermost first, the rest of extent 1.
            const dsl::tensor_entry& e = base::param_tensors[t];
            auto& g = this->out(gradients, segment.tensor_end - 1 - t);
            for (int d = 0; d < 4; ++d) g.dim(d).set_bounds(0, d < e.rank ? e.dims[e.rank - 1 - d] : 1);
        }
        this->constrain_input();
        this->constrain_stored([this](std::size_t i) -> auto& { return this->in(stored, i); });
        this->constrain_flat(this->in(params), base::param_count);
        this->constrain_flat(this->in(batch_statistics), base::state_count);
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
