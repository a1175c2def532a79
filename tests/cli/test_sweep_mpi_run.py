#!/usr/bin/python3
"""Data-parallel `mpirun -np N memtile run`: the reduced report equals the single-process one.

  test_sweep_mpi_run.py MEMTILE SOURCE_DIR [MPIRUN]

Accuracy and every count exactly; energies, times and the figures derived from them to 1e-12
relative (summed per rank, then across ranks: docs/sweep.md); timings (wall seconds,
images per second) excluded. Skips (passes) when mpirun is not installed.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

memtile, root = sys.argv[1], sys.argv[2]
mpirun = sys.argv[3] if len(sys.argv) > 3 and not sys.argv[3].endswith("NOTFOUND") else shutil.which("mpirun")
if not mpirun:
    print("SKIP: no mpirun")
    finish()
tmp = tempfile.mkdtemp(prefix="memtile_test_mpi_run_")
env = dict(os.environ)
env.setdefault("OMPI_MCA_btl", "self,vader,tcp")
TIMING = {"wall_seconds", "images_per_second"}


def run(ranks, *args):
    report = os.path.join(tmp, f"r{ranks}_{len(os.listdir(tmp))}.json")
    cmd = ([mpirun, "--allow-run-as-root", "--oversubscribe", "-np", str(ranks)] if ranks else []) + \
          [memtile, "run", "--quiet", "--report", report, *args]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        return None, r
    return json.load(open(report)), r


def compare(a, b, path=""):
    """Differences between two reports: exact for ints, strings, bools; 1e-12 relative for floats."""
    bad = []
    if isinstance(a, dict):
        if set(a) != set(b):
            return [f"{path}: keys differ {sorted(set(a) ^ set(b))}"]
        for k in a:
            if k not in TIMING:
                bad += compare(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: lengths differ"]
        for i, (x, y) in enumerate(zip(a, b)):
            bad += compare(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        if abs(a - b) > 1e-12 * max(abs(a), abs(b)):
            bad.append(f"{path}: {a} vs {b}")
    elif a != b or type(a) is not type(b):
        bad.append(f"{path}: {a!r} vs {b!r}")
    return bad


pipelined = os.path.join(tmp, "pipelined.json")  # the pipeline section and the replication planner
with open(pipelined, "w") as f:
    json.dump({"engine": {"var": 0.1}, "tile": {"mapping": {"layer_pipeline": True, "array_budget": 400}}}, f)
for args in (["--limit", "37", "--batch", "8", "--seed", "3"],
             ["--limit", "20", "--batch", "4", "--config", pipelined]):
    single, _ = run(0, *args)
    for ranks in (2, 3):
        multi, r = run(ranks, *args)
        check(multi is not None, f"mpirun -np {ranks} memtile run {' '.join(args)} runs ({r.stderr.strip()[-200:]})")
        if multi is None or single is None:
            continue
        diff = compare(single, multi)
        check(not diff, f"-np {ranks} report == single process ({len(diff)} differences: {diff[:3]})")
        check(multi["accuracy"] == single["accuracy"] and multi["images"] == single["images"],
              f"-np {ranks}: accuracy exactly ({multi['accuracy']} vs {single['accuracy']})")
        counts = [(l["counts"], l["vectors"], l["batches"]) for l in single["layers"]]
        check(counts == [(l["counts"], l["vectors"], l["batches"]) for l in multi["layers"]],
              f"-np {ranks}: per-layer conversion counts, vectors and batches exactly")
        check(r.stdout.count("accuracy") == 1, "only rank 0 prints the summary")

for flag in ("--engine-only", "--ideal"):
    single, _ = run(0, "--limit", "30", flag)
    multi, r = run(2, "--limit", "30", flag)
    check(multi is not None and single is not None and not compare(single, multi),
          f"{flag}: -np 2 report == single process")

_, r = run(2, "--limit", "4", "--platform", "vp")
check(r.returncode == 2 and "data-parallel" in r.stderr, f"--platform vp under mpirun: exit 2 naming the limit ({r.returncode}: {r.stderr.strip()[-200:]})")

shutil.rmtree(tmp, ignore_errors=True)
finish()
