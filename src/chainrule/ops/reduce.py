"""Reductions: sum, mean, max, min over axes, with the gradient spread back over the inputs."""

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
        self.shape, self.axes, self.keepdims = x.shape, normalize_axes(axis, x.ndim, self.name()), keepdims
        return x.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, upstream):
        g = expand_back(upstream, self.shape, self.axes, self.keepdims)
        return (B.xp.broadcast_to(g, self.shape),)

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


def sum(x, axis=None, keepdims=False):
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return Mean.apply(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    return Max.apply(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return Min.apply(x, axis=axis, keepdims=keepdims)
