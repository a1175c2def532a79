#!/usr/bin/env bash
# Sets up (Debian packages + Release build) and runs the whole test suite with ctest.
#   scripts/test.sh            default suite (everything but the 'long' label)
#   scripts/test.sh --all      also the long validation runs
#   scripts/test.sh --asan     the same suite built with AddressSanitizer + UBSan (build-asan/),
#                              then the libFuzzer smoke runs (ctest label fuzz, build-fuzz/, clang-14)
#   scripts/test.sh --fuzz     only the libFuzzer smoke runs (scripts/fuzz.sh; longer campaigns:
#                              scripts/fuzz.sh --runs 1000000)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir="$here/build"
setup_args=()
ctest_args=(-LE long)
fuzz=0 suite=1
for a in "$@"; do
  case "$a" in
    --all) ctest_args=() ;;
    --asan) build_dir="$here/build-asan"; setup_args+=(-DMEMTILE_SANITIZE=ON -DMEMTILE_BUILD_BENCH=OFF); fuzz=1 ;;
    --fuzz) fuzz=1; suite=0 ;;
    *) echo "test.sh: unknown option '$a'" >&2; exit 2 ;;
  esac
done
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ $suite = 1 ]; then
  "$here/scripts/setup.sh" --build-dir "$build_dir" "${setup_args[@]}"
  (cd "$build_dir" && ctest --output-on-failure -j "$(nproc)" "${ctest_args[@]}")
fi
if [ $fuzz = 1 ]; then
  "$here/scripts/fuzz.sh"
fi
