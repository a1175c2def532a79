#!/usr/bin/python3
"""Black-box tests of `memtile sweep`, alone and under `mpirun -np 2` on localhost.

  test_sweep.py MEMTILE SOURCE_DIR [MPIRUN]

- The tables are identical byte for byte with 1 worker, 2 workers and 2 MPI ranks.
- Every row equals a plain `memtile dot` / `memtile run` of the same configuration and seed
  (the driver adds nothing and loses nothing); summary.csv equals numpy/scipy's mean, sample std
  and Student-t 95 % interval of results.csv.
- Killed mid-run (a rank of mpirun, or the single process, SIGKILL), the finished task files
  survive untouched and the rerun completes the same bytes as an uninterrupted run.
- Bad specs exit 2 with a message naming the field, before anything is written.
"""
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

memtile, root = sys.argv[1], sys.argv[2]
mpirun = sys.argv[3] if len(sys.argv) > 3 and not sys.argv[3].endswith("NOTFOUND") else shutil.which("mpirun")
MPI = [mpirun, "--allow-run-as-root", "--oversubscribe", "-np", "2"] if mpirun else None
tmp = tempfile.mkdtemp(prefix="memtile_test_sweep_")
env = dict(os.environ)
# OpenMPI inside containers: no rsh agent or network needed for localhost ranks.
env.setdefault("OMPI_MCA_btl", "self,vader,tcp")
env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")


def write_spec(name, spec):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        json.dump(spec, f, indent=1)
    return path


def sweep(spec, out, *extra, mpi=False, check_rc=True):
    cmd = (MPI if mpi else []) + [memtile, "sweep", "--spec", spec, "--out", out, "--quiet", *extra]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if check_rc and r.returncode != 0:
        print(r.stdout, r.stderr)
    return r


def read(path):
    with open(path, "rb") as f:
        return f.read()


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


DOT = {
    "description": "test: small dot products",
    "dot": {"a": {"shape": [8, 96], "distribution": "uniform", "low": -1, "high": 1},
            "b": {"shape": [96, 24], "distribution": "normal", "mean": 0, "std": 0.5}},
    "base": "default",
    "config": {"engine": {"array_size": [32, 32]}},
    "grid": [{"name": "engine.radc", "values": [16, 64, 1024]},
             {"name": "engine.var", "values": [0.0, 0.1]}],
    "seeds": 3,
    "seed": 7,
}
dot_spec = write_spec("dot.json", DOT)

# --- 1 worker is the reference -----------------------------------------------------------------
ref = os.path.join(tmp, "ref")
r = sweep(dot_spec, ref, "--workers", "1")
check(r.returncode == 0, f"dot sweep runs (exit {r.returncode}: {r.stderr.strip()})")
res = rows(os.path.join(ref, "results.csv"))
check(len(res) == 18, f"results.csv has one row per point x seed (18), got {len(res)}")
check(list(res[0].keys())[:4] == ["point", "engine.radc", "engine.var", "seed"], f"axes and seed lead the columns: {list(res[0].keys())[:4]}")
check([r_["point"] for r_ in res] == [str(p) for p in range(6) for _ in range(3)], "rows sorted by point, then seed")
check([r_["seed"] for r_ in res[:3]] == ["7", "8", "9"], "seeds derive from the spec (seed 7, 3 seeds)")
check(read(os.path.join(ref, "spec.json")) == read(dot_spec), "the spec is copied into --out")
timing = rows(os.path.join(ref, "timing.csv"))
check(len(timing) == 18 and all(float(t["wall_seconds"]) > 0 for t in timing), "timing.csv: wall seconds per task")

# Seeds matter with variation and do not without it (var 0, no read noise: no random draw).
by = {(r_["engine.radc"], r_["engine.var"], r_["seed"]): float(r_["relative_error"]) for r_ in res}
check(len({by[("1024", "0.1", s)] for s in "789"}) == 3, "with var 0.1 the three seeds give three different errors")
check(len({by[("1024", "0.0", s)] for s in "789"}) == 1, "with var 0 every seed gives the same error")
check(by[("16", "0.0", "7")] > 3 * by[("1024", "0.0", "7")], "a 16-level ADC errs far more than a 1024-level one")

