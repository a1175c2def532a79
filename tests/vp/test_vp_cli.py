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
    # --config: the accelerator's JSON loader. Exact mode: float64 products, so the only error
    # left is the float32 rounding of inputs, weights and results in memory.
    def conf(name, text):
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        return path
    good = conf("exact.json", '{"tiles": 2, "tile_in": 32, "tile_out": 32, "exact": true,'
                ' "protocol": {"strict_streaming_width": true}, "engine": {"seed": 3}, "tile": {"clock_ghz": 0.5}}')
    r = run("-k", "70", "-n", "40", "--batch", "3", "--config", good)
    check(r.returncode == 0, f"--config exact.json exits 0 ({r.returncode}): {r.stderr}")
    check("accelerator: 2 tiles of 32 x 32" in r.stdout, f"--config sets the tiles: {r.stdout}")
    err = [l for l in r.stdout.splitlines() if l.startswith("relative error vs exact product")]
    check(len(err) == 1 and float(err[0].split(":")[1]) < 1e-6, f"exact mode is exact: {err}")
    bad_configs = [
        ('{"tile_in": 0}', "accelerator.tile_in"),
        ('{"tiles": 4294967297}', "accelerator.tiles"),
        ('{"protocol": {"strict": true}}', "accelerator.protocol.strict"),
        ('{"exact": 1}', "accelerator.exact"),
        ('{"clock_ghz": -1}', "accelerator.clock_ghz"),
        ('{"tile": {"adc_mux": 0}}', "adc_mux"),
        ('{"engine": {"array_rows": 0}}', "array_rows"),
        ('{"bogus": 1}', "accelerator.bogus"),
        ('{"tiles": ', "invalid JSON"),
    ]
    for i, (text, needle) in enumerate(bad_configs):
        path = conf(f"bad{i}.json", text)
        r = run("--config", path, "--perfetto", os.path.join(d, "never.json"))
        lines = r.stderr.strip().splitlines()
        check(r.returncode == 2, f"config {text}: exit 2 (got {r.returncode})")
        check(len(lines) == 1 and needle in lines[0] and path in lines[0],
              f"config {text}: one line naming the file and {needle!r}: {r.stderr!r}")
        check(not os.path.exists(os.path.join(d, "never.json")), f"config {text}: no trace written")
    bad = [
        (["--config", os.path.join(d, "absent.json")], "absent.json"),
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

# The same trace flags as `memtile run`: --vcd PATH[.vcd], --trace FILE.json.
with tempfile.TemporaryDirectory() as d:
    for vcd_arg in ("with_ext.vcd", "without_ext"):
        r = run("-k", "8", "-n", "8", "--batch", "1", "--vcd", os.path.join(d, vcd_arg),
                "--trace", os.path.join(d, vcd_arg + ".json"))
        base = vcd_arg[:-4] if vcd_arg.endswith(".vcd") else vcd_arg
        check(r.returncode == 0, f"--vcd {vcd_arg} --trace exits 0: {r.stderr}")
        check(os.path.exists(os.path.join(d, base + ".vcd")) and not os.path.exists(os.path.join(d, base + ".vcd.vcd")),
              f"--vcd {vcd_arg} writes {base}.vcd: {os.listdir(d)}")
        check(os.path.getsize(os.path.join(d, vcd_arg + ".json")) > 0, f"--trace writes the Perfetto JSON: {os.listdir(d)}")

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
