#!/usr/bin/python3
"""Benchmark of `memtile sweep` on the 24-point x 3-seed LeNet-5 spec (lenet5_24x3.json).

  bench_sweep.py MEMTILE [--mpirun mpirun] [--repeat 2] [--json out.json] [--keep DIR]

Measures, on this machine:
- the sweep's wall time with 1 rank x 1 worker, 2 MPI ranks x 1 worker and 1 rank x 2
  workers, and the speed-up of 2 ranks over 1 (the tables must be identical byte for byte);
- the driver's per-point overhead (target <= 5 %): the 1-rank x 1-worker sweep's wall time
  against the sum of its children's (what the driver adds: start-up, scheduling, fsynced task
  files, tables), and each child against the same task run as a plain `memtile run` with the
  same arguments (median ratio); every plain run must reproduce its sweep row. The sweep
  against the 72 plain runs in sequence is reported too, but on a shared machine it mostly
  measures the load changing between the two.
Each measurement is repeated (--repeat) alternating sweep and plain runs; the minimum counts
(the machine is shared: the minimum is the least disturbed run).
"""
import argparse
import csv
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(here, "lenet5_24x3.json")


def timed(cmd, env=None):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("memtile")
    ap.add_argument("--mpirun", default=shutil.which("mpirun"))
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--json", help="write the numbers here")
    ap.add_argument("--keep", help="keep the 1-rank sweep's output folder here (for plots)")
    a = ap.parse_args()
    spec = json.load(open(SPEC))
    tmp = tempfile.mkdtemp(prefix="memtile_bench_sweep_")
    env = dict(os.environ)
    env.setdefault("OMPI_MCA_btl", "self,vader,tcp")
    mpi = [a.mpirun, "--allow-run-as-root", "--oversubscribe", "-np", "2"] if a.mpirun else None

    def sweep(out, workers, ranks=1):
        shutil.rmtree(out, ignore_errors=True)
        cmd = (mpi if ranks == 2 else []) + [a.memtile, "sweep", "--spec", SPEC, "--out", out, "--quiet", "--workers", str(workers)]
        return timed(cmd, env)

    # The plain runs: the child's command line, with the point's configuration (the default
    # base is empty, so the configuration is the axis values alone).
    model = os.path.normpath(os.path.join(here, spec["model"]))
    axes = [ax["name"] for ax in spec["grid"]]
    tasks = []
    for values in itertools.product(*[ax["values"] for ax in spec["grid"]]):
        cfg = {"engine": {}}
        for name, v in zip(axes, values):
            cfg["engine"][name.split(".", 1)[1]] = v
        for s in range(spec["seeds"]):
            tasks.append((cfg, spec["seed"] + s))
    cfgs = []
    for i, (cfg, seed) in enumerate(tasks):
        path = os.path.join(tmp, f"cfg{i}.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        cfgs.append((path, seed))

    def plain(check_rows=None):
        walls = []
        for i, (path, seed) in enumerate(cfgs):
            rep = os.path.join(tmp, "plain.json")
            walls.append(timed([a.memtile, "run", "--model", model, "--dataset", spec["dataset"], "--limit", str(spec["images"]),
                            "--batch", str(spec["batch"]), "--config", path, "--seed", str(seed), "--report", rep, "--quiet"]))
            if check_rows is not None:
                r = json.load(open(rep))
                row = check_rows[i]
                for m in ("accuracy", "energy_pj_per_image", "latency_ns_per_image"):
                    if float(row[m]) != r[m]:
                        sys.exit(f"bench_sweep.py: task {i}: plain run {m} {r[m]} != sweep row {row[m]}")
        return walls

    one = os.path.join(tmp, "one")
    t_one, t_children, child_walls, plain_walls = [], [], [], []
    for rep in range(a.repeat):
        t_one.append(sweep(one, 1))
        rows = list(csv.DictReader(open(os.path.join(one, "results.csv"))))
        walls = [float(r["wall_seconds"]) for r in csv.DictReader(open(os.path.join(one, "timing.csv")))]
        t_children.append(sum(walls))
        child_walls.append(walls)
        plain_walls.append(plain(rows if rep == 0 else None))
    results = open(os.path.join(one, "results.csv"), "rb").read()
    summary = open(os.path.join(one, "summary.csv"), "rb").read()
    # Per task, the least disturbed of the repeats, child (under the driver) and plain.
    child_min = [min(w[i] for w in child_walls) for i in range(len(tasks))]
    plain_min = [min(w[i] for w in plain_walls) for i in range(len(tasks))]
    best = min(range(a.repeat), key=lambda i: t_one[i])
    out = {"tasks": len(tasks), "points": len(tasks) // spec["seeds"], "seeds": spec["seeds"], "images_per_point": spec["images"],
           "load_average_1min": os.getloadavg()[0],
           "sweep_1rank_1worker_s": t_one[best],
           # What the driver adds around its children within one sweep (start-up, scheduling,
           # fsynced task files, tables): insensitive to the machine's load, which hits both.
           "driver_overhead_pct": 100 * (t_one[best] / t_children[best] - 1),
           # A task's child against a plain `memtile run` of it (same program and arguments).
           "child_vs_plain_median_pct": 100 * (statistics.median(c / p for c, p in zip(child_min, plain_min)) - 1),
           # The whole sweep against the 72 plain runs one after another (load-sensitive).
           "sweep_vs_plain_total_pct": 100 * (min(t_one) / min(sum(w) for w in plain_walls) - 1),
           "plain_runs_s": [sum(w) for w in plain_walls], "all_sweep_1rank_s": t_one, "children_s": t_children}
    w2 = os.path.join(tmp, "w2")
    out["sweep_1rank_2workers_s"] = min(sweep(w2, 2) for _ in range(a.repeat))
    out["speedup_2workers"] = out["sweep_1rank_1worker_s"] / out["sweep_1rank_2workers_s"]
    if mpi:
        m2 = os.path.join(tmp, "m2")
        out["sweep_2ranks_1worker_s"] = min(sweep(m2, 1, ranks=2) for _ in range(a.repeat))
        out["speedup_2ranks"] = out["sweep_1rank_1worker_s"] / out["sweep_2ranks_1worker_s"]
        out["tables_identical_2ranks"] = (open(os.path.join(m2, "results.csv"), "rb").read() == results and
                                          open(os.path.join(m2, "summary.csv"), "rb").read() == summary)
    out["tables_identical_2workers"] = (open(os.path.join(w2, "results.csv"), "rb").read() == results and
                                        open(os.path.join(w2, "summary.csv"), "rb").read() == summary)
    print(json.dumps(out, indent=2))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)
    if a.keep:
        shutil.rmtree(a.keep, ignore_errors=True)
        shutil.copytree(one, a.keep)
    shutil.rmtree(tmp, ignore_errors=True)
    if not out["tables_identical_2workers"] or not out.get("tables_identical_2ranks", True):
        sys.exit("bench_sweep.py: the tables differ between runs")


if __name__ == "__main__":
    main()
