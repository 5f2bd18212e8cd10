"""Ops that move values without changing them: the gradient is moved back the same way."""

from __future__ import annotations

import itertools

from .. import backend as B
from ..autograd.function import Function, ShapeError, unbroadcast
from ..autograd.tensor import Tensor
from .reduce import normalize_axes, normalize_axis


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
        return (upstream.transpose(self.xp.argsort([d % upstream.ndim for d in self.dims])),)


class AsType(Function):
    """out = x cast to another dtype;  the gradient is cast back to x's dtype."""

    symbol = "cast"

    def forward(self, x, dtype=None):
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, upstream):
        return (upstream.astype(self.in_dtype),)


def _index_arrays(xp, index):
    """Tensors inside an index become arrays (of ``xp``, the indexed array's module); returns the
    index and whether it is basic."""
    parts = index if isinstance(index, tuple) else (index,)
    parts = tuple(p._data if isinstance(p, Tensor) else p for p in parts)
    if xp is not B.numpy:  # index arrays go where x is (NumPy takes lists and its arrays as they are)
        parts = tuple(xp.asarray(p) if isinstance(p, (list, B.numpy.ndarray)) else p for p in parts)
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
        self.index, self.basic = _index_arrays(self.xp, index)
        try:
            return x[self.index]
        except IndexError as err:
            raise ShapeError(f"index: {err} (tensor of shape {x.shape})") from None

    def backward(self, upstream):
        grad = self.xp.zeros(self.shape, dtype=upstream.dtype)
        is_mask = B.is_array(self.index) and self.index.dtype.kind == "b"
        if self.basic or is_mask:
            grad[self.index] = upstream
        else:
            self.xp.add.at(grad, self.index, upstream)
        return (grad,)


class Concatenate(Function):
    """out = [x_1, x_2, ...] joined along ``axis``;  the gradient is split at the same places."""

    symbol = "cat"

    def forward(self, *xs, axis=0):
        self.axis = axis
        self.sizes = [x.shape[axis] for x in xs]
        return self.xp.concatenate(xs, axis=axis)

    def backward(self, upstream):
        cuts = list(itertools.accumulate(self.sizes))[:-1]  # Python ints: valid for NumPy and CuPy
        return tuple(self.xp.split(upstream, cuts, axis=self.axis))


class Stack(Function):
    """out = the inputs stacked along a new ``axis``;  the gradient is unstacked."""

    symbol = "stack"

    def forward(self, *xs, axis=0):
        self.axis = axis
        return self.xp.stack(xs, axis=axis)

    def backward(self, upstream):
        return tuple(self.xp.moveaxis(upstream, self.axis, 0))


class Expand(Function):
    """out = x broadcast to a larger shape (size-1 dims stretched, dims added in front), no copy;
    the gradient sums over every stretched copy (a fan-out gate adds)."""

    symbol = "expand"

    def forward(self, x, shape=()):
        self.in_shape = x.shape
        return self.xp.broadcast_to(x, shape)

    def backward(self, upstream):
        return (unbroadcast(upstream, self.in_shape),)


class Repeat(Function):
    """out = x tiled ``reps[d]`` times along each dim d (as torch.repeat / numpy.tile);
    the gradient adds the upstream of every copy."""

    symbol = "repeat"

    def forward(self, x, reps=()):
        self.in_shape, self.reps = x.shape, reps
        self.padded = (1,) * (len(reps) - x.ndim) + x.shape
        return self.xp.tile(x.reshape(self.padded), reps)

    def backward(self, upstream):
        split = [n for pair in zip(self.reps, self.padded) for n in pair]  # (r0, s0, r1, s1, ...)
        g = upstream.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return (g.reshape(self.in_shape),)


def _sizes(sizes) -> tuple:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = sizes[0]
    return tuple(int(n) for n in sizes)


def reshape(x, *shape):
    return Reshape.apply(x, shape=_sizes(shape))


def view_as(x, other):
    """x with ``other``'s shape (``reshape_as`` is the same here: NumPy reshapes copy when needed)."""
    return Reshape.apply(x, shape=tuple(other.shape))


reshape_as = view_as


def unsqueeze(x, dim: int):
    """x with a new axis of size 1 at ``dim`` (-ndim-1 <= dim <= ndim)."""
    d = normalize_axis(dim, x.ndim + 1, "unsqueeze")
    return Reshape.apply(x, shape=(*x.shape[:d], 1, *x.shape[d:]))


def squeeze(x, dim=None):
    """x without its size-1 axes (all, or those in ``dim``: an int or a tuple; others are kept)."""
    dims = range(x.ndim) if dim is None else normalize_axes(dim, x.ndim, "squeeze")
    drop = {d for d in dims if x.shape[d] == 1}
    return Reshape.apply(x, shape=tuple(n for d, n in enumerate(x.shape) if d not in drop))


