"""Dropout layer: inverted dropout in training mode, the identity in evaluation mode."""

from __future__ import annotations

from ..autograd.tensor import Tensor
from ..ops.dropout import check_p, dropout
from .module import Module


class Dropout(Module):
    """Zero each element with probability p and scale the rest by 1 / (1 - p) while ``training``."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = check_p(p, "Dropout")
        self.inplace = inplace

    def forward(self, x) -> Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
