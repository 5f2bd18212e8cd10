"""Padding: one normaliser for every padding argument, and the pad op with its gradient.

Modes, as PyTorch names them (and the NumPy ``pad`` mode that does the same):
``constant`` (a fixed value), ``reflect`` (mirror without repeating the edge: NumPy ``reflect``),
``replicate`` (repeat the edge: ``edge``), ``circular`` (wrap around: ``wrap``).
"""

from __future__ import annotations

import numbers

from ..autograd.function import Function, ShapeError

NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
MODES = ("constant", *NUMPY_MODE)


def normalize_padding(padding, kernel: tuple, stride: tuple, dilation: tuple, sizes: tuple, name: str) -> tuple:
    """Every padding argument as ((before, after), ...) per spatial dimension.

    ``padding``: an int; a tuple with one int or (before, after) pair per dimension; or
    ``"valid"`` (none), ``"full"`` (dilation*(k-1) each side), ``"same"`` (output = ceil(in /
    stride); total = max((out-1)*stride + dilation*(k-1) + 1 - in, 0), the odd element after).
    """
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "full":
            return tuple((d * (k - 1),) * 2 for k, d in zip(kernel, dilation))
        if padding == "same":
            pads = []
            for size, k, s, d in zip(sizes, kernel, stride, dilation):
                out = -(-size // s)
                total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        raise ValueError(f"{name}: padding must be an int, a tuple, 'valid', 'same' or 'full', got {padding!r}")
    if isinstance(padding, numbers.Integral):
        padding = (padding,) * n
    if not isinstance(padding, (tuple, list)) or len(padding) != n:
        raise ValueError(f"{name}: padding must be an int or a tuple of {n} entries, got {padding!r}")
    pads = []
    for p in padding:
        pair = (p, p) if isinstance(p, numbers.Integral) else tuple(p) if isinstance(p, (tuple, list)) else ()
        if len(pair) != 2 or not all(isinstance(v, numbers.Integral) and v >= 0 for v in pair):
            raise ValueError(f"{name}: padding entries must be ints >= 0 or (before, after) pairs, got {padding!r}")
        pads.append((int(pair[0]), int(pair[1])))
    return tuple(pads)


def torch_pad_to_pairs(pad, ndim: int, name: str = "pad", negative: bool = False) -> tuple:
    """PyTorch's pad tuple (last dim first: left, right, top, bottom, ...) as pairs per axis
    (negative amounts, which crop, only where ``negative``)."""
    if isinstance(pad, numbers.Integral) or len(pad) % 2 or len(pad) // 2 > ndim:
        raise ValueError(f"{name}: pad must be a tuple of 2*k ints (k <= {ndim} dims), got {pad!r}")
    if not all(isinstance(p, numbers.Integral) and (negative or p >= 0) for p in pad):
        raise ValueError(f"{name}: pad sizes must be ints{'' if negative else ' >= 0'}, got {pad!r}")
    pairs = [(0, 0)] * ndim
    for k in range(len(pad) // 2):
        pairs[ndim - 1 - k] = (int(pad[2 * k]), int(pad[2 * k + 1]))
    return tuple(pairs)


def check_mode(mode: str, pairs: tuple, shape: tuple, name: str) -> None:
    """Reflect needs pad < size, circular pad <= size, replicate a non-empty dimension."""
    if mode not in MODES:
        raise ValueError(f"{name}: padding mode must be one of {', '.join(MODES)}; got {mode!r}")
    for axis, ((before, after), size) in enumerate(zip(pairs, shape)):
        widest = max(before, after)
        if widest == 0:
            continue
        if mode == "reflect" and widest >= size:
            raise ValueError(
                f"{name}: reflect padding {widest} on dimension {axis} needs pad < size, "
                f"but that dimension has size {size}"
            )
        if mode == "circular" and widest > size:
            raise ValueError(
                f"{name}: circular padding {widest} on dimension {axis} needs pad <= size, "
                f"but that dimension has size {size}"
            )
        if mode == "replicate" and size == 0:
            raise ValueError(f"{name}: replicate padding of the empty dimension {axis}")


def gather_index(xp, size: int, before: int, after: int, mode: str):
    """For each padded position, the input index it copies (reflect, replicate or circular), an
    array of array module ``xp``."""
    return xp.pad(xp.arange(size), (before, after), mode=NUMPY_MODE[mode])


class Pad(Function):
    """out = x padded on each axis by (before, after).

    constant: out[interior] = x, the rest ``value``; d out / d x is 1 on the interior.
    reflect / replicate / circular: each padded position copies an input element (a gather along
    the axis with index map ``idx``), so the gradient adds every copy back onto its source: a
    product with the one-hot matrix M[p, idx[p]] = 1, per axis.
    """

    symbol = "pad"

    def forward(self, x, pairs=(), mode="constant", value=0.0):
        self.pairs, self.mode, self.in_shape = pairs, mode, x.shape
        if mode == "constant":
            shape = tuple(n + b + a for n, (b, a) in zip(x.shape, pairs))
            out = self.xp.full(shape, value, dtype=x.dtype)
            out[self._interior()] = x
            return out
        self.index = {}
        for axis, (b, a) in enumerate(pairs):
            if b or a:
                self.index[axis] = gather_index(self.xp, x.shape[axis], b, a, mode)
                x = x.take(self.index[axis], axis=axis)
        return x

    def _interior(self):
        return tuple(slice(b, b + n) for n, (b, _) in zip(self.in_shape, self.pairs))

    def backward(self, upstream):
        if self.mode == "constant":
            return (upstream[self._interior()],)
        g = upstream
        for axis in sorted(self.index, reverse=True):
            idx = self.index[axis]
            onehot = (idx[:, None] == self.xp.arange(self.in_shape[axis])[None, :]).astype(g.dtype)
            g = self.xp.moveaxis(self.xp.moveaxis(g, axis, -1) @ onehot, -1, axis)
        return (g,)


def pad(x, pad, mode: str = "constant", value: float = 0.0):
    """Pad ``x`` as ``torch.nn.functional.pad``: ``pad`` lists (before, after) from the last dim back.

    A negative amount crops that many elements from that side, as PyTorch's: the crops first (a
    slice of x, whose gradient is the upstream put back in place), then the padding in any mode.
    """
    pairs = torch_pad_to_pairs(pad, x.ndim, negative=True)
    if any(b < 0 or a < 0 for b, a in pairs):
        x = _crop(x, pairs)
        pairs = tuple((max(b, 0), max(a, 0)) for b, a in pairs)
    check_mode(mode, pairs, x.shape, "pad")
    return Pad.apply(x, pairs=pairs, mode=mode, value=value)


def _crop(x, pairs: tuple):
    """x without -before / -after elements on each axis where those are negative (the rest of pad's work)."""
    index = []
    for axis, ((before, after), size) in enumerate(zip(pairs, x.shape)):
        start, stop = max(-before, 0), size - max(-after, 0)
        if stop < start:
            raise ValueError(
                f"pad: cropping {max(-before, 0)} + {max(-after, 0)} from dimension {axis} of size {size} "
                f"leaves less than nothing (input shape {tuple(x.shape)})"
            )
        index.append(slice(start, stop))
    return x[tuple(index)]


def pad_spatial(x, pads: tuple, mode: str, value: float, name: str):
    """Pad the trailing spatial axes of (N, C, *spatial) by ``pads`` ((before, after) per axis)."""
    pairs = ((0, 0),) * (x.ndim - len(pads)) + tuple(pads)
    check_mode(mode, pairs, x.shape, name)
    if not any(b or a for b, a in pads):
        return x
    return Pad.apply(x, pairs=pairs, mode=mode, value=value)


__all__ = ["MODES", "Pad", "ShapeError", "normalize_padding", "pad", "pad_spatial", "torch_pad_to_pairs"]