# Each row equals a plain `memtile dot` of the same operands, configuration and seed: operands
# drawn by numpy, given to the sweep as .npy files.
rng = np.random.default_rng(3)
np.save(os.path.join(tmp, "A.npy"), rng.uniform(-1, 1, (8, 96)))
np.save(os.path.join(tmp, "B.npy"), rng.normal(0, 0.5, (96, 24)))
NPY = dict(DOT, dot={"a": {"npy": "A.npy"}, "b": {"npy": "B.npy"}})
npy_out = os.path.join(tmp, "npy")
r = sweep(write_spec("npy.json", NPY), npy_out)
check(r.returncode == 0, f"dot sweep on .npy operands runs ({r.stderr.strip()})")
nres = rows(os.path.join(npy_out, "results.csv"))
for row in [nres[4], nres[17]]:
    cfg = os.path.join(tmp, "plain_dot.json")
    with open(cfg, "w") as f:
        json.dump({"array_size": [32, 32], "radc": int(row["engine.radc"]), "var": float(row["engine.var"])}, f)
    out = subprocess.run([memtile, "dot", "--a", os.path.join(tmp, "A.npy"), "--b", os.path.join(tmp, "B.npy"),
                          "--out", os.path.join(tmp, "C.npy"), "--config", cfg, "--seed", row["seed"], "--json"],
                         capture_output=True, text=True, check=True)
    plain = json.loads(out.stdout)
    C = np.load(os.path.join(tmp, "C.npy"))
    exact = np.load(os.path.join(tmp, "A.npy")) @ np.load(os.path.join(tmp, "B.npy"))
    check(float(row["relative_error"]) == plain["relative_error"] and int(row["adc_conversions"]) == plain["counters"]["adc_conversions"],
          f"sweep row (radc {row['engine.radc']}, var {row['engine.var']}, seed {row['seed']}) == plain memtile dot")
    check(abs(np.linalg.norm(C - exact) / np.linalg.norm(exact) - plain["relative_error"]) < 1e-9,
          "relative_error is numpy's |C - A.B| / |A.B|")

# --- 2 workers, 2 ranks: the same bytes -------------------------------------------------------
w2 = os.path.join(tmp, "w2")
r = sweep(dot_spec, w2, "--workers", "2")
check(r.returncode == 0, "dot sweep with 2 workers runs")
for t in ("results.csv", "summary.csv"):
    check(read(os.path.join(w2, t)) == read(os.path.join(ref, t)), f"{t}: 2 workers == 1 worker, byte for byte")
if MPI:
    m2 = os.path.join(tmp, "mpi2")
    r = sweep(dot_spec, m2, "--workers", "1", mpi=True)
    check(r.returncode == 0, f"dot sweep under mpirun -np 2 runs (exit {r.returncode}: {r.stderr.strip()[-300:]})")
    for t in ("results.csv", "summary.csv"):
        check(os.path.exists(os.path.join(m2, t)) and read(os.path.join(m2, t)) == read(os.path.join(ref, t)),
              f"{t}: 2 MPI ranks == 1 process, byte for byte")
    check("2 ranks" in r.stdout, f"the sweep reports 2 ranks: {r.stdout.strip()}")
else:
    print("SKIP: no mpirun")

# --- summary.csv against numpy / scipy --------------------------------------------------------
summ = rows(os.path.join(ref, "summary.csv"))
check(len(summ) == 6, "summary.csv has one row per point")
for p, srow in enumerate(summ):
    x = np.array([float(r_["relative_error"]) for r_ in res if r_["point"] == str(p)])
    mean, sd = x.mean(), x.std(ddof=1)
    half = stats.t.ppf(0.975, len(x) - 1) * sd / np.sqrt(len(x))
    ok = (abs(float(srow["relative_error_mean"]) - mean) <= 1e-12 * abs(mean) and
          abs(float(srow["relative_error_std"]) - sd) <= 1e-9 * max(sd, 1e-300) and
          abs(float(srow["relative_error_ci95_high"]) - (mean + half)) <= 1e-9 * abs(mean + half))
    check(ok, f"summary point {p}: mean/std/95 % interval equal numpy+scipy ({srow['relative_error_mean']} vs {mean})")

