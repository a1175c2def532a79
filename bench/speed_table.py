#!/usr/bin/env python3
"""Simulation speed against this machine's lower bound, all measured in one run (README table).

For each workload the bound is bench/speed_bounds: float32 GEMMs of exactly the engine's
crossbar reads plus one fused conversion pass, with the build's SIMD, on both cores. The
measured figures are `memtile run` (images/s over the whole run, the float reference of every
batch included; the median of --repeats processes, each paired with the bound measured just
before and after it: the ratio is the median of the pairs') and MatrixEngine::dot. mPimPy 1.0 is timed on the same dot when
../shared/peers/mpimpy exists (skipped otherwise). Peak RSS is that of a `memtile run` process.

  /usr/bin/python3 bench/speed_table.py [--build build] [--images 1000] [--batch 64] [--repeats 3]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPIMPY = os.path.join(os.path.dirname(SRC), "shared", "peers", "mpimpy")
LENET = os.path.join(SRC, "tb", "networks", "lenet5_fmnist.onnx")
PRECISIONS = ("float64", "float32")  # EngineConfig::precision


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def memtile_run(build, images, batch, args):
    """One `memtile run` process: images/s, accuracy and peak RSS (MiB)."""
    with tempfile.TemporaryDirectory() as d:
        rep = os.path.join(d, "r.json")
        p = subprocess.Popen([os.path.join(build, "tb", "memtile"), "run", "--quiet", "--limit", str(images),
                              "--batch", str(batch), "--report", rep, *args], stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        if status != 0:
            sys.exit(f"memtile run {' '.join(args)} failed ({status})")
        with open(rep) as f:
            r = json.load(f)
    return r["images_per_second"], r["accuracy"], usage.ru_maxrss / 1024.0


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def paired_runs(build, images, batch, variants, repeats, bound):
    """The machine's speed drifts by up to 2x within minutes, so each run is paired with the bound
    measured just before and just after it (bound() is short): for each variant (a name and its
    `memtile run` arguments), run in turn `repeats` times, the median images/s, the median of the
    per-run ratios bound / measured (the bound of a run is the mean of its two neighbours), the
    median bound, the first accuracy and the largest peak RSS."""
    bounds = [bound()]
    runs = {name: [] for name, _ in variants}
    for _ in range(repeats):
        for name, args in variants:
            r = memtile_run(build, images, batch, args)
            bounds.append(bound())
            runs[name].append((r, 0.5 * (bounds[-2] + bounds[-1])))
    out = {}
    for name, rs in runs.items():
        out[name] = {"all": [r[0] for r, _ in rs], "ips": median([r[0] for r, _ in rs]), "ratio": median([b / r[0] for r, b in rs]),
                     "bound": median([b for _, b in rs]), "accuracy": rs[0][0][1], "rss": max(r[2] for r, _ in rs)}
    return out


MPIMPY_DOT = r"""
import json, sys, time
import numpy as np
from mpimpy import memmat
n = int(sys.argv[1])
rng = np.random.default_rng(0)
a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
eng = memmat.bitslicedpe(vnoise=0.0, wire_resistance=0.0)
best = 1e30
for _ in range(2):
    t0 = time.perf_counter()
    eng.MapReduceDot(a, b, xblk=[1, 1, 2, 4], mblk=[1, 1, 2, 4])
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"seconds": best}))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeats", type=int, default=3, help="memtile runs per figure (the median is reported)")
    a = ap.parse_args()
    bounds = os.path.join(a.build, "bench", "speed_bounds")
    rows = ["| workload | measured | lower bound here (%d cores) | measured / bound |" % a.cores, "|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as d:
        def config(name, base, precision):
            """base (a preset file or None) with engine.precision set: a config file in d."""
            cfg = {"engine": {}}
            if base:
                with open(base) as f:
                    cfg = json.load(f)
                cfg.setdefault("engine", {})
            cfg["engine"]["precision"] = precision
            path = os.path.join(d, f"{name}_{precision}.json")
            with open(path, "w") as f:
                json.dump(cfg, f)
            return path

        wire = os.path.join(d, "wire.json")
        with open(wire, "w") as f:
            json.dump({"engine": {"wire_resistance": 2.93}}, f)
        isaac = os.path.join(SRC, "configs", "presets", "isaac_like.json")
        results = {}
        for key, label, base in (("default", "LeNet-5, default config", None), ("isaac", "LeNet-5, isaac_like", isaac),
                                 ("wire", "LeNet-5, wire resistance 2.93 ohm (exact IR drop)", wire)):
            # The bound is the same for both precisions (float32 GEMMs of the same reads).
            bound = lambda: run_json([bounds, "--model", LENET, "--images", "64", "--batch", str(a.batch), "--cores",
                                      str(a.cores), *(["--config", base] if base else [])])["bound_images_per_second"]
            for precision in PRECISIONS:
                cargs = ["--config", config(key, base, precision)]
                r = paired_runs(a.build, a.images, a.batch, [("engine", ["--engine-only", *cargs]), ("sysc", cargs)],
                                a.repeats, bound)
                results[f"{label}, {precision}"] = r
                for name, what in (("engine", "engine only"), ("sysc", "SystemC tiles")):
                    rows.append(f"| {label}, {precision}, {what} | {r[name]['ips']:.0f} img/s | {r[name]['bound']:.0f} img/s | "
                                f"{r[name]['ratio']:.1f}x |")
        # The dot: speed_bounds times memtile's dot and its bound in one process; mPimPy, when
        # there, runs between two of them (per precision, the mean of the two is its pair).
        have_mpimpy = os.path.isdir(MPIMPY)
        def dot(precision):
            return run_json([bounds, "--dot", "512", "--cores", str(a.cores), "--config", config("dot", None, precision)])

        dots = {p: [dot(p)] for p in PRECISIONS}
        mpimpy = {p: [] for p in PRECISIONS}  # (mPimPy s, memtile s around it)
        for _ in range(a.repeats if have_mpimpy else 1):
            m = None
            if have_mpimpy:
                env = dict(os.environ, PYTHONPATH=MPIMPY)
                m = json.loads(subprocess.run(["/usr/bin/python3", "-c", MPIMPY_DOT, "512"], env=env, check=True,
                                              capture_output=True, text=True).stdout)["seconds"]
            for p in PRECISIONS:
                dots[p].append(dot(p))
                if m is not None:
                    mpimpy[p].append((m, 0.5 * (dots[p][-2]["measured_s"] + dots[p][-1]["measured_s"])))
        for precision in PRECISIONS:
            ds = dots[precision]
            rows.append(f"| dot 512x512 . 512x512, bitslice hw [1,1,2,4], 32x32 arrays (program + multiply), {precision} | "
                        f"{median([d['measured_s'] for d in ds]) * 1e3:.0f} ms | {median([d['bound_s'] for d in ds]) * 1e3:.0f} ms | "
                        f"{median([d['measured_s'] / d['bound_s'] for d in ds]):.1f}x |")
    rows.append("")
    rows.append("| comparison, same run | value |")
    rows.append("|---|---|")
    if have_mpimpy:
        ms = [m for m, _ in mpimpy[PRECISIONS[0]]]
        rows.append(f"| mPimPy 1.0 MapReduceDot, same dot (median of {len(ms)}, each between two memtile dots) | "
                    f"{median(ms) * 1e3:.0f} ms: memtile is " +
                    ", ".join(f"{median([m / d for m, d in mpimpy[p]]):.0f}x ({p})" for p in PRECISIONS) + " faster |")
    else:
        rows.append("| mPimPy 1.0 | not found (../shared/peers/mpimpy): skipped |")
    for label, r in results.items():
        # per repeat (the two runs are neighbours), then the median
        rows.append(f"| {label}: SystemC / engine-only time | "
                    f"{median([e / c for e, c in zip(r['engine']['all'], r['sysc']['all'])]):.2f}x |")
    r = results["LeNet-5, default config, float64"]
    rows.append(f"| peak RSS of a LeNet-5 run ({a.images} images, default config) | engine only {r['engine']['rss']:.0f} MiB, "
                f"SystemC {r['sysc']['rss']:.0f} MiB |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
