#!/usr/bin/python3
"""Writes the libFuzzer seed corpus of tests/fuzz/corpus (committed; rerun after a format change).

npy: NumPy's own writer (1-D/2-D, float32/float64, format versions 1 and 2); idx: the IDX
layout of MNIST (plain and gzip), images and labels; config: small run-configuration groups
(the presets in configs/presets are passed as a second seed folder); onnx: tiny models built with
the onnx helper API covering every supported operator, small enough for fast executions.
"""
import gzip
import io
import json
import os
import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
rng = np.random.default_rng(0)


def out(kind, name, data):
    with open(os.path.join(here, kind, name), "wb") as f:
        f.write(data)


def npy_bytes(a, version=None):
    b = io.BytesIO()
    if version is None:
        np.save(b, a)
    else:
        np.lib.format.write_array(b, a, version=version)
    return b.getvalue()


out("npy", "vec_f8.npy", npy_bytes(np.arange(5, dtype=np.float64)))
out("npy", "mat_f4.npy", npy_bytes(rng.standard_normal((3, 4)).astype(np.float32)))
out("npy", "mat_f8_v2.npy", npy_bytes(rng.standard_normal((2, 3)), version=(2, 0)))
out("npy", "one.npy", npy_bytes(np.ones((1, 1))))


def idx_images(n, r, c):
    return struct.pack(">IIII", 0x803, n, r, c) + bytes(rng.integers(0, 256, n * r * c, dtype=np.uint8))


def idx_labels(n):
    return struct.pack(">II", 0x801, n) + bytes(rng.integers(0, 10, n, dtype=np.uint8))


out("idx", "images", idx_images(3, 4, 4))
out("idx", "labels", idx_labels(6))
out("idx", "images.gz", gzip.compress(idx_images(2, 3, 3), mtime=0))
out("idx", "labels.gz", gzip.compress(idx_labels(4), mtime=0))

configs = {
    "engine.json": {"engine": {"mode": "bitslice", "g_level": 16, "array_size": [32, 32], "xblk": [1, 1, 2, 4],
                               "mblk": [1, 1, 2, 4], "var": 0.05, "seed": 3}},
    "flat_engine.json": {"HGS": 1e-5, "LGS": 1e-7, "radc": 1024, "rdac": 256, "mode": "fp", "bw_e": 8},
    "tile.json": {"tile": {"clock_ghz": 1.0, "adc_bits": 8, "adc_mux": 8, "pipeline": True,
                           "wire": {"node_nm": 22}}},
    "energy.json": {"energy": {}},
    "analog.json": {"analog": {"array_rows": 64, "array_cols": 64, "seed": 1}},
}
for name, cfg in configs.items():
    out("config", name, json.dumps(cfg).encode())


def init(name, a, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(a, dtype=dtype), name)


def model(nodes, inputs, outputs, inits, opset=13):
    g = helper.make_graph(nodes, "seed", inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="memtile-fuzz-seeds")
    m.ir_version = 8
    return m.SerializeToString()


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


# MLP: Gemm (transB, bias) + Relu + MatMul + Add + Softmax.
out("onnx", "mlp.onnx", model(
    [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1, name="fc1"),
     helper.make_node("Relu", ["h"], ["r"], name="relu"),
     helper.make_node("MatMul", ["r", "w2"], ["m"], name="fc2"),
     helper.make_node("Add", ["m", "b2"], ["a"], name="bias"),
     helper.make_node("Softmax", ["a"], ["y"], name="softmax")],
    [vi("x", ["N", 4])], [vi("y", None)],
    [init("w1", rng.standard_normal((3, 4))), init("b1", rng.standard_normal(3)),
     init("w2", rng.standard_normal((3, 2))), init("b2", rng.standard_normal(2))]))

