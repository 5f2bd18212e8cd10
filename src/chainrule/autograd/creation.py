"""Tensor factories, as ``torch.zeros`` & co.; random ones draw from ``cr.manual_seed``'s generator."""

from __future__ import annotations

from .. import backend as B
from .tensor import Tensor


def _shape(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def zeros(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(B.xp.zeros(_shape(shape), dtype=dtype or B.default_float), requires_grad)


def ones(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(B.xp.ones(_shape(shape), dtype=dtype or B.default_float), requires_grad)


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(B.xp.zeros_like(t.data), requires_grad)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(B.xp.ones_like(t.data), requires_grad)


def randn(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """Samples of the standard normal N(0, 1)."""
    data = B.rng().standard_normal(_shape(shape), dtype=B.xp.float64)
    return Tensor(data.astype(dtype or B.default_float), requires_grad)


def rand(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    data = B.rng().random(_shape(shape), dtype=B.xp.float64)
    return Tensor(data.astype(dtype or B.default_float), requires_grad)


def arange(start, stop=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, stop): integers stay int64, floats become float32."""
    if stop is None:
        start, stop = 0, start
    data = B.xp.arange(start, stop, step)
    if dtype is None and data.dtype.kind == "f":
        dtype = B.default_float
    return Tensor(data if dtype is None else data.astype(dtype), requires_grad)
