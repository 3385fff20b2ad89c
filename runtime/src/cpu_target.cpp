#include "typenet/cpu_target.hpp"

#include "scratch_memory.hpp"
#include "typenet/cpu_model.hpp"

#include <HalideRuntime.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

namespace typenet {
namespace {

std::atomic<int> limit{-1};  // -1: no cap
std::atomic<int> active{static_cast<int>(cpu_target::baseline)};
std::once_flag installed;
thread_local std::string last_error;
std::mutex model_mutex;
std::string model_override;                 // empty: this CPU's own
std::atomic<const char*> active_tuning{nullptr};  // a variant's tuned_for, which lives as long as the program

void capture_error(void*, const char* message) { last_error = message; }

// A parallel loop of one task (a batch of one image over images) runs on
// the calling thread: Halide's pool broadcasts to its sleeping workers at
// every parallel loop, however few its tasks, and on 2 threads the wake-ups
// took a third of a batch-1 inference of eva_net (perf, Zen 5).
halide_do_par_for_t pool_par_for = nullptr;
int run_single_task_inline(void* user_context, halide_task_t task, int min, int size, std::uint8_t* closure) {
    if (size == 1) return halide_do_task(user_context, task, min, closure);
    return pool_par_for(user_context, task, min, size, closure);
}

void install() {
    halide_set_error_handler(capture_error);
    pool_par_for = halide_set_custom_do_par_for(run_single_task_inline);
    detail::use_cached_scratch_memory();
    if (const char* env = std::getenv("TYPENET_CPU_TARGET"); env && *env) {
        const auto t = parse_cpu_target(env);
        if (!t)
            throw std::invalid_argument(std::string("TYPENET_CPU_TARGET=") + env +
                                        " is not a target: use baseline, sse41, avx2 or avx512");
        limit.store(static_cast<int>(*t));
    }
    if (const char* env = std::getenv("TYPENET_CPU_MODEL"); env && *env) {
        std::lock_guard lock(model_mutex);
        model_override = env;
    }
}

// The feature bits of each named target, as the build names them.
std::vector<halide_target_feature_t> features_of(cpu_target t) {
    switch (t) {
        case cpu_target::baseline: return {};
        case cpu_target::sse41: return {halide_target_feature_sse41};
        case cpu_target::avx2:
            return {halide_target_feature_sse41, halide_target_feature_avx, halide_target_feature_avx2,
                    halide_target_feature_fma, halide_target_feature_f16c};
        case cpu_target::avx512:
            return {halide_target_feature_sse41,         halide_target_feature_avx,
                    halide_target_feature_avx2,          halide_target_feature_fma,
                    halide_target_feature_f16c,          halide_target_feature_avx512,
                    halide_target_feature_avx512_skylake, halide_target_feature_avx512_cannonlake};
    }
    return {};
}

}  // namespace

std::string_view to_string(cpu_target t) {
    switch (t) {
        case cpu_target::baseline: return "baseline";
        case cpu_target::sse41: return "sse41";
        case cpu_target::avx2: return "avx2";
        case cpu_target::avx512: return "avx512";
    }
    return "unknown";
}

std::optional<cpu_target> parse_cpu_target(std::string_view name) {
    for (cpu_target t : {cpu_target::baseline, cpu_target::sse41, cpu_target::avx2, cpu_target::avx512})
        if (to_string(t) == name) return t;
    return std::nullopt;
}

std::vector<cpu_target> supported_cpu_targets() {
    static const std::vector<cpu_target> supported = [] {
        std::vector<cpu_target> out;
        for (cpu_target t : {cpu_target::baseline, cpu_target::sse41, cpu_target::avx2, cpu_target::avx512}) {
            uint64_t bits[(halide_target_feature_end + 63) / 64] = {};
            for (halide_target_feature_t f : features_of(t)) bits[f / 64] |= uint64_t{1} << (f % 64);
            if (halide_default_can_use_target_features(int(std::size(bits)), bits)) out.push_back(t);
        }
        return out;
    }();
    return supported;
}

cpu_target choose_cpu_target(std::span<const cpu_target> built) {
    std::call_once(installed, install);
    const auto supported = supported_cpu_targets();
    const int cap = limit.load();
    int best = -1;
    for (cpu_target t : built) {
        const bool runs = std::find(supported.begin(), supported.end(), t) != supported.end();
        if (runs && (cap < 0 || static_cast<int>(t) <= cap)) best = std::max(best, static_cast<int>(t));
    }
    if (best < 0)
        throw std::runtime_error("typenet: none of the CPU targets this network was built for runs here" +
                                 std::string(cap >= 0 ? " within the limit " + std::string(to_string(cpu_target(cap)))
                                                      : std::string()));
    active.store(best);
    return static_cast<cpu_target>(best);
}

cpu_target active_cpu_target() { return static_cast<cpu_target>(active.load()); }

void limit_cpu_target(std::optional<cpu_target> highest) {
    std::call_once(installed, install);
    limit.store(highest ? static_cast<int>(*highest) : -1);
}

std::optional<cpu_target> cpu_target_limit() {
    std::call_once(installed, install);
    const int cap = limit.load();
    return cap < 0 ? std::nullopt : std::optional(static_cast<cpu_target>(cap));
}

std::string cpu_model_in_effect() {
    std::call_once(installed, install);
    static const std::string own = this_cpu_model().key();
    std::lock_guard lock(model_mutex);
    return model_override.empty() ? own : model_override;
}

void set_cpu_model(std::optional<std::string> model) {
    std::call_once(installed, install);
    std::lock_guard lock(model_mutex);
    model_override = model.value_or("");
}

std::string active_cpu_variant() {
    const char* tuned_for = active_tuning.load();
    return std::string(to_string(active_cpu_target())) + (tuned_for ? std::string(" tuned for ") + tuned_for : "");
}

void set_threads(int threads) { halide_set_num_threads(threads); }

namespace detail {

void record_variant(const char* tuned_for) { active_tuning.store(tuned_for); }

void before_pipeline_call() {
    std::call_once(installed, install);
    last_error.clear();
}

void pipeline_failed(std::string_view pipeline, int status) {
    throw std::runtime_error("typenet: the generated " + std::string(pipeline) + " pipeline failed (Halide status " +
                             std::to_string(status) + ")" + (last_error.empty() ? "" : ": " + last_error));
}

}  // namespace detail
}  // namespace typenet
