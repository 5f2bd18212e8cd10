"""Discrete convolution and correlation of sequences (1-D) and images (2-D), as NumPy and SciPy.

True convolution flips the kernel: y[n] = sum_k x[k] h[n - k]. Correlation does not:
c[n] = sum_k x[n + k] h[k]. Conv layers compute correlation; ``F.conv1d(x, flip(h))`` is ``convolve``.

- Plain arrays in, plain ndarray out: ``convolve`` equals ``numpy.convolve`` and ``correlate``
  equals ``numpy.correlate`` in every mode (NumPy swaps the arguments when ``h`` is the longer one);
  ``convolve2d`` / ``correlate2d`` equal ``scipy.signal``'s with ``boundary="fill"``.
- A chainrule Tensor in, a Tensor out, with gradients for both arguments: 1-D through the
  ``Convolve`` op below (its local gradients are correlations), 2-D through ``conv2d`` with the
  kernel flipped (the bridge between the signal module and the conv layers).
"""

from __future__ import annotations

import numbers

from .. import backend as B
from ..autograd.function import Function, ShapeError
from ..autograd.tensor import Tensor
from ..ops.conv import conv2d

MODES = ("full", "same", "valid")


# --- argument checks -------------------------------------------------------------------------------


def check_mode(mode, fn: str) -> str:
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"{fn}: mode must be one of 'full', 'same', 'valid', got {mode!r}")
    return mode


def as_sequence(v, name: str, fn: str, ndim: int = 1):
    """``v`` as a non-empty ``ndim``-D array (or Tensor); a 0-d value is a length-1 sequence, as NumPy."""
    if not isinstance(v, Tensor):
        v = B.xp.asarray(v)
        if v.dtype.kind not in "biufc":
            raise TypeError(f"{fn}: {name} must hold numbers, got dtype {v.dtype}")
    if ndim == 1 and v.ndim == 0:
        v = v.reshape(1)
    if v.ndim != ndim:
        what = "a 1-D sequence" if ndim == 1 else "a 2-D array"
        raise ShapeError(f"{fn}: {name} must be {what}, got shape {tuple(v.shape)}")
    if v.size == 0:
        raise ValueError(f"{fn}: {name} is empty (shape {tuple(v.shape)})")
    return v


def _operands(x, h, fn: str, ndim: int):
    """Both operands checked; if either is a Tensor, the other becomes one of its float dtype."""
    x, h = as_sequence(x, "x", fn, ndim), as_sequence(h, "h", fn, ndim)
    if isinstance(x, Tensor) != isinstance(h, Tensor):
        t = x if isinstance(x, Tensor) else h
        dtype = t.dtype if t.dtype.kind == "f" else None
        x, h = (x, Tensor(h, dtype=dtype)) if t is x else (Tensor(x, dtype=dtype), h)
    return x, h


def _flip(v):
    """v[::-1] along every axis (a differentiable index for a Tensor)."""
    return v[(slice(None, None, -1),) * v.ndim]


def _conj(v):
    """NumPy's correlate conjugates its second argument; a no-op for real data and tensors."""
    return v if isinstance(v, Tensor) or v.dtype.kind != "c" else v.conj()


# --- 1-D -------------------------------------------------------------------------------------------


def _same_pads(k: int) -> tuple:
    """Zero padding (before, after) that makes NumPy's 'same': the full result from index (k-1)//2."""
    return k // 2, (k - 1) // 2