# --- random samples and explicit points ------------------------------------------------------
RND = dict(DOT, grid=None, seeds=1, random={"samples": 6, "axes": [
    {"name": "engine.var", "uniform": [0.0, 0.2]},
    {"name": "engine.radc", "choice": [64, 256]},
    {"name": "engine.array_size", "choice": [[16, 16], [32, 32]]},
    {"name": "engine.g_level", "int_uniform": [16, 64]}]})
RND = {k: v for k, v in RND.items() if v is not None}
outs = []
for i, seed in enumerate((7, 7, 8)):
    o = os.path.join(tmp, f"rnd{i}")
    r = sweep(write_spec(f"rnd{i}.json", dict(RND, seed=seed)), o)
    check(r.returncode == 0, f"random sweep {i} runs ({r.stderr.strip()})")
    outs.append(o)
rr = rows(os.path.join(outs[0], "results.csv"))
check(len(rr) == 6 and all(0 <= float(x["engine.var"]) <= 0.2 and x["engine.radc"] in ("64", "256") and
                           x["engine.array_size"] in ("[16,16]", "[32,32]") and 16 <= int(x["engine.g_level"]) <= 64 for x in rr),
      "random samples lie in their ranges / choices (lists quoted as JSON)")
check(read(os.path.join(outs[0], "results.csv")) == read(os.path.join(outs[1], "results.csv")), "random samples: same spec seed, same bytes")
check([x["engine.var"] for x in rows(os.path.join(outs[2], "results.csv"))] != [x["engine.var"] for x in rr],
      "random samples: another spec seed draws other points")
arr = {x["engine.array_size"]: int(x["arrays"]) for x in rr}
check(len(arr) < 2 or arr["[16,16]"] > arr["[32,32]"], f"smaller crossbars need more arrays ({arr})")
PTS = dict(DOT, grid=None, seeds=[3, 1], points=[{"engine.radc": 1024, "engine.xblk": [1, 1, 2, 4]}, {"engine.radc": 32, "engine.xblk": [4, 4]}])
PTS = {k: v for k, v in PTS.items() if v is not None}
o = os.path.join(tmp, "pts")
r = sweep(write_spec("pts.json", PTS), o)
pr = rows(os.path.join(o, "results.csv")) if r.returncode == 0 else []
check(len(pr) == 4 and [x["seed"] for x in pr] == ["3", "1", "3", "1"] and pr[2]["engine.xblk"] == "[4,4]",
      f"explicit points with an explicit seed list ({r.stderr.strip()})")

# --- the network workload: rows equal plain `memtile run` -------------------------------------
RUN = {"images": 3, "batch": 2, "base": "default",
       "grid": [{"name": "engine.radc", "values": [32, 1024]}], "seeds": [0, 5]}
run_spec = write_spec("run.json", RUN)
rref = os.path.join(tmp, "run_ref")
r = sweep(run_spec, rref, "--workers", "2")
check(r.returncode == 0, f"LeNet sweep runs (exit {r.returncode}: {r.stderr.strip()})")
rres = rows(os.path.join(rref, "results.csv"))
check(len(rres) == 4, "LeNet sweep: 2 points x 2 seeds")
cfg = os.path.join(tmp, "radc32.json")
with open(cfg, "w") as f:
    json.dump({"engine": {"radc": 32}, "tile": {}}, f)
rep = os.path.join(tmp, "plain.json")
subprocess.run([memtile, "run", "--limit", "3", "--batch", "2", "--config", cfg, "--seed", "5", "--report", rep, "--quiet"],
               check=True, capture_output=True)
plain = json.load(open(rep))
row = [r_ for r_ in rres if r_["engine.radc"] == "32" and r_["seed"] == "5"][0]
for m in ("accuracy", "float_accuracy", "energy_pj_per_image", "latency_ns_per_image", "area_um2", "tops_per_w"):
    check(float(row[m]) == plain[m], f"LeNet row {m} = plain memtile run ({row[m]} vs {plain[m]})")
if MPI:
    rm = os.path.join(tmp, "run_mpi")
    r = sweep(run_spec, rm, mpi=True)
    check(r.returncode == 0 and read(os.path.join(rm, "results.csv")) == read(os.path.join(rref, "results.csv")),
          "LeNet sweep: mpirun -np 2 == 1 process, byte for byte")

