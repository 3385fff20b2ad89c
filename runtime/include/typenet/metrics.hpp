// What an evaluation measures: mean loss, accuracy, and the confusion matrix
// (rows: true class, columns: predicted class) with per-class accuracy.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <span>
#include <vector>

namespace typenet {

struct evaluation {
    double loss = 0;
    std::int64_t correct = 0, count = 0;
    std::vector<std::vector<std::int64_t>> confusion;

    explicit evaluation(int classes = 0) : confusion(classes, std::vector<std::int64_t>(classes, 0)) {}
    double accuracy() const { return count ? double(correct) / double(count) : 0.0; }
    std::vector<double> class_accuracy() const;

    // Adds a batch: `scores` is batch x classes (before softmax).
    void add(std::span<const float> scores, std::span<const std::int32_t> labels);
    void finish() { loss = count ? loss_sum_ / double(count) : 0.0; }

    // The sums behind the figures (the loss, correct, count, then the
    // confusion matrix row by row), for adding up evaluations of parts of a
    // set: the parts' sums added element by element give the whole's.
    std::vector<double> sums() const;
    static evaluation from_sums(int classes, std::span<const double> sums);

private:
    double loss_sum_ = 0;
};

// The confusion matrix and per-class accuracy as a table, with class names if given.
void print_confusion(std::ostream& out, const evaluation& e, std::span<const char* const> class_names = {});

}  // namespace typenet
