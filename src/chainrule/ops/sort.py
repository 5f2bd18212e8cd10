"""Ops that choose elements by rank: max/min along a dim, argmax/argmin, sort, topk.

The choice (the indices) carries no gradient; the values are ``gather(x, dim, indices)``, so the
gradient goes back to the elements chosen: max routes, as the lecture's max gate.
"""

from __future__ import annotations

from collections import namedtuple

from .. import backend as B
from ..autograd.function import ShapeError
from ..autograd.tensor import Tensor
from .elementwise import Maximum, Minimum
from .index import Gather
from .operands import as_tensor, pair
from .reduce import Max, Min, amax, amin, normalize_axis, resolve_dims
from .shape import reshape

# PyTorch's torch.return_types: named tuples with .values and .indices
return_types = {name: namedtuple(name, ("values", "indices")) for name in ("max", "min", "sort", "topk")}


def _indices(arr) -> Tensor:
    return Tensor._from_op(arr.astype(B.numpy.int64, copy=False), False)


def _pick(x: Tensor, order, dim: int, keepdim: bool = True) -> Tensor:
    """x's values at ``order`` (an index array with x's ndim) along ``dim``; the gradient flows back."""
    values = Gather.apply(x, index=order, dim=dim)
    if not keepdim:
        values = reshape(values, *order.shape[:dim], *order.shape[dim + 1 :])
    return values


def _by_dim(x: Tensor, dim, keepdim: bool, op: str):
    """(values, indices) of the max or min along one ``dim``: the first of equal extremes (as PyTorch)."""
    x = as_tensor(x)
    d = normalize_axis(dim, x.ndim, op)
    if x.ndim == 0:
        return return_types[op](reshape(x), _indices(B.module_of(x._data).zeros((), B.numpy.int64)))
    if x.shape[d] == 0:
        raise ShapeError(f"{op}: cannot reduce dimension {d} of size 0 (tensor of shape {tuple(x.shape)})")
    arg = getattr(B.module_of(x._data), f"arg{op}")(x._data, axis=d, keepdims=True)
    values = _pick(x, arg, d, keepdim)
    return return_types[op](values, _indices(arg if keepdim else arg.squeeze(d)))


def _reduce_or_pair(x, dim, keepdim, axis, keepdims, op: str):
    """torch.max's three forms: all elements -> a tensor; (x, other tensor) -> elementwise; (x, dim) ->
    (values, indices). NumPy's keyword ``axis`` (or a tuple of dims) reduces to the values only."""
    if isinstance(dim, Tensor):
        a, b = pair(x, dim)
        return (Maximum if op == "max" else Minimum).apply(a, b)
    if dim is None and axis is None:
        return (Max if op == "max" else Min).apply(as_tensor(x), axis=None, keepdims=bool(keepdims or keepdim))
    if axis is not None or isinstance(dim, (tuple, list)):
        return (amax if op == "max" else amin)(x, dim, keepdim, axis=axis, keepdims=keepdims)
    dim, keepdim = resolve_dims(dim, keepdim, None, keepdims, op)
    return _by_dim(x, dim, keepdim, op)


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """``max(x)`` -> tensor; ``max(x, dim, keepdim=False)`` -> ``(values, indices)``; ``max(a, b)`` ->
    elementwise maximum. The gradient of ``max(x, dim)`` goes to the first maximum of each slice."""
    return _reduce_or_pair(x, dim, keepdim, axis, keepdims, "max")


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """As ``max``, for the minimum."""
    return _reduce_or_pair(x, dim, keepdim, axis, keepdims, "min")


def _arg(x, dim, keepdim, op: str) -> Tensor:
    x = as_tensor(x)
    xp = B.module_of(x._data)
    if x._data.size == 0:
        raise ShapeError(f"{op}: cannot take the {op} of an empty tensor of shape {tuple(x.shape)}")
    if dim is None:  # over the flattened tensor
        arg = getattr(xp, op)(x._data.reshape(-1))
        return _indices(arg.reshape((1,) * x.ndim) if keepdim else xp.asarray(arg))
    d = normalize_axis(dim, x.ndim, op)
    if x.ndim == 0:
        return _indices(xp.zeros((), B.numpy.int64))
    return _indices(getattr(xp, op)(x._data, axis=d, keepdims=keepdim))


def argmax(x, dim=None, keepdim=False) -> Tensor:
    """Index of the (first) maximum along ``dim``, or in the flattened tensor; int64, no gradient."""
    return _arg(x, dim, keepdim, "argmax")


def argmin(x, dim=None, keepdim=False) -> Tensor:
    return _arg(x, dim, keepdim, "argmin")


def _order(data, d: int, descending: bool):
    """Indices that sort ``data`` along ``d``, stable (equal elements keep their order either way)."""
    xp = B.module_of(data)
    if descending:  # a stable ascending sort of a reversed key keeps ties in their original order
        data = ~data if data.dtype.kind in "biu" else -data
    return xp.argsort(data, axis=d, kind="stable")


def argsort(x, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    x = as_tensor(x)
    if x.ndim == 0:
        return _indices(B.module_of(x._data).zeros((), B.numpy.int64))
    return _indices(_order(x._data, normalize_axis(dim, x.ndim, "argsort"), descending))


def sort(x, dim: int = -1, descending: bool = False, stable: bool = False):
    """``(values, indices)``: x sorted along ``dim``; the gradient goes back to each value's origin."""
    x = as_tensor(x)
    if x.ndim == 0:
        return return_types["sort"](reshape(x), argsort(x))
    d = normalize_axis(dim, x.ndim, "sort")
    order = _order(x._data, d, descending)
    return return_types["sort"](_pick(x, order, d), _indices(order))


def topk(x, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) along ``dim``, in order."""
    x = as_tensor(x)
    d = normalize_axis(dim, x.ndim, "topk")
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise ShapeError(f"topk: k ({k}) is out of range for dimension {d} of size {n} (shape {tuple(x.shape)})")
    if x.ndim == 0:
        return return_types["topk"](reshape(x), argsort(x))
    order = _order(x._data, d, largest)
    order = order[(slice(None),) * d + (slice(0, k),)]
    return return_types["topk"](_pick(x, order, d), _indices(order))