# --- killed mid-run, resumed ------------------------------------------------------------------
SLOW = dict(DOT, dot={"a": {"shape": [16, 64]}, "b": {"shape": [64, 16]}},
            config={"engine": {"array_size": [32, 32], "wire_resistance": 2.0}},
            grid=[{"name": "engine.radc", "values": [64, 256, 1024]}, {"name": "engine.var", "values": [0.0, 0.05]}],
            seeds=2)
slow_spec = write_spec("slow.json", SLOW)
slow_ref = os.path.join(tmp, "slow_ref")
r = sweep(slow_spec, slow_ref, "--workers", "2")
check(r.returncode == 0, "slow dot sweep runs")


def snapshot(out):
    d = os.path.join(out, "points")
    return {n: (os.stat(os.path.join(d, n)).st_ino, os.stat(os.path.join(d, n)).st_mtime_ns)
            for n in os.listdir(d) if n.endswith(".json")}


def kill_and_resume(label, mpi, victim):
    out = os.path.join(tmp, "killed_" + label)
    cmd = (MPI if mpi else []) + [memtile, "sweep", "--spec", slow_spec, "--out", out, "--quiet", "--workers", "1"]
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and (not os.path.isdir(os.path.join(out, "points")) or len(snapshot(out)) < 3):
        time.sleep(0.02)
    before = snapshot(out)
    pid = victim(p)
    if pid:
        os.kill(pid, signal.SIGKILL)
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    after_kill = snapshot(out)
    check(3 <= len(before) < 12, f"{label}: killed in the middle ({len(before)} of 12 tasks done)")
    check(not os.path.exists(os.path.join(out, "results.csv")), f"{label}: no table after the kill")
    check(all(after_kill.get(n) == v for n, v in before.items()), f"{label}: every task finished before the kill survives")
    r = sweep(slow_spec, out, "--workers", "1", mpi=mpi)
    check(r.returncode == 0, f"{label}: the rerun completes (exit {r.returncode}: {r.stderr.strip()[-300:]})")
    after = snapshot(out)
    check(all(after.get(n) == v for n, v in after_kill.items()), f"{label}: the rerun skips finished tasks (files untouched)")
    check(f"{len(after_kill)} already done" in r.stdout, f"{label}: the rerun reports {len(after_kill)} already done: {r.stdout.strip()[:120]}")
    for t in ("results.csv", "summary.csv"):
        check(read(os.path.join(out, t)) == read(os.path.join(slow_ref, t)), f"{label}: {t} after resume == uninterrupted, byte for byte")


def rank_pid(rank):
    def find(p):
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    e = f.read().split(b"\0")
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    c = f.read().split(b"\0")
            except OSError:
                continue
            if (f"OMPI_COMM_WORLD_RANK={rank}".encode() in e and b"MEMTILE_NO_MPI=1" not in e and
                    c and c[0] == memtile.encode() and os.getsid(int(pid)) == p.pid):
                return int(pid)
        return None
    return find


kill_and_resume("single", False, lambda p: p.pid)
if MPI:
    kill_and_resume("rank1", True, rank_pid(1))
    kill_and_resume("rank0", True, rank_pid(0))

# --- a different spec into the same --out is refused ------------------------------------------
other = write_spec("other.json", dict(DOT, seeds=2))
r = sweep(other, ref, check_rc=False)
check(r.returncode == 2 and "different spec" in r.stderr, f"another spec into a used --out: exit 2 ({r.returncode}: {r.stderr.strip()})")

