"""Convolution layers: a weight (out_channels, in_channels / groups, *kernel_size) and a bias, as PyTorch."""

from __future__ import annotations

import math

from ..autograd.function import ShapeError
from ..ops.conv import PADDING_MODES, conv1d, conv2d, conv2d_relu
from ..ops.pad import normalize_padding
from ..ops.shape import concatenate
from ..ops.window import as_pair
from . import init
from .factory import add_weight_and_bias, check_groups
from .module import Module


class _ConvNd(Module):
    dims = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
        *,
        value: float = 0.0,
    ) -> None:
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
        self.groups = as_pair(groups, 1, "groups", name)[0]
        check_groups(name, self.in_channels, self.out_channels, self.groups)
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        add_weight_and_bias(self, shape, self.out_channels, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight ~ kaiming_uniform(a=sqrt(5)), i.e. U(+-1/sqrt(fan_in)), bias likewise."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_channels // self.groups * math.prod(self.kernel_size))
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in ((0,) * self.dims, "valid"):
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode!r}"
        return s

    def _grouped(self, conv, x, *args, name: str):
        """``groups`` separate convolutions, each of in/groups input channels to out/groups outputs, joined."""
        if self.groups == 1:
            return conv(x, self.weight, self.bias, *args, name=name)
        cin, cout = self.in_channels // self.groups, self.out_channels // self.groups
        if x.ndim < 2 or x.shape[-self.dims - 1] != self.in_channels:
            raise ShapeError(f"{name}: input of shape {tuple(x.shape)} should have {self.in_channels} channels")
        outs = []
        for g in range(self.groups):
            bias = None if self.bias is None else self.bias[g * cout : (g + 1) * cout]
            channels = (Ellipsis, slice(g * cin, (g + 1) * cin)) + (slice(None),) * self.dims
            outs.append(conv(x[channels], self.weight[g * cout : (g + 1) * cout], bias, *args, name=name))
        return concatenate(outs, axis=-self.dims - 1)

    def _label(self) -> str:
        k = "x".join(map(str, self.kernel_size))
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, k={k})"


class Conv2d(_ConvNd):
    """2-D convolution layer: (N, C_in, H, W) -> (N, C_out, H_out, W_out), cross-correlation."""

    dims = 2

    def forward(self, x):
        return self._conv(conv2d, x)

    def forward_relu(self, x):
        """relu(self(x)) as one op (``ops.conv.conv2d_relu``, per group): ``nn.Sequential``'s path in
        inference for a Conv2d followed by a ReLU."""
        return self._conv(conv2d_relu, x)

    def _conv(self, conv, x):
        return self._grouped(
            conv, x, self.stride, self.padding, self.dilation, self.padding_mode, self.value, name=self._label()
        )


class Conv1d(_ConvNd):
    """1-D convolution layer: (N, C_in, L) -> (N, C_out, L_out), cross-correlation."""

    dims = 1

    def forward(self, x):
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return self._grouped(
            conv1d, x, self.stride[0], padding, self.dilation[0], self.padding_mode, self.value, name=self._label()
        )