# CNN: Conv (pads) + BatchNorm + Relu + MaxPool + AveragePool + Flatten + Gemm.
out("onnx", "cnn.onnx", model(
    [helper.make_node("Conv", ["x", "cw", "cb"], ["c"], pads=[1, 1, 1, 1], kernel_shape=[3, 3], name="conv"),
     helper.make_node("BatchNormalization", ["c", "s", "bb", "mu", "var"], ["bn"], name="bn"),
     helper.make_node("Relu", ["bn"], ["r"], name="relu"),
     helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2], name="pool"),
     helper.make_node("AveragePool", ["p"], ["q"], kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 1, 1], ceil_mode=1, name="avg"),
     helper.make_node("Flatten", ["q"], ["f"], axis=1, name="flatten"),
     helper.make_node("Gemm", ["f", "w", "b"], ["y"], transB=1, name="fc")],
    [vi("x", ["N", 1, 6, 6])], [vi("y", None)],
    [init("cw", rng.standard_normal((2, 1, 3, 3))), init("cb", rng.standard_normal(2)),
     init("s", [1.0, 0.5]), init("bb", [0.1, -0.1]), init("mu", [0.0, 0.2]), init("var", [1.0, 2.0]),
     init("w", rng.standard_normal((3, 8))), init("b", rng.standard_normal(3))]))

# PyTorch flatten chain: Shape + Gather + Unsqueeze + Concat + Reshape, plus Transpose,
# Squeeze, Identity, Dropout, Sigmoid, Tanh, GlobalAveragePool, grouped Conv.
out("onnx", "chain.onnx", model(
    [helper.make_node("Conv", ["x", "gw"], ["g"], group=2, kernel_shape=[1, 1], name="gconv"),
     helper.make_node("GlobalAveragePool", ["g"], ["gap"], name="gap"),
     helper.make_node("Shape", ["gap"], ["shp"], name="shape"),
     helper.make_node("Gather", ["shp", "zero"], ["n"], axis=0, name="gather"),
     helper.make_node("Unsqueeze", ["n", "axes0"], ["nu"], name="unsqueeze"),
     helper.make_node("Concat", ["nu", "minus1"], ["newshape"], axis=0, name="concat"),
     helper.make_node("Reshape", ["gap", "newshape"], ["flat"], name="reshape"),
     helper.make_node("Transpose", ["flat"], ["t"], perm=[1, 0], name="transpose"),
     helper.make_node("Transpose", ["t"], ["t2"], perm=[1, 0], name="transpose_back"),
     helper.make_node("Identity", ["t2"], ["i"], name="identity"),
     helper.make_node("Dropout", ["i"], ["d"], name="dropout"),
     helper.make_node("Sigmoid", ["d"], ["s"], name="sigmoid"),
     helper.make_node("Tanh", ["s"], ["th"], name="tanh"),
     helper.make_node("Unsqueeze", ["th", "axes2"], ["u2"], name="unsqueeze2"),
     helper.make_node("Squeeze", ["u2", "axes2"], ["y"], name="squeeze")],
    [vi("x", ["N", 4, 3, 3])], [vi("y", None)],
    [init("gw", rng.standard_normal((4, 2, 1, 1))), init("zero", np.array(0), np.int64),
     init("axes0", [0], np.int64), init("minus1", [-1], np.int64), init("axes2", [2], np.int64)]))

# Constant node and constant folding through Transpose (the path of the heap overflow).
out("onnx", "constfold.onnx", model(
    [helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(
        rng.standard_normal((2, 3)).astype(np.float32)), name="const"),
     helper.make_node("Transpose", ["c"], ["ct"], name="fold_transpose"),
     helper.make_node("MatMul", ["x", "ct"], ["y"], name="mm")],
    [vi("x", ["N", 3])], [vi("y", None)], []))

# Past finding: initializer dims whose element count wraps to 2 (SIGSEGV in Transpose folding).
wrap = onnx.TensorProto(name="big", data_type=TensorProto.FLOAT, dims=[3, 6148914691236517206], float_data=[1, 2])
out("onnx", "crash_wrap_transpose.onnx", model(
    [helper.make_node("Transpose", ["big"], ["t"], name="fold_me"),
     helper.make_node("MatMul", ["x", "t"], ["y"], name="mm")],
    [vi("x", ["N", 3])], [vi("y", None)], [wrap]))
# Past finding: a header-only .npy claiming 30000 x 30000 float32.
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (30000, 30000), }"
hdr += " " * (128 - 10 - len(hdr) - 1) + "\n"
out("npy", "crash_header_only.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())

for kind in ("npy", "idx", "config", "onnx"):
    print(kind, len(os.listdir(os.path.join(here, kind))), "seeds")
