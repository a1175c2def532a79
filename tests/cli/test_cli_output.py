#!/usr/bin/env python3
"""The output convention of every memtile subcommand (docs/run.md, "Output convention"):
stdout carries a human summary, or with --json one JSON object and nothing else; the result
files are the same either way; bad input prints nothing on stdout, with or without --json.

  test_cli_output.py MEMTILE SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

MEMTILE, SRC = sys.argv[1], sys.argv[2]


def run(*args):
    return subprocess.run([MEMTILE, *args], capture_output=True, text=True)


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
    re = np.linalg.norm(c - exact) / np.linalg.norm(exact)
    check(abs(j.get("relative_error", -1) - re) < 1e-12, "dot --json: relative_error is the written file's")
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
    r = run("run", "--ideal", "--limit", "1", "--config", p("mux.json"))
    check(r.stderr.startswith(f"memtile: error: {p('mux.json')}: tile.adc_mux: 3 columns per ADC"),
          f"a check between the tile and engine groups names the file and the dotted field: {r.stderr!r}")

finish()
