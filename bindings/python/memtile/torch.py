"""PyTorch models on memtile's simulated crossbars (docs/python.md).

    import memtile.torch
    hw = memtile.torch.convert(model, preset="mpimpy", seed=3)   # or any engine parameters
    logits = hw(images)

convert() returns a copy of the module in which every nn.Linear and nn.Conv2d is replaced by a
layer whose weights are programmed once onto memtile crossbars (variation drawn then and kept);
forward() sends the layer's input vectors (Conv2d: im2col patches, channel-major, the layout
memtile's ONNX executor uses) through the engine and adds the bias digitally in float64. Every
other module runs in PyTorch. The layer's output has the input's dtype (float64 in, float64 out:
the engine computes in float64).

Layers are numbered in module order (named_modules), and layer i gets its own engine with seed
`seed + i`, as `memtile run --engine-only` does for the ONNX graph's weighted layers: the same
network, images and seed give the same logits. ideal=True computes each layer's exact float64
product instead (no engine): the conversion itself, checked against the unconverted model.
Inference only: the layers carry no gradient.
"""
import copy

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from . import Engine

__all__ = ["convert", "MemtileLinear", "MemtileConv2d"]


class _Programmed(nn.Module):
    def __init__(self, weight_kn, bias, engine_params, ideal):
        super().__init__()
        w = np.ascontiguousarray(weight_kn, dtype=np.float64)
        self.in_features, self.out_features = w.shape
        self.ideal = ideal
        self._w = w if ideal else None
        self._pm = None if ideal else Engine(**engine_params).program(w)
        self._bias = None if bias is None else bias.detach().cpu().double().numpy().copy()

    @property
    def counters(self):
        return {} if self._pm is None else self._pm.counters

    @property
    def config(self):
        return {"ideal": True} if self._pm is None else self._pm.config

    def _matmul(self, x2d):
        """x2d: numpy float64 (vectors x in_features) -> vectors x out_features, bias added."""
        y = x2d @ self._w if self.ideal else np.asarray(self._pm.multiply(x2d))
        if y.ndim == 1:
            y = y.reshape(x2d.shape[0], -1)
        if self._bias is not None:
            y = y + self._bias
        return y


class MemtileLinear(_Programmed):
    """nn.Linear on memtile crossbars: y = x W^T + b, W programmed once."""

    def __init__(self, linear, engine_params, ideal=False):
        super().__init__(linear.weight.detach().cpu().double().numpy().T, linear.bias, engine_params, ideal)

    def forward(self, x):
        if x.shape[-1] != self.in_features:
            raise ValueError(f"input: last dimension {x.shape[-1]} != in_features {self.in_features}")
        lead = x.shape[:-1]
        x2d = x.detach().cpu().double().reshape(-1, self.in_features).numpy()
        y = self._matmul(x2d)
        return torch.from_numpy(y).reshape(*lead, self.out_features).to(x.dtype)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, ideal={self.ideal}"


class MemtileConv2d(_Programmed):
    """nn.Conv2d (groups 1, zero padding) on memtile crossbars through im2col."""

    def __init__(self, conv, engine_params, ideal=False):
        if conv.groups != 1:
            raise ValueError(f"Conv2d: groups={conv.groups} is not supported (groups=1 only)")
        if conv.padding_mode != "zeros":
            raise ValueError(f"Conv2d: padding_mode='{conv.padding_mode}' is not supported ('zeros' only)")
        if isinstance(conv.padding, str):
            raise ValueError(f"Conv2d: padding='{conv.padding}' is not supported (give the padding in pixels)")
        self.kernel_size, self.stride = tuple(conv.kernel_size), tuple(conv.stride)
        self.padding, self.dilation = tuple(conv.padding), tuple(conv.dilation)
        self.in_channels, self.out_channels = conv.in_channels, conv.out_channels
        w = conv.weight.detach().cpu().double().numpy().reshape(conv.out_channels, -1).T  # (C*kh*kw) x M
        super().__init__(w, conv.bias, engine_params, ideal)

    def forward(self, x):
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"input: expected N x {self.in_channels} x H x W, got {tuple(x.shape)}")
        n, _, h, w = x.shape
        oh = (h + 2 * self.padding[0] - self.dilation[0] * (self.kernel_size[0] - 1) - 1) // self.stride[0] + 1
        ow = (w + 2 * self.padding[1] - self.dilation[1] * (self.kernel_size[1] - 1) - 1) // self.stride[1] + 1
        cols = F.unfold(x.detach().cpu().double(), self.kernel_size, dilation=self.dilation, padding=self.padding,
                        stride=self.stride)  # N x (C*kh*kw) x L, channel-major patches
        x2d = cols.transpose(1, 2).reshape(-1, self.in_features).numpy()
        y = self._matmul(x2d)  # (N*L) x M
        out = torch.from_numpy(y).reshape(n, oh, ow, self.out_channels).permute(0, 3, 1, 2).contiguous()
        return out.to(x.dtype)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, ideal={self.ideal}")


def convert(module, preset=None, seed=0, ideal=False, **params):
    """A copy of `module` with its Linear and Conv2d layers programmed onto memtile crossbars.

    preset: a configs/presets name or JSON path (its "engine" object); params: engine
    parameters (mPimPy's names, docs/numerics.md) overriding the preset; seed: layer i uses
    seed + i. ideal=True: exact float64 products (no engine). Raises ValueError/TypeError for
    unsupported layers or invalid parameters."""
    if not isinstance(module, nn.Module):
        raise TypeError("module: expected a torch.nn.Module, got " + type(module).__name__)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    if not ideal:
        Engine(preset=preset, **params)  # validate once, before any layer is programmed
    out = copy.deepcopy(module)
    targets = [(name, m) for name, m in out.named_modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    for layer_id, (name, m) in enumerate(targets):
        eng = {} if ideal else dict(_preset_engine(preset), **params, seed=int(seed) + layer_id)
        new = MemtileLinear(m, eng, ideal) if isinstance(m, nn.Linear) else MemtileConv2d(m, eng, ideal)
        _replace(out, name, new)
    out.eval()
    return out


def _preset_engine(preset):
    from . import load_preset
    return load_preset(preset) if preset is not None else {}


def _replace(root, dotted, new):
    if dotted == "":
        raise ValueError("module: convert a model that contains the layer, not a bare Linear/Conv2d")
    parent = root
    parts = dotted.split(".")
    for p in parts[:-1]:
        parent = getattr(parent, p)
    setattr(parent, parts[-1], new)
