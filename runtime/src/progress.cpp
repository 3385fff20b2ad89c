#include <typenet/progress.hpp>

#include <cstdio>
#include <ostream>
#include <stdexcept>

namespace typenet {

void progress_display::start_epoch(int epoch, int epochs, std::int64_t batches) {
    epoch_ = epoch;
    epochs_ = epochs;
    batches_ = batches;
    start_ = last_draw_ = std::chrono::steady_clock::now();
}

void progress_display::batch_done(std::int64_t batch, std::int64_t images, double loss_sum, std::int64_t correct) {
    if (!interactive_) return;
    const auto now = std::chrono::steady_clock::now();
    if (batch != batches_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? double(images) / seconds : 0;
    const double eta = batch ? seconds / double(batch) * double(batches_ - batch) : 0;
    constexpr int width = 24;
    const int filled = int(width * batch / std::max<std::int64_t>(1, batches_));
    char line[256];
    std::snprintf(line, sizeof line, "\repoch %d/%d [%-*s] %lld/%lld loss %.4f acc %.4f %6.0f img/s ETA %3.0fs ",
                  epoch_, epochs_, width, std::string(std::size_t(filled), '=').c_str(), static_cast<long long>(batch),
                  static_cast<long long>(batches_), loss_sum / double(std::max<std::int64_t>(1, images)),
                  double(correct) / double(std::max<std::int64_t>(1, images)), rate, eta);
    out_ << line << std::flush;
}

void progress_display::end_epoch(const epoch_record& r) {
    char line[256], allreduce[64] = "";
    if (r.allreduce_seconds > 0)
        std::snprintf(allreduce, sizeof allreduce, ", allreduce %.2f s (%.1f%%)", r.allreduce_seconds,
                      100 * r.allreduce_seconds / r.seconds);
    std::snprintf(line, sizeof line,
                  "%sepoch %d/%d: train loss %.4f acc %.4f | test loss %.4f acc %.4f | lr %.5g | %.1f s, %.0f img/s%s\n",
                  interactive_ ? "\r\033[K" : "", r.epoch, epochs_, r.train_loss, r.train_accuracy, r.test_loss,
                  r.test_accuracy, r.lr, r.seconds, r.images_per_second, allreduce);
    out_ << line << std::flush;
}

metrics_log::metrics_log(const std::filesystem::path& path) : csv_(path.extension() == ".csv") {
    std::error_code ec;
    const bool fresh = !std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0;
    file_.open(path, std::ios::app);
    if (!file_) throw std::runtime_error("typenet: cannot open the metrics log " + path.string() + " for writing");
    if (csv_ && fresh) file_ << "epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second\n";
}

void metrics_log::write(const epoch_record& r) {
    if (!file_.is_open()) return;
    char line[512];
    if (csv_)
        std::snprintf(line, sizeof line, "%d,%.8g,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f\n", r.epoch, r.lr, r.train_loss,
                      r.train_accuracy, r.test_loss, r.test_accuracy, r.seconds, r.images_per_second);
    else
        std::snprintf(line, sizeof line,
                      "{\"epoch\": %d, \"lr\": %.8g, \"train_loss\": %.6f, \"train_accuracy\": %.6f, "
                      "\"test_loss\": %.6f, \"test_accuracy\": %.6f, \"seconds\": %.3f, \"images_per_second\": %.1f}\n",
                      r.epoch, r.lr, r.train_loss, r.train_accuracy, r.test_loss, r.test_accuracy, r.seconds,
                      r.images_per_second);
    file_ << line << std::flush;
    if (!file_) throw std::runtime_error("typenet: writing the metrics log failed (disk full?)");
}

}  // namespace typenet
