#!/usr/bin/env python3
"""The CLI's data files are found relative to the installed binary, not to the source tree it was
built from (docs/run.md): `cmake --install BUILD --component cli --prefix P` gives P/bin/memtile,
whose default model is P/share/memtile/networks/lenet5_fmnist.onnx and whose sweep presets
(`base`) are P/share/memtile/presets/<name>.json.

  test_cli_install.py CMAKE BUILD_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

CMAKE, BUILD = sys.argv[1], sys.argv[2]

with tempfile.TemporaryDirectory() as d:
    prefix = os.path.join(d, "prefix")
    r = subprocess.run([CMAKE, "--install", BUILD, "--component", "cli", "--prefix", prefix], capture_output=True, text=True)
    check(r.returncode == 0, f"cmake --install --component cli: {r.stderr}")
    memtile = os.path.join(prefix, "bin", "memtile")
    data = os.path.join(prefix, "share", "memtile")
    check(os.path.exists(os.path.join(data, "networks", "lenet5_fmnist.onnx")), "the default model is installed")
    check(os.path.exists(os.path.join(data, "presets", "default.json")), "the presets are installed")

    # Run from another folder: the default model is the installed one.
    r = subprocess.run([memtile, "run", "--ideal", "--limit", "2", "--json"], capture_output=True, text=True, cwd=d)
    check(r.returncode == 0, f"installed memtile run: exit 0 ({r.stderr})")
    model = json.loads(r.stdout).get("model", "") if r.returncode == 0 else ""
    check(model == os.path.join(data, "networks", "lenet5_fmnist.onnx"), f"default model next to the binary: {model}")
    check("share/memtile/networks" in subprocess.run([memtile, "run", "--help"], capture_output=True, text=True).stdout,
          "run --help shows the installed default model")

    # A preset that exists only in the installed folder: found through the binary's location.
    with open(os.path.join(data, "presets", "default.json")) as f:
        preset = json.load(f)
    preset["engine"] = dict(preset.get("engine", {}), array_size=[16, 16])
    with open(os.path.join(data, "presets", "only_installed.json"), "w") as f:
        json.dump(preset, f)
    spec = {"base": "only_installed", "dot": {"a": {"shape": [2, 8]}, "b": {"shape": [8, 4]}},
            "grid": [{"name": "engine.radc", "values": [64]}], "seeds": 1, "seed": 1}
    with open(os.path.join(d, "spec.json"), "w") as f:
        json.dump(spec, f)
    r = subprocess.run([memtile, "sweep", "--spec", "spec.json", "--out", "sweep", "--workers", "1", "--quiet", "--json"],
                       capture_output=True, text=True, cwd=d)
    check(r.returncode == 0 and json.loads(r.stdout).get("tasks") == 1,
          f"installed memtile sweep finds a preset of its own share folder: {r.returncode} {r.stderr}")

    # The build tree's binary falls back to the source tree.
    r = subprocess.run([os.path.join(BUILD, "tb", "memtile"), "sweep", "--spec", "spec.json", "--out", "sweep2", "--workers",
                        "1", "--quiet"], capture_output=True, text=True, cwd=d)
    check(r.returncode == 2 and "only_installed" in r.stderr and "is not a preset" in r.stderr,
          f"the build tree's memtile does not see the installed presets: {r.returncode} {r.stderr}")

finish()
