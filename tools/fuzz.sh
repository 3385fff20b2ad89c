#!/usr/bin/env bash
# Builds the fuzz targets (clang, libFuzzer, ASan + UBSan) in build-fuzz/ and
# runs each for the given seconds (default 60), as many at a time as there are
# cores, from the committed seeds (fuzz/corpus/) plus what earlier runs found
# (build-fuzz/corpus/). Ends with `fuzz findings: N`: crashes, leaks, hangs,
# out-of-memory and broken promises (fuzz/harnesses.hpp), each input kept in
# build-fuzz/findings/<target>/. Replay one: build-fuzz/fuzz/fuzz_<target> FILE;
# keep it as a regression test: copy it to fuzz/regressions/<target>/.
#   tools/fuzz.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
build="${TYPENET_FUZZ_BUILD_DIR:-build-fuzz}"
harnesses=(idx_reader safetensors_reader checkpoint_loader image_reader)
tools/install-deps.sh --fuzz

cmake -S . -B "$build" -G Ninja -DTYPENET_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTYPENET_BUILD_SAMPLES=OFF -DTYPENET_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target fuzz >/dev/null

run() {
  local h="$1"
  mkdir -p "$build/corpus/$h" "$build/findings/$h" "$build/logs"
  # Inputs up to 64 KB; no single allocation over 256 MB nor 1 GB resident:
  # a reader may allocate a small multiple of its file, never what a header claims.
  "$build/fuzz/fuzz_$h" "$build/corpus/$h" "fuzz/corpus/$h" -max_total_time="$seconds" -max_len=65536 \
    -malloc_limit_mb=256 -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$build/findings/$h/" >"$build/logs/$h.log" 2>&1 || true
}

jobs_at_once="$(nproc)"
for h in "${harnesses[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_at_once" ]; do wait -n || true; done
  run "$h" &
done
wait

total=0
printf '%-20s %12s %8s %8s %9s\n' target executions cov features findings
for h in "${harnesses[@]}"; do
  log="$build/logs/$h.log"
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1)
  status=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status")
  found=$(find "$build/findings/$h" -type f | wc -l)
  total=$((total + found))
  printf '%-20s %12s %8s %8s %9s\n' "$h" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$found"
  if [ "$found" -gt 0 ]; then grep -E 'ERROR|typenet fuzz|SUMMARY' "$log" | head -5 | sed 's/^/    /'; fi
done
echo "fuzz findings: $total"
