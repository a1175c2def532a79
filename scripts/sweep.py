#!/usr/bin/python3
"""The README's plots from two `memtile sweep` runs (this script used to loop over `memtile run`
itself; the sweep driver now schedules, seeds and resumes): accuracy vs programming variation and
accuracy vs ADC levels, each with 95 % intervals over seeds, plus the energy breakdown and
per-layer plots of one point's report.

  /usr/bin/python3 scripts/sweep.py [--limit 200] [--seeds 3] [--np N] [--out out/sweep] [--docs docs]

--np N runs each sweep under `mpirun -np N`. Rerunning with the same --out resumes.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--memtile", default=os.path.join(root, "build", "tb", "memtile"))
    ap.add_argument("--model", default=os.path.join(root, "tb", "networks", "lenet5_fmnist.onnx"))
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--np", type=int, default=0, help="MPI ranks (0: no mpirun)")
    ap.add_argument("--out", default=os.path.join(root, "out", "sweep"))
    ap.add_argument("--docs", default=os.path.join(root, "docs"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    launcher = [shutil.which("mpirun") or "mpirun", "--oversubscribe", "-np", str(a.np)] if a.np else []
    common = {"model": os.path.abspath(a.model), "images": a.limit, "base": "default", "seeds": a.seeds}
    sweeps = {
        "var": dict(common, grid=[{"name": "engine.var", "values": [0.0, 0.05, 0.1, 0.2, 0.3, 0.5]}]),
        "adc": dict(common, grid=[{"name": "engine.radc", "values": [2 ** b for b in (3, 4, 5, 6, 8, 10)]}]),
    }
    for name, spec in sweeps.items():
        path = os.path.join(a.out, f"{name}.spec.json")
        with open(path, "w") as f:
            json.dump(spec, f, indent=1)
        subprocess.run(launcher + [a.memtile, "sweep", "--spec", path, "--out", os.path.join(a.out, name)], check=True)
    plot = [sys.executable, os.path.join(here, "plot_sweep.py"), "line"]
    subprocess.run(plot + [os.path.join(a.out, "var"), "--x", "engine.var", "--out",
                           os.path.join(a.docs, "accuracy_vs_var.png")], check=True)
    subprocess.run(plot + [os.path.join(a.out, "adc"), "--x", "engine.radc", "--logx", "--out",
                           os.path.join(a.docs, "accuracy_vs_adc_bits.png")], check=True)
    # One point's full report (var 0.05, the first seed) for the energy and per-layer plots.
    task = sorted(glob.glob(os.path.join(a.out, "var", "points", "task-*.json")))[1 * a.seeds]
    report = os.path.join(a.out, "var_0.05.report.json")
    with open(report, "w") as f:
        json.dump(json.load(open(task))["report"], f)
    reports = [sys.executable, os.path.join(here, "plot_reports.py")]
    subprocess.run(reports + ["energy", "--out", os.path.join(a.docs, "energy_breakdown.png"), report], check=True)
    subprocess.run(reports + ["layers", "--out", os.path.join(a.docs, "layers.png"), report], check=True)


if __name__ == "__main__":
    main()
