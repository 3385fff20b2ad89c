// The tuner: measures, on the machine it runs on, the schedule choices of
// every distinct conv shape of a network and writes the fastest to a
// tuning database (tuning.hpp), which typenet_add_network then generates a
// variant from.
//
// Each conv is measured in a network of its own: the conv on its input
// shape, followed by the activation it is fused with in the real network
// (if any). Both training pipelines of that small network are built by the
// same lowering, fusion and schedules as the generators', JIT-compiled for
// the target the CPU's variant is built for, and run at batch 64. Forward
// times the forward pipeline; the input and weight gradient choices time
// the backward pipeline with the other pass at its default.
//
// The search is guided, not exhaustive: Winograd where it fits the shape,
// register tiles that fit the register file (channel counts dividing the
// map's, at most the accumulators the target has), tiles across channels
// where the channels are whole vectors, the parallel grains, and the
// weight gradient's batch chunks around the rule's. The default is always a
// candidate and keeps its place unless another beats it by more than the
// noise (`margin`).
#pragma once

#include <Halide.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <random>
#include <string>
#include <typenet/cpu_model.hpp>
#include <typenet/dsl.hpp>
#include <vector>

#include "fusion.hpp"
#include "lowering.hpp"
#include "pipelines.hpp"
#include "tuning.hpp"

