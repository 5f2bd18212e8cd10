"""Transposed convolution layers: weight (in_channels, out_channels / groups, *kernel_size) and bias, as PyTorch."""

from __future__ import annotations

import math

from ..autograd.tensor import Tensor
from ..ops.conv_transpose import conv_transpose1d, conv_transpose2d
from ..ops.window import as_pair
from . import init
from .factory import add_weight_and_bias, check_groups
from .module import Module


class _ConvTransposeNd(Module):
    dims = 2
    function = staticmethod(conv_transpose2d)  # the functional form of this layer

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        name, n = type(self).__name__, self.dims
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}, got {padding_mode!r}')
        self.in_channels = as_pair(in_channels, 1, "in_channels", name)[0]
        self.out_channels = as_pair(out_channels, 1, "out_channels", name)[0]
        self.kernel_size = as_pair(kernel_size, n, "kernel_size", name)
        self.stride = as_pair(stride, n, "stride", name)
        self.padding = as_pair(padding, n, "padding", name, minimum=0)
        self.output_padding = as_pair(output_padding, n, "output_padding", name, minimum=0)
        self.dilation = as_pair(dilation, n, "dilation", name)
        self.groups = as_pair(groups, 1, "groups", name)[0]
        self.padding_mode = padding_mode
        check_groups(name, self.in_channels, self.out_channels, self.groups)
        shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        add_weight_and_bias(self, shape, self.out_channels, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default on the transposed weight: kaiming_uniform(a=sqrt(5)), i.e. U(+-1/sqrt(fan_in))
        with fan_in = out_channels / groups * prod(kernel_size) (the weight's dimension 1), bias likewise."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.out_channels // self.groups * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in else 0.0
            init.uniform_(self.bias, -bound, bound)

    def _output_padding(self, input, output_size) -> tuple:
        """``output_padding``, or the one that gives ``output_size`` (spatial sizes, or with N, C in front)."""
        if output_size is None:
            return self.output_padding
        n, name = self.dims, type(self).__name__
        output_size = tuple(int(s) for s in output_size)
        non_spatial = 2 if input.ndim == n + 2 else 1
        if len(output_size) == non_spatial + n:
            output_size = output_size[non_spatial:]
        if len(output_size) != n:
            raise ValueError(
                f"{name}: for {input.ndim}D input, output_size must have {n} or {non_spatial + n} "
                f"elements (got {len(output_size)})"
            )
        sizes = tuple(input.shape[non_spatial:])
        lows = [
            (size - 1) * s - 2 * p + d * (k - 1) + 1
            for size, s, p, d, k in zip(sizes, self.stride, self.padding, self.dilation, self.kernel_size)
        ]
        highs = [low + s - 1 for low, s in zip(lows, self.stride)]
        if any(not lo <= size <= hi for size, lo, hi in zip(output_size, lows, highs)):
            raise ValueError(
                f"{name}: requested an output size of {list(output_size)}, but valid sizes range from "
                f"{lows} to {highs} (for an input of {list(sizes)})"
            )
        return tuple(size - lo for size, lo in zip(output_size, lows))

    def extra_repr(self) -> str:
        n = self.dims
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s

    def forward(self, input, output_size=None) -> Tensor:
        output_padding = self._output_padding(input, output_size)
        return self.function(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
            name=self._label(),
        )

    def _label(self) -> str:
        k = "x".join(map(str, self.kernel_size))
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, k={k})"


class ConvTranspose2d(_ConvTransposeNd):
    """(N, C_in, H, W) -> (N, C_out, Ho, Wo),
    Ho = (H - 1)*stride - 2*padding + dilation*(kh - 1) + output_padding + 1 (and Wo alike)."""

    dims = 2
    function = staticmethod(conv_transpose2d)


class ConvTranspose1d(_ConvTransposeNd):
    """(N, C_in, L) -> (N, C_out, L_out),
    L_out = (L - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1."""

    dims = 1
    function = staticmethod(conv_transpose1d)
