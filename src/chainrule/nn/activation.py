"""Activation layers: each a Module around the op of the same name."""

from __future__ import annotations

from .. import ops
from ..autograd.tensor import Tensor
from ..ops.loss import log_softmax, softmax
from .module import Module


class ReLU(Module):
    """y = max(0, x) (ReLU'(0) = 0). ``inplace`` is accepted for PyTorch code and has no effect."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x) -> Tensor:
        return ops.relu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """y = 1 / (1 + e^-x)."""

    def forward(self, x) -> Tensor:
        return ops.sigmoid(x)


class Tanh(Module):
    """y = tanh x."""

    def forward(self, x) -> Tensor:
        return ops.tanh(x)


class Softmax(Module):
    """y = softmax(x) along ``dim`` (default -1, the class axis of (N, C) logits)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x) -> Tensor:
        return softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """y = log softmax(x) along ``dim`` (default -1)."""

    def forward(self, x) -> Tensor:
        return log_softmax(x, self.dim)
