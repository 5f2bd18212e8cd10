"""Dropout layers: inverted dropout in training mode (of elements, or of whole channels), the identity in eval."""

from __future__ import annotations

from ..autograd.tensor import Tensor
from ..ops.dropout import check_p, dropout, dropout1d, dropout2d
from .module import Module


class Dropout(Module):
    """Zero each element with probability p and scale the rest by 1 / (1 - p) while ``training``."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = check_p(p, type(self).__name__)
        self.inplace = inplace

    def forward(self, x) -> Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Zero each channel of (N, C, L) whole with probability p, scale the rest by 1 / (1 - p), while ``training``."""

    def forward(self, x) -> Tensor:
        return dropout1d(x, self.p, self.training)


class Dropout2d(Dropout):
    """Zero each feature map of (N, C, H, W) whole with probability p, scale the rest by 1 / (1 - p),
    while ``training`` (nearby pixels are correlated, so dropping single ones regularises little)."""

    def forward(self, x) -> Tensor:
        return dropout2d(x, self.p, self.training)
