#!/usr/bin/env python3
"""Black-box tests of `memtile run`: report keys, traces, --ideal against the float model and
PyTorch's recorded accuracy, determinism, and bad input (exit 2, no report written).

  test_cli_run.py MEMTILE SOURCE_DIR [--long]
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from checks import check, finish

MEMTILE, SRC = sys.argv[1], sys.argv[2]
LONG = "--long" in sys.argv
NETS = os.path.join(SRC, "tb", "networks")


def run(*args):
    return subprocess.run([MEMTILE, "run", "--quiet", *args], capture_output=True, text=True)


def vcd_vars_and_changes(path):
    """Independent minimal VCD reader: declared variables and value-change count."""
    names, changes, in_header = {}, 0, True
    with open(path) as f:
        for line in f:
            tok = line.split()
            if not tok:
                continue
            if in_header:
                if tok[0] == "$var":
                    names[tok[3]] = tok[4]
                elif tok[0] == "$enddefinitions":
                    in_header = False
            elif tok[0][0] in "01xzbr" and not tok[0].startswith("#"):
                changes += 1
    return names, changes


with open(os.path.join(NETS, "networks.json")) as f:
    networks = json.load(f)

with tempfile.TemporaryDirectory() as d:
    p = lambda n: os.path.join(d, n)

    # The default job: LeNet-5 on Fashion-MNIST through the accelerator, with every output.
    r = run("--limit", "24", "--batch", "8", "--report", p("r.json"), "--vcd", p("w.vcd"), "--trace", p("t.json"),
            "--csv", p("layers.csv"), "--seed", "3")
    check(r.returncode == 0, f"default run: {r.stderr}")
    rep = json.load(open(p("r.json")))
    for key in ("accuracy", "float_accuracy", "images", "latency_ns_per_image", "energy_pj_per_image",
                "energy_breakdown_pj", "power_mw", "area_um2", "tops_per_w", "images_per_second", "configuration", "layers"):
        check(key in rep, f"report has {key}")
    check(rep["images"] == 24, "images counted")
    check(0.5 <= rep["accuracy"] <= 1.0, f"accuracy plausible ({rep['accuracy']})")
    check(rep["latency_ns_per_image"] > 0 and rep["energy_pj_per_image"] > 0, "latency and energy positive")
    check(abs(sum(rep["energy_breakdown_pj"].values()) - rep["energy_pj_per_image"]) < 1e-6 * rep["energy_pj_per_image"],
          "energy breakdown sums to the total per image")
    check(len(rep["layers"]) == 5, "LeNet-5 has 5 weighted layers (2 conv + 3 fc)")
    check("accuracy" in r.stdout and "latency" in r.stdout and "energy" in r.stdout, "stdout summary")
    names, changes = vcd_vars_and_changes(p("w.vcd"))
    check(len(names) > 5 and changes > 100, f"VCD has variables ({len(names)}) and changes ({changes})")
    trace = json.load(open(p("t.json")))
    phases = {e["ph"] for e in trace["traceEvents"]}
    check({"X", "C", "M"} <= phases and trace.get("displayTimeUnit") == "ns", "Perfetto trace has X, C, M events")
    check(open(p("layers.csv")).readline().count(",") >= 3, "CSV table written")

    # Determinism: the same seed gives the same numbers and the same trace.
    r2 = run("--limit", "24", "--batch", "8", "--report", p("r2.json"), "--vcd", p("w2.vcd"), "--trace", p("t2.json"),
             "--csv", p("layers2.csv"), "--seed", "3")
    rep2 = json.load(open(p("r2.json")))
    for key in ("accuracy", "energy_pj_per_image", "latency_ns_per_image", "energy_breakdown_pj"):
        check(rep[key] == rep2[key], f"same seed, same {key}")
    check(open(p("t.json")).read() == open(p("t2.json")).read(), "same seed, same trace bytes")
    vcd1, vcd2 = open(p("w.vcd")).read().split("$enddefinitions")[1], open(p("w2.vcd")).read().split("$enddefinitions")[1]
    check(vcd1 == vcd2, "same seed, same VCD value changes")
    # --vcd takes the path with or without .vcd, as memtile_vp's (docs/run.md, output convention).
    r3 = run("--limit", "2", "--batch", "2", "--quiet", "--vcd", p("plain"))
    check(r3.returncode == 0 and os.path.exists(p("plain.vcd")) and not os.path.exists(p("plain")),
          f"--vcd without .vcd writes plain.vcd: {r3.stderr}")
    r_eng = run("--limit", "24", "--batch", "8", "--report", p("eng.json"), "--seed", "3", "--engine-only")
    check(r_eng.returncode == 0 and json.load(open(p("eng.json")))["accuracy"] == rep["accuracy"],
          "--engine-only gives the SystemC model's numbers")
    # The same network through the SoC virtual platform (driver, bus, memory, CSRs, DMA, IRQ):
    # the same Tile models and energy table (physics crossbar energy), so energy per image within
    # a few percent (the top cuts each layer into its own tile-sized blocks, whose padding and
    # cross-tile reduction differ from the tiles platform's); latency adds DMA and CSR time.
    r_vp = run("--limit", "24", "--batch", "8", "--report", p("vp.json"), "--vcd", p("vp.vcd"), "--trace", p("vp_t.json"),
               "--seed", "3", "--platform", "vp")
    check(r_vp.returncode == 0, f"--platform vp: {r_vp.stderr}")
    vp = json.load(open(p("vp.json")))
    check(vp["platform"] == "vp" and rep["platform"] == "tiles", "report names the platform")
    for key in ("accuracy", "latency_ns_per_image", "energy_pj_per_image", "energy_breakdown_pj", "power_mw", "area_um2",
                "tops_per_w", "programming_energy_pj", "programming_ns", "layers", "platform_summary"):
        check(key in vp, f"vp report has {key}")
    check(abs(vp["accuracy"] - rep["accuracy"]) <= 0.1, f"vp accuracy {vp['accuracy']} close to tiles {rep['accuracy']}")
    check(abs(vp["energy_pj_per_image"] / rep["energy_pj_per_image"] - 1) < 0.05,
          f"vp energy {vp['energy_pj_per_image']} within 5 % of tiles {rep['energy_pj_per_image']}")
    check(vp["latency_ns_per_image"] > rep["latency_ns_per_image"], "vp latency adds DMA and CSR time")
    check(abs(sum(vp["energy_breakdown_pj"].values()) - vp["energy_pj_per_image"]) < 1e-6 * vp["energy_pj_per_image"],
          "vp energy breakdown sums to the total per image")
    check(vp["programming_ns"] > 0 and vp["programming_energy_pj"] > 0, "vp programs every layer once at boot")
    ps = vp["platform_summary"]
    check(ps["jobs"] == 5 + sum(l["jobs"] for l in vp["layers"]) and min(l["jobs"] for l in vp["layers"]) == 4,
          f"one boot job per layer + at least one job per layer per batch ({ps['jobs']})")
    check(ps["tiles"] == sum(l["tiles"] for l in vp["layers"]), "every layer on its own tiles")
    names, changes = vcd_vars_and_changes(p("vp.vcd"))
    check(any("irq" in n for n in names.values()) and changes > 100, "vp VCD has the interrupt and changes")
    check(any(e["ph"] == "X" for e in json.load(open(p("vp_t.json")))["traceEvents"]), "vp Perfetto trace has events")
    r_vp2 = run("--limit", "24", "--batch", "8", "--report", p("vp2.json"), "--seed", "3", "--platform", "vp")
    vp2 = json.load(open(p("vp2.json")))
    check(all(vp[k] == vp2[k] for k in ("accuracy", "energy_pj_per_image", "latency_ns_per_image")), "vp deterministic")
    # The fully analog IMAC-style MLP preset (no DAC/ADC between layers, analog neurons).
    imac = os.path.join(SRC, "configs", "presets", "imac_mlp.json")
    mlp = os.path.join(NETS, "mlp_fmnist.onnx")
    r_an = run("--model", mlp, "--config", imac, "--limit", "100", "--batch", "50", "--report", p("an.json"))
    check(r_an.returncode == 0, f"IMAC preset runs: {r_an.stderr}")
    an = json.load(open(p("an.json")))
    check(an["platform"] == "analog" and "analog" in an["configuration"], "analog report names its platform and config")
    check(0.3 <= an["accuracy"] <= 1.0, f"analog accuracy plausible ({an['accuracy']})")
    check(set(an["energy_breakdown_pj"]) == {"crossbar", "neuron"} and an["energy_pj_per_image"] > 0, "analog energy breakdown")
    check(an["latency_ns_per_image"] >= 2.0, "analog latency: two sampled neuron layers at least")
    check([l["hpar"] for l in an["layers"]] == [25, 4, 3] and [l["vpar"] for l in an["layers"]] == [4, 3, 1],
          "IMAC-Sim partitioning of 784-120-84-10 on 32x32")
    r_an2 = run("--model", mlp, "--config", imac, "--limit", "100", "--batch", "25", "--report", p("an2.json"))
    check(json.load(open(p("an2.json")))["accuracy"] == an["accuracy"], "analog results do not depend on the batch")
    # The Verilated periphery in every tile gives the behavioural numbers bit for bit.
    rtl_cfg = os.path.join(SRC, "configs", "presets", "rtl_periphery.json")
    r_rtl = run("--model", mlp, "--limit", "2", "--batch", "1", "--report", p("rtl.json"), "--seed", "5", "--config", rtl_cfg)
    r_beh = run("--model", mlp, "--limit", "2", "--batch", "1", "--report", p("beh.json"), "--seed", "5")
    check(r_rtl.returncode == 0 and r_beh.returncode == 0, f"RTL preset runs: {r_rtl.stderr}")
    rtl, beh = json.load(open(p("rtl.json"))), json.load(open(p("beh.json")))
    check(rtl["accuracy"] == beh["accuracy"] and rtl["energy_pj_per_image"] == beh["energy_pj_per_image"],
          "RTL periphery: same accuracy and energy as behavioural")
    check(all("rtl" in l for l in rtl["layers"]) and not any("rtl" in l for l in beh["layers"]), "RTL layers reported")
    r3 = run("--limit", "24", "--batch", "8", "--report", p("r3.json"), "--seed", "4", "--config",
             os.path.join(SRC, "configs", "presets", "mpimpy.json"))
    check(r3.returncode == 0, f"preset config runs: {r3.stderr}")
    # The faithful ISAAC preset: error-free devices and lossless converters follow the float
    # model; the report has the simulated hardware's throughput and the layer pipeline.
    isaac_cfg = os.path.join(SRC, "configs", "presets", "isaac.json")
    r4 = run("--limit", "8", "--batch", "4", "--report", p("isaac.json"), "--config", isaac_cfg)
    check(r4.returncode == 0, f"isaac preset runs: {r4.stderr}")
    if r4.returncode == 0:
        isaac = json.load(open(p("isaac.json")))
        check(isaac["argmax_agreement_with_float"] == 1.0, "isaac preset: argmax equals the float model")
        pipe = isaac["pipeline"]
        slowest = max(s["stage_ns_per_image"] for s in pipe["stages"])
        check(abs(isaac["hardware_images_per_s"] - 1e9 / slowest) <= 1e-6 * isaac["hardware_images_per_s"],
              "isaac preset: pipelined images/s = 1 / slowest stage")
        check(all(abs(l["mvm_interval_ns"] - 1600.0) < 1e-6 for l in isaac["layers"]), "isaac preset: 1.6 us per MVM")
        check(all("utilisation" in l for l in isaac["layers"]), "isaac preset: utilisation per layer")

    # --ideal: the float64 reference only. Its argmax agreement with the float model is 1 by
    # construction (the same outputs), so that check only sees the report's plumbing; the ideal
    # path itself is checked against PyTorch by test_cli_ideal (first 100 images, every run) and,
    # with --long, against PyTorch's whole-test-set accuracy below.
    limit = "0" if LONG else "2000"
    for model in ("lenet5", "mlp"):
        r = run("--model", os.path.join(NETS, f"{model}_fmnist.onnx"), "--ideal", "--limit", limit, "--batch", "250",
                "--report", p(f"ideal_{model}.json"))
        check(r.returncode == 0, f"--ideal {model}: {r.stderr}")
        ideal = json.load(open(p(f"ideal_{model}.json")))
        check(ideal["argmax_agreement_with_float"] == 1.0 and ideal["accuracy"] == ideal["float_accuracy"],
              f"--ideal {model}: the report compares the ideal outputs with themselves (plumbing)")
        if LONG:
            torch_acc = networks["models"][model]["float_test_accuracy"]
            check(abs(ideal["accuracy"] - torch_acc) <= 0.001, f"--ideal {model}: accuracy {ideal['accuracy']} equals PyTorch's {torch_acc}")
    if LONG:
        r = run("--limit", "0", "--batch", "32", "--report", p("full.json"))
        full = json.load(open(p("full.json")))
        check(full["accuracy"] >= full["float_accuracy"] - 0.02, f"default accelerator within 2 points of float ({full['accuracy']})")

    # The plot scripts draw from these reports (matplotlib).
    plot = os.path.join(SRC, "scripts", "plot_reports.py")
    for kind, args in (("energy", [p("r.json")]), ("layers", [p("r.json")]), ("sweep", [p("r.json"), p("r3.json")])):
        png = p(f"{kind}.png")
        r = subprocess.run([sys.executable, plot, kind, "--out", png, *args], capture_output=True, text=True)
        check(r.returncode == 0 and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n", f"plot_reports.py {kind}: {r.stderr[-300:]}")

    # Bad input: exit 2, one line naming the culprit, no report.
    with open(os.path.join(NETS, "lenet5_fmnist.onnx"), "rb") as f:
        blob = f.read()
    with open(p("truncated.onnx"), "wb") as f:
        f.write(blob[: len(blob) // 2])
    with open(p("bad.json"), "w") as f:
        json.dump({"engine": {"var": 0.1}, "bogus": 1}, f)
    with open(p("badtile.json"), "w") as f:
        json.dump({"tile": {"clock_ghz": 0}}, f)
    np.save(p("X_images.npy"), np.zeros((5, 10), dtype=np.float32))
    np.save(p("X_labels.npy"), np.zeros(5, dtype=np.float32))
    np.save(p("Y_images.npy"), np.zeros((5, 784), dtype=np.float32))
    np.save(p("Y_labels.npy"), np.zeros(4, dtype=np.float32))
    bad = [
        (["--model", p("missing.onnx")], "missing.onnx"),
        (["--model", p("truncated.onnx")], "truncated.onnx"),
        (["--dataset", p("nothing_images.npy")], "nothing"),
        (["--dataset", p("X_images.npy")], ""),
        (["--dataset", p("Y_images.npy")], ""),
        (["--config", p("bad.json")], "bogus"),
        (["--config", p("badtile.json")], "clock_ghz"),
        (["--limit", "-1"], "--limit"),
        (["--vcd", p("no_such_dir/w.vcd")], "no_such_dir"),
        (["--platform", "vp", "--ideal"], "--platform"),
        (["--platform", "fpga"], "--platform"),
        (["--config", os.path.join(SRC, "configs", "presets", "imac_mlp.json")], "Conv"),
        (["--platform", "analog", "--vcd", p("a.vcd")], "--platform"),
    ]
    for args, needle in bad:
        out = p("never.json")
        r = run("--limit", "4", "--report", out, *args)
        what = " ".join(a.replace(d, "") for a in args)
        check(r.returncode == 2, f"{what}: exit 2 (got {r.returncode}, {r.stderr.strip()[:200]})")
        lines = r.stderr.strip().splitlines()
        check(len(lines) == 1 and needle in lines[0], f"{what}: one line naming '{needle}': {r.stderr!r}")
        check(not os.path.exists(out), f"{what}: no report written")

finish()
