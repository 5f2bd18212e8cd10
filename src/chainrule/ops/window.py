"""Sliding windows, shared by convolution and pooling: sizes, argument checks and strided views.

A window of a (dilated) kernel at output position (ho, wo) covers input rows
ho*stride + i*dilation for i < k. Two views of the same idea:

- ``windows``: every window at once, a zero-copy ``as_strided`` view (the input of im2col for
  the convolution's single matrix product);
- ``kernel_offsets``: for each kernel tap (i, j), the strided slice of the input that this tap
  sees across all output positions (the k*k slices that max pooling compares and that the
  input gradient is accumulated into).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

from .. import backend as B
from ..autograd.errors import DtypeError
from ..autograd.function import ShapeError


def as_pair(value, n: int, what: str, name: str, minimum: int = 1) -> tuple:
    """An int or a length-``n`` tuple of ints (>= minimum) as an ``n``-tuple, else a clear error."""
    values = (
        (value,) * n
        if isinstance(value, numbers.Integral)
        else tuple(value)
        if isinstance(value, (tuple, list))
        else None
    )
    if values is None or len(values) != n or not all(isinstance(v, numbers.Integral) for v in values):
        raise ValueError(f"{name}: {what} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{name}: {what} must be >= {minimum}, got {value!r}")
    return tuple(int(v) for v in values)


def out_size(size: int, before: int, after: int, k: int, stride: int, dilation: int, ceil_mode: bool = False) -> int:
    """floor((in + before + after - dilation*(k-1) - 1) / stride) + 1 (ceil with ``ceil_mode``)."""
    span = size + before + after - dilation * (k - 1) - 1
    if span < 0:
        return 0
    n = -(-span // stride) + 1 if ceil_mode else span // stride + 1
    if ceil_mode and (n - 1) * stride >= size + before:
        n -= 1  # as PyTorch: the last window must start inside the input or the left padding
    return n


@dataclass(frozen=True)
class ConvGeometry:
    """The sizes of one 2-D convolution, by name: input (batch, channels, *in_hw), kernel (kh, kw),
    stride, dilation, zero padding ((top, bottom), (left, right)) and output (Ho, Wo)."""

    batch: int
    channels: int
    in_hw: tuple
    kernel: tuple
    stride: tuple
    dilation: tuple
    pads: tuple
    out_hw: tuple

    @classmethod
    def of(cls, x_shape: tuple, kernel: tuple, stride: tuple, dilation: tuple, pads: tuple) -> ConvGeometry:
        """The geometry of a conv of an (N, C, H, W) input with a (kh, kw) kernel."""
        n, c, h, w = x_shape
        (kh, kw), (sh, sw), (dh, dw), (ph, pw) = kernel, stride, dilation, pads
        out = (out_size(h, *ph, kh, sh, dh), out_size(w, *pw, kw, sw, dw))
        return cls(n, c, (h, w), tuple(kernel), tuple(stride), tuple(dilation), tuple(pads), out)

    @property
    def padded_hw(self) -> tuple:
        """(H + top + bottom, W + left + right)."""
        return tuple(size + before + after for size, (before, after) in zip(self.in_hw, self.pads))

    @property
    def inside(self) -> tuple:
        """The (rows, cols) slices of the padded input that hold the input itself."""
        (top, _), (left, _) = self.pads
        return slice(top, top + self.in_hw[0]), slice(left, left + self.in_hw[1])

    @property
    def column_length(self) -> int:
        """C * kh * kw: the length of one window, a column of im2col."""
        return self.channels * self.kernel[0] * self.kernel[1]


def windows(x, kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple, lead: int = 2):
    """View of every window, no copy: the axes (H, W) at ``lead``, ``lead + 1`` become (kh, kw, Ho, Wo).

    NCHW (lead 2): (N, C, H, W) -> (N, C, kh, kw, Ho, Wo); CHWN (lead 1): -> (C, kh, kw, Ho, Wo, N).
    """
    sh, sw = x.strides[lead : lead + 2]
    shape = x.shape[:lead] + (kernel[0], kernel[1], out_hw[0], out_hw[1]) + x.shape[lead + 2 :]
    strides = (
        x.strides[:lead] + (sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1]) + x.strides[lead + 2 :]
    )
    if type(x) is B.numpy.ndarray:  # read-only, so a stray write cannot reach the overlapping input
        return B.numpy.lib.stride_tricks.as_strided(x, shape=shape, strides=strides, writeable=False)
    return B.module_of(x).lib.stride_tricks.as_strided(x, shape=shape, strides=strides)  # CuPy's takes no writeable


def kernel_offsets(kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple, lead: int = 2):
    """For each kernel tap (i, j): the index of the input slice it sees over all output positions.

    The index has ``lead`` full slices first (2 for NCHW, 1 for CHWN), then the strided rows, cols.
    """
    head = (slice(None),) * lead
    for i in range(kernel[0]):
        rows = slice(i * dilation[0], i * dilation[0] + stride[0] * (out_hw[0] - 1) + 1, stride[0])
        for j in range(kernel[1]):
            cols = slice(j * dilation[1], j * dilation[1] + stride[1] * (out_hw[1] - 1) + 1, stride[1])
            yield i, j, head + (rows, cols)


def batch_innermost(x) -> bool:
    """True when an (N, C, H, W) array is a view of (C, H, W, N) memory, as conv outputs are (the
    batch-innermost layout, stated in ``chainrule.ops.kernels``)."""
    return x.ndim == 4 and x.transpose(1, 2, 3, 0).flags.c_contiguous and x.shape[0] > 1


def full_like_layout(x, shape: tuple, fill):
    """A new (N, C, H, W) array filled with ``fill``, batch-innermost in memory when ``x`` is."""
    xp = B.module_of(x)
    if batch_innermost(x):
        return xp.full((shape[1], shape[2], shape[3], shape[0]), fill, dtype=x.dtype).transpose(3, 0, 1, 2)
    return xp.full(shape, fill, dtype=x.dtype)


def check_input(x, ndim: int, name: str, layout: str) -> None:
    if x.ndim != ndim:
        raise ShapeError(f"{name}: expected a {ndim}-D input {layout}, got shape {tuple(x.shape)}")


def check_floating(
    name: str, kinds: str = "f", expected: str = "floating point (float16, float32 or float64)", **tensors
) -> None:
    """DtypeError (a TypeError and a RuntimeError, as PyTorch's) for a tensor whose dtype kind is not in
    ``kinds``: "conv2d: input must be floating point (...), got dtype int64; convert it with .float()"."""
    for what, t in tensors.items():
        if t is None:
            continue
        dtype = getattr(t, "_data", t).dtype
        if dtype.kind not in kinds:
            raise DtypeError(f"{name}: {what} must be {expected}, got dtype {dtype}; convert it with .float()")
