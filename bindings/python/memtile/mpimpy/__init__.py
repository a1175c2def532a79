"""mPimPy 1.0's interface on memtile's engine: change only the import lines,

    from memtile.mpimpy import memmat, memmatdp, memmatfp

and bitslicedpe / diffpairdpe / fpmemdpe with MapReduceDot, BitSliceVMM and fpvmm take the
same arguments and return the same shapes (docs/python.md). The engines run memtile's mPimPy
mode (docs/numerics.md): sign-magnitude converters, slice products rounded to integer counts in
the bit-sliced and FP hardware forms, the software forms scaled over the whole operand, and
wire_factor=True solving the crossbar circuit exactly with `wire_resistance` ohm per segment.

Differences from mPimPy, on purpose: programming variation is drawn from memtile's seeded
generator (seed: an integer, or None to take one from numpy's global generator at every call,
so np.random.seed() still makes a script repeatable); `vnoise` is accepted and, as in mPimPy,
not applied -- apply_vnoise=True makes it memtile's read noise (V, std per row voltage per
read); FP pre-alignment rounds instead of truncating; a multi-bit MSB slice is handled exactly.
"""
from . import memmat, memmatdp, memmatfp  # noqa: F401
from .memmat import bitslicedpe
from .memmatdp import diffpairdpe
from .memmatfp import fpmemdpe

__all__ = ["memmat", "memmatdp", "memmatfp", "bitslicedpe", "diffpairdpe", "fpmemdpe"]
