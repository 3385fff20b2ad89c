// Trains a generated network: owns its parameters, batchnorm statistics,
// gradients and optimizer, and runs epochs of shuffled batches through
// Kernels::train_step (dropout on, batchnorm on batch statistics) and
// evaluations through Kernels::forward (dropout off, running statistics).
//
//   typenet::trainer<fashion_net_kernels> t(seed);
//   t.fit(train, test, options);            // epochs, progress, log, checkpoints
//   typenet::evaluation e = t.evaluate(test, norm);
//
// Every random choice (initialization, shuffling, augmentation, dropout) is
// a function of the seed, the epoch and the step, so a run resumed from a
// checkpoint continues exactly as the uninterrupted run would have.
#pragma once

#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <typenet/dsl.hpp>
#include <vector>

#include "checkpoint.hpp"
#include "dataset.hpp"
#include "initializers.hpp"
#include "lr_schedule.hpp"
#include "metrics.hpp"
#include "optimizers.hpp"
#include "parameters.hpp"
#include "progress.hpp"

namespace typenet {

// The loss stopped being a number: training ended, the last good checkpoint stays.
struct training_diverged : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct fit_options {
    int epochs = 15;
    std::size_t batch = 64;
    optimizer_options optim = optimizer_options::named("momentum", 0.05);
    lr_schedule schedule;
    std::uint64_t seed = 1;
    augmentation augment;
    std::optional<normalization> norm;     // measured on the training set when absent
    std::filesystem::path save;            // checkpoint after every epoch, if set
    std::filesystem::path log;             // CSV (.csv) or JSON lines, if set
    int patience = 0;                      // early stopping: epochs without a better test accuracy; 0: off
    std::ostream* out = &std::cout;
    bool interactive = false;              // redraw a progress line (on a terminal)
    std::function<bool(const epoch_record&)> on_epoch;  // after each epoch's save; false stops training
};

struct fit_result {
    int epochs_run = 0;
    double best_test_accuracy = 0;
    evaluation final_test;
    std::vector<epoch_record> history;
};

template <class Kernels>
class trainer {
public:
    static constexpr std::size_t parameter_count = Kernels::parameter_count;
    static constexpr auto& param_layout = dsl::parameter_layout(Kernels::network);
    static constexpr auto& buffer_layout = dsl::buffer_layout(Kernels::network);
    static constexpr auto& nodes = dsl::nodes(Kernels::network);

    explicit trainer(std::uint64_t seed, const init_plan& plan = {})
        : params_(parameter_count), gradients_(parameter_count), buffers_(Kernels::state_count) {
        initialize(params_, param_layout, nodes, plan, seed);
        reset_statistics();
    }

    std::span<float> params() { return params_; }
    std::span<float> buffers() { return buffers_; }
    std::span<const float> gradients() const { return gradients_; }

