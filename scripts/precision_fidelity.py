#!/usr/bin/env python3
"""float32 reads against float64 on mPimPy's six README cases (issue: precision must not move fidelity).

For each case of scripts/mpimpy_side_by_side.py (INT4 diff-pair, INT8 software, INT8 hardware with
1-bit and [1,1,2,4] slices, FP32 software and hardware) and N seeds, the same operands and the
same seed go through memtile's mPimPy facade with precision float64 and float32 (the variation
draws are the same; only the rounding of the reads differs). Prints both mean relative errors
against the exact product and their ratio; --check exits 1 unless every ratio is within 1 %.
Needs only the memtile Python package (PYTHONPATH=<build>/bindings/python), not mPimPy.

  PYTHONPATH=build/bindings/python /usr/bin/python3 scripts/precision_fidelity.py [--seeds 30] [--check]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpimpy_side_by_side import CASES, mpimpy_call, re  # noqa: E402  (the cases, defined once)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--check", action="store_true", help="exit 1 unless every float32/float64 ratio is within 1 %%")
    opt = ap.parse_args()
    from memtile import mpimpy as mt

    ok = True
    print(f"{'case':28s} {'RE float64':>12s} {'RE float32':>12s} {'ratio':>8s}")
    for name, kind, params, call, args in CASES:
        r64, r32 = [], []
        for s in range(opt.seeds):
            rng = np.random.default_rng(20260000 + s)
            a, b = rng.standard_normal((32, 32)), rng.standard_normal((32, 32))
            c = a @ b
            r64.append(re(c, mpimpy_call(mt, kind, dict(params, precision="float64"), call, a, b, args, seed=s)))
            r32.append(re(c, mpimpy_call(mt, kind, dict(params, precision="float32"), call, a, b, args, seed=s)))
        m64, m32 = float(np.mean(r64)), float(np.mean(r32))
        ratio = m32 / m64 if m64 > 0 else 1.0
        good = abs(ratio - 1.0) <= 0.01
        ok &= good
        print(f"{name:28s} {m64:12.6g} {m32:12.6g} {ratio:8.5f}{'' if good else '  <- outside 1 %'}")
    if opt.check and not ok:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
