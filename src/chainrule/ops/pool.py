"""Pooling: max and average over sliding windows, sharing the conv's window geometry.

Max pooling's fast form runs the reference's loop over the window taps on blocks of channels (or of
the batch, whichever lies outermost in memory), one block per thread (``backend.threads``): the
same ufuncs on each element, so the same numbers bit for bit.
"""

from __future__ import annotations

from .. import backend as B
from ..autograd.function import Function, ShapeError
from ..autograd.tensor import Tensor, as_tensor
from ..backend import kernels, threads
from .pad import normalize_padding
from .window import as_pair, check_floating, check_input, full_like_layout, kernel_offsets, out_size


def _geometry(x, kernel_size, stride, padding, ceil_mode, dilation, name):
    """Kernel, stride, dilation, (before, after) pads incl. ceil_mode's extra, and output size."""
    check_input(x, 4, name, "(N, C, H, W)")
    kernel = as_pair(kernel_size, 2, "kernel_size", name)
    stride = kernel if stride is None else as_pair(stride, 2, "stride", name)
    dilation = as_pair(dilation, 2, "dilation", name)
    pads = normalize_padding(padding, kernel, stride, dilation, tuple(x.shape[2:]), name)
    for k, (b, a) in zip(kernel, pads):
        if 2 * max(b, a) > k:
            raise ValueError(f"{name}: padding {max(b, a)} must be at most half the kernel size {k}")
    out, full = [], []
    for size, k, s, d, (b, a) in zip(x.shape[2:], kernel, stride, dilation, pads):
        n = out_size(size, b, a, k, s, d, ceil_mode)
        if n <= 0:
            raise ShapeError(
                f"{name}: kernel {k} (dilation {d}) does not fit the input of size {size} padded by ({b}, {a})"
            )
        out.append(n)
        # ceil_mode's last window may run past the padding: pad that far too (ignored by the op)
        full.append((b, max(a, (n - 1) * s + d * (k - 1) + 1 - size - b)))
    return kernel, stride, dilation, tuple(pads), tuple(full), tuple(out)


def _padded(x, pads, fill):
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    n, c, h, w = x.shape
    out = full_like_layout(x, (n, c, h + pt + pb, w + pl + pr), fill)
    out[:, :, pt : pt + h, pl : pl + w] = x
    return out


_MIN_BLOCK_WORK = 1 << 18  # element-passes per thread below which a hand-off costs more than it saves


