"""Convolution layers: a weight (out_channels, in_channels, *kernel_size) and a bias, as PyTorch."""

from __future__ import annotations

import math

from .. import backend as B
from ..ops.conv import PADDING_MODES, conv1d, conv2d
from ..ops.pad import normalize_padding
from ..ops.window import as_pair
from . import init
from .module import Module
from .parameter import Parameter


class _ConvNd(Module):
    dims = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 bias: bool = True, padding_mode: str = "zeros", value: float = 0.0, dtype=None) -> None:
        super().__init__()
        name = type(self).__name__
        n = self.dims
        self.in_channels = as_pair(in_channels, 1, "in_channels", name)[0]
        self.out_channels = as_pair(out_channels, 1, "out_channels", name)[0]
        self.kernel_size = as_pair(kernel_size, n, "kernel_size", name)
        self.stride = as_pair(stride, n, "stride", name)
        self.dilation = as_pair(dilation, n, "dilation", name)
        # validate now, so a bad layer fails where it is built (the sizes only matter for "same")
        normalize_padding(padding, self.kernel_size, self.stride, self.dilation, (0,) * n, name)
        if not isinstance(padding, str):
            padding = (padding,) * n if isinstance(padding, int) else tuple(padding)
        self.padding = padding
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {', '.join(PADDING_MODES)}, got {padding_mode!r}")
        self.padding_mode, self.value = padding_mode, value
        dtype = dtype or B.default_float
        self.weight = Parameter(B.xp.zeros((self.out_channels, self.in_channels, *self.kernel_size), dtype))
        self.bias = Parameter(B.xp.zeros((self.out_channels,), dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight ~ kaiming_uniform(a=sqrt(5)), i.e. U(+-1/sqrt(fan_in)), bias likewise."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_channels * math.prod(self.kernel_size))
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in ((0,) * self.dims, "valid"):
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode!r}"
        return s

    def _label(self) -> str:
        k = "x".join(map(str, self.kernel_size))
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, k={k})"


class Conv2d(_ConvNd):
    """2-D convolution layer: (N, C_in, H, W) -> (N, C_out, H_out, W_out), cross-correlation."""

    dims = 2

    def forward(self, x):
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.padding_mode,
                      self.value, name=self._label())


class Conv1d(_ConvNd):
    """1-D convolution layer: (N, C_in, L) -> (N, C_out, L_out), cross-correlation."""

    dims = 1

    def forward(self, x):
        return conv1d(x, self.weight, self.bias, self.stride[0], self.padding if isinstance(self.padding, str)
                      else self.padding[0], self.dilation[0], self.padding_mode, self.value, name=self._label())
