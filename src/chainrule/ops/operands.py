"""Operands of the ops' functions: Python numbers and arrays lifted to tensors beside a tensor."""

from __future__ import annotations

import functools

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


def with_out(fn):
    """Give an op's function PyTorch's ``out=`` argument: the result is written into ``out`` (resized
    to the result's shape and kept in ``out``'s dtype) and ``out`` is returned. As in PyTorch, not
    while autograd records: a function with ``out=`` has no gradient."""

    @functools.wraps(fn)
    def op(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        if out is None:
            return result
        if not isinstance(out, Tensor):
            raise TypeError(f"{fn.__name__}(): out must be a Tensor, got {type(out).__name__}")
        if result.requires_grad:
            raise RuntimeError(
                f"{fn.__name__}(): functions with out=... arguments don't support automatic differentiation, "
                "but one of the arguments requires grad"
            )
        if out.shape == result.shape:
            out.copy_(result)
        else:  # PyTorch resizes out
            out._data = result._data.astype(out.dtype)
            out._vc[0] += 1
        return out

    return op
