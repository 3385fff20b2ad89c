// Which instruction set the generated pipelines run with.
//
// Every network library is built for several x86-64 targets and picks, at
// each call, the best one this CPU supports. limit_cpu_target() (or the
// environment variable TYPENET_CPU_TARGET=baseline|sse41|avx2|avx512, read
// at the first call) caps that choice, for comparing targets or working
// around a CPU quirk; it takes effect at the next call.
#pragma once

#include <optional>
#include <span>
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

// Threads the pipelines use (Halide's thread pool); 0 means one per core.
void set_threads(int threads);

// The target a pipeline call should use among those it was built for
// (`built`, any order): the best one the CPU supports within the limit.
// Records it as the active target.
cpu_target choose_cpu_target(std::span<const cpu_target> built);

namespace detail {
// Called by the network wrappers before every pipeline call.
void before_pipeline_call();
[[noreturn]] void pipeline_failed(std::string_view pipeline, int status);
}  // namespace detail

}  // namespace typenet
