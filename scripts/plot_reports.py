#!/usr/bin/python3
"""Plots from `memtile run` JSON reports (matplotlib, python3-matplotlib).

  plot_reports.py sweep    --param var --out docs/accuracy_vs_var.png   out/sweep/var_*.json
  plot_reports.py sweep    --param adc_bits --out docs/accuracy_vs_adc_bits.png out/sweep/adc_*.json
  plot_reports.py energy   --out docs/energy_breakdown.png  report.json
  plot_reports.py layers   --out docs/layers.png            report.json

`sweep` plots accuracy (and the float accuracy) against an engine parameter read from each
report's configuration ("var", "vnoise", "wire_resistance", or "adc_bits" = log2(radc)).
"""
import argparse
import json
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(paths):
    reports = []
    for p in paths:
        with open(p) as f:
            r = json.load(f)
        for key in ("accuracy", "configuration"):
            if key not in r:
                sys.exit(f"plot_reports.py: {p}: not a memtile run report (no '{key}')")
        reports.append(r)
    return reports


def param_of(report, name):
    eng = report["configuration"]["engine"]
    if name == "adc_bits":
        return math.log2(eng["radc"])
    return eng[name]


def plot_sweep(reports, param, out):
    pts = sorted((param_of(r, param), r["accuracy"], r["float_accuracy"]) for r in reports)
    xs = [p[0] for p in pts]
    fig, ax = plt.subplots(figsize=(5, 3.4))
    ax.plot(xs, [p[1] * 100 for p in pts], "o-", label="accelerator")
    ax.plot(xs, [p[2] * 100 for p in pts], "--", color="gray", label="float model")
    ax.set_xlabel({"var": "programming variation sigma (lognormal)", "adc_bits": "ADC bits",
                   "vnoise": "read noise (V)", "wire_resistance": "wire segment resistance (ohm)"}.get(param, param))
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"{reports[0]['model'].split('/')[-1]}: accuracy vs {param}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def plot_energy(report, out):
    parts = {k: v for k, v in report["energy_breakdown_pj"].items() if v > 0}
    fig, ax = plt.subplots(figsize=(5, 3.4))
    ax.bar(list(parts), list(parts.values()))
    ax.set_ylabel("energy per image (pJ)")
    ax.set_yscale("log")
    ax.set_title(f"energy per image: {report['energy_pj_per_image']:.3g} pJ")
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def plot_layers(report, out):
    layers = report["layers"]
    names = [l["name"] for l in layers]
    n = max(report["images"], 1)
    energy = [l["energy_pj"]["inference"] / n for l in layers]
    latency = [l["mvm_latency_ns"] for l in layers]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.4))
    a1.bar(names, energy)
    a1.set_ylabel("energy per image (pJ)")
    a1.tick_params(axis="x", rotation=45)
    a2.bar(names, latency, color="tab:orange")
    a2.set_ylabel("MVM latency (ns)")
    a2.tick_params(axis="x", rotation=45)
    fig.suptitle("per layer")
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["sweep", "energy", "layers"])
    ap.add_argument("reports", nargs="+")
    ap.add_argument("--param", default="var")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    reports = load(a.reports)
    if a.kind == "sweep":
        plot_sweep(reports, a.param, a.out)
    elif a.kind == "energy":
        plot_energy(reports[0], a.out)
    else:
        plot_layers(reports[0], a.out)
    print(a.out)


if __name__ == "__main__":
    main()