namespace typenet::gen {

struct tuner_options {
    Halide::Target target;
    std::string target_tag;  // "avx2": the variant the database is for
    int batch = 64;
    double budget_seconds = 600;
    double turn_ms = 60;   // time per turn of a race between a candidate and the default
    // A candidate must beat the default by this fraction (the median ratio
    // of the final race's rounds): the same code raced against itself here
    // came out up to 4% apart in most races, and, when the machine stalled
    // for a turn, 1.5x.
    double margin = 0.05;
};

// The candidates for a forward or input-gradient pass over maps `m` (the
// output, or the input for the gradient) of a conv with key `k`.
inline std::vector<conv_choice> tile_candidates(const conv_key& k, const conv_map& m, bool winograd, int vec,
                                                int accumulators) {
    using path = conv_choice::path;
    using grain = conv_choice::grain;
    std::vector<conv_choice> out{conv_choice{}};
    // Where Winograd's tiles fit, the default is Winograd by images.
    if (winograd)
        for (grain g : {grain::quarters, grain::rows}) out.push_back({path::winograd, 0, 0, g, 0});
    // The largest channel counts dividing the map's that fit beside v vectors.
    const auto channel_counts = [&](int v) {
        std::vector<int> counts;
        for (int t = std::min(accumulators / v, m.c); t >= 1 && counts.size() < 3; --t)
            if (m.c % t == 0) counts.push_back(t);
        return counts;
    };
    const int lanes = narrowest_tile_lanes(m.w, vec);
    for (int v : {1, 2}) {
        if (lanes == 0 || lanes * v > m.w) continue;
        for (int c : channel_counts(v))
            for (grain g : {grain::images, grain::quarters}) out.push_back({path::along_x, v, c, g, 0});
    }
    if (k.groups == 1 && m.c % vec == 0)
        for (grain g : {grain::images, grain::quarters}) out.push_back({path::across_channels, 0, 0, g, 0});
    if (k.groups > 1 && k.stride == 1)
        for (int v : {1, 2})
            for (int c : channel_counts(v)) out.push_back({path::pitched_rows, v, c, grain::automatic, 0});
    return out;
}

// Chunks of more images than the batch holds are the whole batch, which a
// candidate of its own already is.
inline std::vector<conv_choice> weight_gradient_candidates(const conv_key& k, bool winograd, int vec, int batch) {
    using path = conv_choice::path;
    std::vector<conv_choice> out{conv_choice{}};  // Winograd's where it fits
    out.push_back({path::along_x, 0, 0, conv_choice::grain::automatic, 0});
    if (k.groups > 1 && k.stride == 1) out.push_back({path::pitched_rows, 0, 0, conv_choice::grain::automatic, 0});
    const int group_out = k.out.c / k.groups;
    int lanes = vec;
    while (lanes > 8 && group_out % lanes != 0) lanes /= 2;
    if (group_out % lanes == 0) {
        const int chunk = std::max(1, 4096 / (k.out.w * k.out.h));
        int last = 0;
        for (int images : {std::max(1, chunk / 2), chunk, chunk * 2}) {
            images = std::min(images, batch);
            if (images != last) out.push_back({path::channel_vectors, 0, 0, conv_choice::grain::automatic, images});
            last = images;
        }
    }
    return out;
}

// The fastest run of `run`, in milliseconds, over at least 3 runs and
// `ms` milliseconds: on a shared machine other processes only ever add
// time, so the minimum is the steadiest estimate of the code's own.
inline double fastest_ms(const std::function<void()>& run, double ms) {
    double best = 0, spent = 0;
    for (int i = 0; i < 3 || spent < ms; ++i) {
        const auto start = std::chrono::steady_clock::now();
        run();
        const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        spent += t;
        if (i == 0 || t < best) best = t;
    }
    return best;
}

// `a` and `b` timed turn about, `rounds` times each: the machine's pace
// drifts by tens of percent over seconds here (a shared virtual machine),
// so two candidates are compared over the same stretch of time. Returns
// each one's fastest run and the median over the rounds of b's time over
// a's, which one stalled turn cannot move.
struct race_result {
    double a_ms, b_ms, ratio;
};
inline race_result race(const std::function<void()>& a, const std::function<void()>& b, int rounds,
                        double ms_per_turn) {
    b();  // the first run pays for allocations and page faults
    race_result result{0, 0, 0};
    std::vector<double> ratios;
    for (int r = 0; r < rounds; ++r) {
        const double ta = fastest_ms(a, ms_per_turn), tb = fastest_ms(b, ms_per_turn);
        result.a_ms = r == 0 ? ta : std::min(result.a_ms, ta);
        result.b_ms = r == 0 ? tb : std::min(result.b_ms, tb);
        ratios.push_back(tb / ta);
    }
    std::sort(ratios.begin(), ratios.end());
    result.ratio = ratios.size() % 2 ? ratios[ratios.size() / 2]
                                     : (ratios[ratios.size() / 2 - 1] + ratios[ratios.size() / 2]) / 2;
    return result;
}

// The training pipelines of network Sub (one segment, no loss head, no
// batchnorm: a conv and its activation), JIT-compiled with a tuning table,
// on random data.
template <class Sub>
class conv_pipelines {
    static constexpr Sub net{};
    static constexpr auto segments = dsl::training_segments(net);
    static_assert(segments.size() == 1, "typenet: a tuner's conv network is one segment");
    static constexpr dsl::training_segment segment = segments[0];
    static constexpr auto stored_values = dsl::training_activations(net);
    static constexpr auto& layout = dsl::parameter_layout(net);
    static constexpr dsl::tensor_shape in_shape = dsl::input_shape(net), out_shape = dsl::output_shape(net);

public:
    explicit conv_pipelines(int batch)
        : batch_(batch), input_(image(in_shape)), d_output_(image(out_shape)),
          params_(std::max<int>(1, int(dsl::total_count(layout)))), state_(1) {
        std::mt19937 random(1);
        std::uniform_real_distribution<float> uniform(-1.f, 1.f);
        for (Halide::Buffer<float>* b : {&input_, &d_output_, &params_}) b->for_each_value([&](float& v) { v = uniform(random); });
        state_.fill(0.f);
        for (std::size_t s = segment.stored_first; s < segment.stored_end; ++s)
            stored_.push_back(image(stored_values[s].shape));
        for (const dsl::tensor_entry& e : layout) gradients_.emplace_back(tensor_extents(e));
        d_input_ = image(in_shape);
    }

