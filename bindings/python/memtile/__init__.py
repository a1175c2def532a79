"""memtile from Python: np.dot on simulated memristor crossbars (docs/python.md).

    import memtile
    c = memtile.dot(a, b, mode="bitslice", var=0.05, xblk=[1, 1, 2, 4], mblk=[1, 1, 2, 4])
    eng = memtile.Engine(mode="fp", xblk=[1] * 23, mblk=[1] * 23, bw_e=8, seed=3)
    w = eng.program(W)            # program once: variation drawn here and kept
    y1, y2 = w.multiply(x1), w.multiply(x2)   # read many times
    w.counters, w.config          # operation counts, effective configuration (dict)

Parameters keep mPimPy's names (HGS, LGS, g_level, var, vnoise, wire_resistance, rdac, radc,
vread, array_size, xblk, mblk, bw_e) plus memtile's (mode, software, seed, adc_full_scale,
weight_encoding, sign_magnitude_converters, round_slice_products, stuck_at_lgs,
stuck_at_hgs, drift_nu, drift_t_s, drift_t0_s); the table is in docs/numerics.md.
`preset="mpimpy"` (a file of configs/presets, shipped in memtile/presets; or a path to a JSON
file) starts from that file's "engine" object.
Unknown or invalid parameters raise ValueError/TypeError naming the parameter.
"""
import json as _json
import os as _os

from . import _memtile

__all__ = ["dot", "Engine", "ProgrammedMatrix", "default_config", "load_preset"]
__version__ = "0.1.0"

ProgrammedMatrix = _memtile.ProgrammedMatrix


def default_config():
    """The engine's defaults as a dict (the names Engine and dot accept)."""
    return _memtile.default_config()


def _preset_dirs():
    env = _os.environ.get("MEMTILE_PRESETS")
    return ([env] if env else []) + [_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "presets")]


def load_preset(preset):
    """The "engine" object of a preset name (configs/presets/<name>.json) or a JSON file path."""
    if not isinstance(preset, str):
        raise TypeError("preset: expected a name or a path, got " + type(preset).__name__)
    candidates = [preset] if preset.endswith(".json") else [_os.path.join(d, preset + ".json") for d in _preset_dirs()]
    for path in candidates:
        if _os.path.isfile(path):
            with open(path) as f:
                try:
                    doc = _json.load(f)
                except ValueError as e:
                    raise ValueError(f"preset: {path}: not valid JSON ({e})") from None
            if not isinstance(doc, dict):
                raise ValueError(f"preset: {path}: expected a JSON object")
            eng = doc.get("engine", doc)
            if not isinstance(eng, dict):
                raise ValueError(f"preset: {path}: field 'engine' must be an object")
            return dict(eng)
    raise ValueError(f"preset: '{preset}' not found (looked for {', '.join(candidates)})")


def _params(preset, params):
    merged = load_preset(preset) if preset is not None else {}
    merged.update(params)
    if "array_size" in merged and merged["array_size"] is not None:
        merged["array_size"] = list(merged["array_size"])
    return merged


class Engine:
    """A configured engine: `.program(W)` puts a K x N weight matrix on crossbars."""

    def __init__(self, preset=None, **params):
        self._engine = _memtile.Engine(_params(preset, params))

    @property
    def config(self):
        """Effective configuration (defaults, preset and parameters) as a dict."""
        return self._engine.config

    def program(self, W):
        """Program W (K x N, or 1-D K: one column) once; returns a ProgrammedMatrix whose
        .multiply(X) computes np.dot(X, W) on the same arrays (variation kept)."""
        return self._engine.program(W)

    def dot(self, a, b):
        """np.dot(a, b) with freshly programmed arrays for b."""
        return _dot_programmed(self._engine.program(b), a)


def _dot_programmed(pm, a):
    out = pm.multiply(a)
    return out[()] if getattr(out, "ndim", 1) == 0 else out


def dot(a, b, mode=None, preset=None, **params):
    """np.dot(a, b) on simulated crossbars: b (K x N or K) is programmed, a (M x K or K) is
    applied as inputs. mode: "bitslice" (default), "diffpair" or "fp"; other parameters as
    for Engine; same seed -> identical result."""
    if mode is not None:
        params["mode"] = mode
    return _dot_programmed(Engine(preset=preset, **params)._engine.program(b), a)
