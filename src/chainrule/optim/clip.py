"""Gradient clipping (torch.nn.utils.clip_grad_norm_, clip_grad_value_), in place on ``p.grad``."""

from __future__ import annotations

import math
from collections.abc import Iterable

from .. import backend as B
from ..autograd.tensor import Tensor
from .optimizer import _grad_array


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    elif not isinstance(parameters, Iterable):
        raise TypeError(f"expected a Tensor or an iterable of Tensors, got {type(parameters).__name__}")
    return [g for g in map(_grad_array, parameters) if g is not None]


def _vector_norm(x, norm_type: float):
    """``torch.linalg.vector_norm(x, norm_type)`` of all entries of x, in x's dtype."""
    xp = B.module_of(x)
    if norm_type == math.inf:
        return xp.max(xp.abs(x)) if x.size else xp.zeros((), x.dtype)
    if norm_type == -math.inf:
        return xp.min(xp.abs(x)) if x.size else xp.asarray(math.inf, x.dtype)
    if norm_type == 0:
        return xp.asarray(xp.count_nonzero(x), x.dtype)
    if norm_type == 1:
        return xp.sum(xp.abs(x))
    if norm_type == 2:
        flat = x.reshape(-1)
        return xp.sqrt(xp.dot(flat, flat))
    return xp.sum(xp.abs(x) ** norm_type) ** (1.0 / norm_type)


def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach: bool | None = None
) -> Tensor:
    r"""Scale all gradients by ``min(1, max_norm / (total_norm + 1e-6))``, in place.

    ``total_norm`` is the ``norm_type``-norm of all gradients taken as one vector (the norm of
    the per-tensor norms; ``float("inf")`` for the largest absolute entry). Returns it as a 0-d
    Tensor in the gradients' dtype, as PyTorch does; parameters without ``grad`` are ignored.
    A non-finite norm raises RuntimeError when ``error_if_nonfinite``, else scales by it anyway.
    ``foreach`` (PyTorch's choice of a fused kernel) is accepted and changes nothing here.
    """
    grads = _grads(parameters)
    norm_type, max_norm = float(norm_type), float(max_norm)
    if not grads:
        return Tensor(B.numpy.zeros((), B.default_float))
    return _clip_norm(grads, max_norm, norm_type, error_if_nonfinite)


def _clip_norm(grads, max_norm: float, norm_type: float, error_if_nonfinite: bool) -> Tensor:
    xp = B.module_of(*grads)  # NumPy or CuPy, where the gradients are
    dtype = xp.result_type(*grads)
    norms = xp.stack([_vector_norm(g, norm_type).astype(dtype) for g in grads])
    total_norm = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not xp.isfinite(total_norm):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is non-finite "
            f"({float(total_norm)}), so it cannot be clipped; pass error_if_nonfinite=False to "
            "scale the gradients by it anyway"
        )
    with B.numpy.errstate(divide="ignore", invalid="ignore"):
        clip_coef = xp.minimum(xp.asarray(max_norm, dtype) / (total_norm + dtype.type(1e-6)), 1.0)
        for g in grads:  # always multiplied, as torch: an inf norm turns inf entries into nan
            g *= clip_coef
    return Tensor(total_norm)


def clip_grad_value_(parameters, clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient entry into ``[-clip_value, clip_value]``, in place (``foreach``, PyTorch's
    choice of a fused kernel, is accepted and changes nothing here)."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.clip(-clip_value, clip_value, out=g)