    // One run of the pipeline, compiled; it reads and writes this object's buffers.
    using runner = std::function<void()>;

    // The forward pipeline built with `table`.
    runner forward(const tuning_table& table, const Halide::Target& target) {
        Halide::ImageParam input(Halide::Float(32), 4, "input"), params(Halide::Float(32), 1, "params"),
            state(Halide::Float(32), 1, "state");
        std::vector<Func> stored;
        for (std::size_t s = segment.stored_first; s < segment.stored_end; ++s)
            stored.emplace_back("stored_" + std::to_string(s));
        const auto define_into = [&](int node) -> std::optional<Func> {
            for (std::size_t s = segment.stored_first; s < segment.stored_end; ++s)
                if (stored_values[s].node == node) return stored[s - segment.stored_first];
            return std::nullopt;
        };
        network_lowering<Sub> lowering(segment, mode::training, Func(input), Func(params), Func(state),
                                       input.dim(3).extent(), Expr(0u), storage{define_into, {}, {}, {}}, table,
                                       target.natural_vector_size<float>());
        constrain(input, in_shape);
        schedule_forward(lowering, target);
        std::vector<Func> outputs = stored;
        std::vector<Halide::Buffer<>> buffers(stored_.begin(), stored_.end());
        for (std::size_t s = segment.stored_first; s < segment.stored_end; ++s)
            constrain(stored[s - segment.stored_first].output_buffer(), stored_values[s].shape);
        if (outputs.empty()) {  // nothing stored: the output is what the pipeline computes
            outputs.push_back(lowering.output());
            constrain(outputs.back().output_buffer(), out_shape);
            buffers.emplace_back(image(out_shape));
        }
        input.set(input_);
        params.set(params_);
        state.set(state_);
        return compiled(outputs, buffers, target);
    }

    // The backward pipeline built with `table`, reading the stored values
    // of a forward run with the defaults.
    runner backward(const tuning_table& table, const Halide::Target& target) {
        if (!forward_ran_) {
            forward(tuning_table{}, target)();
            forward_ran_ = true;
        }
        Halide::ImageParam input(Halide::Float(32), 4, "input"), params(Halide::Float(32), 1, "params"),
            statistics(Halide::Float(32), 1, "batch_statistics"), d_output(Halide::Float(32), 4, "d_output");
        std::vector<Halide::ImageParam> stored;
        for (std::size_t s = segment.stored_first; s < segment.stored_end; ++s)
            stored.emplace_back(Halide::Float(32), 4, "stored_" + std::to_string(s));
        const auto read_stored = [&](int node) -> std::optional<Func> {
            for (std::size_t s = segment.stored_first; s < segment.stored_end; ++s)
                if (stored_values[s].node == node) return Func(stored[s - segment.stored_first]);
            return std::nullopt;
        };
        std::vector<Func> gradients;
        for (std::size_t t = 0; t < layout.size(); ++t) gradients.emplace_back("gradient_" + std::to_string(t));
        Func d_input("d_input");
        network_lowering<Sub> lowering(segment, mode::training, Func(input), Func(params), Func(statistics),
                                       input.dim(3).extent(), Expr(0u),
                                       storage{{}, read_stored, [&](std::size_t t) { return gradients[t]; }, d_input,
                                               /*state_is_batch_statistics=*/true},
                                       table, target.natural_vector_size<float>());
        const dims& v = lowering.vars();
        Func d_scores("d_output_in");
        d_scores(v.x, v.y, v.c, v.n) = d_output(v.x, v.y, v.c, v.n);
        Func computed = lowering.backward(d_scores, true);
        if (!d_input.defined()) d_input(v.x, v.y, v.c, v.n) = computed(v.x, v.y, v.c, v.n);
        constrain(input, in_shape);
        constrain(d_output, out_shape);
        for (std::size_t s = segment.stored_first; s < segment.stored_end; ++s)
            constrain(stored[s - segment.stored_first], stored_values[s].shape);
        schedule_backward(lowering, target);
        std::vector<Func> outputs = gradients;
        outputs.push_back(d_input);
        for (std::size_t t = 0; t < layout.size(); ++t) {
            const std::vector<int> extents = tensor_extents(layout[t]);
            for (int d = 0; d < 4; ++d) gradients[t].output_buffer().dim(d).set_bounds(0, extents[std::size_t(d)]);
        }
        constrain(d_input.output_buffer(), in_shape);
        std::vector<Halide::Buffer<>> buffers;
        for (auto& g : gradients_) buffers.emplace_back(g);
        buffers.emplace_back(d_input_);
        input.set(input_);
        params.set(params_);
        statistics.set(state_);
        d_output.set(d_output_);
        for (std::size_t s = 0; s < stored.size(); ++s) stored[s].set(stored_[s]);
        return compiled(outputs, buffers, target);
    }


private:
    // `outputs` JIT-compiled into a run that writes `buffers`.
    static runner compiled(const std::vector<Func>& outputs, std::vector<Halide::Buffer<>> buffers,
                           const Halide::Target& target) {
        Halide::Pipeline pipeline(outputs);
        pipeline.compile_jit(target);
        Halide::Realization realization(buffers);
        return [pipeline, realization, target]() mutable { pipeline.realize(realization, target); };
    }

