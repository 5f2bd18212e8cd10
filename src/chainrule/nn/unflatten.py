"""Unflatten: split one axis into several, the inverse of Flatten, as ``torch.nn.Unflatten``."""

from __future__ import annotations

import math
import numbers

from ..autograd.function import ShapeError
from ..autograd.tensor import Tensor
from .module import Module


def unflatten(x: Tensor, dim: int, sizes: tuple) -> Tensor:
    """x (..., n, ...) -> (..., *sizes, ...) at axis ``dim``, prod(sizes) = n (one size may be -1)."""
    if not -x.ndim <= dim < max(x.ndim, 1):
        raise IndexError(f"unflatten: dimension {dim} out of range for a tensor of {x.ndim} dimensions")
    dim %= max(x.ndim, 1)
    n = x.shape[dim]
    known = math.prod(s for s in sizes if s != -1)
    wildcards = sum(s == -1 for s in sizes)
    if (
        wildcards > 1
        or any(s < -1 for s in sizes)
        or (wildcards and (known == 0 or n % known))
        or (not wildcards and known != n)
    ):
        raise ShapeError(
            f"unflatten: provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
            f"({n}) in the input tensor of shape {tuple(x.shape)}"
        )
    return x.reshape(*x.shape[:dim], *sizes, *x.shape[dim + 1 :])


class Unflatten(Module):
    """(N, ..., n, ...) -> (N, ..., *unflattened_size, ...): axis ``dim`` split into ``unflattened_size``."""

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        if not isinstance(dim, numbers.Integral):
            raise TypeError(f"Unflatten: dim must be an int, got {dim!r}")
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got {unflattened_size!r}")
        for i, s in enumerate(unflattened_size):
            if not isinstance(s, numbers.Integral):
                raise TypeError(
                    f"Unflatten: unflattened_size must be tuple of ints, but found element of type "
                    f"{type(s).__name__} at pos {i}"
                )
        self.dim, self.unflattened_size = int(dim), unflattened_size  # kept as given, as torch (repr shows it)

    def forward(self, input) -> Tensor:
        return unflatten(input, self.dim, tuple(int(s) for s in self.unflattened_size))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