# --- bad specs: exit 2, naming the field, nothing written -------------------------------------
BAD = [
    ("unknown axis field", dict(DOT, grid=[{"name": "engine.radcc", "values": [16]}]), "radcc"),
    ("bad axis value", dict(DOT, grid=[{"name": "engine.radc", "values": [64, 1]}]), "grid[0] 'engine.radc' = 1"),
    ("axis value of the wrong type", dict(DOT, grid=[{"name": "engine.var", "values": ["big"]}]), "engine.var"),
    ("tile field in a dot sweep", dict(DOT, grid=[{"name": "tile.adc_kind", "values": ["sar"]}]), "tile.adc_kind"),
    ("bad tile value", dict(RUN, grid=[{"name": "tile.adc_kind", "values": ["sar", "wizard"]}]), "tile.adc_kind"),
    ("unknown group", dict(RUN, grid=[{"name": "engin.radc", "values": [16]}]), "engin.radc"),
    ("seed as an axis", dict(DOT, grid=[{"name": "engine.seed", "values": [1, 2]}]), "engine.seed"),
    ("unknown spec key", dict(DOT, sedes=3), "sedes"),
    ("zero seeds", dict(DOT, seeds=0), "seeds"),
    ("two modes", dict(DOT, random={"samples": 2, "axes": [{"name": "engine.var", "uniform": [0, 0.1]}]}), "at most one of grid, random, points"),
    ("bad random distribution", dict(DOT, grid=None, random={"samples": 2, "axes": [{"name": "engine.var", "gaussian": [0, 1]}]}), "gaussian"),
    ("point combination invalid", dict(DOT, grid=None, points=[{"engine.HGS": 1e-5, "engine.LGS": 1e-7},
                                                              {"engine.HGS": 1e-8, "engine.LGS": 1e-7}]), "points[1] (engine.HGS=1e-08, engine.LGS=1e-07)"),
    ("grid combination invalid", dict(DOT, grid=[{"name": "engine.HGS", "values": [1e-5, 1e-8]},
                                                 {"name": "engine.LGS", "values": [1e-9, 1e-7]}]), "point 3 (engine.HGS=1e-08, engine.LGS=1e-07)"),
    ("points with other axes", dict(DOT, grid=None, points=[{"engine.radc": 16}, {"engine.var": 0.1}]), "points[1]"),
    ("misaligned operands", dict(DOT, dot={"a": {"shape": [4, 8]}, "b": {"shape": [9, 4]}}), "dot"),
    ("missing model", dict(RUN, model="nope.onnx"), "nope.onnx"),
    ("unknown preset", dict(DOT, base="no_such_preset"), "base"),
    ("bad images", dict(RUN, images=0), "images"),
]
for label, spec, needle in BAD:
    spec = {k: v for k, v in spec.items() if v is not None}
    path = write_spec("bad.json", spec)
    out = os.path.join(tmp, "bad_out")
    r = sweep(path, out, check_rc=False)
    msg = r.stderr.strip()
    check(r.returncode == 2 and needle in msg and msg.count("\n") == 0 and "bad.json" in msg,
          f"bad spec ({label}): exit 2, one line naming {needle!r} (exit {r.returncode}: {msg})")
    check(not os.path.exists(out), f"bad spec ({label}): nothing written")
if MPI:
    path = write_spec("bad.json", dict(DOT, grid=[{"name": "engine.radcc", "values": [16]}]))
    r = sweep(path, os.path.join(tmp, "bad_mpi"), mpi=True, check_rc=False)
    check(r.returncode == 2 and "radcc" in r.stderr, f"bad spec under mpirun: exit 2 naming the axis ({r.returncode}: {r.stderr.strip()[-200:]})")
    check(not os.path.exists(os.path.join(tmp, "bad_mpi")), "bad spec under mpirun: nothing written")

# --- plots from the reference sweep -----------------------------------------------------------
plot = [sys.executable, os.path.join(root, "scripts", "plot_sweep.py")]
for kind, args in (("line", ["--x", "engine.var", "--group", "engine.radc"]), ("heatmap", ["--x", "engine.radc", "--y", "engine.var"])):
    png = os.path.join(tmp, kind + ".png")
    r = subprocess.run(plot + [kind, ref, *args, "--metric", "relative_error", "--out", png], capture_output=True, text=True)
    check(r.returncode == 0 and read(png)[:8] == b"\x89PNG\r\n\x1a\n", f"plot_sweep.py {kind} draws a PNG ({r.stderr.strip()[-200:]})")
r = subprocess.run(plot + ["line", ref, "--x", "engine.radc", "--metric", "relative_error", "--out", os.path.join(tmp, "x.png")], capture_output=True, text=True)
check(r.returncode != 0 and "engine.var" in r.stderr, f"plot_sweep.py refuses an unpinned axis, naming it ({r.stderr.strip()})")

shutil.rmtree(tmp, ignore_errors=True)
finish()
