#!/usr/bin/env python3
"""Train memtile's reference networks on Fashion-MNIST and export them to ONNX.

Two small models are trained on the 60000-image Fashion-MNIST training set and
exported so the C++ simulator (and CI) never needs PyTorch:

  mlp     IMAC-style MLP 784-120-84-10, sigmoid hidden activations, logits out.
          Graph: Flatten -> Gemm -> Sigmoid -> Gemm -> Sigmoid -> Gemm
  lenet5  LeNet-5: Conv(1->6,5x5,pad 2) -> ReLU -> MaxPool 2 -> Conv(6->16,5x5)
          -> ReLU -> MaxPool 2 -> Flatten -> Gemm 400->120 -> ReLU -> Gemm 120->84
          -> ReLU -> Gemm 84->10 (logits).

Conventions shared with the simulator (see tb/networks/README.md):
  * input tensor name "input", float32, shape N x 1 x 28 x 28 (N dynamic) for
    both models; output "logits", float32, N x 10;
  * pixels scaled to [0, 1] by dividing the uint8 IDX value by 255, nothing else
    (no mean/std normalisation);
  * ONNX opset 13, constant folding on, initializers not listed as graph inputs.

Outputs (default directory tb/networks/ of this repository):
  <model>_fmnist.onnx        the exported network
  <model>_ref_logits.npy     PyTorch float32 logits of the first 100 test images
                             (float32, 100 x 10)
  networks.json              per model: file, float test accuracy (full 10000
                             test images), parameter count, op types, training
                             settings; torch/onnx/numpy versions.

Each export is checked with onnx.checker and by running the ONNX graph through
a small float64 numpy interpreter (onnx 1.12 has no onnx.reference) on the
whole test set: logits must match PyTorch to 1e-4 and argmax must agree.

Everything is deterministic: fixed seeds, torch.use_deterministic_algorithms,
a fixed thread count and a seeded shuffle.  Re-running produces the same
weights on the same machine/library versions.

Requirements (Debian 12): apt-get install python3-torch python3-onnx
python3-numpy dataset-fashion-mnist.  If `python3` is not the system
interpreter (pyenv, venv), run it as /usr/bin/python3 scripts/train_models.py.

Usage:
  python3 scripts/train_models.py                  # both models, defaults
  python3 scripts/train_models.py --models mlp     # only the MLP
  python3 scripts/train_models.py --out-dir /tmp/n --epochs-lenet5 2
"""

import argparse
import collections
import gzip
import hashlib
import json
import os
import sys
import time

import numpy as np

try:
    import torch
    import torch.nn as nn
    import onnx
    from onnx import numpy_helper
