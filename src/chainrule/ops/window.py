"""Sliding windows, shared by convolution and pooling: sizes, argument checks and strided views.

A window of a (dilated) kernel at output position (ho, wo) covers input rows
ho*stride + i*dilation for i < k. Two views of the same idea:

- ``windows``: every window at once, (N, C, kh, kw, Ho, Wo), a zero-copy ``as_strided`` view
  (the input of im2col for the convolution's single matrix product);
- ``kernel_offsets``: for each kernel tap (i, j), the strided slice of the input that this tap
  sees across all output positions (the k*k slices that max pooling compares and that the
  input gradient is accumulated into).
"""

from __future__ import annotations

import numbers

from .. import backend as B
from ..autograd.function import ShapeError


def as_pair(value, n: int, what: str, name: str, minimum: int = 1) -> tuple:
    """An int or a length-``n`` tuple of ints (>= minimum) as an ``n``-tuple, else a clear error."""
    values = (value,) * n if isinstance(value, numbers.Integral) else tuple(value) if isinstance(
        value, (tuple, list)) else None
    if values is None or len(values) != n or not all(isinstance(v, numbers.Integral) for v in values):
        raise ValueError(f"{name}: {what} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{name}: {what} must be >= {minimum}, got {value!r}")
    return tuple(int(v) for v in values)


def out_size(size: int, before: int, after: int, k: int, stride: int, dilation: int,
             ceil_mode: bool = False) -> int:
    """floor((in + before + after - dilation*(k-1) - 1) / stride) + 1 (ceil with ``ceil_mode``)."""
    span = size + before + after - dilation * (k - 1) - 1
    if span < 0:
        return 0
    n = -(-span // stride) + 1 if ceil_mode else span // stride + 1
    if ceil_mode and (n - 1) * stride >= size + before:
        n -= 1  # as PyTorch: the last window must start inside the input or the left padding
    return n


def windows(x, kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple):
    """View of every window: x (N, C, H, W) -> (N, C, kh, kw, Ho, Wo), no copy."""
    sn, sc, sh, sw = x.strides
    n, c = x.shape[:2]
    return B.xp.lib.stride_tricks.as_strided(
        x,
        shape=(n, c, kernel[0], kernel[1], out_hw[0], out_hw[1]),
        strides=(sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1]),
        writeable=False,
    )


def kernel_offsets(kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple):
    """For each kernel tap (i, j): the index (slice rows, slice cols) it sees over all outputs."""
    for i in range(kernel[0]):
        rows = slice(i * dilation[0], i * dilation[0] + stride[0] * (out_hw[0] - 1) + 1, stride[0])
        for j in range(kernel[1]):
            cols = slice(j * dilation[1], j * dilation[1] + stride[1] * (out_hw[1] - 1) + 1, stride[1])
            yield i, j, (Ellipsis, rows, cols)


def check_input(x, ndim: int, name: str, layout: str) -> None:
    if x.ndim != ndim:
        raise ShapeError(f"{name}: expected a {ndim}-D input {layout}, got shape {tuple(x.shape)}")
