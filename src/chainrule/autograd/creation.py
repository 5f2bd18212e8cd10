"""Tensor factories, as ``torch.zeros`` & co.; random ones draw from ``cr.manual_seed``'s generator.

``device`` ("cpu", "cuda[:k]") places the result. Random numbers are drawn on the CPU and then
moved, so one seed gives the same numbers on every device (a GPU run starts where a CPU run does).
"""

from __future__ import annotations

from .. import backend as B
from .tensor import Tensor, tensor


def _shape(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def zeros(*shape, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return tensor(B.numpy.zeros(_shape(shape), dtype=dtype or B.default_float), requires_grad, device=device)


def ones(*shape, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return tensor(B.numpy.ones(_shape(shape), dtype=dtype or B.default_float), requires_grad, device=device)


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(B.module_of(t.data).zeros_like(t.data), requires_grad)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(B.module_of(t.data).ones_like(t.data), requires_grad)


def randn(*shape, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Samples of the standard normal N(0, 1)."""
    data = B.rng().standard_normal(_shape(shape), dtype=B.numpy.float64)
    return tensor(data.astype(dtype or B.default_float), requires_grad, device=device)


def rand(*shape, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    data = B.rng().random(_shape(shape), dtype=B.numpy.float64)
    return tensor(data.astype(dtype or B.default_float), requires_grad, device=device)


def arange(start, stop=None, step=1, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Evenly spaced values in [start, stop): integers stay int64, floats become float32."""
    if stop is None:
        start, stop = 0, start
    data = B.numpy.arange(start, stop, step)
    if dtype is None and data.dtype.kind == "f":
        dtype = B.default_float
    return tensor(data if dtype is None else data.astype(dtype), requires_grad, device=device)
