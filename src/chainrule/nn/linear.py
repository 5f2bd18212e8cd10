"""Fully connected layer, and the shape layers around it (Flatten, Identity)."""

from __future__ import annotations

import math

from ..autograd.tensor import Tensor
from ..ops.linear import linear
from . import init
from .factory import add_weight_and_bias
from .module import Module


class Linear(Module):
    """y = x W^T + b: (..., in_features) -> (..., out_features); weight (out, in), bias (out,).

    Default init as PyTorch: W ~ kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)),
    b ~ U(-1/sqrt(in), 1/sqrt(in)). ``device``/``dtype`` place and type the parameters, as PyTorch.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        if self.in_features < 0 or self.out_features < 0:
            raise ValueError(f"Linear({in_features}, {out_features}): sizes must be non-negative")
        add_weight_and_bias(self, (self.out_features, self.in_features), self.out_features, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x) -> Tensor:
        return linear(x, self.weight, self.bias, name=f"Linear({self.in_features}, {self.out_features})")

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    """Merge axes start_dim..end_dim: (N, C, H, W) -> (N, C*H*W) with the defaults."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """y = x (a placeholder layer; arguments are accepted and ignored, as PyTorch)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, x):
        return x
