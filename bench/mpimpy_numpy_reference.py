#!/usr/bin/env python3
"""The bit-sliced hardware product written the way mPimPy writes it: numpy, one array block
and one slice pair at a time (mPimPy itself is not installable here: no PyPI). It is the
same work as memtile's `bitslice` hardware mode with 32x32 arrays and [1,1,2,4] slices:
per-row/column max-abs quantisation, two's-complement slicing, lognormal variation on every
cell, DAC levels, signed ADC at the worst-case full scale, shift-add. Used only as the speed
reference of bench/run_benchmarks.py; prints the seconds per product as JSON.

  /usr/bin/python3 bench/mpimpy_numpy_reference.py --n 256 --repeat 3
"""
import argparse
import json
import time

import numpy as np

HGS, LGS, VAR, RDAC, RADC, VREAD, R, C = 1 / 1.3e5, 1 / 2.1e6, 0.05, 256, 1024, 0.1, 32, 32
BLK = [1, 1, 2, 4]


def slices(q, bits, blk):
    u = np.where(q < 0, q + (1 << bits), q).astype(np.int64)
    out, shift = [], bits
    for k, b in enumerate(blk):
        shift -= b
        w = float(1 << shift) * (-1 if k == 0 else 1)
        out.append(((u >> shift) & ((1 << b) - 1), b, w))
    return out


def dot(x, m, rng):
    bits = sum(BLK)
    qmax = (1 << (bits - 1)) - 1
    out = np.zeros((x.shape[0], m.shape[1]))
    for r0 in range(0, x.shape[1], R):
        xb = x[:, r0:r0 + R]
        sx = np.abs(xb).max(axis=1, keepdims=True) / qmax
        qx = np.round(xb / np.where(sx == 0, 1, sx))
        for c0 in range(0, m.shape[1], C):
            mb = m[r0:r0 + R, c0:c0 + C]
            sm = np.abs(mb).max(axis=0, keepdims=True) / qmax
            qm = np.round(mb / np.where(sm == 0, 1, sm))
            acc = np.zeros((x.shape[0], C))
            for vm, bm, wm in slices(qm, bits, BLK):
                lw = (1 << bm) - 1
                g = (LGS + vm * (HGS - LGS) / lw) * rng.lognormal(0, VAR, vm.shape)
                gref = LGS * rng.lognormal(0, VAR, (vm.shape[0], 1))
                for vx, bx, wx in slices(qx, bits, BLK):
                    lx = (1 << bx) - 1
                    v = VREAD * np.round(vx / lx * (RDAC - 1)) / (RDAC - 1)
                    i = v @ g - v @ gref
                    fs = (HGS - LGS) * VREAD * R
                    code = np.clip(np.round(i / fs * (RADC // 2)), -(RADC // 2), RADC // 2 - 1)
                    acc += wx * wm * code * fs / (RADC // 2) * lx * lw / (VREAD * (HGS - LGS))
            out[:, c0:c0 + C] += sx * acc * sm
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((args.n, args.n)), rng.standard_normal((args.n, args.n))
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        y = dot(a, b, rng)
        times.append(time.perf_counter() - t)
    re = float(np.linalg.norm(y - a @ b) / np.linalg.norm(a @ b))
    print(json.dumps({"n": args.n, "seconds": min(times), "relative_error": re}))


if __name__ == "__main__":
    main()