except ImportError as exc:  # pragma: no cover - environment message only
    sys.exit(
        "train_models.py: %s\n"
        "Install: apt-get install python3-torch python3-onnx python3-numpy\n"
        "If python3 is a pyenv/venv interpreter, run /usr/bin/python3 %s"
        % (exc, sys.argv[0]))

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
DEFAULT_OUT = os.path.join(REPO, "tb", "networks")
OPSET = 13
N_REF = 100  # images in <model>_ref_logits.npy

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------
def load_idx(path):
    """Read a (possibly gzip'd) IDX file into a numpy array (big-endian header)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError("%s: not an IDX file" % path)
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4",
              0x0D: ">f4", 0x0E: ">f8"}
    if data[2] not in dtypes:
        raise ValueError("%s: unknown IDX element type 0x%02x" % (path, data[2]))
    ndim = data[3]
    dims = np.frombuffer(data, dtype=">u4", count=ndim, offset=4).astype(np.int64)
    arr = np.frombuffer(data, dtype=dtypes[data[2]], offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError("%s: truncated (%d of %d elements)"
                         % (path, arr.size, int(np.prod(dims))))
    return arr.reshape(tuple(dims))


def load_fashion_mnist(data_dir):
    """Return (train_x, train_y, test_x, test_y); x uint8 N x 28 x 28, y int64."""
    def f(name):
        for cand in (name + ".gz", name):
            p = os.path.join(data_dir, cand)
            if os.path.exists(p):
                return p
        sys.exit("train_models.py: %s not found in %s (apt-get install "
                 "dataset-fashion-mnist)" % (name, data_dir))
    tx = load_idx(f("train-images-idx3-ubyte"))
    ty = load_idx(f("train-labels-idx1-ubyte")).astype(np.int64)
    vx = load_idx(f("t10k-images-idx3-ubyte"))
    vy = load_idx(f("t10k-labels-idx1-ubyte")).astype(np.int64)
    assert tx.shape == (60000, 28, 28) and ty.shape == (60000,)
    assert vx.shape == (10000, 28, 28) and vy.shape == (10000,)
    return tx, ty, vx, vy


def to_input(x_uint8):
    """uint8 N x 28 x 28 -> float32 tensor N x 1 x 28 x 28 in [0, 1]."""
    return torch.from_numpy(x_uint8.astype(np.float32) / np.float32(255.0)).unsqueeze(1)


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------
def make_mlp():
    return nn.Sequential(collections.OrderedDict([
        ("flatten", nn.Flatten()),          # N x 1 x 28 x 28 -> N x 784
        ("fc1", nn.Linear(784, 120)), ("sig1", nn.Sigmoid()),
        ("fc2", nn.Linear(120, 84)), ("sig2", nn.Sigmoid()),
        ("fc3", nn.Linear(84, 10)),
    ]))


def make_lenet5():
    return nn.Sequential(collections.OrderedDict([
        ("conv1", nn.Conv2d(1, 6, 5, padding=2)), ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(6, 16, 5)), ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),          # N x 16 x 5 x 5 -> N x 400
        ("fc1", nn.Linear(400, 120)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(120, 84)), ("relu4", nn.ReLU()),
        ("fc3", nn.Linear(84, 10)),
    ]))


MODELS = {
    "mlp": dict(build=make_mlp, file="mlp_fmnist.onnx",
                description="IMAC-style MLP 784-120-84-10, sigmoid hidden "
                            "activations, logits output"),
    "lenet5": dict(build=make_lenet5, file="lenet5_fmnist.onnx",
                   description="LeNet-5: Conv 1->6 5x5 pad 2, ReLU, MaxPool 2, "
                               "Conv 6->16 5x5, ReLU, MaxPool 2, Flatten, "
                               "Gemm 400-120-84-10 with ReLU, logits output"),
}


# --------------------------------------------------------------------------
# Training / evaluation
# --------------------------------------------------------------------------
def evaluate(model, x_uint8, y, batch=1000):
    """Return (accuracy, float32 logits numpy) of model on the given images."""
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(x_uint8), batch):
            outs.append(model(to_input(x_uint8[i:i + batch])))
    logits = torch.cat(outs).numpy()
    return float((logits.argmax(1) == y).mean()), logits


def train(name, args, data):
    tx, ty, vx, vy = data
    torch.manual_seed(args.seed)
    model = MODELS[name]["build"]()
    epochs = args.epochs_mlp if name == "mlp" else args.epochs_lenet5
    lr = args.lr_mlp if name == "mlp" else args.lr_lenet5
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = (len(tx) + args.batch_size - 1) // args.batch_size
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.seed + 1)
    tx_t = to_input(tx)  # 60000 x 1 x 28 x 28 float32, converted once
    ty_t = torch.from_numpy(ty)
    t0 = time.time()
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(tx), generator=gen)
        total = 0.0
        for i in range(0, len(tx), args.batch_size):
            idx = perm[i:i + args.batch_size]
            xb, yb = tx_t.index_select(0, idx), ty_t.index_select(0, idx)
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        acc, _ = evaluate(model, vx, vy)
        print("  %-6s epoch %2d/%d  loss %.4f  test acc %.4f  (%.1f s)"
              % (name, ep + 1, epochs, total / len(tx), acc, time.time() - t0),
              flush=True)
    settings = dict(epochs=epochs, batch_size=args.batch_size, optimizer="Adam",
                    lr=lr, lr_schedule="cosine annealing to 0 over all steps (per batch)",
                    loss="cross-entropy on logits", seed=args.seed,
                    train_images=len(tx), weight_init="PyTorch default",
                    preprocessing="x / 255 (uint8 -> [0,1]); no normalisation, "
                                  "no augmentation")
    return model, settings, time.time() - t0


# --------------------------------------------------------------------------
# ONNX export and a numpy reference interpreter
# --------------------------------------------------------------------------
def export(model, path):
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28, dtype=torch.float32)
    torch.onnx.export(
        model, dummy, path, opset_version=OPSET, export_params=True,
        do_constant_folding=True, keep_initializers_as_inputs=False,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _pad_nchw(x, pads, value):
    nd = x.ndim - 2
    begin, end = pads[:nd], pads[nd:]
    if not any(begin) and not any(end):
        return x
    width = [(0, 0), (0, 0)] + [(b, e) for b, e in zip(begin, end)]
    return np.pad(x, width, mode="constant", constant_values=value)


def _windows(x, kernel, strides, dilations):
    """x: N x C x H x W -> N x C x OH x OW x KH x KW strided view."""
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = strides
    dh, dw = dilations
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w - dw * (kw - 1) - 1) // sw + 1
    s = x.strides
    return np.lib.stride_tricks.as_strided(
        x, shape=(n, c, oh, ow, kh, kw),
        strides=(s[0], s[1], s[2] * sh, s[3] * sw, s[2] * dh, s[3] * dw),
        writeable=False)


def run_onnx_numpy(model_proto, x):
    """Evaluate a (small subset of) ONNX graph in float64 with numpy."""
    g = model_proto.graph
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    env[g.input[0].name] = np.asarray(x, dtype=np.float64)
    for node in g.node:
        a = _attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Identity":
            y = ins[0]
        elif op == "Constant":
            y = numpy_helper.to_array(a["value"]).astype(np.float64)
        elif op == "Relu":
            y = np.maximum(ins[0], 0.0)
        elif op == "Sigmoid":
            y = 1.0 / (1.0 + np.exp(-ins[0]))
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Reshape":
            shape = [ins[0].shape[i] if s == 0 else int(s)
                     for i, s in enumerate(ins[1].astype(np.int64))]
            y = ins[0].reshape(shape)
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
        elif op == "Conv":
            W = ins[1]
            kernel = list(a.get("kernel_shape", W.shape[2:]))
            strides = list(a.get("strides", [1, 1]))
            dil = list(a.get("dilations", [1, 1]))
            pads = list(a.get("pads", [0, 0, 0, 0]))
            group = a.get("group", 1)
            if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise NotImplementedError("%s: auto_pad" % node.name)
            xp = np.ascontiguousarray(_pad_nchw(ins[0], pads, 0.0))
            cin_g = W.shape[1]
            cout_g = W.shape[0] // group
            outs = []
            for gi in range(group):
                xs = np.ascontiguousarray(xp[:, gi * cin_g:(gi + 1) * cin_g])
                win = _windows(xs, kernel, strides, dil)  # N C OH OW KH KW
                Wg = W[gi * cout_g:(gi + 1) * cout_g]     # M C KH KW
                outs.append(np.einsum("ncijkl,mckl->nmij", win, Wg, optimize=True))
            y = np.concatenate(outs, axis=1)
            if len(ins) > 2 and ins[2] is not None:
                y = y + ins[2].reshape(1, -1, 1, 1)
        elif op == "MaxPool":
            if a.get("ceil_mode", 0) or a.get("storage_order", 0):
                raise NotImplementedError("%s: ceil_mode/storage_order" % node.name)
            kernel = list(a["kernel_shape"])
            strides = list(a.get("strides", [1, 1]))
            dil = list(a.get("dilations", [1, 1]))
            pads = list(a.get("pads", [0, 0, 0, 0]))
            xp = np.ascontiguousarray(_pad_nchw(ins[0], pads, -np.inf))
            y = _windows(xp, kernel, strides, dil).max(axis=(4, 5))
        else:
            raise NotImplementedError("numpy reference: op %s (node %s)" % (op, node.name))
        env[node.output[0]] = y
    return env[g.output[0].name]


def check_graph(path, model, vx, vy, torch_logits):
    """onnx.checker + numpy interpreter vs PyTorch; returns graph summary dict."""
    m = onnx.load(path)
    onnx.checker.check_model(m)
    g = m.graph
    # Interface checks: one input "input" N x 1 x 28 x 28 float, dynamic N.
    real_inputs = [i for i in g.input if i.name not in {t.name for t in g.initializer}]
    assert len(real_inputs) == 1 and real_inputs[0].name == "input", real_inputs
    ttype = real_inputs[0].type.tensor_type
    assert ttype.elem_type == onnx.TensorProto.FLOAT
    dims = ttype.shape.dim
    assert dims[0].dim_param and [d.dim_value for d in dims[1:]] == [1, 28, 28], dims
    assert all(t.data_type == onnx.TensorProto.FLOAT for t in g.initializer)
    op_types = sorted({n.op_type for n in g.node})
    for bad in ("Shape", "Gather", "Unsqueeze", "Concat"):
        assert bad not in op_types, "%s: unexpected %s in graph" % (path, bad)
    # Numerics on the whole test set.
    ref = np.concatenate([run_onnx_numpy(m, to_input(vx[i:i + 1000]).numpy())
                          for i in range(0, len(vx), 1000)])
    diff = np.abs(ref - torch_logits.astype(np.float64))
    max_abs = float(diff.max())
    agree = float((ref.argmax(1) == torch_logits.argmax(1)).mean())
    onnx_acc = float((ref.argmax(1) == vy).mean())
    print("  %-6s ONNX numpy float64 vs PyTorch float32: max |dlogit| %.2e, "
          "argmax agreement %.4f, acc %.4f" % (os.path.basename(path), max_abs, agree, onnx_acc))
    if max_abs > 1e-4 or agree < 0.999:
        sys.exit("train_models.py: %s does not reproduce the PyTorch logits" % path)
    return dict(
        op_types=op_types,
        graph=" -> ".join(n.op_type for n in g.node),
        ir_version=m.ir_version,
        opset=[dict(domain=o.domain or "ai.onnx", version=o.version) for o in m.opset_import],
        onnx_numpy_max_abs_logit_diff=float("%.3g" % max_abs),
        onnx_numpy_argmax_agreement=agree,
    )


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# --------------------------------------------------------------------------
def main():
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="See the module docstring / tb/networks/README.md for details.")
    p.add_argument("--models", default="mlp,lenet5",
                   help="comma-separated subset of: %s (default: all)" % ",".join(MODELS))
    p.add_argument("--data-dir", default=DEFAULT_DATA,
                   help="directory with the Fashion-MNIST IDX files (default: %(default)s)")
    p.add_argument("--out-dir", default=DEFAULT_OUT, help="output directory (default: tb/networks)")
    p.add_argument("--epochs-mlp", type=int, default=8, help="MLP epochs (default %(default)s)")
    p.add_argument("--epochs-lenet5", type=int, default=6,
                   help="LeNet-5 epochs (default %(default)s)")
    p.add_argument("--lr-mlp", type=float, default=3e-3, help="MLP Adam lr (default %(default)s)")
    p.add_argument("--lr-lenet5", type=float, default=2e-3,
                   help="LeNet-5 Adam lr (default %(default)s)")
    p.add_argument("--batch-size", type=int, default=128, help="default %(default)s")
    p.add_argument("--seed", type=int, default=20240601, help="default %(default)s")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    args = p.parse_args()

    names = [n.strip() for n in args.models.split(",") if n.strip()]
    for n in names:
        if n not in MODELS:
            p.error("unknown model %r (choose from %s)" % (n, ",".join(MODELS)))

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    np.random.seed(args.seed)
    os.makedirs(args.out_dir, exist_ok=True)

    data = load_fashion_mnist(args.data_dir)
    _, _, vx, vy = data
    json_path = os.path.join(args.out_dir, "networks.json")
    meta = {}
    if os.path.exists(json_path):  # keep entries of models not retrained now
        with open(json_path) as f:
            meta = json.load(f)
    meta.update({
        "generator": "scripts/train_models.py",
        "dataset": dict(name="fashion-mnist", source="Debian dataset-fashion-mnist, "
                        "/usr/share/datasets/fashion-mnist/", train_images=60000,
                        test_images=10000, classes=CLASSES),
        "input": dict(name="input", shape=["N", 1, 28, 28], dtype="float32",
                      preprocessing="pixel / 255 (uint8 IDX -> [0, 1]), no normalisation"),
        "output": dict(name="logits", shape=["N", 10], dtype="float32"),
        "versions": dict(torch=torch.__version__, onnx=onnx.__version__,
                         numpy=np.__version__, python=sys.version.split()[0],
                         opset=OPSET),
    })
    meta.setdefault("models", {})

    t_all = time.time()
    for name in names:
        print("[%s] training" % name, flush=True)
        model, settings, secs = train(name, args, data)
        acc, logits = evaluate(model, vx, vy)
        onnx_path = os.path.join(args.out_dir, MODELS[name]["file"])
        export(model, onnx_path)
        ref_name = "%s_ref_logits.npy" % name
        np.save(os.path.join(args.out_dir, ref_name), logits[:N_REF].astype(np.float32))
        graph = check_graph(onnx_path, model, vx, vy, logits)
        nparams = sum(p.numel() for p in model.parameters())
        meta["models"][name] = dict(
            file=MODELS[name]["file"],
            description=MODELS[name]["description"],
            float_test_accuracy=round(acc, 4),
            test_images=len(vy),
            parameters=nparams,
            ref_logits=ref_name,
            ref_logits_images="first %d test images (t10k order), float32 %d x 10"
                              % (N_REF, N_REF),
            ref_logits_argmax_accuracy=float((logits[:N_REF].argmax(1) == vy[:N_REF]).mean()),
            file_bytes=os.path.getsize(onnx_path),
            sha256=sha256(onnx_path),
            training=settings,
            **graph,
        )
        print("[%s] float test accuracy %.4f, %d parameters, ops %s, %.1f s training"
              % (name, acc, nparams, ",".join(graph["op_types"]), secs), flush=True)

    with open(json_path, "w") as f:
        json.dump(meta, f, indent=2, sort_keys=False)
        f.write("\n")
    print("wrote %s (total %.1f s)" % (json_path, time.time() - t_all))


if __name__ == "__main__":
    main()
