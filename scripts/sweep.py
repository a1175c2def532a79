#!/usr/bin/python3
"""Sweeps `memtile run` over programming variation and ADC resolution and draws the plots
into docs/ (accuracy vs variation, accuracy vs ADC bits, energy breakdown, per-layer
latency/energy).

  /usr/bin/python3 scripts/sweep.py [--model M.onnx] [--limit 200] [--out out/sweep] [--docs docs]
"""
import argparse
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)


def run(memtile, model, limit, report, config):
    cfg_path = report.replace(".json", ".config.json")
    with open(cfg_path, "w") as f:
        json.dump(config, f)
    subprocess.run([memtile, "run", "--model", model, "--limit", str(limit), "--quiet", "--config", cfg_path,
                    "--report", report], check=True, stdout=subprocess.DEVNULL)
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--memtile", default=os.path.join(root, "build", "tb", "memtile"))
    ap.add_argument("--model", default=os.path.join(root, "tb", "networks", "lenet5_fmnist.onnx"))
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--out", default=os.path.join(root, "out", "sweep"))
    ap.add_argument("--docs", default=os.path.join(root, "docs"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    plot = [sys.executable, os.path.join(here, "plot_reports.py")]
    var_reports = [run(a.memtile, a.model, a.limit, os.path.join(a.out, f"var_{v}.json"), {"engine": {"var": v}})
                   for v in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)]
    adc_reports = [run(a.memtile, a.model, a.limit, os.path.join(a.out, f"adc_{b}.json"), {"engine": {"radc": 2 ** b}})
                   for b in (3, 4, 5, 6, 8, 10)]
    subprocess.run(plot + ["sweep", "--param", "var", "--out", os.path.join(a.docs, "accuracy_vs_var.png")] + var_reports, check=True)
    subprocess.run(plot + ["sweep", "--param", "adc_bits", "--out", os.path.join(a.docs, "accuracy_vs_adc_bits.png")] + adc_reports, check=True)
    subprocess.run(plot + ["energy", "--out", os.path.join(a.docs, "energy_breakdown.png"), var_reports[1]], check=True)
    subprocess.run(plot + ["layers", "--out", os.path.join(a.docs, "layers.png"), var_reports[1]], check=True)


if __name__ == "__main__":
    main()
