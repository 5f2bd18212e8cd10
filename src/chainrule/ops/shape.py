"""Ops that move values without changing them: the gradient is moved back the same way."""

from __future__ import annotations

import itertools

from .. import backend as B
from ..autograd.function import Function, ShapeError
from ..autograd.tensor import Tensor
from .reduce import normalize_axis


class Reshape(Function):
    """out = x viewed with a new shape;  the gradient is reshaped back."""

    symbol = "reshape"

    def forward(self, x, shape=()):
        self.in_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ShapeError(f"reshape: cannot view shape {x.shape} ({x.size} elements) as {shape}") from None

    def backward(self, upstream):
        return (upstream.reshape(self.in_shape),)


class Permute(Function):
    """out = x with its axes reordered;  the gradient gets the inverse order."""

    symbol = "permute"

    def forward(self, x, dims=None):
        if dims is not None and sorted(d % max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
            raise ShapeError(f"permute: {tuple(dims)} is not an ordering of the {x.ndim} axes of {x.shape}")
        self.dims = dims
        return x.transpose(dims)

    def backward(self, upstream):
        if self.dims is None:
            return (upstream.transpose(),)
        return (upstream.transpose(B.xp.argsort([d % upstream.ndim for d in self.dims])),)


class AsType(Function):
    """out = x cast to another dtype;  the gradient is cast back to x's dtype."""

    symbol = "cast"

    def forward(self, x, dtype=None):
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, upstream):
        return (upstream.astype(self.in_dtype),)


def _index_arrays(index):
    """Tensors inside an index become arrays; returns the index and whether it is basic."""
    parts = index if isinstance(index, tuple) else (index,)
    parts = tuple(p.data if isinstance(p, Tensor) else p for p in parts)
    if B.devices_enabled:  # index arrays go where x is (xp follows x inside the op)
        parts = tuple(B.xp.asarray(p) if isinstance(p, (list, B.numpy.ndarray)) else p for p in parts)
    basic = all(p is None or p is Ellipsis or isinstance(p, (int, slice, B.numpy.integer)) for p in parts)
    return (parts if isinstance(index, tuple) else parts[0]), basic


class GetItem(Function):
    """out = x[index];  the gradient is scattered back into a zero array of x's shape.

    Basic indexing (ints, slices) writes each upstream value once; advanced (integer arrays) may
    pick an element several times, so the scatter adds (``add.at``): a copy gate adds gradients.
    """

    symbol = "[]"

    def forward(self, x, index=None):
        self.shape, self.dtype = x.shape, x.dtype
        self.index, self.basic = _index_arrays(index)
        try:
            return x[self.index]
        except IndexError as err:
            raise ShapeError(f"index: {err} (tensor of shape {x.shape})") from None

    def backward(self, upstream):
        grad = B.xp.zeros(self.shape, dtype=upstream.dtype)
        is_mask = B.is_array(self.index) and self.index.dtype.kind == "b"
        if self.basic or is_mask:
            grad[self.index] = upstream
        else:
            B.xp.add.at(grad, self.index, upstream)
        return (grad,)


class Concatenate(Function):
    """out = [x_1, x_2, ...] joined along ``axis``;  the gradient is split at the same places."""

    symbol = "cat"

    def forward(self, *xs, axis=0):
        self.axis = axis
        self.sizes = [x.shape[axis] for x in xs]
        return B.xp.concatenate(xs, axis=axis)

    def backward(self, upstream):
        cuts = list(itertools.accumulate(self.sizes))[:-1]  # Python ints: valid for NumPy and CuPy
        return tuple(B.xp.split(upstream, cuts, axis=self.axis))


class Stack(Function):
    """out = the inputs stacked along a new ``axis``;  the gradient is unstacked."""

    symbol = "stack"

    def forward(self, *xs, axis=0):
        self.axis = axis
        return B.xp.stack(xs, axis=axis)

    def backward(self, upstream):
        return tuple(B.xp.moveaxis(upstream, self.axis, 0))


def reshape(x, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Reshape.apply(x, shape=shape)


def permute(x, *dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return Permute.apply(x, dims=dims)


def transpose(x, *dims):
    """``x.transpose()``: reverse the axes (``x.T``); ``x.transpose(d0, d1)``: swap two axes (PyTorch)."""
    if not dims:
        return Permute.apply(x, dims=None)
    if len(dims) != 2:
        raise ShapeError(f"transpose: give two axes to swap (or none to reverse all), got {dims}; use permute")
    order = list(range(x.ndim))
    d0, d1 = (normalize_axis(d, x.ndim, "transpose") for d in dims)
    if x.ndim == 0:  # a 0-d tensor has nothing to swap (PyTorch allows dims 0 and -1 here)
        return Permute.apply(x, dims=None)
    order[d0], order[d1] = order[d1], order[d0]
    return Permute.apply(x, dims=tuple(order))


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes start_dim..end_dim into one, as ``torch.flatten``."""
    s, e = normalize_axis(start_dim, x.ndim, "flatten"), normalize_axis(end_dim, x.ndim, "flatten")
    if x.ndim == 0:
        return reshape(x, 1)
    if s > e:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {x.shape}")
    return reshape(x, *x.shape[:s], -1, *x.shape[e + 1 :])


def astype(x, dtype):
    return AsType.apply(x, dtype=dtype)


def getitem(x, index):
    return GetItem.apply(x, index=index)


def concatenate(tensors, axis=0):
    if not tensors:
        raise ShapeError("concatenate: needs at least one tensor")
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis=0):
    if not tensors:
        raise ShapeError("stack: needs at least one tensor")
    return Stack.apply(*tensors, axis=axis)