    Halide::Buffer<float> image(dsl::tensor_shape s) const { return Halide::Buffer<float>(s.w, s.h, s.c, batch_); }

    static std::vector<int> tensor_extents(const dsl::tensor_entry& e) {
        std::vector<int> extents(4, 1);
        for (int d = 0; d < e.rank; ++d) extents[std::size_t(d)] = e.dims[e.rank - 1 - d];
        return extents;
    }

    // Dense NCHW of a known shape, as the generators declare their buffers.
    template <class Param>
    static void constrain(Param&& p, dsl::tensor_shape s) {
        p.dim(0).set_bounds(0, s.w).dim(1).set_bounds(0, s.h).dim(2).set_bounds(0, s.c);
        dense_nchw(p, s);
    }

    int batch_;
    Halide::Buffer<float> input_, d_output_, params_, state_, d_input_;
    std::vector<Halide::Buffer<float>> stored_, gradients_;
    bool forward_ran_ = false;
};

// One conv node's network of its own: the conv on its input shape, and the
// activation that reads it alone, which training fuses with it.
template <class Net, std::size_t I>
constexpr auto conv_alone() {
    constexpr Net net{};
    constexpr dsl::node_info info = dsl::nodes(net)[I];
    constexpr int next = dsl::sole_reader(net, int(I));
    constexpr auto conv = dsl::input<info.in.c, info.in.h, info.in.w> | dsl::node_type<Net, I>{};
    if constexpr (next >= 0 && dsl::nodes(net)[std::size_t(next)].kind == dsl::layer_kind::activation)
        return conv | dsl::node_type<Net, std::size_t(next)>{};
    else
        return conv;
}

template <class Net>
class network_tuner {
    static constexpr Net net{};
    static constexpr std::size_t node_count = dsl::nodes(net).size();

    // One pass of one conv shape to tune: its candidates, and how to build
    // its pipeline with a table.
    struct job {
        conv_key key;
        std::vector<conv_choice> candidates;
        std::function<std::function<void()>(const tuning_table&)> build;
    };

public:
    network_tuner(tuner_options options, tuning_table& table) : options_(std::move(options)), table_(table) {}

