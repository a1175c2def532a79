#!/usr/bin/env bash
# Sets up (Debian packages + Release build) and runs the main job on its embedded default:
# LeNet-5 (tb/networks/lenet5_fmnist.onnx) on Fashion-MNIST test images through the
# SystemC accelerator model with the default configuration, printing accuracy (next to the
# float model), latency, energy, power and area, and writing into out/ (or $MEMTILE_OUT):
#   report.json   the JSON report (docs/run.md lists its keys)
#   layers.csv    per-layer latency/energy/area table
#   lenet5.vcd    waveforms (GTKWave): tile phases, cumulative energies, ADC codes
#   trace.json    Perfetto/Chrome trace (ui.perfetto.dev)
# Extra arguments go to `memtile run` (e.g. --limit 0 for all 10000 images, --config FILE).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh"
out=${MEMTILE_OUT:-"$here/out"}
mkdir -p "$out"
"$here/build/tb/memtile" run --limit 1000 --report "$out/report.json" --csv "$out/layers.csv" \
  --vcd "$out/lenet5.vcd" --trace "$out/trace.json" "$@"
