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
//
// Data-parallel over a communicator's ranks (typenet::mpi_world()): every
// rank holds the whole network; each global batch is split into one
// contiguous shard a rank, whose gradient (of the shard's mean loss, scaled
// by its share of the batch) is summed over the ranks in one allreduce, so
// every rank takes the same optimizer step as one process would on the
// whole batch. Batchnorm normalizes each shard by its own statistics
// (PyTorch DDP's default); the running statistics are averaged over the
// ranks in the same allreduce, after every step, so every rank always holds
// the same ones (for evaluation, checkpoints, a resume at any step). Rank 0
// alone prints, logs and writes checkpoints; evaluations are split over the
// ranks.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <span>
#include <stdexcept>
#include <string>
#include <typenet/dsl.hpp>
#include <utility>
#include <vector>

#include "checkpoint.hpp"
#include "communicator.hpp"
#include "dataset.hpp"
#include "initializers.hpp"
#include "kernels.hpp"
#include "lr_schedule.hpp"
#include "metrics.hpp"
#include "optimizers.hpp"
#include "parameters.hpp"
#include "progress.hpp"

namespace typenet {

// The loss stopped being a number: training ended, the last good checkpoint
// stays. Every rank sees the same summed loss, so every rank throws it.
struct training_diverged : collective_error {
    using collective_error::collective_error;
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
    std::int64_t save_every = 0;           // and every this many batches inside an epoch; 0: at epochs' ends only
    std::filesystem::path log;             // CSV (.csv) or JSON lines, if set
    int patience = 0;                      // early stopping: epochs without a better test accuracy; 0: off
    // Stop after this many batches in all, counted from the run's start (0:
    // no limit), saving there as at an epoch's end: a run in parts, each
    // resumed from the last one's checkpoint, trains as the whole run would.
    std::int64_t stop_after_batches = 0;
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

    // Every rank of `ranks` constructs its trainer alike; rank 0's initial
    // parameters are then every rank's.
    explicit trainer(std::uint64_t seed, const init_plan& plan = {}, communicator& ranks = one_process())
        : ranks_(&ranks),
          params_(parameter_count),
          buffers_(Kernels::state_count),
          allreduced_(parameter_count + step_sums + Kernels::state_count) {
        initialize(params_, param_layout, nodes, plan, seed);
        reset_statistics();
        if (ranks.size() > 1) {
            agree(ranks, {{"network", network_text()},
                          {"parameter count", std::to_string(parameter_count)},
                          {"seed", std::to_string(seed)}});
            ranks.broadcast(params_);
        }
    }

    std::span<float> params() { return params_; }
    std::span<float> buffers() { return buffers_; }
    std::span<const float> gradients() const { return std::span(allreduced_).first(parameter_count); }

    // Inference-mode loss, accuracy and confusion matrix over a whole set
    // (each rank evaluates its share; the counts are summed).
    evaluation evaluate(const image_set& set, normalization norm, std::size_t batch = 256) {
        check_set(set, "evaluation");
        evaluation e(Kernels::classes);
        std::vector<float> images(batch * Kernels::input_shape.size()), scores(batch * Kernels::classes);
        std::vector<std::int32_t> labels(batch);
        const std::size_t first = share_start(set.size(), ranks_->rank()), last = share_start(set.size(), ranks_->rank() + 1);
        std::vector<std::uint32_t> order(last - first);
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = std::uint32_t(first + i);
        random_stream unused(0);
        for (std::size_t start = 0; start < order.size(); start += batch) {
            const std::size_t n = std::min(batch, order.size() - start);
            const std::span<const std::uint32_t> indices(order.data() + start, n);
            fill_batch(set, indices, norm, {}, unused, std::span(images).first(n * Kernels::input_shape.size()),
                       std::span(labels).first(n));
            Kernels::forward(std::span(images).first(n * Kernels::input_shape.size()), n, params_, buffers_,
                             std::span(scores).first(n * Kernels::classes));
            e.add(std::span(scores).first(n * Kernels::classes), std::span(labels).first(n));
        }
        if (ranks_->size() == 1) {
            e.finish();
            return e;
        }
        std::vector<double> sums = e.sums();
        ranks_->sum(sums);
        return evaluation::from_sums(Kernels::classes, sums);
    }

