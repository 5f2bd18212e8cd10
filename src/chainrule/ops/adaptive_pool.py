"""Adaptive pooling: windows chosen so the output has a given size, whatever the input's.

Output cell i of an axis of length n_in pooled to n_out covers inputs start_i <= j < end_i with
start_i = floor(i n_in / n_out) and end_i = ceil((i + 1) n_in / n_out), as PyTorch (windows
overlap when n_out does not divide n_in). Rectangular windows make both pools separable: one
axis after the other.
"""

from __future__ import annotations

import numbers

from ..autograd.errors import DtypeError
from ..autograd.function import Function, ShapeError
from ..autograd.tensor import Tensor, as_tensor


def _bounds(n_in: int, n_out: int) -> list[tuple[int, int]]:
    """[(start_i, end_i)] of the n_out windows over n_in positions."""
    return [((i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)) for i in range(n_out)]


def _averaging_matrix(xp, n_in: int, n_out: int, dtype):
    """A (n_out, n_in), an array of ``xp``: row i holds 1 / (end_i - start_i) over window i, so A v
    averages each window."""
    a = xp.zeros((n_out, n_in), dtype=dtype)
    for i, (s, e) in enumerate(_bounds(n_in, n_out)):
        a[i, s:e] = 1.0 / (e - s)
    return a


class AdaptiveAvgPool2d(Function):
    """out = A_h x A_w^T per plane (A the averaging matrices: each cell the mean of its window);
    d/dx = A_h^T g A_w: each input gets upstream / window size from every window holding it."""

    symbol = "adaptive_avgpool"

    def forward(self, x, output_size=(1, 1)):
        (oh, ow), (h, w) = output_size, x.shape[-2:]
        self.a_h, self.a_w = _averaging_matrix(self.xp, h, oh, x.dtype), _averaging_matrix(self.xp, w, ow, x.dtype)
        return self.xp.matmul(self.xp.matmul(self.a_h, x), self.a_w.T)

    def backward(self, upstream):
        return (self.xp.matmul(self.xp.matmul(self.a_h.T, upstream), self.a_w),)


class AdaptiveMaxPool2d(Function):
    """out = the maximum of each window;  the gradient goes to that element (the first maximum in
    row-major order on ties, as PyTorch), summed where overlapping windows pick the same one.

    Separable: the maximum over each column window of every row, then over each row window of those;
    the flat index h * W + w of each winner is kept (``return_indices``) and routes the gradient.
    """

    symbol = "adaptive_maxpool"

    def forward(self, x, output_size=(1, 1), indices=None):
        (oh, ow), (h, w) = output_size, x.shape[-2:]
        lead = x.shape[:-2]
        col_max = self.xp.empty(lead + (h, ow), dtype=x.dtype)
        col_arg = self.xp.empty(lead + (h, ow), dtype=self.xp.int64)
        for j, (s, e) in enumerate(_bounds(w, ow)):
            seg = x[..., s:e]
            col_max[..., j], col_arg[..., j] = seg.max(axis=-1), seg.argmax(axis=-1) + s
        out = self.xp.empty(lead + (oh, ow), dtype=x.dtype)
        idx = self.xp.empty(lead + (oh, ow), dtype=self.xp.int64)
        for i, (s, e) in enumerate(_bounds(h, oh)):
            seg = col_max[..., s:e, :]
            row = seg.argmax(axis=-2)[..., None, :] + s  # first row holding the window's maximum
            out[..., i, :] = seg.max(axis=-2)
            idx[..., i, :] = row[..., 0, :] * w + self.xp.take_along_axis(col_arg, row, axis=-2)[..., 0, :]
        self.idx, self.x_shape = idx, x.shape
        if indices is not None:
            indices.append(idx)
        return out

    def backward(self, upstream):
        h, w = self.x_shape[-2:]
        planes = upstream.size // (upstream.shape[-1] * upstream.shape[-2]) if upstream.size else 0
        flat = self.idx.reshape(planes, -1) + (self.xp.arange(planes) * (h * w))[:, None]
        dx = self.xp.bincount(
            flat.ravel(), weights=upstream.reshape(-1).astype(self.xp.float64), minlength=planes * h * w
        )
        return (dx.astype(upstream.dtype, copy=False).reshape(self.x_shape),)