    // Two sweeps over the passes. In the first, every pass gets an equal
    // share of what is left of the budget; a pass with candidates left
    // when its share ran out (a big shape early in the network) waits for
    // the second, which shares what the quicker passes left among them.
    // Returns how many passes were tuned.
    std::size_t run() {
        collect(std::make_index_sequence<node_count>{});
        start_ = std::chrono::steady_clock::now();
        std::vector<progress> found(jobs_.size());
        std::vector<std::size_t> unfinished;
        for (std::size_t i = 0; i < jobs_.size(); ++i) {
            const job& j = jobs_[i];
            if (j.key.pass == conv_pass::forward) std::printf("conv %s\n", shape_text(j.key).c_str());
            measure(j, found[i], remaining_seconds() / double(jobs_.size() - i));
            if (found[i].next < j.candidates.size()) {
                std::printf("  %-15s %zu of %zu candidates tried; the rest wait for what the other passes leave\n",
                            pass_names[int(j.key.pass)], found[i].ratios.size() + 1, j.candidates.size());
                std::fflush(stdout);
                unfinished.push_back(i);
            } else {
                decide(j, found[i]);
            }
        }
        if (!unfinished.empty())
            std::printf("second sweep: %zu passes, %.0f s left\n", unfinished.size(), std::max(0.0, remaining_seconds()));
        for (std::size_t k = 0; k < unfinished.size(); ++k) {
            const job& j = jobs_[unfinished[k]];
            std::printf("conv %s\n", shape_text(j.key).c_str());
            measure(j, found[unfinished[k]], remaining_seconds() / double(unfinished.size() - k));
            decide(j, found[unfinished[k]]);
        }
        return jobs_.size();
    }

private:
    // What measuring one pass has found so far: the default's pipeline and
    // the best candidate's, each candidate's time over the default's in
    // their race, and the first candidate not yet tried.
    struct progress {
        std::function<void()> default_run, best_run;
        conv_choice best;
        double best_ratio = 1, default_ms = 0;
        std::vector<std::pair<std::string, double>> ratios;
        std::size_t next = 0;
    };

    static double seconds_since(std::chrono::steady_clock::time_point t) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    }
    double remaining_seconds() const { return options_.budget_seconds - seconds_since(start_); }

    template <std::size_t... I>
    void collect(std::index_sequence<I...>) {
        (collect_node<I>(), ...);
    }

    template <std::size_t I>
    void collect_node() {
        constexpr dsl::node_info info = dsl::nodes(net)[I];
        if constexpr (info.kind == dsl::layer_kind::conv) {
            using Sub = std::remove_cvref_t<decltype(conv_alone<Net, I>())>;
            const dsl::window& w = *info.slides;
            const int groups = dsl::node_type<Net, I>::groups;
            const conv_key forward{conv_pass::forward, {info.in.c, info.in.h, info.in.w},
                                   {info.out.c, info.out.h, info.out.w}, w.kh, w.stride, w.dilation, groups};
            for (const job& j : jobs_)
                if (j.key == forward) return;
            // The real network's backward computes no input gradient for a
            // conv reading the network's input, where it has a loss head.
            constexpr bool has_loss_head =
                dsl::nodes(net)[std::size_t(dsl::output_node(net))].kind == dsl::layer_kind::softmax_xent;
            const bool input_gradient = !(has_loss_head && info.inputs[0] == dsl::network_input);
            auto pipelines = std::make_shared<conv_pipelines<Sub>>(options_.batch);
            const Halide::Target target = options_.target;
            const int vec = target.natural_vector_size<float>();
            const int accumulators = target.has_feature(Halide::Target::AVX512) ? 24 : 12;
            const dsl::window win{w.kh, w.kw, w.stride, 0, w.dilation};
            const bool plain = groups == 1;
            const auto build_forward = [pipelines, target](const tuning_table& t) { return pipelines->forward(t, target); };
            const auto build_backward = [pipelines, target](const tuning_table& t) { return pipelines->backward(t, target); };
            jobs_.push_back({forward,
                             tile_candidates(forward, forward.out, plain && winograd_fits(win, info.in, info.out), vec,
                                             accumulators),
                             build_forward});
            conv_key key = forward;
            if (input_gradient) {
                key.pass = conv_pass::input_gradient;
                jobs_.push_back({key,
                                 tile_candidates(key, key.in, plain && winograd_fits(win, info.out, info.in), vec,
                                                 accumulators),
                                 build_backward});
            }
            key.pass = conv_pass::weight_gradient;
            jobs_.push_back(
                {key, weight_gradient_candidates(key, plain && winograd_fits(win, info.in, info.out), vec, options_.batch),
                 build_backward});
        }
    }

