#!/usr/bin/env python3
"""Runs the Google Benchmark programs and prints a markdown table of the figures next to the
reference measured in the same run, as ratios (a noisy machine shifts both alike).

  python3 bench/run_benchmarks.py [--build build] [--only engine,circuit,...]
"""
import argparse
import json
import os
import subprocess
import sys


def run(binary, extra=()):
    out = subprocess.run([binary, "--benchmark_format=json", *extra], capture_output=True, text=True, check=True)
    return {b["name"]: b for b in json.loads(out.stdout)["benchmarks"] if b.get("run_type", "iteration") == "iteration"}


def ms(b):
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
    return b["real_time"] * scale


def engine_table(build):
    r = run(os.path.join(build, "bench", "bench_engine"))
    rows = ["| operation | size | time (ms) | Eigen float GEMM (ms) | ratio to GEMM x slice pairs | target |",
            "|---|---|---|---|---|---|"]
    for n in (256, 1024):
        gemm = ms(r[f"BM_EigenGemmFloat/{n}"])
        for name, label in (("BM_BitsliceHardwareMultiply", "bitslice hw, programmed once, multiply"),
                            ("BM_BitsliceHardwareDot", "bitslice hw, program + multiply (mPimPy MapReduceDot)")):
            key = f"{name}/{n}"
            if key not in r:
                continue
            pairs = r[key].get("slice_pairs", 16)
            rows.append(f"| {label} | {n}x{n} . {n}x{n} | {ms(r[key]):.1f} | {gemm:.2f} | "
                        f"{ms(r[key]) / (gemm * pairs):.2f} | <= 4 |")
    ref = subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "mpimpy_numpy_reference.py"),
                          "--n", "256", "--repeat", "3"], capture_output=True, text=True, check=True)
    numpy_ms = json.loads(ref.stdout)["seconds"] * 1e3
    dot_ms = ms(r["BM_BitsliceHardwareDot/256"])
    rows.append("")
    rows.append("| same work, 256x256 bitslice hardware (program + multiply) | time (ms) | speed-up |")
    rows.append("|---|---|---|")
    rows.append(f"| numpy, mPimPy's algorithm (bench/mpimpy_numpy_reference.py) | {numpy_ms:.0f} | 1 |")
    rows.append(f"| memtile MatrixEngine::dot | {dot_ms:.1f} | {numpy_ms / dot_ms:.1f}x |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    print("### Numerical engine (32x32 arrays, xblk = mblk = [1,1,2,4]: 16 slice pairs)\n")
    print(engine_table(args.build))


if __name__ == "__main__":
    sys.exit(main())
