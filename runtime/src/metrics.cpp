#include <typenet/metrics.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <stdexcept>
#include <string>

namespace typenet {

std::vector<double> evaluation::class_accuracy() const {
    std::vector<double> out;
    for (std::size_t c = 0; c < confusion.size(); ++c) {
        std::int64_t total = 0;
        for (std::int64_t n : confusion[c]) total += n;
        out.push_back(total ? double(confusion[c][c]) / double(total) : 0.0);
    }
    return out;
}

void evaluation::add(std::span<const float> scores, std::span<const std::int32_t> labels) {
    const std::size_t classes = confusion.size();
    for (std::size_t b = 0; b < labels.size(); ++b) {
        const float* s = scores.data() + b * classes;
        const std::size_t predicted = std::size_t(std::max_element(s, s + classes) - s);
        double sum = 0;
        for (std::size_t c = 0; c < classes; ++c) sum += std::exp(double(s[c]) - s[predicted]);
        loss_sum_ += std::log(sum) + s[predicted] - s[labels[b]];  // cross-entropy: logsumexp - score of the label
        ++confusion[std::size_t(labels[b])][predicted];
        correct += predicted == std::size_t(labels[b]);
        ++count;
    }
}

std::vector<double> evaluation::sums() const {
    std::vector<double> all{loss_sum_, double(correct), double(count)};
    for (const std::vector<std::int64_t>& row : confusion) all.insert(all.end(), row.begin(), row.end());
    return all;
}

evaluation evaluation::from_sums(int classes, std::span<const double> sums) {
    const std::size_t n = std::size_t(classes);
    if (sums.size() != 3 + n * n)
        throw std::invalid_argument("typenet: evaluation sums of " + std::to_string(classes) + " classes are " +
                                    std::to_string(3 + n * n) + " numbers, not " + std::to_string(sums.size()));
    evaluation e(classes);
    e.loss_sum_ = sums[0];
    e.correct = std::int64_t(sums[1]);
    e.count = std::int64_t(sums[2]);
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t c = 0; c < n; ++c) e.confusion[r][c] = std::int64_t(sums[3 + r * n + c]);
    e.finish();
    return e;
}

void print_confusion(std::ostream& out, const evaluation& e, std::span<const char* const> class_names) {
    const std::size_t classes = e.confusion.size();
    const auto name = [&](std::size_t c) { return c < class_names.size() ? std::string(class_names[c]) : std::to_string(c); };
    char cell[32];
    out << "confusion matrix (rows: true class, columns: predicted)\n" << std::string(12, ' ');
    for (std::size_t c = 0; c < classes; ++c) {
        std::snprintf(cell, sizeof cell, "%6zu", c);
        out << cell;
    }
    out << "  accuracy\n";
    const std::vector<double> accuracy = e.class_accuracy();
    for (std::size_t r = 0; r < classes; ++r) {
        std::snprintf(cell, sizeof cell, "%2zu %-9.9s", r, name(r).c_str());
        out << cell;
        for (std::size_t c = 0; c < classes; ++c) {
            std::snprintf(cell, sizeof cell, "%6lld", static_cast<long long>(e.confusion[r][c]));
            out << cell;
        }
        std::snprintf(cell, sizeof cell, "  %.4f\n", accuracy[r]);
        out << cell;
    }
}

}  // namespace typenet
