#!/usr/bin/env bash
# Sets up (Debian packages + Release build) and runs the main job on its embedded default.
# Outputs go to out/ (override with MEMTILE_OUT=DIR).
#
# Until the DNN testbench (`memtile run`) lands, the main job is a `memtile dot` demo: a
# 256x256 random-normal product on 32x32 crossbars with mPimPy's default device parameters,
# in each of the three engines, printing the relative error against the exact product.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh"
out=${MEMTILE_OUT:-"$here/out"}
mkdir -p "$out"
/usr/bin/python3 - "$out" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(0)
np.save(f"{sys.argv[1]}/A.npy", rng.standard_normal((256, 256)))
np.save(f"{sys.argv[1]}/B.npy", rng.standard_normal((256, 256)))
PY
for mode in bitslice diffpair fp; do
  echo "== memtile dot --mode $mode"
  "$here/build/tb/memtile" dot --a "$out/A.npy" --b "$out/B.npy" --out "$out/C_$mode.npy" --mode "$mode" --seed 1
done
