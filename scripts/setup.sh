#!/usr/bin/env bash
# Installs every Debian package memtile needs and builds it in Release.
# Idempotent: re-running only rebuilds what changed.
# Usage: scripts/setup.sh [--no-build] [--build-dir DIR] [extra cmake -D options...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir="$here/build"
do_build=1
cmake_extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) do_build=0 ;;
    --build-dir) build_dir="$2"; shift ;;
    -D*) cmake_extra+=("$1") ;;
    *) echo "setup.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done

packages=(
  build-essential cmake pkg-config git
  libsystemc-dev libeigen3-dev libboost-test-dev
  verilator
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata zlib1g-dev
  nlohmann-json3-dev libcli11-dev libbenchmark-dev
  libsuitesparse-dev
  ngspice
  python3 python3-numpy python3-scipy python3-matplotlib python3-onnx
  python3-dev pybind11-dev python3-pybind11 python3-torch
  openmpi-bin libopenmpi-dev
  clang-14
  dataset-fashion-mnist
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  echo "setup.sh: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ $do_build = 1 ]; then
  cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "${cmake_extra[@]}"
  cmake --build "$build_dir" -j "$(nproc)"
fi
