#!/usr/bin/env bash
# fashion_mnist under mpiexec -n 2, end to end, on a small copy of
# Fashion-MNIST:
#   a run: rank 0 alone reports, once;
#   ranks started with different seeds: refused at start-up, naming rank 1
#     and the seeds, with a non-zero status;
#   a rank whose data folder is empty: every rank stops with a non-zero
#     status, rank 0 naming that rank and the missing file;
#   a rank killed mid-training: the job ends within $bound seconds with a
#     non-zero status (Open MPI's launcher sees a rank die and kills the
#     rest), and the last checkpoint is complete: it resumes on 1 process.
#   sample_ranks.sh FASHION_MNIST SOURCE_DIR WORK_DIR MPIEXEC
set -uo pipefail
program="$1" source="$2" work="$3" mpiexec="$4"
bound=30
rm -rf "$work" && mkdir -p "$work"
python3 "$source/tools/small_fashion_mnist.py" "$work/data" 2048 256 || exit 1
common=(--data-dir "$work/data" --threads 1)
failures=0
fail() {
  echo "FAILED: $1"
  sed 's/^/  | /' "$work/out" | tail -n 20
  failures=$((failures + 1))
}

"$mpiexec" -n 2 "$program" "${common[@]}" --epochs 1 >"$work/out" 2>&1
status=$?
if [ $status -ne 0 ]; then fail "a 2-rank run: status $status"
elif [ "$(grep -c '^test accuracy: ' "$work/out")" -ne 1 ] || ! grep -q "data-parallel over 2 ranks" "$work/out"; then
  fail "a 2-rank run: not one report from rank 0"
else echo "ok: a 2-rank run reports once"; fi

"$mpiexec" -n 1 "$program" "${common[@]}" --seed 1 : -n 1 "$program" "${common[@]}" --seed 2 >"$work/out" 2>&1
status=$?
if [ $status -eq 0 ]; then fail "ranks with different seeds: status 0"
elif ! grep -qF "rank 1 of 2 disagrees with rank 0 on the seed: 2, not 1" "$work/out"; then
  fail "ranks with different seeds: no message naming the rank and seeds"
else echo "ok: ranks with different seeds are refused"; fi

mkdir -p "$work/empty"
"$mpiexec" -n 1 "$program" "${common[@]}" : -n 1 "$program" --data-dir "$work/empty" --threads 1 >"$work/out" 2>&1
status=$?
if [ $status -eq 0 ]; then fail "a rank without its data: status 0"
elif ! grep -q "^rank 1 of 2: .*empty/train-images-idx3-ubyte.gz: no such file" "$work/out"; then
  fail "a rank without its data: no message naming the rank and the file"
else echo "ok: a rank without its data ends the job, naming itself and the file"; fi

checkpoint="$work/run.safetensors"
"$mpiexec" -n 2 "$program" "${common[@]}" --epochs 1000 --save "$checkpoint" --save-every 4 >"$work/out" 2>&1 &
job=$!
for _ in $(seq 600); do [ -f "$checkpoint" ] && break; sleep 0.1; done
sleep 1
victim=""
for pid in $(pgrep -f -- "$program"); do
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1' && victim=$pid
done
if [ ! -f "$checkpoint" ] || [ -z "$victim" ]; then
  fail "a lost rank: no checkpoint or no rank 1 to kill"
  kill "$job" 2>/dev/null
else
  kill -9 "$victim"
  killed=$(date +%s%N)
  # A watchdog, detached from the output (ctest waits for every writer to end).
  ( sleep $((bound * 3)) && kill -9 "$job" ) >/dev/null 2>&1 &
  watchdog=$!
  wait "$job"
  status=$?
  pkill -P "$watchdog" 2>/dev/null
  kill "$watchdog" 2>/dev/null
  seconds=$(( ($(date +%s%N) - killed) / 1000000 ))
  seconds="$((seconds / 1000)).$(printf %03d $((seconds % 1000)))"
  # The checkpoint says where it stopped; resume it to the end of that epoch.
  epoch=$(python3 -c 'import json, struct, sys
f = open(sys.argv[1], "rb"); n = struct.unpack("<Q", f.read(8))[0]
m = json.loads(f.read(n))["__metadata__"]; print(int(m["epoch"]) + (m.get("batches_into_epoch", "0") != "0"))' "$checkpoint")
  if [ $status -eq 0 ]; then fail "a lost rank: the job ended with status 0"
  elif awk "BEGIN {exit !($seconds > $bound)}"; then fail "a lost rank: the job took $seconds s to end"
  elif ! "$program" "${common[@]}" --resume "$checkpoint" --epochs "$((epoch > 0 ? epoch : 1))" >"$work/out" 2>&1 ||
       ! grep -q "^resumed from" "$work/out" || ! grep -q "written by a run on 2 ranks and continues on 1" "$work/out"; then
    fail "a lost rank: the last checkpoint does not resume on 1 process"
  else echo "ok: a lost rank ends the job in $seconds s (status $status); its checkpoint resumes"; fi
fi

[ $failures -eq 0 ] && echo "sample_ranks: all passed"
exit $failures