    // Trains for options.epochs epochs (from where a resumed checkpoint
    // stopped), evaluating `test` after each.
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
        if (ranks_->size() > 1) agree(*ranks_, run_facts(train, test, options, norm));
        std::ostream discard(nullptr);
        std::ostream& out = ranks_->is_root() ? *options.out : discard;
        metrics_log log;
        if (!options.log.empty()) rank_0_alone([&] { log = metrics_log(options.log); });
        progress_display progress(out, options.interactive && ranks_->is_root());

        const auto steps_per_epoch = std::int64_t((train.size() + options.batch - 1) / options.batch);
        const std::int64_t total_steps = steps_per_epoch * options.epochs;
        check_resume_point(options, steps_per_epoch, out);
        std::vector<float> images(options.batch * Kernels::input_shape.size());
        std::vector<std::int32_t> labels(options.batch);
        fit_result result;
        int stale_epochs = 0;

        for (int epoch = next_epoch_; epoch < options.epochs; ++epoch) {
            const auto started = std::chrono::steady_clock::now();
            const std::vector<std::uint32_t> order = shuffled_order(train.size(), options.seed, std::uint64_t(epoch));
            progress.start_epoch(epoch + 1, options.epochs, steps_per_epoch);
            double lr = options.optim.lr;
            const std::int64_t resumed_images = epoch_.images;
            for (std::int64_t b = next_batch_; b < steps_per_epoch; ++b) {
                const std::size_t start = std::size_t(b) * options.batch;
                const std::size_t n = std::min(options.batch, train.size() - start);
                const std::int64_t step = std::int64_t(epoch) * steps_per_epoch + b;
                const step_result r = global_step(train, std::span(order).subspan(start, n), start, norm, options,
                                                  epoch, step, images, labels);
                if (!std::isfinite(r.loss)) diverged(options, epoch, b, r.loss, lr);
                lr = options.schedule.at(options.optim.lr, step, total_steps, steps_per_epoch);
                optim_->step(params_, gradients(), lr);
                ++batches_tracked_;
                epoch_.loss_sum += double(r.loss) * double(n);
                epoch_.correct += r.correct;
                epoch_.images += std::int64_t(n);
                progress.batch_done(b + 1, epoch_.images, epoch_.loss_sum, epoch_.correct);
                const bool stop = step + 1 == options.stop_after_batches;
                if (b + 1 < steps_per_epoch && !options.save.empty() &&
                    (stop || (options.save_every > 0 && (b + 1) % options.save_every == 0))) {
                    next_batch_ = b + 1;
                    save(options.save, options, norm);
                }
                if (stop && b + 1 < steps_per_epoch) {
                    next_batch_ = b + 1;
                    return result;
                }
            }
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            evaluation tested = evaluate(test, norm);
            const double seen = double(epoch_.images);
            epoch_record record{epoch + 1,         lr,
                                epoch_.loss_sum / seen, double(epoch_.correct) / seen,
                                tested.loss,       tested.accuracy(),
                                seconds,           double(epoch_.images - resumed_images) / seconds,
                                std::exchange(allreduce_seconds_, 0.0)};
            if (!std::isfinite(tested.loss)) diverged(options, epoch, steps_per_epoch, tested.loss, lr);
            progress.end_epoch(record);
            rank_0_alone([&] { log.write(record); });
            result.history.push_back(record);
            next_epoch_ = epoch + 1;
            next_batch_ = 0;
            epoch_ = {};
            resynchronize(out);
            if (!options.save.empty()) save(options.save, options, norm);
            result.final_test = std::move(tested);
            result.epochs_run = next_epoch_;
            bool go_on = true;
            if (options.on_epoch) rank_0_alone([&] { go_on = options.on_epoch(record); });
            if (!root_says(go_on)) break;
            if (options.stop_after_batches > 0 && next_epoch_ * steps_per_epoch >= options.stop_after_batches) break;
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

    // Writes parameters, statistics, optimizer state, the run's settings and
    // where in it training stands: rank 0 writes, every rank learns whether it could.
    void save(const std::filesystem::path& path, const fit_options& options, normalization norm) {
        rank_0_alone([&] { write_checkpoint(path, options, norm); });
        saved_ = {path, position()};
    }

    // Restores a checkpoint; with `optim` the run resumes where it was saved
    // (mid-epoch too), with that optimizer state. Rank 0 reads the file and
    // every rank takes its contents. Returns its metadata.
    checkpoint_metadata load(const std::filesystem::path& path, const optimizer_options* optim = nullptr) {
        if (optim) optim_.emplace(*optim, parameter_count);
        else optim_.reset();
        training_state_view view = state_view();
        checkpoint_metadata meta;
        if (ranks_->size() == 1) {
            meta = load_checkpoint(path, view);
        } else {
            rank_0_alone([&] {
                meta = load_checkpoint(path, view);
                meta["optimizer_steps"] = std::to_string(optim_ ? optim_->steps() : 0);
                meta["batches_tracked"] = std::to_string(view.batches_tracked);
            });
            meta = share_from_root(*ranks_, meta);
            view.batches_tracked = count_in(meta, "batches_tracked").value_or(0);
            if (optim_) optim_->set_steps(count_in(meta, "optimizer_steps").value_or(0));
            broadcast_state();
        }
        batches_tracked_ = view.batches_tracked;
        next_epoch_ = optim ? int(count_in(meta, "epoch").value_or(0)) : 0;
        next_batch_ = optim ? count_in(meta, "batches_into_epoch").value_or(0) : 0;
        epoch_ = {};
        if (next_batch_ > 0) {
            epoch_.loss_sum = std::strtod(meta["epoch_loss_sum"].c_str(), nullptr);
            epoch_.correct = count_in(meta, "epoch_correct").value_or(0);
            epoch_.images = count_in(meta, "epoch_images").value_or(0);
        }
        if (optim) saved_ = {path, position()};
        resumed_batch_ = optim ? count_in(meta, "batch").value_or(0) : 0;
        resumed_ranks_ = optim ? int(count_in(meta, "ranks").value_or(1)) : 0;
        return meta;
    }

    int next_epoch() const { return next_epoch_; }
    // Batches of next_epoch() already trained (a checkpoint saved mid-epoch).
    std::int64_t next_batch() const { return next_batch_; }

    // Gives every rank rank 0's parameters and optimizer state if any rank's
    // differ (an allreduce whose sums were not bit-identical everywhere);
    // says so on `note` and returns true then. Checked after every epoch.
    bool resynchronize(std::ostream& note) {
        if (ranks_->size() == 1) return false;
        const std::vector<std::string> digests = ranks_->gather(std::to_string(state_digest()));
        for (const std::string& d : digests)
            if (d != digests[0]) {
                broadcast_state();
                note << "note: the ranks' parameters had drifted apart; every rank now has rank 0's\n";
                return true;
            }
        return false;
    }

private:
    void write_checkpoint(const std::filesystem::path& path, const fit_options& options, normalization norm) {
        checkpoint_metadata meta{{"epoch", std::to_string(next_epoch_)},
                                 {"batches_into_epoch", std::to_string(next_batch_)},
                                 {"epoch_loss_sum", exact_text(epoch_.loss_sum)},
                                 {"epoch_correct", std::to_string(epoch_.correct)},
                                 {"epoch_images", std::to_string(epoch_.images)},
                                 {"ranks", std::to_string(ranks_->size())},
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

    // Between the gradients and the running statistics in allreduced_: the
    // step's summed loss and its correct predictions.
    static constexpr std::size_t step_sums = 2;

    struct epoch_totals {
        double loss_sum = 0;
        std::int64_t correct = 0, images = 0;
    };

    // Rank `rank`'s share of `n` items starts here (shares differ by at most one).
    std::size_t share_start(std::size_t n, int rank) const {
        return n * std::size_t(rank) / std::size_t(ranks_->size());
    }

    // One global batch: this rank's shard forward and backward, then the
    // gradients, loss and correct count summed over the ranks.
    step_result global_step(const image_set& train, std::span<const std::uint32_t> batch, std::size_t position,
                            normalization norm, const fit_options& options, int epoch, std::int64_t step,
                            std::vector<float>& images, std::vector<std::int32_t>& labels) {
        const std::size_t n = batch.size(), image_size = Kernels::input_shape.size();
        const std::size_t first = share_start(n, ranks_->rank()), m = share_start(n, ranks_->rank() + 1) - first;
        const std::span<float> gradient = std::span(allreduced_).first(parameter_count);
        step_result mine;
        if (m > 0) {
            // Augmentation draws the same numbers for an image wherever it is trained.
            random_stream augment_random(options.seed, 0xa0a0000ULL + std::uint64_t(epoch));
            augment_random.skip((position + first) * options.augment.draws_per_image());
            fill_batch(train, batch.subspan(first, m), norm, options.augment, augment_random,
                       std::span(images).first(m * image_size), std::span(labels).first(m));
            mine = Kernels::train_step(std::span(images).first(m * image_size), std::span(labels).first(m), m, params_,
                                       buffers_, gradient, dropout_seed(options.seed, step, ranks_->rank()));
        } else {
            std::fill(gradient.begin(), gradient.end(), 0.0f);
        }
        const int world = ranks_->size();
        if (world == 1) return mine;
        const float share = float(m) / float(n);
        for (float& g : gradient) g *= share;
        float* const sums = allreduced_.data() + parameter_count;
        sums[0] = mine.loss * float(m);
        sums[1] = float(mine.correct);
        std::copy(buffers_.begin(), buffers_.end(), sums + step_sums);
        const auto started = std::chrono::steady_clock::now();
        ranks_->sum(allreduced_);
        allreduce_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        for (std::size_t i = 0; i < buffers_.size(); ++i) buffers_[i] = sums[step_sums + i] / float(world);
        return {sums[0] / float(n), int(sums[1])};
    }

    void check_resume_point(const fit_options& options, std::int64_t steps_per_epoch, std::ostream& out) {
        if (next_batch_ > 0 && (std::size_t(resumed_batch_) != options.batch || next_batch_ >= steps_per_epoch))
            throw std::invalid_argument(
                "typenet: the checkpoint stopped " + std::to_string(next_batch_) + " batches of " +
                std::to_string(resumed_batch_) + " images into epoch " + std::to_string(next_epoch_ + 1) +
                "; resume it with the same batch size and training set (this run has batches of " +
                std::to_string(options.batch) + " and " + std::to_string(steps_per_epoch) + " batches an epoch)");
        const int world = ranks_->size();
        if (resumed_ranks_ > 0 && resumed_ranks_ != world) {
            const std::size_t then = options.batch / std::size_t(resumed_ranks_), now = options.batch / std::size_t(world);
            out << "note: the checkpoint was written by a run on " << resumed_ranks_ << " rank"
                << (resumed_ranks_ == 1 ? "" : "s") << " and continues on " << world
                << ". Parameters, optimizer state and the data's order carry on unchanged, but each rank now trains on "
                << "about " << now << " of every " << options.batch << " images, not " << then
                << ": batchnorm's batch statistics and dropout's masks are drawn over shards of that size and the "
                << "gradients are summed in another order, so the run will not be bit-identical to one continued on "
                << resumed_ranks_ << ".\n";
        }
        resumed_ranks_ = 0;
    }

    // The facts every rank of a run must share, compared by agree().
    std::vector<stated_fact> run_facts(const image_set& train, const image_set& test, const fit_options& options,
                                       normalization norm) {
        const auto data = [](const image_set& set) {
            return std::to_string(set.size()) + " images, digest " + std::to_string(digest(set.pixels)) + "/" +
                   std::to_string(digest({reinterpret_cast<const std::uint8_t*>(set.labels.data()),
                                          set.labels.size() * sizeof(std::int32_t)}));
        };
        const optimizer_options& o = options.optim;
        std::ostringstream optim;
        optim << optimizer_name(o.kind) << " lr " << exact_text(o.lr) << " weight decay " << exact_text(o.weight_decay)
              << " momentum " << exact_text(o.momentum) << (o.nesterov ? " nesterov" : "") << " betas "
              << exact_text(o.beta1) << "," << exact_text(o.beta2) << " eps " << exact_text(o.eps);
        return {{"epochs", std::to_string(options.epochs)},
                {"batch size", std::to_string(options.batch)},
                {"optimizer", optim.str()},
                {"learning-rate schedule", std::string(schedule_name(options.schedule.kind))},
                {"seed", std::to_string(options.seed)},
                {"augmentation", "crop " + std::to_string(options.augment.crop_padding) +
                                     (options.augment.horizontal_flip ? ", flips" : ", no flips") + ", erasing " +
                                     exact_text(options.augment.erase_probability)},
                {"normalization", exact_text(norm.mean) + " " + exact_text(norm.stddev)},
                {"training data", data(train)},
                {"test data", data(test)},
                {"point to start from", "epoch " + std::to_string(next_epoch_ + 1) + ", batch " +
                                            std::to_string(next_batch_ + 1)},
                {"parameters", std::to_string(state_digest())}};
    }

    std::string position() const {
        return next_batch_ ? "at epoch " + std::to_string(next_epoch_ + 1) + ", batch " + std::to_string(next_batch_)
                           : "after epoch " + std::to_string(next_epoch_);
    }
    static std::string network_text() {
        std::ostringstream text;
        text << dsl::summary(Kernels::network);
        return text.str();
    }
    // A double as text that reads back to the same double.
    static std::string exact_text(double value) {
        char text[40];
        std::snprintf(text, sizeof text, "%.17g", value);
        return text;
    }
    std::uint64_t state_digest() {
        std::uint64_t d = digest({reinterpret_cast<const std::uint8_t*>(params_.data()), params_.size() * sizeof(float)});
        if (optim_)
            for (const optimizer::named_state& s : optim_->state())
                d ^= digest({reinterpret_cast<const std::uint8_t*>(s.values.data()), s.values.size_bytes()});
        return d;
    }
    void broadcast_state() {
        ranks_->broadcast(params_);
        ranks_->broadcast(buffers_);
        if (optim_)
            for (const optimizer::named_state& s : optim_->state()) ranks_->broadcast(s.values);
    }
    // Work only rank 0 does (its files, its callbacks); should it fail, every
    // rank throws, so none waits for it in the next collective call.
    void rank_0_alone(const std::function<void()>& step) {
        all_or_none(*ranks_, [&] {
            if (ranks_->is_root()) step();
        });
    }
    bool root_says(bool yes) {
        if (ranks_->size() == 1) return yes;
        float vote = ranks_->is_root() && yes ? 1.0f : 0.0f;
        ranks_->broadcast(std::span(&vote, 1));
        return vote != 0;
    }
    void reset_statistics() {
        for (const dsl::tensor_entry& e : buffer_layout)
            std::fill_n(buffers_.begin() + std::ptrdiff_t(e.offset), e.count,
                        e.name.view().ends_with(".running_var") ? 1.0f : 0.0f);
    }
    training_state_view state_view() {
        return {params_, param_layout, buffers_, buffer_layout, optim_ ? &*optim_ : nullptr, batches_tracked_};
    }
    // Rank 0 draws the masks a single process draws; every other rank its own.
    static std::uint32_t dropout_seed(std::uint64_t seed, std::int64_t step, int rank) {
        random_stream r(seed, 0xd0d0000ULL + std::uint64_t(step) + (std::uint64_t(rank) << 40));
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
                   : !saved_.path.empty()
                       ? "The last good checkpoint, " + saved_.path.string() + " (" + saved_.when + "), is unchanged."
                       : "No checkpoint had been written yet.";
        message += " Try a lower --lr.";
        throw training_diverged(message);
    }

    communicator* ranks_;
    aligned_floats params_, buffers_;
    // The gradients, the step's sums, the running statistics: all that a
    // step sums over the ranks, in one allreduce.
    aligned_floats allreduced_;
    std::optional<optimizer> optim_;
    std::int64_t batches_tracked_ = 0;
    int next_epoch_ = 0;
    std::int64_t next_batch_ = 0;
    epoch_totals epoch_;  // of the epoch under way
    std::int64_t resumed_batch_ = 0;
    int resumed_ranks_ = 0;  // of the run that wrote the checkpoint resumed from; 0: not resumed
    struct {
        std::filesystem::path path;
        std::string when;
    } saved_;  // the last checkpoint written or resumed from
    double allreduce_seconds_ = 0;  // in the epoch under way
};

}  // namespace typenet
