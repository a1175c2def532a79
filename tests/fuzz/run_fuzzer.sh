#!/usr/bin/env bash
# run_fuzzer.sh BINARY WORK_CORPUS RUNS SECONDS SEED_DIR...
# Runs one libFuzzer target for RUNS executions (or SECONDS, whichever comes first) over the
# seeds, adding new inputs to WORK_CORPUS only. Prints "fuzz <name>: N executions, ..." and
# exits non-zero on a finding (the reproducer is written to WORK_CORPUS/../crash-<target>-*).
set -euo pipefail
bin=$1 work=$2 runs=$3 secs=$4
shift 4
mkdir -p "$work"
name=$(basename "$bin")
log="$work.log"
set +e
"$bin" -runs="$runs" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
  -artifact_prefix="$(dirname "$work")/crash-$name-" "$work" "$@" >"$log" 2>&1
rc=$?
set -e
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
if [ $rc -ne 0 ]; then
  tail -60 "$log"
  echo "fuzz $name: FAILED after ${execs:-?} executions (log $log)"
  exit 1
fi
echo "fuzz $name: ${execs:-?} executions, no crash (corpus $work: $(ls "$work" | wc -l) inputs)"
