#!/usr/bin/env bash
# Kills samples/fashion_mnist with SIGKILL at random moments while it trains
# and saves a checkpoint after every epoch, N times (default 50). An epoch is
# one batch of 32 images, so about one kill in ten lands inside a save. Each
# round resumes from the checkpoint the last one left, so every kill is
# followed by a load: the file must always be a complete checkpoint (the
# previous one or the new one; the epoch it holds never goes back), and a
# last resumed run must finish. Ends with `survived: K/N`.
#   tools/kill_test.sh [N]          (TYPENET_BUILD_DIR: default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-50}"
program="${TYPENET_BUILD_DIR:-build}/samples/fashion_mnist"
[ -x "$program" ] || { echo "kill_test: build $program first (cmake --build build --target fashion_mnist)" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 tools/small_fashion_mnist.py "$work/data" 32 32
checkpoint="$work/run.safetensors"
common=(--data-dir "$work/data" --batch 32 --threads 1 --save "$checkpoint")

survived=0
epoch=0
during_save=0
for round in $(seq 1 "$rounds"); do
  resume=()
  [ -f "$checkpoint" ] && resume=(--resume "$checkpoint")
  "$program" "${common[@]}" "${resume[@]}" --epochs 100000 >"$work/log" 2>&1 &
  pid=$!
  # 0.2 to 2.2 s: start-up, training, evaluation and saves all get hit.
  sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", 0.2 + 2.0 * r / 32767 }')"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # A temporary file beside the checkpoint: this kill came in the middle of a save.
  if compgen -G "$checkpoint.tmp-*" >/dev/null; then during_save=$((during_save + 1)); fi
  ok=1
  if [ ${#resume[@]} -gt 0 ]; then
    # This round loaded what the last kill left: it must have resumed, at an epoch no earlier than before.
    resumed="$(sed -n 's/^resumed from .* after epoch \([0-9]*\)$/\1/p' "$work/log")"
    if [ -z "$resumed" ] && grep -q "^training:" "$work/log"; then resumed=missing; fi
    if [ -z "$resumed" ]; then
      # Killed before it even loaded the file: it is checked in the next round.
      if grep -qi "checkpoint" "$work/log"; then ok=0; fi
    elif [ "$resumed" = missing ] || [ "$resumed" -lt "$epoch" ]; then
      ok=0
    else
      epoch="$resumed"
    fi
  fi
  if [ "$ok" = 1 ]; then survived=$((survived + 1)); else echo "round $round: the checkpoint did not load as it should:"; cat "$work/log"; fi
done

# The file the last kill left loads and evaluates, and training carries on one more epoch.
if [ -f "$checkpoint" ]; then
  last="$("$program" "${common[@]}" --resume "$checkpoint" --epochs 1 2>&1 | sed -n 's/^resumed from .* after epoch \([0-9]*\)$/\1/p')"
  if [ -z "$last" ] || [ "$last" -lt "$epoch" ] ||
     ! "$program" "${common[@]}" --resume "$checkpoint" --epochs $((last + 1)) >"$work/log" 2>&1 ||
     ! grep -q "^test accuracy:" "$work/log"; then
    echo "the last checkpoint did not resume to the end:"; cat "$work/log"; survived=$((survived - 1))
  fi
  epoch="${last:-$epoch}"
fi
leftovers="$(find "$work" -name 'run.safetensors.tmp-*' | wc -l)"
echo "epochs reached: $epoch; kills in the middle of a save: $during_save; temporary files left at the end: $leftovers"
echo "survived: $survived/$rounds"
[ "$survived" = "$rounds" ]
