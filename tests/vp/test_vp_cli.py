#!/usr/bin/env python3
"""memtile_vp (the example virtual platform): a job runs to the interrupt with a small error;
bad input gets one line naming the option, exit code 2, and no trace file."""
import json
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
check("relative to the exact product" in r.stdout and "START -> IRQ" in r.stdout and "\nchecks      passed\n" in r.stdout,
      f"good job prints results: {r.stdout}")

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
    r = run("-k", "70", "-n", "40", "--batch", "3", "--config", good, "--json")
    check(r.returncode == 0, f"--config exact.json exits 0 ({r.returncode}): {r.stderr}")
    j = json.loads(r.stdout) if r.returncode == 0 else {}
    acc = j.get("accelerator", {})
    check((acc.get("tiles"), acc.get("tile_in"), acc.get("tile_out"), acc.get("exact")) == (2, 32, 32, True),
          f"--config sets the tiles and the exact mode: {acc}")
    check(j.get("relative_error", 1) < 1e-6 and j.get("tolerance") == 1e-6 and j.get("passed") is True,
          f"exact mode is exact: {j.get('relative_error')}")
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
        for extra in ([], ["--json"]):  # refused the same way with --json: nothing on stdout
            trace = [] if "--perfetto" in args else ["--perfetto", os.path.join(d, "never.json")]
            r = run(*args, *trace, *extra)
            lines = r.stderr.strip().splitlines()
            check(r.returncode == 2 and r.stdout == "", f"{args + extra}: exit 2, empty stdout (got {r.returncode}, {r.stdout!r})")
            check(len(lines) == 1 and needle in lines[0], f"{args + extra}: one line naming {needle!r}: {r.stderr!r}")
            check(not os.path.exists(os.path.join(d, "never.json")), f"{args + extra}: no trace written")

# --seed is the accelerator's (engine.seed, as in `memtile run` and `memtile dot`): it overrides the
# config's and changes the device draws, not the data; --data-seed changes the data.
with tempfile.TemporaryDirectory() as d:
    def result(*args):
        r = run("-k", "40", "-n", "20", "--batch", "2", "--json", *args)
        check(r.returncode == 0, f"{args}: exit 0 ({r.stderr})")
        return json.loads(r.stdout) if r.returncode == 0 else {}
    cfg = os.path.join(d, "seed.json")
    with open(cfg, "w") as f:
        json.dump({"engine": {"seed": 7}}, f)
    a, b = result("--config", cfg), result("--config", cfg, "--seed", "8")
    c = result("--config", cfg, "--seed", "7")
    check(a.get("accelerator", {}).get("engine_seed") == 7 and b.get("accelerator", {}).get("engine_seed") == 8,
          f"--seed overrides the config's engine.seed: {a.get('accelerator')} {b.get('accelerator')}")
    check(a.get("first_outputs", {}).get("exact") == b.get("first_outputs", {}).get("exact") and
          a.get("relative_error") != b.get("relative_error") and a.get("relative_error") == c.get("relative_error"),
          "--seed changes the device draws, not the data; the same seed, the same result")
    e = result("--config", cfg, "--data-seed", "2")
    check(e.get("first_outputs", {}).get("exact") != a.get("first_outputs", {}).get("exact"), "--data-seed changes the data")

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
