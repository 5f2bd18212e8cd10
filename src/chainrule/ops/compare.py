"""Comparisons and logical reductions: boolean results, no gradient (a step has derivative 0)."""

from __future__ import annotations

from .. import backend as B
from ..autograd.tensor import Tensor
from .operands import as_tensor, pair
from .reduce import normalize_axes, resolve_dims


def _compare(a, b, ufunc: str) -> Tensor:
    a, b = pair(a, b)
    return Tensor._from_op(getattr(B.module_of(a._data, b._data), ufunc)(a._data, b._data), False)


def eq(a, b) -> Tensor:
    """a == b elementwise (broadcast), a bool tensor."""
    return _compare(a, b, "equal")


def ne(a, b) -> Tensor:
    return _compare(a, b, "not_equal")


def gt(a, b) -> Tensor:
    return _compare(a, b, "greater")


def lt(a, b) -> Tensor:
    return _compare(a, b, "less")


def ge(a, b) -> Tensor:
    return _compare(a, b, "greater_equal")


def le(a, b) -> Tensor:
    return _compare(a, b, "less_equal")


def _logical(x, dim, keepdim, axis, keepdims, op: str) -> Tensor:
    x = as_tensor(x)
    dim, keepdim = resolve_dims(dim, keepdim, axis, keepdims, op)
    axes = normalize_axes(dim, x.ndim, op)
    out = getattr(B.module_of(x._data), op)(x._data, axis=axes, keepdims=keepdim)
    return Tensor._from_op(B.module_of(x._data).asarray(out), False)


def all(x, dim=None, keepdim=False, *, axis=None, keepdims=None) -> Tensor:  # noqa: A001 (PyTorch's name)
    """True where every element over ``dim`` (None: all) is non-zero; a bool tensor."""
    return _logical(x, dim, keepdim, axis, keepdims, "all")


def any(x, dim=None, keepdim=False, *, axis=None, keepdims=None) -> Tensor:  # noqa: A001
    """True where some element over ``dim`` (None: all) is non-zero; a bool tensor."""
    return _logical(x, dim, keepdim, axis, keepdims, "any")


def isclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|a - b| <= atol + rtol |b| elementwise, as torch.isclose; a bool tensor."""
    a, b = pair(a, b)
    xp = B.module_of(a._data, b._data)
    return Tensor._from_op(xp.isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan), False)


def allclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True if ``isclose`` holds everywhere (a Python bool, as torch.allclose)."""
    return bool(isclose(a, b, rtol, atol, equal_nan)._data.all())


def equal(a, b) -> bool:
    """True if ``a`` and ``b`` have the same shape and the same elements (a Python bool, as torch.equal)."""
    a, b = as_tensor(a), as_tensor(b)
    return tuple(a.shape) == tuple(b.shape) and bool(eq(a, b)._data.all())


def _test(x, ufunc: str) -> Tensor:
    x = as_tensor(x)
    return Tensor._from_op(B.module_of(x._data).asarray(getattr(B.module_of(x._data), ufunc)(x._data)), False)


def isfinite(x) -> Tensor:
    """Elementwise: neither inf nor NaN (a bool tensor; integers are always finite)."""
    return _test(x, "isfinite")


def isnan(x) -> Tensor:
    return _test(x, "isnan")


def isinf(x) -> Tensor:
    return _test(x, "isinf")
