#!/usr/bin/env python3
"""`memtile run --ideal` against something memtile did not compute: PyTorch's recorded
accuracy on the first 100 test images (tb/networks/networks.json, ref_logits_argmax_accuracy,
written by scripts/train_models.py from PyTorch's own logits). The report's
argmax_agreement_with_float compares the ideal run with the float reference, which in --ideal
mode is the same computation, so on its own it cannot fail; this accuracy can (an import that
transposes a weight, drops a bias or mis-pads a convolution changes it).

  test_cli_ideal.py MEMTILE SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

from checks import check, finish

MEMTILE, SRC = sys.argv[1], sys.argv[2]
NETS = os.path.join(SRC, "tb", "networks")
networks = json.load(open(os.path.join(NETS, "networks.json")))

with tempfile.TemporaryDirectory() as d:
    for model in ("mlp", "lenet5"):
        info = networks["models"][model]
        images = int(info["ref_logits_images"].split()[1])  # "first 100 test images (...)"
        report = os.path.join(d, f"{model}.json")
        r = subprocess.run([MEMTILE, "run", "--quiet", "--model", os.path.join(NETS, info["file"]), "--ideal",
                            "--limit", str(images), "--batch", "50", "--report", report],
                           capture_output=True, text=True)
        check(r.returncode == 0, f"--ideal {model}: {r.stderr.strip()}")
        if r.returncode != 0:
            continue
        rep = json.load(open(report))
        check(rep["images"] == images, f"{model}: {rep['images']} images, expected {images}")
        want = info["ref_logits_argmax_accuracy"]
        check(abs(rep["accuracy"] - want) < 0.5 / images,
              f"--ideal {model}: accuracy {rep['accuracy']} on {images} images equals PyTorch's {want}")
        check(rep["accuracy"] == rep["float_accuracy"], f"--ideal {model}: the ideal run is the float reference")
finish()
