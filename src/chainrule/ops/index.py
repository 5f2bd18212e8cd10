"""Ops that pick elements by index: gather, index_select, masked_fill.

Picking is a copy gate run backwards: the gradient of a picked element is scattered back to where
it came from, and an element picked twice gets both gradients added (``add.at``).
"""

from __future__ import annotations

from .. import backend as B
from ..autograd.function import Elementwise, Function, ShapeError
from ..autograd.tensor import Tensor
from .elementwise import Where
from .operands import as_tensor
from .reduce import normalize_axis


def _index_array(xp, index, op: str):
    """An integer index (tensor, array or list) as an array of ``xp``, the op's array module."""
    arr = xp.asarray(index._data if isinstance(index, Tensor) else index)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor, got dtype {arr.dtype}")
    return arr


def _check_bounds(index, size: int, op: str, dim: int) -> None:
    if index.size and (int(index.min()) < 0 or int(index.max()) >= size):
        bad = int(index.min()) if int(index.min()) < 0 else int(index.max())
        raise ShapeError(f"{op}: index {bad} is out of bounds for dimension {dim} with size {size}")


class Gather(Function):
    """out[i][j][k] = x[index[i][j][k]][j][k] (for dim 0; likewise for the other dims), as torch.gather.

    d out / d x: each out element is one x element, so the gradient is added back at ``index``.
    """

    symbol = "gather"

    def forward(self, x, index=None, dim=0):
        index = _index_array(self.xp, index, "gather")
        if index.ndim != x.ndim:
            raise ShapeError(
                f"gather: index has {index.ndim} dimensions, input {x.shape} has {x.ndim}; they must agree"
            )
        for d, (n, m) in enumerate(zip(index.shape, x.shape)):
            if d != dim and n > m:
                raise ShapeError(f"gather: index {index.shape} is larger than input {x.shape} at dimension {d}")
        _check_bounds(index, x.shape[dim], "gather", dim)
        self.shape, self.where = x.shape, self.positions(self.xp, index, dim)
        return x[self.where]

    @staticmethod
    def positions(xp, index, dim: int) -> tuple:
        """The advanced index that reads ``index`` along ``dim`` and each position elsewhere."""
        parts = []
        for d, n in enumerate(index.shape):
            shape = [1] * index.ndim
            shape[d] = n
            parts.append(index if d == dim else xp.arange(n).reshape(shape))
        return tuple(parts)

    def backward(self, upstream):
        grad = self.xp.zeros(self.shape, dtype=upstream.dtype)
        self.xp.add.at(grad, self.where, upstream)
        return (grad,)


class IndexSelect(Function):
    """out = the slices of x at positions ``index`` (1-D) along ``dim``;  the gradient is added back."""

    symbol = "index_select"

    def forward(self, x, index=None, dim=0):
        index = _index_array(self.xp, index, "index_select")
        if index.ndim > 1:
            raise ShapeError(f"index_select: index must be 1-D (or 0-d), got shape {index.shape}")
        _check_bounds(index, x.shape[dim] if x.ndim else 1, "index_select", dim)
        self.shape, self.where = x.shape, (slice(None),) * dim + (index.reshape(-1),)
        return x[self.where] if x.ndim else x.reshape(1)[index.reshape(-1)].reshape(())

    def backward(self, upstream):
        grad = self.xp.zeros(self.shape, dtype=upstream.dtype)
        if grad.ndim == 0:
            return (upstream.sum().astype(upstream.dtype),)
        self.xp.add.at(grad, self.where, upstream)
        return (grad,)


class MaskedFill(Elementwise):
    """out = value where mask else x;  d/dx = not mask (a filled element no longer depends on x)."""

    symbol = "masked_fill"

    def forward(self, x, mask=None, value=0.0):
        self.keep = ~mask
        return self.xp.where(mask, self.xp.asarray(value).astype(x.dtype), x)

    def local_grads(self):
        return (self.keep,)


def gather(x, dim: int, index) -> Tensor:
    """torch.gather(input, dim, index): out has index's shape; out[..i..] = x[..index[..i..]..] along dim."""
    x = as_tensor(x)
    d = normalize_axis(dim, x.ndim, "gather")
    if x.ndim == 0:
        return IndexSelect.apply(x, index=index, dim=0)
    return Gather.apply(x, index=index, dim=d)


def index_select(x, dim: int, index) -> Tensor:
    """The slices of ``x`` at the positions ``index`` along ``dim``, as torch.index_select."""
    x = as_tensor(x)
    return IndexSelect.apply(x, index=index, dim=normalize_axis(dim, x.ndim, "index_select"))


def masked_fill(x, mask, value) -> Tensor:
    """``value`` where ``mask`` (bool, broadcastable to x) is true, else ``x``; a tensor ``value`` (0-d)
    gets the gradient of the filled places, as torch.masked_fill."""
    x = as_tensor(x)
    mask_arr = mask._data if isinstance(mask, Tensor) else B.module_of(x._data).asarray(mask)
    if mask_arr.dtype != bool:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {mask_arr.dtype}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ShapeError(f"masked_fill: value must be a 0-d tensor or a number, got shape {tuple(value.shape)}")
        if value.requires_grad:
            return Where.apply(Tensor(mask_arr), value.to(dtype=x.dtype), x)
        value = value.item()
    return MaskedFill.apply(x, mask=mask_arr, value=value)