    // The pipeline of pass `j` with choice `c`, JIT-compiled.
    static std::function<void()> build(const job& j, const conv_choice& c) {
        tuning_table trial;
        trial.records.push_back({j.key, c, 0, 0, {}});
        return j.build(trial);
    }

    // Races pass `j`'s untried candidates against the default, each in a
    // race of its own, for at most `seconds` (the default is always built
    // and timed).
    void measure(const job& j, progress& p, double seconds) {
        const auto start = std::chrono::steady_clock::now();
        if (!p.default_run) p.best_run = p.default_run = build(j, conv_choice{});
        for (; p.next < j.candidates.size() && seconds_since(start) <= seconds; ++p.next) {
            const conv_choice& c = j.candidates[p.next];
            if (c.is_default()) continue;
            std::function<void()> run;
            try {
                run = build(j, c);
            } catch (const Halide::Error& e) {
                std::printf("  %s %s: does not compile: %s\n", pass_names[int(j.key.pass)], to_string(c).c_str(),
                            e.what());
                continue;
            }
            const race_result r = race(p.default_run, run, 3, options_.turn_ms);
            p.default_ms = p.default_ms == 0 ? r.a_ms : std::min(p.default_ms, r.a_ms);
            p.ratios.emplace_back(to_string(c), r.ratio);
            if (r.ratio < p.best_ratio) p.best_ratio = r.ratio, p.best = c, p.best_run = run;
        }
    }

    // Races the fastest candidate against the default once more, longer,
    // keeps the default unless it loses by more than the margin, and
    // records the pass.
    void decide(const job& j, progress& p) {
        tuning_record record{j.key, p.best, 0, 0, {}};
        std::size_t untried = 0;
        for (std::size_t i = p.next; i < j.candidates.size(); ++i) untried += !j.candidates[i].is_default();
        double default_ms = p.ratios.empty() ? fastest_ms(p.default_run, options_.turn_ms) : p.default_ms;
        double chosen_ms = default_ms;
        if (!record.choice.is_default()) {
            // The record keeps this race's times, which decided.
            const race_result r = race(p.default_run, p.best_run, 7, 1.5 * options_.turn_ms);
            if (r.ratio > 1 - options_.margin) {
                record.choice = conv_choice{};
                default_ms = chosen_ms = std::min(default_ms, r.a_ms);
            } else {
                default_ms = r.a_ms, chosen_ms = r.a_ms * r.ratio;
            }
        }
        record.default_ms = default_ms;
        record.ms = chosen_ms;
        // Candidates' times as their median ratio to the default in their
        // own race times the default's time: races at different moments are
        // comparable that way, raw times are not.
        record.tried.emplace_back("default", default_ms);
        for (const auto& [name, ratio] : p.ratios) record.tried.emplace_back(name, ratio * default_ms);
        std::printf("  %-15s default %8.3f ms, chosen %-26s %8.3f ms (%zu tried%s, %.0f s so far)\n",
                    pass_names[int(j.key.pass)], record.default_ms, to_string(record.choice).c_str(), record.ms,
                    record.tried.size(),
                    untried ? (", " + std::to_string(untried) + " untried for the budget").c_str() : "",
                    seconds_since(start_));
        std::fflush(stdout);
        auto same = std::find_if(table_.records.begin(), table_.records.end(),
                                 [&](const tuning_record& r) { return r.key == j.key; });
        if (same != table_.records.end())
            *same = record;
        else
            table_.records.push_back(record);
        p.default_run = p.best_run = {};  // their JIT-compiled code freed
    }

    tuner_options options_;
    tuning_table& table_;
    std::vector<job> jobs_;
    std::chrono::steady_clock::time_point start_;
};