    // Inference-mode loss, accuracy and confusion matrix over a whole set.
    evaluation evaluate(const image_set& set, normalization norm, std::size_t batch = 256) {
        check_set(set, "evaluation");
        evaluation e(Kernels::classes);
        std::vector<float> images(batch * Kernels::input_shape.size()), scores(batch * Kernels::classes);
        std::vector<std::int32_t> labels(batch);
        std::vector<std::uint32_t> order(set.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = std::uint32_t(i);
        random_stream unused(0);
        for (std::size_t start = 0; start < set.size(); start += batch) {
            const std::size_t n = std::min(batch, set.size() - start);
            const std::span<const std::uint32_t> indices(order.data() + start, n);
            fill_batch(set, indices, norm, {}, unused, std::span(images).first(n * Kernels::input_shape.size()),
                       std::span(labels).first(n));
            Kernels::forward(std::span(images).first(n * Kernels::input_shape.size()), n, params_, buffers_,
                             std::span(scores).first(n * Kernels::classes));
            e.add(std::span(scores).first(n * Kernels::classes), std::span(labels).first(n));
        }
        e.finish();
        return e;
    }

    // Trains for options.epochs epochs (from the epoch a resumed checkpoint
    // reached), evaluating `test` after each.
    fit_result fit(const image_set& train, const image_set& test, const fit_options& options) {
        check_set(train, "training");
        check_set(test, "test");
        if (options.batch == 0) throw std::invalid_argument("typenet: the batch size must be at least 1");
        const normalization norm = options.norm ? *options.norm : measure_normalization(train);
        // The optimizer (and its state) carries on when this is the same
        // optimizer: a resumed run, or fit() called again. The rate comes
        // from `options` at every step either way.
        optimizer_options wanted = options.optim;
        if (optim_) wanted.lr = optim_->options().lr;
        if (!optim_ || optim_->options() != wanted) optim_.emplace(options.optim, parameter_count);
        std::ostream& out = *options.out;
        metrics_log log = options.log.empty() ? metrics_log() : metrics_log(options.log);
        progress_display progress(out, options.interactive);

        const auto steps_per_epoch = std::int64_t((train.size() + options.batch - 1) / options.batch);
        const std::int64_t total_steps = steps_per_epoch * options.epochs;
        const std::size_t image_size = Kernels::input_shape.size();
        std::vector<float> images(options.batch * image_size);
        std::vector<std::int32_t> labels(options.batch);
        fit_result result;
        int stale_epochs = 0;

        for (int epoch = next_epoch_; epoch < options.epochs; ++epoch) {
            const auto started = std::chrono::steady_clock::now();
            const std::vector<std::uint32_t> order = shuffled_order(train.size(), options.seed, std::uint64_t(epoch));
            random_stream augment_random(options.seed, 0xa0a0000ULL + std::uint64_t(epoch));
            progress.start_epoch(epoch + 1, options.epochs, steps_per_epoch);
            double loss_sum = 0, lr = options.optim.lr;
            std::int64_t correct = 0, seen = 0;
            for (std::int64_t b = 0; b < steps_per_epoch; ++b) {
                const std::size_t start = std::size_t(b) * options.batch;
                const std::size_t n = std::min(options.batch, train.size() - start);
                const std::int64_t step = std::int64_t(epoch) * steps_per_epoch + b;
                fill_batch(train, std::span(order).subspan(start, n), norm, options.augment, augment_random,
                           std::span(images).first(n * image_size), std::span(labels).first(n));
                const auto r =
                    Kernels::train_step(std::span(images).first(n * image_size), std::span(labels).first(n), n,
                                        params_, buffers_, gradients_, dropout_seed(options.seed, step));
                if (!std::isfinite(r.loss)) diverged(options, epoch, b, r.loss, lr);
                lr = options.schedule.at(options.optim.lr, step, total_steps, steps_per_epoch);
                optim_->step(params_, gradients_, lr);
                ++batches_tracked_;
                loss_sum += double(r.loss) * double(n);
                correct += r.correct;
                seen += std::int64_t(n);
                progress.batch_done(b + 1, seen, loss_sum, correct);
            }
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            evaluation tested = evaluate(test, norm);
            epoch_record record{epoch + 1, lr, loss_sum / double(seen), double(correct) / double(seen),
                                tested.loss, tested.accuracy(), seconds, double(seen) / seconds};
            if (!std::isfinite(tested.loss)) diverged(options, epoch, steps_per_epoch, tested.loss, lr);
            progress.end_epoch(record);
            log.write(record);
            result.history.push_back(record);
            next_epoch_ = epoch + 1;
            if (!options.save.empty()) save(options.save, options, norm);
            result.final_test = std::move(tested);
            result.epochs_run = next_epoch_;
            if (options.on_epoch && !options.on_epoch(record)) break;
            if (record.test_accuracy > result.best_test_accuracy) {
                result.best_test_accuracy = record.test_accuracy;
                stale_epochs = 0;
            } else if (options.patience > 0 && ++stale_epochs >= options.patience) {
                out << "early stop: no better test accuracy for " << options.patience << " epochs\n";
                break;
            }
        }
        return result;
    }

    // Writes parameters, statistics, optimizer state and the run's settings.
    void save(const std::filesystem::path& path, const fit_options& options, normalization norm) {
        checkpoint_metadata meta{{"epoch", std::to_string(next_epoch_)},
                                 {"seed", std::to_string(options.seed)},
                                 {"lr", std::to_string(options.optim.lr)},
                                 {"batch", std::to_string(options.batch)},
                                 {"schedule", std::string(schedule_name(options.schedule.kind))},
                                 {"normalization_mean", std::to_string(norm.mean)},
                                 {"normalization_std", std::to_string(norm.stddev)},
                                 {"parameters", std::to_string(parameter_count)}};
        training_state_view view = state_view();
        save_checkpoint(path, view, std::move(meta));
    }

    // Restores a checkpoint; with `optim` the run resumes after the epoch it
    // was saved at, with that optimizer state. Returns its metadata.
    checkpoint_metadata load(const std::filesystem::path& path, const optimizer_options* optim = nullptr) {
        if (optim) optim_.emplace(*optim, parameter_count);
        else optim_.reset();
        training_state_view view = state_view();
        checkpoint_metadata meta = load_checkpoint(path, view);
        batches_tracked_ = view.batches_tracked;
        next_epoch_ = optim ? int(count_in(meta, "epoch").value_or(0)) : 0;
        return meta;
    }

    int next_epoch() const { return next_epoch_; }

private:
    void reset_statistics() {
        for (const dsl::tensor_entry& e : buffer_layout)
            std::fill_n(buffers_.begin() + std::ptrdiff_t(e.offset), e.count,
                        e.name.view().ends_with(".running_var") ? 1.0f : 0.0f);
    }
    training_state_view state_view() {
        return {params_, param_layout, buffers_, buffer_layout, optim_ ? &*optim_ : nullptr, batches_tracked_};
    }
    static std::uint32_t dropout_seed(std::uint64_t seed, std::int64_t step) {
        random_stream r(seed, 0xd0d0000ULL + std::uint64_t(step));
        return static_cast<std::uint32_t>(r.next());
    }
    static void check_set(const image_set& set, const char* what) {
        if (set.size() == 0) throw std::invalid_argument(std::string("typenet: the ") + what + " set is empty");
        if (set.shape != Kernels::input_shape)
            throw std::invalid_argument(std::string("typenet: the ") + what + " images are " +
                                        std::string(dsl::shape_text(set.shape).view()) + " but the network takes " +
                                        std::string(dsl::shape_text(Kernels::input_shape).view()));
    }
    [[noreturn]] void diverged(const fit_options& options, int epoch, std::int64_t batch, float loss, double lr) {
        const std::string value = std::isnan(loss) ? "NaN" : std::isinf(loss) ? "infinite" : std::to_string(loss);
        std::string message = "typenet: the loss became " + value + " at epoch " +
                              std::to_string(epoch + 1) + ", batch " + std::to_string(batch + 1) +
                              " (learning rate " + std::to_string(lr) + "); training stopped. ";
        message += options.save.empty() ? "No checkpoint was being written."
                   : next_epoch_ > 0
                       ? "The last good checkpoint, " + options.save.string() + " (after epoch " +
                             std::to_string(next_epoch_) + "), is unchanged."
                       : "No epoch had finished, so no checkpoint was written.";
        message += " Try a lower --lr.";
        throw training_diverged(message);
    }

    aligned_floats params_, gradients_, buffers_;
    std::optional<optimizer> optim_;
    std::int64_t batches_tracked_ = 0;
    int next_epoch_ = 0;
};

}  // namespace typenet
