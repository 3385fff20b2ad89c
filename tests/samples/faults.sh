#!/usr/bin/env bash
# Faults through fashion_mnist's command line, end to end, on a small copy of
# Fashion-MNIST: each must end with a message saying what is wrong, a
# non-zero status, and the checkpoint on disk unchanged.
#   faults.sh FASHION_MNIST SOURCE_DIR WORK_DIR
set -uo pipefail
program="$1" source="$2" work="$3"
rm -rf "$work" && mkdir -p "$work"
python3 "$source/tools/small_fashion_mnist.py" "$work/data" 256 128 || exit 1
checkpoint="$work/run.safetensors"
common=(--data-dir "$work/data" --batch 32 --threads 1)
failures=0

# expect NAME STATUS TEXT -- ARGS...: runs fashion_mnist, checks its status
# (nonzero: any failure) and that its output holds TEXT, and that the
# checkpoint is byte for byte what it was.
expect() {
  local name="$1" status="$2" text="$3"
  shift 4
  local before after got
  before="$(sha256sum "$checkpoint" 2>/dev/null | cut -c1-64)"
  "$program" "$@" >"$work/out" 2>&1
  got=$?
  after="$(sha256sum "$checkpoint" 2>/dev/null | cut -c1-64)"
  local wrong=""
  if [ "$status" = nonzero ]; then [ "$got" -ne 0 ] || wrong="status 0, wanted a failure"
  elif [ "$got" -ne "$status" ]; then wrong="status $got, wanted $status"; fi
  grep -qF -- "$text" "$work/out" || wrong="$wrong; no \"$text\" in its output"
  if [ "$status" != 0 ] && [ "$before" != "$after" ]; then wrong="$wrong; the checkpoint changed"; fi
  if [ -n "$wrong" ]; then
    echo "FAILED: $name: $wrong"; sed 's/^/    /' "$work/out"; failures=$((failures + 1))
  else
    echo "ok: $name: $(grep -F -- "$text" "$work/out" | head -1)"
  fi
}

expect "a first epoch saves a checkpoint" 0 "test accuracy:" -- "${common[@]}" --epochs 1 --save "$checkpoint"
[ -f "$checkpoint" ] || { echo "FAILED: no checkpoint written"; exit 1; }

expect "resuming with another optimizer" nonzero "was trained with sgd, not adam; resume with --optimizer sgd" -- \
  "${common[@]}" --epochs 2 --optimizer adam --resume "$checkpoint" --save "$checkpoint"
expect "resuming another network's checkpoint" nonzero "does not fit this network" -- \
  "${common[@]}" --network eva --epochs 2 --resume "$checkpoint" --save "$checkpoint"
head -c 5000 "$checkpoint" >"$work/cut.safetensors"
expect "a truncated checkpoint" nonzero "cut.safetensors" -- \
  "${common[@]}" --epochs 2 --resume "$work/cut.safetensors" --save "$checkpoint"
mkdir -p "$work/empty"
expect "a data folder without the data" nonzero "train-images-idx3-ubyte.gz: no such file" -- \
  --data-dir "$work/empty" --epochs 2 --resume "$checkpoint" --save "$checkpoint"
mkdir -p "$work/cut_data" && cp "$work/data"/* "$work/cut_data/"
gzip -dc "$work/data/train-images-idx3-ubyte.gz" | head -c 100000 >"$work/cut_data/train-images-idx3-ubyte"
rm "$work/cut_data/train-images-idx3-ubyte.gz"
expect "a truncated data file" nonzero "is truncated: its header declares 200704 bytes of data but it holds 99984" -- \
  --data-dir "$work/cut_data" --epochs 2 --resume "$checkpoint" --save "$checkpoint"
expect "a data folder that vanished" nonzero "--data-dir: must name an existing folder" -- \
  --data-dir "$work/vanished" --epochs 2 --resume "$checkpoint" --save "$checkpoint"
# A rate that makes the loss overflow in the second epoch: stopped, named, the first epoch's file kept.
expect "a diverging loss" nonzero "at epoch 2, batch" -- \
  "${common[@]}" --epochs 3 --lr 1e6 --schedule constant --resume "$checkpoint" --save "$checkpoint"
grep -qF "The last good checkpoint, $checkpoint (after epoch 1), is unchanged" "$work/out" ||
  { echo "FAILED: the divergence message does not name the kept checkpoint"; failures=$((failures + 1)); }
expect "the kept checkpoint resumes" 0 "resumed from $checkpoint after epoch 1" -- \
  "${common[@]}" --epochs 2 --resume "$checkpoint" --save "$checkpoint"

echo "faults: $failures failed"
[ "$failures" -eq 0 ]
