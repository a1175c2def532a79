"""What the three mPimPy engine classes share: constructor arguments and the call into memtile."""
import numpy as np

from .. import Engine

_DEVICE = ("HGS", "LGS", "g_level", "var", "vnoise", "wire_resistance", "rdac", "radc", "vread")


class _Dpe:
    _var_default = 0.05

    def __init__(self, HGS=1e-5, LGS=1e-7, g_level=16, var=None, vnoise=0.05, wire_resistance=2.93,
                 rdac=256, radc=1024, vread=0.1, array_size=(32, 32), seed=None, apply_vnoise=False,
                 precision=None):
        self.HGS, self.LGS, self.g_level = HGS, LGS, g_level
        self.var = self._var_default if var is None else var
        self.vnoise, self.wire_resistance = vnoise, wire_resistance
        self.rdac, self.radc, self.vread = rdac, radc, vread
        try:
            rows, cols = array_size
        except (TypeError, ValueError):
            raise ValueError("array_size: expected (rows, cols), got " + repr(array_size)) from None
        self.array_size = (rows, cols)
        self.seed = seed
        # mPimPy stores vnoise and never uses it (its default, 0.05 V, is half of vread): the
        # facade does the same unless asked to apply it as memtile's read noise.
        self.apply_vnoise = bool(apply_vnoise)
        # memtile's own option (not mPimPy's): "float32" reads, about twice as fast (docs/numerics.md).
        self.precision = precision
        extra = {} if precision is None else {"precision": precision}
        Engine(**self._device(), array_size=list(self.array_size), xblk=[1, 1], mblk=[1, 1], **extra)  # validates now

    def _device(self):
        d = {k: getattr(self, k) for k in _DEVICE}
        if not self.apply_vnoise:
            d["vnoise"] = 0.0
        return d

    def _seed(self):
        if self.seed is not None:
            return self.seed
        return int(np.random.randint(0, 2**31 - 1))

    @staticmethod
    def _operands(xin, matin):
        # mPimPy computes integer operands in float64; memtile takes float32/float64 only.
        x, m = np.asarray(xin), np.asarray(matin)
        if x.dtype.kind in "iub":
            x = x.astype(np.float64)
        if m.dtype.kind in "iub":
            m = m.astype(np.float64)
        return x, m

    def _run(self, xin, matin, software, wire_factor=False, **params):
        x, m = self._operands(xin, matin)
        cfg = self._device()
        cfg["wire_resistance"] = float(self.wire_resistance) if wire_factor else 0.0
        cfg["sign_magnitude_converters"] = True
        cfg["seed"] = self._seed()
        if self.precision is not None:
            cfg["precision"] = self.precision
        if software:
            # mPimPy's software forms scale the whole operand at once: one block of K x N.
            k = m.shape[0]
            n = m.shape[1] if m.ndim == 2 else 1
            cfg.update(software=True, array_size=[k, n], var=0.0, vnoise=0.0)
        else:
            cfg["array_size"] = list(self.array_size)
        cfg.update(params)
        eng = Engine(**cfg)
        out = eng.program(m).multiply(x)
        return out[()] if out.ndim == 0 else out
