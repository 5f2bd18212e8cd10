"""Operands of the ops' functions: Python numbers and arrays lifted to tensors beside a tensor."""

from __future__ import annotations

from ..autograd.tensor import Tensor


def pair(a, b) -> tuple:
    """``(a, b)`` as tensors; a Python number takes the dtype of the tensor beside it (PyTorch's weak
    scalar rule, ``Tensor._lift``)."""
    if isinstance(a, Tensor):
        return a, a._lift(b)
    if isinstance(b, Tensor):
        return b._lift(a), b
    return Tensor(a), Tensor(b)


def as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)