def full_start(mode: str, k: int) -> int:
    """Where y[0] of ``mode`` sits in the full result, k = min(M, N): 0, (k-1)//2 (same) or k-1 (valid)."""
    return {"full": 0, "same": (k - 1) // 2, "valid": k - 1}[mode]


def _slide(a, w):
    """sum_j a[i + j] w[j] for every i where w fits inside a: every window of a, times w."""
    return B.xp.lib.stride_tricks.sliding_window_view(a, w.shape[0]) @ w


def _convolve_arrays(x, h, mode: str):
    """Flip and slide: pad the longer sequence with zeros, slide the shorter one, flipped, along it."""
    a, v = (x, h) if x.shape[0] >= h.shape[0] else (h, x)  # convolution commutes; NumPy swaps too
    k = v.shape[0]
    pads = {"full": (k - 1, k - 1), "same": _same_pads(k), "valid": (0, 0)}[mode]
    return _slide(B.xp.pad(a, pads), v[::-1])


class Convolve(Function):
    """y = x * h, y[n] = sum_k x[k] h[n - k], cut to ``mode``: x (M,), h (N,) -> (L,).

    Forward: every window of the zero-padded longer input, times the flipped shorter one.
    Local gradients (g = upstream placed back into the full length M + N - 1, zeros elsewhere):
    dx[k] = sum_n g[n] h[n - k] = sum_j g[k + j] h[j]  (g correlated with h);
    dh[j] = sum_n g[n] x[n - j] = sum_k g[j + k] x[k]  (g correlated with x).
    The gradient of a convolution is a correlation, which is why conv layers never flip a kernel.
    """

    symbol = "convolve"

    def forward(self, x, h, mode="full"):
        self.x, self.h, self.mode = x, h, mode
        return _convolve_arrays(x, h, mode)

    def backward(self, upstream):
        x, h = self.x, self.h
        m, n = x.shape[0], h.shape[0]
        start = full_start(self.mode, min(m, n))
        g = B.xp.zeros(m + n - 1, dtype=upstream.dtype)
        g[start : start + upstream.shape[0]] = upstream
        dx = _slide(g, h).astype(x.dtype, copy=False) if self.needs_input_grad[0] else None
        dh = _slide(g, x).astype(h.dtype, copy=False) if self.needs_input_grad[1] else None
        return dx, dh


def convolve(x, h, mode: str = "full"):
    """Discrete convolution y[n] = sum_k x[k] h[n - k], as ``numpy.convolve(x, h, mode)``.

    x: (M,), h: (N,) -> full: (M + N - 1,); same: (max(M, N),), the full result from index
    (min(M, N) - 1) // 2; valid: (max(M, N) - min(M, N) + 1,), where one fully overlaps the other.
    Arrays give an ndarray; if either argument is a Tensor, a Tensor with gradients for both.
    """
    mode = check_mode(mode, "convolve")
    x, h = _operands(x, h, "convolve", 1)
    if isinstance(x, Tensor):
        return Convolve.apply(x, h, mode=mode)
    return _convolve_arrays(x, h, mode)


def correlate(x, h, mode: str = "valid"):
    """Cross-correlation c[n] = sum_k x[n + k] conj(h[k]), as ``numpy.correlate(x, h, mode)``.

    The default mode is 'valid', as NumPy's. Equals ``convolve(x, h[::-1], mode)`` when h is the
    shorter one; when h is longer NumPy correlates h with x and reverses the result, and so do we.
    """
    mode = check_mode(mode, "correlate")
    x, h = _operands(x, h, "correlate", 1)
    if h.shape[0] > x.shape[0]:
        return _conj(_flip(convolve(h, _flip(_conj(x)), mode)))
    return convolve(x, _flip(_conj(h)), mode)


# --- 2-D -------------------------------------------------------------------------------------------


def _pads_2d(x_shape, h_shape, mode: str, flipped: bool, fn: str) -> tuple:
    """((top, bottom), (left, right)) zero padding of x so that a valid slide of h gives ``mode``.

    'same' keeps x's shape, centred as SciPy: the full result from (k-1)//2 for convolution and
    k//2 for correlation. 'valid' where h fits inside x, or, when h is the larger in every
    dimension, where x fits inside h (SciPy swaps the inputs); any other shape pair is an error.
    """
    if mode == "full":
        return tuple((k - 1, k - 1) for k in h_shape)
    if mode == "same":
        return tuple(_same_pads(k) if flipped else _same_pads(k)[::-1] for k in h_shape)
    if all(m >= k for m, k in zip(x_shape, h_shape)):
        return ((0, 0), (0, 0))
    if all(m <= k for m, k in zip(x_shape, h_shape)):
        return tuple((k - m, k - m) for m, k in zip(x_shape, h_shape))
    raise ValueError(f"{fn}: for mode 'valid' one input must be at least as large as the other in every "
                     f"dimension, got x of shape {tuple(x_shape)} and h of shape {tuple(h_shape)}")


def _check_fill(boundary, fillvalue, fn: str) -> float:
    if boundary != "fill":
        raise ValueError(f"{fn}: boundary must be 'fill' (the only one supported), got {boundary!r}")
    if not isinstance(fillvalue, numbers.Real) or isinstance(fillvalue, bool):
        raise TypeError(f"{fn}: fillvalue must be a real number, got {fillvalue!r}")
    return float(fillvalue)


def _slide_2d(x, h, mode: str, fill: float, flipped: bool, fn: str):
    """Slide h (flipped when ``flipped``) over x padded for ``mode``; x, h already checked by _operands."""
    pads = _pads_2d(x.shape, h.shape, mode, flipped, fn)
    fill = 0.0 if mode == "valid" else fill  # SciPy's 'valid' never reads the boundary
    kernel = _flip(h) if flipped else h
    if isinstance(x, Tensor):  # the bridge: conv2d correlates, so a flipped kernel convolves
        mode_kw = {"padding_mode": "constant", "value": fill} if fill else {}
        out = conv2d(x.reshape(1, 1, *x.shape), kernel.reshape(1, 1, *h.shape), padding=pads,
                     name=fn, **mode_kw)
        return out.reshape(out.shape[2], out.shape[3])
    xpad = B.xp.pad(x, pads, constant_values=fill) if fill else B.xp.pad(x, pads)
    windows = B.xp.lib.stride_tricks.sliding_window_view(xpad, h.shape)  # (Ho, Wo, kh, kw) view
    return B.xp.einsum("ijkl,kl->ij", windows, kernel)


def convolve2d(x, h, mode: str = "full", boundary: str = "fill", fillvalue: float = 0):
    """2-D convolution y[i, j] = sum_{k,l} x[k, l] h[i - k, j - l], as ``scipy.signal.convolve2d``.

    x: (M, N), h: (P, Q) -> full: (M+P-1, N+Q-1); same: (M, N); valid: (|M-P|+1, |N-Q|+1).
    Outside x the input is ``fillvalue`` (``boundary="fill"``, the only boundary supported).
    """
    mode = check_mode(mode, "convolve2d")
    fill = _check_fill(boundary, fillvalue, "convolve2d")
    x, h = _operands(x, h, "convolve2d", 2)
    return _slide_2d(x, h, mode, fill, True, "convolve2d")


def correlate2d(x, h, mode: str = "full", boundary: str = "fill", fillvalue: float = 0):
    """2-D cross-correlation c[i, j] = sum_{k,l} x[i + k, j + l] h[k, l], as ``scipy.signal.correlate2d``.

    Shapes as ``convolve2d``; 'same' is centred as SciPy's correlate2d (the full result from
    P//2, Q//2). This is what ``F.conv2d`` computes with one channel and padding to match.
    """
    mode = check_mode(mode, "correlate2d")
    fill = _check_fill(boundary, fillvalue, "correlate2d")
    x, h = _operands(x, h, "correlate2d", 2)
    return _slide_2d(x, _conj(h), mode, fill, False, "correlate2d")