def _blocks_of(x, passes: int, body) -> None:
    """``body(lead)`` on all of ``x`` (reference kernels, one thread, small work, CuPy), or on blocks
    of its outermost axis in memory among N and C, in parallel; ``lead`` indexes N and C.
    ``passes``: ufunc passes over ``x``'s elements that ``body`` makes (its work)."""
    axis = 0 if abs(x.strides[0]) >= abs(x.strides[1]) else 1
    count, per_item = x.shape[axis], max(1, x.size // max(1, x.shape[axis])) * passes
    if kernels.reference() or type(x) is not B.numpy.ndarray or x.size * passes < 2 * _MIN_BLOCK_WORK:
        body((slice(None), slice(None)))
        return

    def block(a: int, b: int) -> None:
        body((slice(a, b), slice(None)) if axis == 0 else (slice(None), slice(a, b)))

    threads.parallel_for(count, block, min_block=-(-_MIN_BLOCK_WORK // per_item))


class MaxPool2d(Function):
    """out = max over each window (padding counts as -inf);  the gradient goes to the first maximum.

    Forward takes the elementwise maximum of the kh*kw strided slices of the input (one per kernel
    tap). Backward walks the taps in order: a tap wins where it equals the maximum and no earlier
    tap has won (ties go to the first, as PyTorch), and the upstream gradient is added there.
    """

    symbol = "maxpool"

    def forward(self, x, geometry=None):
        kernel, stride, dilation, _, full, out_hw = geometry
        self.xpad = _padded(x, full, -self.xp.inf)
        taps = [where for _, _, where in kernel_offsets(kernel, stride, dilation, out_hw)]
        best = self.xpad[taps[0]].copy(order="K")

        def max_of_taps(lead):
            for where in taps[1:]:
                self.xp.maximum(best[lead], self.xpad[lead + where[2:]], out=best[lead])

        _blocks_of(best, len(taps) - 1, max_of_taps)
        self.best, self.geometry, self.x_shape = best, geometry, x.shape
        return best.copy(order="K")  # the op's own copy: `best` stays as backward needs it

    def backward(self, upstream):
        kernel, stride, dilation, _, full, out_hw = self.geometry
        dpad = full_like_layout(self.xpad, self.xpad.shape, 0).astype(upstream.dtype, copy=False)
        taps = [where for _, _, where in kernel_offsets(kernel, stride, dilation, out_hw)]

        def route(lead):
            best, up, xp = self.best[lead], upstream[lead], self.xp
            claimed = xp.zeros_like(best, dtype=bool)
            won, share = xp.empty_like(claimed), xp.empty_like(up)
            for where in taps:
                xp.equal(self.xpad[lead + where[2:]], best, out=won)
                xp.greater(won, claimed, out=won)  # won and not claimed by an earlier tap
                xp.logical_or(claimed, won, out=claimed)
                xp.multiply(up, won, out=share)
                dpad[lead + where[2:]] += share

        _blocks_of(self.best, 5 * len(taps), route)
        (pt, _), (pl, _) = full
        return (dpad[:, :, pt : pt + self.x_shape[2], pl : pl + self.x_shape[3]],)


class AvgPool2d(Function):
    """out = (1/count) sum over each window;  each input gets upstream / count from every window.

    ``count`` is k*k, or fewer where the window covers padding (count_include_pad=False) or runs
    past the padded input (ceil_mode), as PyTorch.
    """

    symbol = "avgpool"

    def forward(self, x, geometry=None, count_include_pad=True, divisor_override=None):
        kernel, stride, dilation, pads, full, out_hw = geometry
        xpad = _padded(x, full, 0)
        total = full_like_layout(x, (x.shape[0], x.shape[1], *out_hw), 0)
        for _, _, where in kernel_offsets(kernel, stride, dilation, out_hw):
            total += xpad[where]
        if divisor_override:
            self.count = self.xp.asarray(divisor_override, dtype=x.dtype)
        else:  # the number of counted positions per window: pool a mask of ones
            (pt, pb), (pl, pr) = full
            h, w = x.shape[2:]
            mask = self.xp.zeros((h + pt + pb, w + pl + pr), dtype=x.dtype)
            if count_include_pad:
                (bt, at), (bl, al) = pads
                mask[: h + bt + at, : w + bl + al] = 1  # ones over input and regular padding
            else:
                mask[pt : pt + h, pl : pl + w] = 1
            self.count = sum(mask[where] for _, _, where in kernel_offsets(kernel, stride, dilation, out_hw, lead=0))
        self.geometry, self.shapes = geometry, (x.shape, xpad.shape)
        return total / self.count

    def backward(self, upstream):
        kernel, stride, dilation, _, full, out_hw = self.geometry
        x_shape, pad_shape = self.shapes
        share = upstream / self.count
        dpad = full_like_layout(share, pad_shape, 0)
        for _, _, where in kernel_offsets(kernel, stride, dilation, out_hw):
            dpad[where] += share
        (pt, _), (pl, _) = full
        return (dpad[:, :, pt : pt + x_shape[2], pl : pl + x_shape[3]],)


def max_pool2d(
    x, kernel_size, stride=None, padding=0, ceil_mode: bool = False, *, dilation=1, name: str = "max_pool2d"
) -> Tensor:
    """Max pooling: x (N, C, H, W) -> (N, C, Ho, Wo); stride defaults to kernel_size."""
    x = as_tensor(x)
    check_floating(name, "fiu", "floating point or integer (as PyTorch, bool is not pooled)", input=x)
    geometry = _geometry(x, kernel_size, stride, padding, ceil_mode, dilation, name)
    return MaxPool2d.apply(x, geometry=geometry)


def avg_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override=None,
    *,
    name: str = "avg_pool2d",
) -> Tensor:
    """Average pooling: x (N, C, H, W) -> (N, C, Ho, Wo); stride defaults to kernel_size."""
    x = as_tensor(x)
    check_floating(name, input=x)  # an average of integers is not one (PyTorch refuses most integer dtypes too)
    geometry = _geometry(x, kernel_size, stride, padding, ceil_mode, 1, name)
    return AvgPool2d.apply(x, geometry=geometry, count_include_pad=count_include_pad, divisor_override=divisor_override)


def _pool1d(pool2d, x, kernel_size, stride, padding, name, **kw) -> Tensor:
    """A 1-D pool as the 2-D one on a height-1 view: (N, C, L) -> (N, C, 1, L) -> (N, C, L_out)."""
    x = as_tensor(x)
    if x.ndim not in (2, 3):
        raise ShapeError(f"{name}: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape {tuple(x.shape)}")
    lead = tuple(x.shape[:-1])
    kernel = (1, as_pair(kernel_size, 1, "kernel_size", name)[0])
    stride = None if stride is None else (1, as_pair(stride, 1, "stride", name)[0])
    padding = (0, as_pair(padding, 1, "padding", name, minimum=0)[0])
    out = pool2d(x.reshape((-1, lead[-1], 1, x.shape[-1])), kernel, stride, padding, name=name, **kw)
    return out.reshape(lead + (out.shape[-1],))


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False, return_indices: bool = False
) -> Tensor:
    """Max pooling over L: (N, C, L) -> (N, C, L_out); stride defaults to kernel_size."""
    if return_indices:
        raise NotImplementedError("max_pool1d: return_indices=True is not supported; use return_indices=False")
    dilation = (1, as_pair(dilation, 1, "dilation", "max_pool1d")[0])
    return _pool1d(
        max_pool2d, input, kernel_size, stride, padding, "max_pool1d", ceil_mode=ceil_mode, dilation=dilation
    )


def avg_pool1d(
    input, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True
) -> Tensor:
    """Average pooling over L: (N, C, L) -> (N, C, L_out); stride defaults to kernel_size."""
    return _pool1d(
        avg_pool2d,
        input,
        kernel_size,
        stride,
        padding,
        "avg_pool1d",
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
    )
