// Training progress: on a terminal, one line redrawn in place (epoch, batch,
// loss, accuracy, images/s, ETA); otherwise nothing until the plain line
// each epoch ends with. Metrics also go, one record per epoch, to a CSV file
// (a .csv name) or JSON lines (any other name).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iosfwd>
#include <string>

namespace typenet {

struct epoch_record {
    int epoch = 0;                 // from 1
    double lr = 0;                 // at the epoch's last batch
    double train_loss = 0, train_accuracy = 0;
    double test_loss = 0, test_accuracy = 0;
    double seconds = 0, images_per_second = 0;
    // Of `seconds`, rank 0's time in the gradients' allreduce, waiting for
    // the slowest rank included (0 in a run of one process).
    double allreduce_seconds = 0;
};

class progress_display {
public:
    progress_display(std::ostream& out, bool interactive) : out_(out), interactive_(interactive) {}

    void start_epoch(int epoch, int epochs, std::int64_t batches);
    void batch_done(std::int64_t batch, std::int64_t images, double loss_sum, std::int64_t correct);
    void end_epoch(const epoch_record& r);

private:
    std::ostream& out_;
    bool interactive_;
    int epoch_ = 0, epochs_ = 0;
    std::int64_t batches_ = 0;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

class metrics_log {
public:
    metrics_log() = default;
    // Appends to `path`; a new CSV file gets a header row.
    explicit metrics_log(const std::filesystem::path& path);
    void write(const epoch_record& r);

private:
    std::ofstream file_;
    bool csv_ = false;
};

}  // namespace typenet
