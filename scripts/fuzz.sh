#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang-14 + ASan + UBSan in build-fuzz/ and runs
# them (clang-14 comes with scripts/setup.sh).
#   scripts/fuzz.sh                 smoke run: ctest label fuzz (50000 executions per target)
#   scripts/fuzz.sh --runs N        each target for N executions (e.g. 1000000), one after the other
#   scripts/fuzz.sh --runs N --seconds S   cap each target at S seconds as well
# New inputs go to build-fuzz/tests/fuzz/corpus_<target>/; a finding is written as
# build-fuzz/tests/fuzz/crash-fuzz_<target>-* and the script exits non-zero.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir="$here/build-fuzz"
runs="" seconds=86400
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    *) echo "fuzz.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
"$here/scripts/setup.sh" --no-build
CC=clang-14 CXX=clang++-14 cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEMTILE_FUZZ=ON \
  -DMEMTILE_BUILD_TESTS=OFF -DMEMTILE_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target memtile_fuzzers
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ -z "$runs" ]; then
  cd "$build_dir" && ctest --output-on-failure -L fuzz
  exit
fi
status=0
for t in npy idx config onnx; do
  seeds=("$here/tests/fuzz/corpus/$t")
  [ "$t" = config ] && seeds+=("$here/configs/presets")
  start=$(date +%s)
  "$here/tests/fuzz/run_fuzzer.sh" "$build_dir/tests/fuzz/fuzz_$t" "$build_dir/tests/fuzz/corpus_$t" "$runs" "$seconds" \
    "${seeds[@]}" || status=1
  echo "fuzz_$t: $(( $(date +%s) - start )) s"
done
exit $status
