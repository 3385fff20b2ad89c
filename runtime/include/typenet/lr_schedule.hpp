// Learning-rate schedules, evaluated per batch (step 0 is the first batch).
//   constant   lr
//   step       lr * gamma^floor(epoch / step_epochs)            (StepLR)
//   cosine     min + (lr - min) (1 + cos(pi step / total)) / 2  (CosineAnnealingLR, per batch)
//   one_cycle  PyTorch's OneCycleLR (cosine annealing): from lr/div_factor up to
//              lr over pct_start of the steps, then down to lr/(div_factor*final_div_factor)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace typenet {

enum class schedule_kind { constant, step, cosine, one_cycle };

struct lr_schedule {
    schedule_kind kind = schedule_kind::constant;
    double step_epochs = 5, gamma = 0.1;  // step
    double min_lr = 0;                    // cosine
    double pct_start = 0.3, div_factor = 25, final_div_factor = 1e4;  // one_cycle

    // "constant", "step", "cosine", "one_cycle"
    static lr_schedule named(std::string_view name);

    // The rate for batch `step` (from 0) of `total_steps`, with
    // `steps_per_epoch` batches an epoch and base rate `lr`.
    double at(double lr, std::int64_t step, std::int64_t total_steps, std::int64_t steps_per_epoch) const;
};

std::string_view schedule_name(schedule_kind kind);

}  // namespace typenet
