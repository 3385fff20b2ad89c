#!/usr/bin/env bash
# Builds the runtime, the samples and every test with sanitizers (default
# ASan + UBSan; `thread` for TSan) and runs the suite, stopping at the first
# report. The generators and Halide's generated code are not instrumented, so
# a build folder that already generated its pipelines (TYPENET_BUILD_DIR=build)
# only recompiles the C++ around them; it stays sanitized until reconfigured
# with -DTYPENET_SANITIZE=. Not run: the package test (an outside project of
# its own flags) and the compile-fail tests (nothing runs). Under TSan,
# tools/tsan.supp silences Halide's own runtime, whose thread pool
# synchronizes through atomics ThreadSanitizer cannot see.
#   tools/sanitized_tests.sh [--runtime] [address,undefined|thread]
#     --runtime: only runtime_tests, samples_tests and distributed_tests (the
#                readers, the fuzz replays, checkpoints, the trainer on one
#                and two ranks, the samples' logic): what CI has time for
#                after the test command
#   TYPENET_BUILD_DIR: default build-sanitize
set -euo pipefail
cd "$(dirname "$0")/.."
part=all
if [ "${1:-}" = "--runtime" ]; then part=runtime; shift; fi
sanitizers="${1:-address,undefined}"
build="${TYPENET_BUILD_DIR:-build-sanitize}"
cmake -S . -B "$build" -G Ninja -DTYPENET_SANITIZE="$sanitizers" >/dev/null
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tools/tsan.supp"
if [ "$part" = runtime ]; then
  targets=(runtime_tests samples_tests)
  # With MPI, the data-parallel tests (2 ranks under mpiexec) are runtime tests too.
  if [[ "$(cmake --build "$build" --target help)" == *distributed_tests* ]]; then targets+=(distributed_tests); fi
  cmake --build "$build" --target "${targets[@]}"
  ctest --test-dir "$build" --output-on-failure -L runtime
else
  cmake --build "$build"
  ctest --test-dir "$build" --output-on-failure -E "^(package|compile_fail)\."
fi
