#!/usr/bin/env bash
# Installs typenet's build dependencies from Debian bookworm's packages, and
# with --tests what the tests need besides (PyTorch, which the package test's
# network is checked against). Run as root; does nothing when everything is
# already installed. With --fuzz, clang and libFuzzer for tools/fuzz.sh.
set -euo pipefail

packages=(
  cmake ninja-build g++          # toolchain
  libboost-dev                   # Boost.Hana (the dsl)
  libxsimd-dev                   # vectorized optimizers
  libhalide14-0-dev              # generators
  catch2                         # tests
  zlib1g-dev                     # gzip-compressed IDX data
  nlohmann-json3-dev             # safetensors headers
  libcli11-dev                   # the samples' command lines
  libstb-dev pkg-config          # the samples' charts (PNG out)
  libpng-dev libjpeg62-turbo-dev # the samples' images in (PNG, JPEG)
  dataset-fashion-mnist          # the main job's data
  libopenmpi-dev openmpi-bin     # data-parallel training (typenet::distributed, mpirun)
)
case "${1:-}" in
  --tests) packages+=(python3-torch python3-numpy) ;;   # PyTorch twins of generated networks
  --fuzz) packages+=(clang libclang-rt-14-dev) ;;        # libFuzzer (tools/fuzz.sh)
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (or with sudo) to install them" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