def _output_size(output_size, x: Tensor, n: int, name: str) -> tuple:
    """An int, or an n-tuple of ints and Nones (None: the input's size on that axis)."""
    sizes = (
        (output_size,) * n if isinstance(output_size, numbers.Integral) or output_size is None else tuple(output_size)
    )
    if len(sizes) != n:
        raise ValueError(f"{name}: output_size must be an int or a tuple of {n}, got {output_size!r}")
    in_sizes = tuple(x.shape[-n:])
    out = tuple(int(i) if s is None else s for s, i in zip(sizes, in_sizes))
    if not all(isinstance(s, numbers.Integral) and s >= 1 for s in out):
        raise ValueError(f"{name}: output_size must hold positive ints (or None), got {output_size!r}")
    return tuple(int(s) for s in out)


def _check(x, ndims: tuple, layout: str, name: str) -> Tensor:
    x = as_tensor(x)
    if x.ndim not in ndims:
        raise ShapeError(f"{name}: expected input {layout}, got shape {tuple(x.shape)}")
    if any(s == 0 for s in x.shape[-(min(ndims) - 1) :]):
        raise ShapeError(f"{name}: the input of shape {tuple(x.shape)} has an empty non-batch axis")
    if x.dtype.kind != "f":
        raise DtypeError(f"{name}: input must be floating point, got dtype {x.dtype}; convert it with .float()")
    return x


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """(N, C, H, W) or (C, H, W) -> (..., out_h, out_w): the mean of each adaptive window."""
    x = _check(input, (3, 4), "(N, C, H, W) or (C, H, W)", "adaptive_avg_pool2d")
    return AdaptiveAvgPool2d.apply(x, output_size=_output_size(output_size, x, 2, "adaptive_avg_pool2d"))


def adaptive_max_pool2d(input, output_size, return_indices: bool = False):
    """(N, C, H, W) or (C, H, W) -> (..., out_h, out_w): the max of each adaptive window;
    with ``return_indices``, also the flat index h * W + w of each maximum (int64)."""
    x = _check(input, (3, 4), "(N, C, H, W) or (C, H, W)", "adaptive_max_pool2d")
    box: list = []
    out = AdaptiveMaxPool2d.apply(x, output_size=_output_size(output_size, x, 2, "adaptive_max_pool2d"), indices=box)
    return (out, Tensor(box[0])) if return_indices else out


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """(N, C, L) or (C, L) -> (..., out_l): the mean of each adaptive window."""
    x = _check(input, (2, 3), "(N, C, L) or (C, L)", "adaptive_avg_pool1d")
    size = _output_size(output_size, x, 1, "adaptive_avg_pool1d")
    out = AdaptiveAvgPool2d.apply(x.reshape(tuple(x.shape[:-1]) + (1, x.shape[-1])), output_size=(1,) + size)
    return out.reshape(tuple(x.shape[:-1]) + size)


def adaptive_max_pool1d(input, output_size, return_indices: bool = False):
    """(N, C, L) or (C, L) -> (..., out_l): the max of each adaptive window (and its index, int64)."""
    x = _check(input, (2, 3), "(N, C, L) or (C, L)", "adaptive_max_pool1d")
    size = _output_size(output_size, x, 1, "adaptive_max_pool1d")
    box: list = []
    out = AdaptiveMaxPool2d.apply(
        x.reshape(tuple(x.shape[:-1]) + (1, x.shape[-1])), output_size=(1,) + size, indices=box
    )
    out = out.reshape(tuple(x.shape[:-1]) + size)
    return (out, Tensor(box[0].reshape(out.shape))) if return_indices else out
