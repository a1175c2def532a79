#!/usr/bin/env python3
"""Black-box tests of `memtile dot`: results, numpy semantics, determinism, and bad input
(exit code 2, one line naming the file or field, no output file written)."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from checks import check, finish

MEMTILE = sys.argv[1]


def run(*args):
    return subprocess.run([MEMTILE, *args], capture_output=True, text=True)


with tempfile.TemporaryDirectory() as d:
    p = lambda name: os.path.join(d, name)
    rng = np.random.default_rng(1)
    a = rng.standard_normal((20, 50))
    b = rng.standard_normal((50, 30))
    np.save(p("a.npy"), a)
    np.save(p("b.npy"), b.astype(np.float32))

    # A plain run against numpy's product.
    r = run("dot", "--json", "--a", p("a.npy"), "--b", p("b.npy"), "--out", p("c.npy"), "--var", "0", "--radc", "1073741824", "--xblk", "4,4,4,4", "--mblk", "4,4,4,4")
    check(r.returncode == 0, f"dot runs: {r.stderr}")
    out = json.loads(r.stdout)
    c = np.load(p("c.npy"))
    exact = a @ b.astype(np.float32).astype(np.float64)
    re = np.linalg.norm(c - exact) / np.linalg.norm(exact)
    check(c.shape == (20, 30), "output shape")
    check(abs(out["relative_error"] - re) < 1e-12, "reported RE equals numpy's RE of the written file")
    check(re < 1e-3, f"16-bit ideal-device product is close to numpy ({re})")
    for key in ("seconds", "parameters", "arrays", "counters"):
        check(key in out, f"JSON has {key}")
    check(out["parameters"]["xblk"] == [4, 4, 4, 4], "effective parameters reported")

    # np.dot semantics for 1-D operands.
    np.save(p("v.npy"), rng.standard_normal(50))
    r = run("dot", "--a", p("v.npy"), "--b", p("b.npy"), "--out", p("cv.npy"))
    check(r.returncode == 0 and np.load(p("cv.npy")).shape == (30,), "1-D A gives a 1-D result")
    r = run("dot", "--a", p("a.npy"), "--b", p("v.npy"), "--out", p("cw.npy"))
    check(r.returncode == 0 and np.load(p("cw.npy")).shape == (20,), "1-D B gives a 1-D result")

    # Config file, same names as mPimPy; flags override it.
    with open(p("cfg.json"), "w") as f:
        json.dump({"mode": "diffpair", "g_level": 32, "array_size": [16, 8], "seed": 3}, f)
    r = run("dot", "--a", p("a.npy"), "--b", p("b.npy"), "--out", p("d.npy"), "--config", p("cfg.json"), "--g-level", "64", "--json")
    check(r.returncode == 0, f"config run: {r.stderr}")
    par = json.loads(r.stdout)["parameters"]
    check(par["mode"] == "diffpair" and par["g_level"] == 64 and par["array_size"] == [16, 8], "config + flag precedence")

    # Determinism: same seed, same bytes; other seed, other bytes.
    outs = []
    for seed in ("5", "5", "6"):
        name = p(f"s{len(outs)}.npy")
        run("dot", "--a", p("a.npy"), "--b", p("b.npy"), "--out", name, "--seed", seed, "--vnoise", "0.001")
        outs.append(open(name, "rb").read())
    check(outs[0] == outs[1], "same seed gives identical bytes")
    check(outs[0] != outs[2], "different seed gives different bytes")

    # Help explains the flags.
    r = run("dot", "--help")
    for flag in ("--HGS", "--LGS", "--g-level", "--var", "--vnoise", "--rdac", "--radc", "--vread", "--array-size", "--xblk", "--mblk", "--bw-e", "--wire-resistance", "--seed", "--config", "--software", "--mode"):
        check(flag in r.stdout, f"dot --help mentions {flag}")
    check(run("--help").returncode == 0, "memtile --help")

    # Bad input: exit 2, one line naming the culprit, no output file.
    with open(p("garbage.npy"), "wb") as f:
        f.write(b"not a numpy file at all")
    np.save(p("ints.npy"), np.arange(6).reshape(2, 3))
    np.save(p("fortran.npy"), np.asfortranarray(rng.standard_normal((50, 30))))
    np.save(p("three_d.npy"), np.zeros((2, 2, 2)))
    np.save(p("wrong.npy"), rng.standard_normal((49, 30)))
    with open(p("unknown.json"), "w") as f:
        json.dump({"HGS": 1e-5, "bogus_key": 1}, f)
    with open(p("broken.json"), "w") as f:
        f.write("{ not json")
    bad = [
        (["--a", p("missing.npy")], "missing.npy"),
        (["--a", p("garbage.npy")], "garbage.npy"),
        (["--a", p("ints.npy")], "dtype"),
        (["--b", p("fortran.npy")], "Fortran"),
        (["--b", p("three_d.npy")], "three_d.npy"),
        (["--b", p("wrong.npy")], "shapes do not align"),
        (["--HGS", "1e-7", "--LGS", "1e-5"], "HGS"),
        (["--g-level", "1"], "g_level"),
        (["--radc", "1"], "radc"),
        (["--rdac", "0"], "rdac"),
        (["--xblk", "1"], "xblk"),
        (["--mblk", "16,16,1"], "mblk"),
        (["--xblk", "1,x"], "--xblk"),
        (["--var", "-0.1"], "var"),
        (["--mode", "analog"], "mode"),
        (["--array-size", "32"], "--array-size"),
        (["--config", p("unknown.json")], "bogus_key"),
        (["--config", p("broken.json")], "broken.json"),
        (["--wire-resistance", "-1"], "wire_resistance"),
    ]
    for args, needle in bad:
        target = p("never.npy")
        base = {"--a": p("a.npy"), "--b": p("b.npy")}
        for k in ("--a", "--b"):
            if k in args:
                base.pop(k)
        argv = ["dot", "--out", target] + [x for kv in base.items() for x in kv] + args
        r = run(*argv)
        what = " ".join(args)
        check(r.returncode == 2, f"{what}: exit code 2 (got {r.returncode})")
        lines = r.stderr.strip().splitlines()
        check(len(lines) == 1 and needle in lines[0], f"{what}: one line naming '{needle}': {r.stderr!r}")
        check(not os.path.exists(target), f"{what}: no output written")
    check(not any(n.endswith(".tmp") or ".tmp." in n for n in os.listdir(d)), "no temporary files left")

finish()
