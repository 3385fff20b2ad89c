// Which instruction set the generated pipelines run with.
//
// Every network library is built for several x86-64 targets and picks, at
// each call, the best one this CPU supports. limit_cpu_target() (or the
// environment variable TYPENET_CPU_TARGET=baseline|sse41|avx2|avx512, read
// at the first call) caps that choice, for comparing targets or working
// around a CPU quirk; it takes effect at the next call.
//
// A target may also have variants tuned for CPU models (generated from the
// tuning databases, typenet_add_network). A call runs the variant tuned
// for this CPU's model (cpu_model.hpp: "amd-25-1") if there is one, else
// the target's default; set_cpu_model() (or TYPENET_CPU_MODEL=<model>)
// chooses as if on another model.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace typenet {

enum class cpu_target { baseline, sse41, avx2, avx512 };

std::string_view to_string(cpu_target t);
std::optional<cpu_target> parse_cpu_target(std::string_view name);

// The targets this CPU can run, lowest first.
std::vector<cpu_target> supported_cpu_targets();

// The target the most recent pipeline call ran with.
cpu_target active_cpu_target();

// Use no target above `highest` from now on; std::nullopt removes the cap.
void limit_cpu_target(std::optional<cpu_target> highest);
std::optional<cpu_target> cpu_target_limit();

// The CPU model whose tuned variants calls run: this CPU's, unless
// overridden. `model` std::nullopt returns to this CPU's own.
std::string cpu_model_in_effect();
void set_cpu_model(std::optional<std::string> model);

// The variant the most recent pipeline call ran with, as a user reads it:
// "avx2", or "avx2 tuned for amd-25-1".
std::string active_cpu_variant();

// Threads the pipelines use (Halide's thread pool); 0 means one per core.
void set_threads(int threads);

// The target a pipeline call should use among those it was built for
// (`built`, any order): the best one the CPU supports within the limit.
// Records it as the active target.
cpu_target choose_cpu_target(std::span<const cpu_target> built);

namespace detail {
// Called by the network wrappers before every pipeline call.
void before_pipeline_call();
// Records the variant a call runs: the CPU model it was tuned for, or nullptr for the default.
void record_variant(const char* tuned_for);
[[noreturn]] void pipeline_failed(std::string_view pipeline, int status);
}  // namespace detail

}  // namespace typenet
