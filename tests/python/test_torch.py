"""memtile.torch on the project's LeNet-5 (tb/networks/lenet5_fmnist.onnx, weights loaded into an
equivalent torch module, as scripts/train_models.py builds it):
  1. ideal=True (exact float64 products in the converted layers) equals PyTorch's logits;
  2. the default engine configuration gives the same accuracy -- and the same predictions --
     as `memtile run --engine-only` on the same images with the same seed.
usage: test_torch.py <memtile CLI> <source dir>"""
import collections
import gzip
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx.numpy_helper
import torch
from torch import nn

import memtile.torch as mtorch

exe, src = sys.argv[1], sys.argv[2]
data_dir = "/usr/share/datasets/fashion-mnist"
if not os.path.isfile(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz")):
    print("Fashion-MNIST not installed: skipped")
    sys.exit(77)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def lenet5():
    return nn.Sequential(collections.OrderedDict([
        ("conv1", nn.Conv2d(1, 6, 5, padding=2)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(6, 16, 5)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(400, 120)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(120, 84)), ("relu4", nn.ReLU()),
        ("fc3", nn.Linear(84, 10))]))


onnx_path = os.path.join(src, "tb", "networks", "lenet5_fmnist.onnx")
model = lenet5()
state = {i.name: torch.from_numpy(onnx.numpy_helper.to_array(i).copy()) for i in onnx.load(onnx_path).graph.initializer}
model.load_state_dict(state)
model.eval()

with gzip.open(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz")) as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
with gzip.open(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz")) as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8)
N = 200
x32 = torch.from_numpy(images[:N].astype(np.float32) / np.float32(255.0))  # what memtile run feeds

# 1. ideal conversion = PyTorch
ref_file = np.load(os.path.join(src, "tb", "networks", "lenet5_ref_logits.npy"))
with torch.no_grad():
    torch64 = model.double()(x32.double()).numpy()
    ideal = mtorch.convert(model, ideal=True)
    ideal64 = ideal(x32.double()).numpy()
    torch32 = model.float()(x32).numpy()
    ideal32 = ideal(x32).numpy()
scale = np.abs(torch64).max()
d64 = np.abs(ideal64 - torch64).max() / scale
d32 = np.abs(ideal32 - torch32).max() / scale
check(d64 <= 1e-6, f"ideal converted LeNet-5 = PyTorch float64 logits: max diff {d64:.2g} (relative to max |logit|)")
check(d32 <= 1e-5, f"ideal, float32 input: max diff {d32:.2g} against PyTorch float32 (float32 rounding only)")
check(np.abs(torch32[:100] - ref_file).max() <= 1e-4 * scale, "PyTorch module reproduces the committed reference logits")
check(isinstance(ideal.conv1, mtorch.MemtileConv2d) and isinstance(ideal.fc3, mtorch.MemtileLinear),
      "Linear and Conv2d replaced, the rest kept")

# 2. default config = memtile run --engine-only (same images, same seed)
seed = 7
with tempfile.TemporaryDirectory() as tmp:
    rep = os.path.join(tmp, "r.json")
    r = subprocess.run([exe, "run", "--model", onnx_path, "--engine-only", "--limit", str(N), "--seed", str(seed),
                        "--batch", "50", "--report", rep, "--quiet"], capture_output=True, text=True)
    check(r.returncode == 0, f"memtile run --engine-only: {r.stderr.strip()[:300]}")
    report = json.load(open(rep)) if r.returncode == 0 else {}
with torch.no_grad():
    hw = mtorch.convert(model, seed=seed)
    logits = hw(x32.double()).numpy()
pred = logits.argmax(1)
acc = float(np.mean(pred == labels[:N]))
float_pred = torch64.argmax(1)
agree = float(np.mean(pred == float_pred))
print(f"memtile.torch accuracy {acc:.4f}, argmax agreement with float {agree:.4f}; "
      f"memtile run --engine-only {report.get('accuracy')}, agreement {report.get('argmax_agreement_with_float')}")
check(report.get("accuracy") == acc, "accuracy equals memtile run --engine-only (same images, seed)")
if "argmax_agreement_with_float" in report:
    check(report["argmax_agreement_with_float"] == agree, "argmax agreement with float equals memtile run's")
# Programmed once: a second forward reads the same arrays.
with torch.no_grad():
    again = hw(x32[:10].double()).numpy()
check(np.array_equal(again, logits[:10]), "programmed once: the same images give the same logits (batch of 10 vs 200)")
check(hw.fc1.counters["vectors"] == N + 10, "layer counters count the vectors read")
other = mtorch.convert(model, preset="mpimpy", seed=seed)
check(other.fc1.config["round_slice_products"] is True, "any preset: mpimpy preset configures the layers")
try:
    mtorch.convert(model, varr=1)
    check(False, "unknown parameter rejected")
except ValueError as e:
    check("varr" in str(e), f"unknown parameter rejected: {e}")
print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