def expand(x, *sizes):
    """x broadcast to ``sizes`` (a view, as torch.expand): -1 keeps a dim's size, new dims go in front."""
    sizes = _sizes(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeError(
            f"expand: {len(sizes)} sizes {sizes} for a tensor of {x.ndim} dims {tuple(x.shape)}; "
            "give at least one size per dim"
        )
    shape = list(sizes)
    for d, n in enumerate(sizes):
        have = x.shape[d - lead] if d >= lead else None
        if n == -1 and have is None:
            raise ShapeError(f"expand: size -1 is not allowed in a new leading dim {d} (sizes {sizes})")
        if n == -1:
            shape[d] = have
        elif have is not None and have != 1 and have != n:
            raise ShapeError(
                f"expand: the size of dim {d - lead} ({have}) must match the expanded size ({n}) "
                f"at a non-singleton dim: tensor {tuple(x.shape)}, sizes {sizes}"
            )
    return Expand.apply(x, shape=tuple(shape))


def expand_as(x, other):
    return expand(x, tuple(other.shape))


def repeat(x, *sizes):
    """x tiled ``sizes[d]`` times along each dim (as torch.repeat); extra sizes add leading dims."""
    sizes = _sizes(sizes)
    if len(sizes) < x.ndim:
        raise ShapeError(
            f"repeat: {len(sizes)} repeats {sizes} for a tensor of {x.ndim} dims {tuple(x.shape)}; "
            "give at least one per dim"
        )
    return Repeat.apply(x, reps=sizes)


def t(x):
    """The transpose of a matrix (a 0-d or 1-D tensor as it is), as torch.t."""
    if x.ndim > 2:
        raise ShapeError(
            f"t() expects a tensor with <= 2 dimensions, but it has {x.ndim} (shape {tuple(x.shape)}); "
            "use transpose(d0, d1) or permute"
        )
    return Permute.apply(x, dims=None)


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
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {tuple(x.shape)}")
    return reshape(x, *x.shape[:s], -1, *x.shape[e + 1 :])


def astype(x, dtype):
    return AsType.apply(x, dtype=dtype)


def getitem(x, index):
    return GetItem.apply(x, index=index)


def _dim(dim, axis, op: str) -> int:
    if axis is not None:
        if dim is not None and dim != axis:
            raise TypeError(f"{op}: got both dim={dim} and axis={axis}; give one (axis is NumPy's name for dim)")
        return axis
    return 0 if dim is None else dim


def cat(tensors, dim=None, *, axis=None):
    """The tensors joined along the existing axis ``dim`` (sizes may differ only there), as torch.cat."""
    tensors = list(tensors)
    if not tensors:
        raise ShapeError("concatenate: needs at least one tensor")
    return Concatenate.apply(*tensors, axis=_dim(dim, axis, "cat"))


def concatenate(tensors, axis=None, *, dim=None):
    """NumPy's name for ``cat`` (``axis=``; ``dim=`` as well)."""
    return cat(tensors, dim, axis=axis)


def stack(tensors, dim=None, *, axis=None):
    """The tensors (all one shape) stacked along a new axis ``dim``, as torch.stack."""
    tensors = list(tensors)
    if not tensors:
        raise ShapeError("stack: needs at least one tensor")
    return Stack.apply(*tensors, axis=_dim(dim, axis, "stack"))


def split(x, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of x along ``dim``: of ``split_size`` each (the last may be smaller), or of the listed
    sizes, as torch.split. Each piece is a slice of x: its gradient goes back to its place."""
    d = normalize_axis(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ShapeError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size or n == 0 else [])
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ShapeError(
                f"split: sizes {sizes} must be >= 0 and add up to {n}, the size of dim {d} "
                f"of the tensor {tuple(x.shape)}"
            )
    cuts = [0, *itertools.accumulate(sizes)]
    head = (slice(None),) * d
    return tuple(getitem(x, head + (slice(a, b),)) for a, b in zip(cuts[:-1], cuts[1:]))


def chunk(x, chunks: int, dim: int = 0) -> tuple:
    """x in ``chunks`` pieces along ``dim`` of ceil(n / chunks) each (maybe fewer pieces), as torch.chunk."""
    if chunks <= 0:
        raise ShapeError(f"chunk: chunks must be positive, got {chunks}")
    n = x.shape[normalize_axis(dim, x.ndim, "chunk")]
    return split(x, max(-(-n // chunks), 1), dim)


class Contiguous(Function):
    """out = x's values in C (row-major) order, in new memory when needed;  d/dx = identity."""

    symbol = "contiguous"

    def forward(self, x):
        return self.xp.asarray(x, order="C")  # (ascontiguousarray would make a 0-d array 1-d)

    def backward(self, upstream):
        return (upstream,)


def contiguous(x):
    return x if x._data.flags.c_contiguous else Contiguous.apply(x)
