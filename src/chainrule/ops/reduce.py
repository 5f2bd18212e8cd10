"""Reductions: sum, mean, amax, amin, prod over axes, with the gradient spread back over the inputs.

The functions take PyTorch's ``dim``/``keepdim`` and NumPy's ``axis``/``keepdims`` as aliases.
``max``/``min`` over one ``dim`` return ``(values, indices)`` (see ``ops/sort.py``).
"""

from __future__ import annotations

import builtins

from .. import backend as B
from ..autograd.function import Function, ShapeError


def normalize_axis(axis: int, ndim: int, op: str) -> int:
    """``axis`` as a non-negative axis; out of range is an error (``axis % ndim`` would silently wrap).

    A 0-d tensor accepts axis 0 and -1, as PyTorch.
    """
    n = builtins.max(ndim, 1)
    if not -n <= axis < n:
        raise ShapeError(f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions")
    return axis % n


def normalize_axes(axis, ndim: int, op: str) -> tuple:
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = [normalize_axis(a, ndim, op) for a in axes]
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: repeated axis in {axis}")
    if ndim == 0:  # axis 0 / -1 of a 0-d tensor is allowed (as PyTorch) and reduces nothing
        return ()
    return tuple(sorted(out))


def expand_back(upstream, in_shape, axes, keepdims):
    """Give a reduced gradient its reduced axes back (as size 1) so it broadcasts over the input."""
    if not keepdims:
        upstream = upstream.reshape(tuple(1 if i in axes else n for i, n in enumerate(in_shape)))
    return upstream


class Sum(Function):
    """out = sum_i x_i over ``axis``;  d out / d x_i = 1: the gradient is copied to every input."""

    symbol = "sum"

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = x.shape, normalize_axes(axis, x.ndim, self.op_name()), keepdims
        return x.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, upstream):
        g = expand_back(upstream, self.shape, self.axes, self.keepdims)
        return (self.xp.broadcast_to(g, self.shape),)

    def formula(self, i):
        return "1"


class Mean(Sum):
    """out = (1/n) sum_i x_i;  d out / d x_i = 1/n."""

    symbol = "mean"

    def forward(self, x, axis=None, keepdims=False):
        out = super().forward(x, axis, keepdims)
        self.count = 1
        for a in self.axes:
            self.count *= x.shape[a]
        return out / self.count

    def backward(self, upstream):
        (g,) = super().backward(upstream / self.count)
        return (g,)

    def formula(self, i):
        return f"1/{self.count}"


class Max(Function):
    """out = max_i x_i;  the gradient goes to the maximum (split evenly on ties, as torch.amax)."""

    symbol = "max"
    reducer = "max"

    def forward(self, x, axis=None, keepdims=False):
        self.axes, self.keepdims = normalize_axes(axis, x.ndim, self.reducer), keepdims
        if x.size == 0:
            raise ShapeError(f"{self.reducer}: cannot reduce an empty tensor of shape {x.shape}")
        out = getattr(x, self.reducer)(axis=self.axes, keepdims=True)
        self.mask = x == out
        return out if keepdims else out.reshape([n for i, n in enumerate(out.shape) if i not in self.axes])

    def backward(self, upstream):
        g = expand_back(upstream, self.mask.shape, self.axes, self.keepdims)
        ties = self.mask.sum(axis=self.axes, keepdims=True)
        return (self.mask * (g / ties).astype(g.dtype, copy=False),)


class Min(Max):
    """out = min_i x_i;  the gradient goes to the minimum (split evenly on ties)."""

    symbol = "min"
    reducer = "min"


class Prod(Function):
    """out = prod_i x_i over one axis (or all);  d out / d x_i = prod_{j != i} x_j.

    The product of the others is (product of those before i) x (product of those after i): two
    exclusive cumulative products, exact also where some x_j = 0 (no division by x_i).
    """

    symbol = "prod"

    def forward(self, x, axis=None, keepdims=False):
        self.x, self.axis, self.keepdims = x, axis, keepdims
        if axis is None:
            out = x.prod()
            return out.reshape((1,) * x.ndim) if keepdims else out
        return x.prod(axis=axis, keepdims=keepdims)

    def backward(self, upstream):
        if self.x.size == 0:
            return (self.xp.zeros(self.x.shape, dtype=upstream.dtype),)
        x = self.x.reshape(-1) if self.axis is None else self.x
        axis = 0 if self.axis is None else self.axis
        y = self.xp.moveaxis(x, axis, -1)
        ones = self.xp.ones(y.shape[:-1] + (1,), dtype=y.dtype)
        before = self.xp.cumprod(self.xp.concatenate([ones, y[..., :-1]], axis=-1), axis=-1)
        after = self.xp.cumprod(self.xp.concatenate([ones, y[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        g = upstream.reshape(-1) if self.axis is None else upstream
        if self.axis is not None and not self.keepdims:
            g = self.xp.expand_dims(g, axis)
        g = self.xp.moveaxis(g, axis, -1) if self.axis is not None else g
        local = self.xp.moveaxis(before * after * g, -1, axis)
        return (local.reshape(self.x.shape),)


def resolve_dims(dim, keepdim, axis, keepdims, op: str):
    """PyTorch's ``dim``/``keepdim`` or NumPy's ``axis``/``keepdims`` (one of each pair): (dim, keepdim).
    A list of dims becomes a tuple."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: got both dim={dim!r} and axis={axis!r}; give one (axis is NumPy's name for dim)")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if isinstance(dim, list):
        dim = tuple(dim)
    return dim, bool(keepdim)


def _cast(x, dtype):
    return x if dtype is None or B.numpy.dtype(dtype) == x.dtype else x.to(dtype)


def sum(x, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """sum_i x_i over ``dim`` (int, tuple or None for all), as ``torch.sum``; ``dtype`` casts first."""
    dim, keepdim = resolve_dims(dim, keepdim, axis, keepdims, "sum")
    return Sum.apply(_cast(x, dtype), axis=dim, keepdims=keepdim)


def mean(x, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """(1/n) sum_i x_i over ``dim``, as ``torch.mean``."""
    dim, keepdim = resolve_dims(dim, keepdim, axis, keepdims, "mean")
    return Mean.apply(_cast(x, dtype), axis=dim, keepdims=keepdim)


def amax(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """max_i x_i over ``dim`` (int, tuple or None): values only, the gradient split evenly on ties."""
    dim, keepdim = resolve_dims(dim, keepdim, axis, keepdims, "max")
    return Max.apply(x, axis=dim, keepdims=keepdim)


def amin(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    dim, keepdim = resolve_dims(dim, keepdim, axis, keepdims, "min")
    return Min.apply(x, axis=dim, keepdims=keepdim)


def prod(x, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """prod_i x_i over one ``dim`` (or all), as ``torch.prod``."""
    dim, keepdim = resolve_dims(dim, keepdim, axis, keepdims, "prod")
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"prod: dim must be one int (as torch.prod), got {dim!r}")
    x = _cast(x, dtype)
    if dim is not None:
        dim = normalize_axis(dim, x.ndim, "prod")
        if x.ndim == 0:
            dim = None
    return Prod.apply(x, axis=dim, keepdims=keepdim)
