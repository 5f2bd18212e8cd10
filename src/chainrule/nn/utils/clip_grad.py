"""Gradient clipping, as ``torch.nn.utils``: clip_grad_norm_ and clip_grad_value_ live in ``optim.clip``
(re-exported here); clip_grad_norm_ = get_total_norm of the gradients, then clip_grads_with_norm_."""

from __future__ import annotations

from ... import backend as B
from ...autograd.tensor import Tensor
from ...optim.clip import _grads, _vector_norm, clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _arrays(tensors) -> list:
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    return [t._data if isinstance(t, Tensor) else t for t in tensors if t is not None]


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` taken as one vector (the norm of the per-tensor norms),
    a 0-d Tensor; usually called on ``[p.grad for p in parameters]``."""
    arrays = _arrays(tensors)
    norm_type = float(norm_type)
    if not arrays:
        return Tensor(B.numpy.zeros((), B.default_float))
    xp = B.module_of(*arrays)  # NumPy or CuPy, where the tensors are
    dtype = xp.result_type(*arrays)
    total = _vector_norm(xp.stack([_vector_norm(a, norm_type).astype(dtype) for a in arrays]), norm_type)
    if error_if_nonfinite and not xp.isfinite(total):
        raise RuntimeError(
            f"get_total_norm: the total norm of order {norm_type} is non-finite ({float(total)}); "
            "pass error_if_nonfinite=False to accept it"
        )
    return Tensor(total)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale every gradient in place by min(1, max_norm / (total_norm + 1e-6)), given the total norm."""
    grads = _grads(parameters)
    if not grads:
        return
    xp = B.module_of(*grads)  # NumPy or CuPy, where the gradients are
    total = total_norm._data if isinstance(total_norm, Tensor) else xp.asarray(total_norm)
    with B.numpy.errstate(divide="ignore", invalid="ignore"):
        coef = xp.minimum(float(max_norm) / (total + 1e-6), 1.0)
        for g in grads:
            g *= coef.astype(g.dtype)
