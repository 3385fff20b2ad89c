#include <typenet/lr_schedule.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace typenet {

lr_schedule lr_schedule::named(std::string_view name) {
    lr_schedule s;
    if (name == "constant") s.kind = schedule_kind::constant;
    else if (name == "step") s.kind = schedule_kind::step;
    else if (name == "cosine") s.kind = schedule_kind::cosine;
    else if (name == "one_cycle" || name == "onecycle") s.kind = schedule_kind::one_cycle;
    else
        throw std::invalid_argument("typenet: unknown schedule \"" + std::string(name) +
                                    "\" (choose constant, step, cosine or one_cycle)");
    return s;
}

std::string_view schedule_name(schedule_kind kind) {
    constexpr std::string_view names[] = {"constant", "step", "cosine", "one_cycle"};
    return names[static_cast<int>(kind)];
}

namespace {
// From `start` at fraction 0 to `end` at fraction 1 along half a cosine.
double cosine_between(double start, double end, double fraction) {
    return end + (start - end) * (1 + std::cos(std::numbers::pi * fraction)) / 2;
}
}  // namespace

double lr_schedule::at(double lr, std::int64_t step, std::int64_t total_steps, std::int64_t steps_per_epoch) const {
    switch (kind) {
        case schedule_kind::constant: return lr;
        case schedule_kind::step: {
            const auto epoch = static_cast<double>(step / std::max<std::int64_t>(1, steps_per_epoch));
            return lr * std::pow(gamma, std::floor(epoch / step_epochs));
        }
        case schedule_kind::cosine:
            return cosine_between(lr, min_lr, std::min(1.0, double(step) / double(std::max<std::int64_t>(1, total_steps))));
        case schedule_kind::one_cycle: {
            // OneCycleLR's phases end at steps pct_start*total - 1 and total - 1.
            const double initial = lr / div_factor, final_lr = initial / final_div_factor;
            const double up_end = pct_start * double(total_steps) - 1, down_end = double(total_steps) - 1;
            const double s = double(step);
            if (s <= up_end) return cosine_between(initial, lr, up_end > 0 ? s / up_end : 1);
            return cosine_between(lr, final_lr, std::min(1.0, (s - up_end) / std::max(1.0, down_end - up_end)));
        }
    }
    return lr;
}

}  // namespace typenet
