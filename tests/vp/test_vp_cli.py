#!/usr/bin/env python3
"""memtile_vp (the example virtual platform): a job runs to the interrupt with a small error;
bad input gets one line naming the option, exit code 2, and no trace file."""
import os
import subprocess
import sys
import tempfile

VP = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    return subprocess.run([VP, *args], capture_output=True, text=True)


r = run("-k", "70", "-n", "40", "--batch", "3", "--relu")
check(r.returncode == 0, f"good job exits 0 ({r.returncode}): {r.stderr}")
check("relative error vs exact product" in r.stdout and "latency START -> IRQ" in r.stdout, "good job prints results")

with tempfile.TemporaryDirectory() as d:
    bad = [
        (["-k", "0"], "-k"),
        (["-k", "-3"], "-k"),
        (["--batch", "100000"], "system memory"),
        (["-k", "4294967295", "-n", "4294967295"], "-k"),
        (["--quantum-ns", "-1"], "--quantum-ns"),
        (["--vcd", os.path.join(d, "missing", "w")], "missing"),
        (["--perfetto", os.path.join(d, "missing", "t.json")], "missing"),
        (["--bogus"], "bogus"),
    ]
    for args, needle in bad:
        r = run(*args, "--perfetto", os.path.join(d, "never.json")) if "--perfetto" not in args else run(*args)
        lines = r.stderr.strip().splitlines()
        check(r.returncode == 2, f"{args}: exit 2 (got {r.returncode})")
        check(len(lines) == 1 and needle in lines[0], f"{args}: one line naming {needle!r}: {r.stderr!r}")
        check(not os.path.exists(os.path.join(d, "never.json")), f"{args}: no trace written")

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
