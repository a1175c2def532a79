#!/usr/bin/env python3
"""The output convention of every memtile subcommand and of memtile_vp (docs/run.md, "Output
convention"): stdout carries a human summary, or with --json one JSON object and nothing else;
the result files are the same either way; bad input prints nothing on stdout, with or without
--json; --vcd PATH and --vcd PATH.vcd write the same PATH.vcd in run and memtile_vp, and both
take --trace.

  test_cli_output.py MEMTILE SOURCE_DIR [MEMTILE_VP]
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

MEMTILE, SRC = sys.argv[1], sys.argv[2]
VP = sys.argv[3] if len(sys.argv) > 3 else None


def run(*args, exe=None):
    return subprocess.run([exe or MEMTILE, *args], capture_output=True, text=True)


def one_object(r, what):
    """stdout is exactly one JSON object (json.loads refuses trailing text)."""
    try:
        j = json.loads(r.stdout)
    except json.JSONDecodeError as e:
        check(False, f"{what} --json: stdout is one JSON object ({e}): {r.stdout[:200]!r}")
        return {}
    check(isinstance(j, dict), f"{what} --json: a JSON object")
    return j


def summary(r, what, labels):
    """A human summary: not JSON, one 'label  value' line each of `labels`."""
    try:
        json.loads(r.stdout)
        check(False, f"{what}: the default output is a summary, not JSON")
    except json.JSONDecodeError:
        pass
    lines = r.stdout.splitlines()
    for label in labels:
        check(any(line.startswith(label + " ") for line in lines), f"{what}: summary has a '{label}' line: {r.stdout!r}")


with tempfile.TemporaryDirectory() as d:
    p = lambda name: os.path.join(d, name)
    rng = np.random.default_rng(3)
    np.save(p("a.npy"), rng.standard_normal((6, 40)))
    np.save(p("b.npy"), rng.standard_normal((40, 12)))
    np.save(p("g.npy"), rng.uniform(1e-6, 1e-5, (16, 8)))
    np.save(p("v.npy"), rng.uniform(0, 0.2, (3, 16)))

    # --- dot -----------------------------------------------------------------------------------
    base = ["dot", "--a", p("a.npy"), "--b", p("b.npy"), "--seed", "4"]
    r = run(*base, "--out", p("c_text.npy"))
    check(r.returncode == 0, f"dot: exit 0 ({r.stderr})")
    summary(r, "dot", ["relative error", "shape", "arrays", "conversions", "time", "out"])
    check("A 6 x 40 . B 40 x 12 -> C 6 x 12" in r.stdout, f"dot summary names the shapes: {r.stdout!r}")
    rj = run(*base, "--out", p("c_json.npy"), "--json")
    check(rj.returncode == 0, f"dot --json: exit 0 ({rj.stderr})")
    j = one_object(rj, "dot")
    for key in ("relative_error", "seconds", "shape", "arrays", "tiling", "counters", "parameters", "out"):
        check(key in j, f"dot --json has {key}")
    check(j.get("out") == p("c_json.npy"), "dot --json names its --out file")
    check(open(p("c_text.npy"), "rb").read() == open(p("c_json.npy"), "rb").read(),
          "dot: the same result file with and without --json")
    c = np.load(p("c_json.npy"))
    exact = np.load(p("a.npy")) @ np.load(p("b.npy"))
    rel = np.linalg.norm(c - exact) / np.linalg.norm(exact)
    check(abs(j.get("relative_error", -1) - rel) < 1e-12, "dot --json: relative_error is the written file's")
    check(f"{j.get('relative_error', -1):.6g}" in r.stdout, "dot summary: the same relative error, 6 digits")
    check("--json" in run("dot", "--help").stdout, "dot --help lists --json")

    # --- xbar ----------------------------------------------------------------------------------
    xb = ["xbar", "--g", p("g.npy"), "--v", p("v.npy"), "--wire-resistance", "2"]
    r = run(*xb, "--out", p("i_text.npy"))
    check(r.returncode == 0, f"xbar: exit 0 ({r.stderr})")
    summary(r, "xbar", ["array", "wires", "solver", "time", "IR drop", "out"])
    check("16 x 8, 3 input vectors" in r.stdout, f"xbar summary names the array: {r.stdout!r}")
    rj = run(*xb, "--out", p("i_json.npy"), "--json")
    check(rj.returncode == 0, f"xbar --json: exit 0 ({rj.stderr})")
    j = one_object(rj, "xbar")
    check(j.get("command") == "xbar" and j.get("rows") == 16 and j.get("cols") == 8 and j.get("vectors") == 3,
          f"xbar --json: sizes {j}")
    check(j.get("row_segment_ohm") == 2.0 and j.get("out") == p("i_json.npy"), "xbar --json: wires and out")
    check(open(p("i_text.npy"), "rb").read() == open(p("i_json.npy"), "rb").read(),
          "xbar: the same result file with and without --json")
    r = run("xbar", "--g", p("g.npy"), "--v", p("v.npy"), "--tech-node-nm", "9", "--out", p("i_tech.npy"))
    summary(r, "xbar --tech-node-nm", ["technology"])
    j = one_object(run("xbar", "--g", p("g.npy"), "--v", p("v.npy"), "--tech-node-nm", "9", "--out", p("i_tech.npy"),
                       "--json"), "xbar --tech-node-nm")
    check("technology" in j and j["technology"].get("node_nm") == 9.0, "xbar --json --tech-node-nm: technology object")
    check("--json" in run("xbar", "--help").stdout, "xbar --help lists --json")

    # --- run (float reference: fast) -----------------------------------------------------------
    rr = ["run", "--ideal", "--limit", "3", "--quiet"]
    r = run(*rr)
    check(r.returncode == 0, f"run --ideal: exit 0 ({r.stderr})")
    summary(r, "run", ["model", "images", "accuracy"])
    rj = run(*rr, "--json", "--report", p("report.json"))
    check(rj.returncode == 0, f"run --json: exit 0 ({rj.stderr})")
    j = one_object(rj, "run")
    with open(p("report.json")) as f:
        check(j == json.load(f), "run --json prints the report --report writes")
    check(j.get("images") == 3 and j.get("ideal") is True, f"run --json: the report's keys ({list(j)[:6]})")

    # --- sweep (one point, one seed) -----------------------------------------------------------
    spec = {"dot": {"a": {"shape": [4, 16]}, "b": {"shape": [16, 4]}}, "config": {"engine": {"array_size": [16, 16]}},
            "grid": [{"name": "engine.radc", "values": [64]}], "seeds": 1, "seed": 1}
    with open(p("spec.json"), "w") as f:
        json.dump(spec, f)
    rj = run("sweep", "--spec", p("spec.json"), "--out", p("sweep"), "--quiet", "--json", "--workers", "1")
    check(rj.returncode == 0, f"sweep --json: exit 0 ({rj.stderr})")
    j = one_object(rj, "sweep")
    check(j.get("tasks") == 1 and j.get("results") == p("sweep") + "/results.csv" and os.path.exists(j.get("results", "")),
          f"sweep --json: tasks and the results table ({j})")
    r = run("sweep", "--spec", p("spec.json"), "--out", p("sweep"), "--quiet", "--workers", "1")
    summary(r, "sweep (resumed)", ["tasks", "results", "summary", "timing"])
    check("1 already done" in r.stdout, f"sweep summary: resumed, 1 already done: {r.stdout!r}")

    # --- memtile_vp ----------------------------------------------------------------------------
    if VP:
        vp = ["-k", "40", "-n", "20", "--batch", "2", "--relu"]
        r = run(*vp, exe=VP)
        check(r.returncode == 0, f"memtile_vp: exit 0 ({r.stderr})")
        summary(r, "memtile_vp", ["accelerator", "layer", "outputs", "error", "latency", "energy", "simulated", "counters",
                                  "checks"])
        rj = run(*vp, "--json", exe=VP)
        check(rj.returncode == 0, f"memtile_vp --json: exit 0 ({rj.stderr})")
        j = one_object(rj, "memtile_vp")
        for key in ("command", "accelerator", "layer", "first_outputs", "relative_error", "tolerance", "latency_ns",
                    "latency_cycles", "energy_pj", "energy_pj_per_mvm", "mvms", "simulated_ns", "bus_transactions",
                    "counters", "checks", "passed"):
            check(key in j, f"memtile_vp --json has {key}")
        check(j.get("command") == "memtile_vp" and j.get("passed") is True and all(j.get("checks", {0: 0}).values()),
              f"memtile_vp --json: every check passed ({j.get('checks')})")
        check(j.get("layer", {}).get("k") == 40 and j.get("counters", {}).get("mvms") == 2, f"memtile_vp --json: layer {j.get('layer')}")
        check(f"{j.get('relative_error', -1):.5f} relative to the exact product" in r.stdout,
              "memtile_vp summary: the same relative error as --json")
        check("--json" in run("--help", exe=VP).stdout, "memtile_vp --help lists --json")
        # A failed check (results outside the tolerance) is a result, not bad input: the object
        # is printed with passed false, exit 3.
        with open(p("noisy.json"), "w") as f:
            json.dump({"engine": {"var": 3}}, f)
        rj = run(*vp, "--config", p("noisy.json"), "--json", exe=VP)
        j = one_object(rj, "memtile_vp (noisy)")
        check(rj.returncode == 3 and j.get("passed") is False and j.get("checks", {}).get("relative_error_within_tolerance") is False,
              f"memtile_vp: results outside the tolerance exit 3 with the object ({rj.returncode}, {j.get('checks')})")
        r = run(*vp, "--config", p("noisy.json"), exe=VP)
        check(r.returncode == 3 and "FAILED: relative_error_within_tolerance" in r.stdout, f"memtile_vp summary names the failed check: {r.stdout!r}")

    # --- traces: the same flags in run and memtile_vp ------------------------------------------
    tools = [("run", [MEMTILE, "run", "--limit", "1", "--batch", "1", "--quiet"])]
    if VP:
        tools.append(("memtile_vp", [VP, "-k", "8", "-n", "8", "--batch", "1"]))
    for tool, cmd in tools:
        for form in ("plain", "ext.vcd"):
            base = p(f"{tool}_{form}")
            r = subprocess.run([*cmd, "--vcd", base, "--trace", base + ".json", "--json"], capture_output=True, text=True)
            want = base[:-4] if base.endswith(".vcd") else base
            check(r.returncode == 0, f"{tool} --vcd {form}: exit 0 ({r.stderr})")
            check(os.path.exists(want + ".vcd") and not os.path.exists(want + ".vcd.vcd") and os.path.getsize(base + ".json") > 0,
                  f"{tool} --vcd {form} writes {os.path.basename(want)}.vcd, --trace the JSON: {sorted(os.listdir(d))}")
    # A flag is its field's name (units included: drift_t_s is --drift-t-s): every flag row of the
    # parameter tables (docs/config.md is generated from them) and its --help.
    flags = re.findall(r"^\| `([A-Za-z0-9_.]+)` \| `(--[A-Za-z0-9-]+)` \|", open(os.path.join(SRC, "docs", "config.md")).read(), re.M)
    check(len(flags) >= 20, f"docs/config.md lists the flags ({len(flags)})")
    helps = run("dot", "--help").stdout + run("run", "--help").stdout
    for key, flag in flags:
        check(flag == "--" + key.replace("_", "-").replace(".", "-"), f"flag {flag} is the field {key}'s name")
        check(re.search(re.escape(flag) + r"\b(?!-)", helps) is not None, f"{flag} is in memtile dot/run --help")
    # --tech-node-nm is the only technology flag (xbar): the unit is in its name, as in the field node_nm.
    check("--tech-node-nm" in run("xbar", "--help").stdout and "--tech-node " not in run("xbar", "--help").stdout,
          "xbar --help: the node flag carries its unit (nm)")

    # --- bad input: nothing on stdout, one line on stderr, exit 2 ------------------------------
    with open(p("bad.json"), "w") as f:
        json.dump({"HGS": 1e-9}, f)
    with open(p("mux.json"), "w") as f:  # valid groups, but adc_mux does not divide the engine's columns
        json.dump({"tile": {"adc_mux": 3}}, f)
    for what, args in (("dot", ["dot", "--a", p("a.npy"), "--b", p("b.npy"), "--out", p("never.npy"), "--config", p("bad.json")]),
                       ("xbar", ["xbar", "--g", p("a.npy"), "--v", p("v.npy"), "--out", p("never.npy")]),
                       ("run", ["run", "--ideal", "--limit", "1", "--config", p("bad.json")]),
                       ("run", ["run", "--ideal", "--limit", "1", "--config", p("mux.json")])):
        for extra in ([], ["--json"]):
            r = run(*args, *extra)
            check(r.returncode == 2 and r.stdout == "" and len(r.stderr.strip().splitlines()) == 1,
                  f"{what} {extra}: refused with exit 2, one stderr line, empty stdout ({r.returncode}, {r.stdout!r}, {r.stderr!r})")
    check(not os.path.exists(p("never.npy")), "refused commands write no result")
    # The top level of a run configuration: an unknown key is named, the known ones listed (backends::RunConfig).
    with open(p("top.json"), "w") as f:
        json.dump({"engine": {}, "tiles": 4}, f)
    r = run("run", "--ideal", "--limit", "1", "--config", p("top.json"))
    check(r.returncode == 2 and r.stdout == "" and r.stderr == f"memtile: error: {p('top.json')}: tiles: unknown key "
          "(known: engine, tile, energy, trace, analog, description)\n", f"run: unknown top-level key: {r.stderr!r}")
    check("{engine, tile, energy, trace, analog, description}" in run("run", "--help").stdout,
          "run --help lists the configuration's groups")
    r = run("run", "--ideal", "--limit", "1", "--config", p("mux.json"))
    check(r.stderr.startswith(f"memtile: error: {p('mux.json')}: tile.adc_mux: 3 columns per ADC"),
          f"a check between the tile and engine groups names the file and the dotted field: {r.stderr!r}")

finish()
