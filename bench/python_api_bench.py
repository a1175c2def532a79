#!/usr/bin/env python3
"""memtile's Python API next to mPimPy 1.0, in one process, on the same operands (docs/python.md).

  PYTHONPATH=build/bindings/python /usr/bin/python3 bench/python_api_bench.py [--size 512] [--repeats 3]

1. Bit-slice hardware, [1,1,2,4] input and weight slices, 32x32 arrays, mPimPy's INT8 example
   devices (var 0.05), A (n x n) . B (n x n): wall time of memtile.dot (program + multiply),
   of the mPimPy facade's MapReduceDot (the same engine configuration through
   memtile.mpimpy) and of mPimPy 1.0's MapReduceDot ($MPIMPY_PATH or ../shared/peers/mpimpy;
   skipped when absent). Best of --repeats.
2. Binding overhead: ProgrammedMatrix.multiply(X) called from Python against the same multiply
   timed inside C++ (ProgrammedMatrix._cpp_seconds: the C++ call alone, no Python, no array
   conversion), same programmed matrix, same X, interleaved; overhead = python / C++ - 1, from
   the fastest of --overhead-repeats of each, by wall clock and by process CPU time.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

import memtile
from memtile.mpimpy import memmat as mt_memmat

HERE = os.path.dirname(os.path.abspath(__file__))
INT8 = dict(HGS=1 / 1.3e5, LGS=1 / 2.1e6, g_level=16, var=0.05, vnoise=0, wire_resistance=2.93, rdac=256,
            radc=1024, vread=0.1, array_size=(32, 32))
BLK = [1, 1, 2, 4]


def best(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def find_mpimpy():
    for p in (os.environ.get("MPIMPY_PATH"), os.path.join(HERE, "..", "..", "shared", "peers", "mpimpy")):
        if p and os.path.isfile(os.path.join(p, "mpimpy", "__init__.py")):
            return os.path.abspath(p)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--mpimpy-repeats", type=int, default=1)
    ap.add_argument("--overhead-repeats", type=int, default=15)
    opt = ap.parse_args()
    n = opt.size
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    exact = a @ b
    out = {"size": n, "case": "bit-slice hardware [1,1,2,4], 32x32 arrays, mPimPy INT8 devices, var 0.05"}

    params = dict(mode="bitslice", xblk=BLK, mblk=BLK, sign_magnitude_converters=True, round_slice_products=True,
                  **{k: v for k, v in INT8.items() if k != "array_size"}, array_size=[32, 32])
    params["wire_resistance"] = 0.0
    c = memtile.dot(a, b, seed=1, **params)
    out["memtile_dot_s"] = best(lambda: memtile.dot(a, b, seed=1, **params), opt.repeats)
    out["memtile_dot_re"] = float(np.linalg.norm(c - exact) / np.linalg.norm(exact))
    dpe = mt_memmat.bitslicedpe(**INT8, seed=1)
    out["memtile_facade_s"] = best(lambda: dpe.MapReduceDot(a, b, xblk=BLK, mblk=BLK), opt.repeats)

    path = find_mpimpy()
    if path:
        sys.path.insert(0, path)
        from mpimpy import memmat as mp_memmat
        ref = mp_memmat.bitslicedpe(**INT8)
        np.random.seed(1)
        cref = ref.MapReduceDot(a, b, xblk=BLK, mblk=BLK)
        out["mpimpy_s"] = best(lambda: ref.MapReduceDot(a, b, xblk=BLK, mblk=BLK), opt.mpimpy_repeats)
        out["mpimpy_re"] = float(np.linalg.norm(cref - exact) / np.linalg.norm(exact))
        out["speedup_vs_mpimpy"] = out["mpimpy_s"] / out["memtile_dot_s"]
    else:
        out["mpimpy_s"] = None

    pm = memtile.Engine(seed=1, **params).program(b)
    pm.multiply(a)  # warm
    py_wall, py_cpu, cpp_wall, cpp_cpu = [], [], [], []
    for _ in range(opt.overhead_repeats):  # interleaved, so load changes hit both alike
        w0, c0 = time.perf_counter(), time.process_time()
        pm.multiply(a)
        py_wall.append(time.perf_counter() - w0)
        py_cpu.append(time.process_time() - c0)
        w, c = pm._cpp_seconds(a, 1)
        cpp_wall.append(w)
        cpp_cpu.append(c)
    out["multiply_python_wall_s"], out["multiply_cpp_wall_s"] = min(py_wall), min(cpp_wall)
    out["multiply_python_cpu_s"], out["multiply_cpp_cpu_s"] = min(py_cpu), min(cpp_cpu)
    out["binding_overhead_wall"] = min(py_wall) / min(cpp_wall) - 1.0
    out["binding_overhead_cpu"] = min(py_cpu) / min(cpp_cpu) - 1.0
    out["binding_overhead_cpu_median"] = float(np.median(py_cpu) / np.median(cpp_cpu) - 1.0)
    # The binding's own work on this X (dtype/shape checks, the strided copy-in, NaN scan, the
    # result view) measured alone: the same X into a software-form 512 x 1 matrix (tiny compute).
    tiny = memtile.Engine(software=True).program(b[:, :1])
    fixed = []
    for _ in range(30):
        c0 = time.process_time()
        tiny.multiply(a)
        fixed.append(time.process_time() - c0)
    out["binding_call_with_tiny_compute_cpu_s"] = min(fixed)
    out["load_average_1min"] = os.getloadavg()[0]
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