// `tools/tune`'s program for network Net (typenet_tune_network builds it):
//   <name>.tune --targets "<halide target>,..." [--out FILE] [--budget SECONDS] [--turn-ms MS]
// tunes for the first target of the list this CPU runs and merges the
// results into FILE (default: <cpu model>.tuning in --dir), replacing the
// records of the shapes it measured.
template <class Net>
int tune_main(int argc, char** argv) {
    std::string targets, out, dir = ".";
    tuner_options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--targets" && has_value) targets = argv[++i];
        else if (arg == "--out" && has_value) out = argv[++i];
        else if (arg == "--dir" && has_value) dir = argv[++i];
        else if (arg == "--budget" && has_value) options.budget_seconds = std::atof(argv[++i]);
        else if (arg == "--turn-ms" && has_value) options.turn_ms = std::max(1.0, std::atof(argv[++i]));
        else {
            std::fprintf(stderr, "usage: %s --targets \"<halide target>,...\" [--dir DIR | --out FILE] "
                                 "[--budget SECONDS] [--turn-ms MS]\n", argv[0]);
            return 2;
        }
    }
    const cpu_model cpu = this_cpu_model();
    const Halide::Target host = Halide::get_host_target();
    std::replace(targets.begin(), targets.end(), ';', ',');
    std::istringstream list(targets);
    for (std::string t; std::getline(list, t, ',');) {
        if (t.empty()) continue;
        const Halide::Target candidate(t);
        bool runs = true;
        for (int f = 0; f < int(Halide::Target::FeatureEnd); ++f)
            runs &= !candidate.has_feature(Halide::Target::Feature(f)) || host.has_feature(Halide::Target::Feature(f));
        if (!runs) continue;
        options.target = candidate;
        options.target_tag = t.find("avx512") != std::string::npos ? "avx512"
                             : t.find("avx2") != std::string::npos ? "avx2"
                             : t.find("sse41") != std::string::npos ? "sse41" : "baseline";
        break;
    }
    if (options.target_tag.empty()) {
        std::fprintf(stderr, "tune: this CPU runs none of the targets \"%s\"\n", targets.c_str());
        return 1;
    }
    if (out.empty()) out = dir + "/" + cpu.key() + ".tuning";
    try {
        tuning_table table;
        if (std::ifstream(out)) {
            table = read_tuning(out);
            if (table.cpu != cpu.key())
                throw std::invalid_argument(out + " is the database of " + table.cpu + ", and this CPU is " + cpu.key() +
                                            ": pass --out <file> for this CPU's own");
        }
        if (!table.targets.empty() && table.targets != std::vector<std::string>{options.target_tag})
            std::printf("tune: %s was measured with %s; its records are now for %s\n", out.c_str(),
                        table.targets[0].c_str(), options.target_tag.c_str());
        table.cpu = cpu.key();
        table.name = cpu.name;
        table.targets = {options.target_tag};
        char date[16];
        const std::time_t now = std::time(nullptr);
        std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
        table.date = date;
        std::printf("tuning for %s (%s), target %s, batch %d, budget %.0f s\n", cpu.key().c_str(), cpu.name.c_str(),
                    options.target_tag.c_str(), options.batch, options.budget_seconds);
        if (network_tuner<Net>(options, table).run() == 0) {
            std::printf("the network has no trained conv to tune; %s is left as it was\n", out.c_str());
            return 0;
        }
        // Written whole, then renamed over the old one: never half a database.
        const std::string temporary = out + ".partial";
        {
            std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
            file << format_tuning(table);
            file.flush();
            if (!file) throw std::runtime_error("cannot write " + temporary);
        }
        if (std::rename(temporary.c_str(), out.c_str()) != 0) throw std::runtime_error("cannot replace " + out);
        std::printf("wrote %s (%zu records)\n", out.c_str(), table.records.size());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tune: %s\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace typenet::gen
