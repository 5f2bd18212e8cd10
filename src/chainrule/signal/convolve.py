"""Discrete convolution and correlation of sequences (1-D) and images (2-D), as NumPy and SciPy.

True convolution flips the kernel: y[n] = sum_k x[k] h[n - k]. Correlation does not:
c[n] = sum_k x[n + k] h[k]. Conv layers compute correlation; ``F.conv1d(x, flip(h))`` is ``convolve``.

- Plain arrays in, plain ndarray out: ``convolve`` equals ``numpy.convolve`` and ``correlate``
  equals ``numpy.correlate`` in every mode (NumPy swaps the arguments when ``h`` is the longer one);
  ``convolve2d`` / ``correlate2d`` equal ``scipy.signal``'s with ``boundary="fill"``.
- A chainrule Tensor in, a Tensor out, with gradients for both arguments: 1-D through the
  ``Convolve`` op below (its local gradients are correlations), 2-D through ``conv2d`` with the
  kernel flipped (the bridge between the signal module and the conv layers).
- Integers are exact, never wrapped (NumPy's integer convolution wraps silently): when no sum can
  leave NumPy's result dtype the result is NumPy's, dtype included; else int64 when that holds
  every sum, else Python ints (an object array). Integer tensors that could overflow are refused.
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
        v = _exact_asarray(v)
        ints = v.dtype.kind == "O" and all(isinstance(e, numbers.Integral) for e in v.reshape(-1).tolist())
        if v.dtype.kind not in "biufc" and not ints:  # an object array of Python ints: integers past int64
            raise TypeError(f"{fn}: {name} must hold numbers, got dtype {v.dtype}")
    if ndim == 1 and v.ndim == 0:
        v = v.reshape(1)
    if v.ndim != ndim:
        what = "a 1-D sequence" if ndim == 1 else "a 2-D array"
        raise ShapeError(f"{fn}: {name} must be {what}, got shape {tuple(v.shape)}")
    if v.size == 0:
        raise ValueError(f"{fn}: {name} is empty (shape {tuple(v.shape)})")
    return v


def _exact_asarray(v):
    """``asarray``, except that a list of Python ints past int64 stays Python ints (an object array):
    NumPy would make [2**63, 1] float64, silently inexact."""
    a = B.module_of(v).asarray(v)
    if a.dtype.kind not in "fuO" or not isinstance(v, (list, tuple)):
        return a
    try:
        exact = B.numpy.array(v, dtype=object)
    except ValueError:  # ragged: NumPy's own error comes from the shape check
        return a
    entries = exact.reshape(-1).tolist()
    if not entries or not all(isinstance(e, int) for e in entries):
        return a
    return a if all(-(2**63) <= e < 2**63 for e in entries) and a.dtype.kind != "f" else exact


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


# --- integers, exactly -----------------------------------------------------------------------------


def _magnitude(v) -> int:
    """max |v| as a Python int (no int64 overflow for abs(int64 min))."""
    v = v._data if isinstance(v, Tensor) else v
    return max(abs(int(v.max())), abs(int(v.min())))


def exact_dtype(x, h, terms: int, fn: str, fill: int = 0):
    """The dtype in which integer operands convolve exactly, or None when they are not integers.

    Every partial sum is bounded by max|x| * max|h| * terms (terms: products in one output). NumPy's
    result dtype when that bound fits it, else int64 when it fits that, else ``object`` (Python ints).
    Tensors cannot hold Python ints: an integer tensor whose bound leaves its dtype is refused.
    """
    kinds = {x.dtype.kind, h.dtype.kind}
    if not kinds <= set("biuO") or kinds == {"b"}:
        return None  # floats, complex (NumPy's rules), or bools alone (NumPy's logical result)
    if "O" in kinds:
        return object
    dtype = B.numpy.result_type(B.numpy.dtype(x.dtype), B.numpy.dtype(h.dtype))
    bound = max(_magnitude(x), abs(fill)) * _magnitude(h) * terms
    if bound <= B.numpy.iinfo(dtype).max:
        return dtype
    if isinstance(x, Tensor) or isinstance(h, Tensor):
        raise OverflowError(
            f"{fn}: integer tensors of {x.dtype} and {h.dtype} could overflow {dtype}: |x| up to "
            f"{_magnitude(x)}, |h| up to {_magnitude(h)}, {terms} products per sum (up to "
            f"{bound}, the largest {dtype} is {B.numpy.iinfo(dtype).max}); convolve arrays "
            "(exact, with Python ints) or floating-point tensors"
        )
    return B.numpy.dtype("int64") if bound <= B.numpy.iinfo("int64").max else object


def _python_ints(v):
    """A host object array of Python ints (exact arithmetic of any size)."""
    return B.numpy.array(v.tolist(), dtype=object).reshape(v.shape)


def _taps_sum(xpad, kernel, out_shape):
    """sum over kernel taps t of kernel[t] * the slice of xpad that tap sees: a valid correlation."""
    out = B.numpy.zeros(out_shape, dtype=object)
    for t in B.numpy.ndindex(*kernel.shape):
        out += kernel[t] * xpad[tuple(slice(i, i + n) for i, n in zip(t, out_shape))]
    return out


# --- 1-D -------------------------------------------------------------------------------------------


def _same_pads(k: int) -> tuple:
    """Zero padding (before, after) that makes NumPy's 'same': the full result from index (k-1)//2."""
    return k // 2, (k - 1) // 2


def full_start(mode: str, k: int) -> int:
    """Where y[0] of ``mode`` sits in the full result, k = min(M, N): 0, (k-1)//2 (same) or k-1 (valid)."""
    return {"full": 0, "same": (k - 1) // 2, "valid": k - 1}[mode]


def _slide(a, w):
    """sum_j a[i + j] w[j] for every i where w fits inside a: every window of a, times w."""
    return B.module_of(a).lib.stride_tricks.sliding_window_view(a, w.shape[0]) @ w


def _convolve_arrays(x, h, mode: str):
    """Flip and slide: pad the longer sequence with zeros, slide the shorter one, flipped, along it."""
    a, v = (x, h) if x.shape[0] >= h.shape[0] else (h, x)  # convolution commutes; NumPy swaps too
    k = v.shape[0]
    pads = {"full": (k - 1, k - 1), "same": _same_pads(k), "valid": (0, 0)}[mode]
    return _slide(B.module_of(a).pad(a, pads), v[::-1])


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
        g = self.xp.zeros(m + n - 1, dtype=upstream.dtype)
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
    dtype = exact_dtype(x, h, min(x.shape[0], h.shape[0]), "convolve")
    if isinstance(x, Tensor):
        return Convolve.apply(x, h, mode=mode)
    if dtype is object:
        return _convolve_python(x, h, mode)
    if dtype is not None:
        x, h = x.astype(dtype, copy=False), h.astype(dtype, copy=False)
    return _convolve_arrays(x, h, mode)


def _convolve_python(x, h, mode: str):
    """``_convolve_arrays`` with Python ints: the longer sequence, zero-padded, under the flipped shorter one."""
    a, v = (x, h) if x.shape[0] >= h.shape[0] else (h, x)
    m, k = a.shape[0], v.shape[0]
    pads = {"full": (k - 1, k - 1), "same": _same_pads(k), "valid": (0, 0)}[mode]
    apad = B.numpy.zeros(m + sum(pads), dtype=object)
    apad[pads[0] : pads[0] + m] = _python_ints(a)
    return _taps_sum(apad, _python_ints(v)[::-1], (apad.shape[0] - k + 1,))


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
    raise ValueError(
        f"{fn}: for mode 'valid' one input must be at least as large as the other in every "
        f"dimension, got x of shape {tuple(x_shape)} and h of shape {tuple(h_shape)}"
    )


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
    terms = min(x.shape[0], h.shape[0]) * min(x.shape[1], h.shape[1])
    dtype = exact_dtype(x, h, terms, fn, int(B.numpy.ceil(abs(fill))))
    kernel = _flip(h) if flipped else h
    if dtype is object:
        xpad = B.numpy.full(tuple(m + b + a for m, (b, a) in zip(x.shape, pads)), int(fill), dtype=object)
        xpad[pads[0][0] : pads[0][0] + x.shape[0], pads[1][0] : pads[1][0] + x.shape[1]] = _python_ints(x)
        out_shape = tuple(m - k + 1 for m, k in zip(xpad.shape, h.shape))
        return _taps_sum(xpad, _python_ints(kernel), out_shape)
    if dtype is not None and not isinstance(x, Tensor):
        x, kernel = x.astype(dtype, copy=False), kernel.astype(dtype, copy=False)
    if isinstance(x, Tensor):  # the bridge: conv2d correlates, so a flipped kernel convolves
        mode_kw = {"padding_mode": "constant", "value": fill} if fill else {}
        out = conv2d(x.reshape(1, 1, *x.shape), kernel.reshape(1, 1, *h.shape), padding=pads, name=fn, **mode_kw)
        return out.reshape(out.shape[2], out.shape[3])
    xp = B.module_of(x)
    xpad = xp.pad(x, pads, constant_values=fill) if fill else xp.pad(x, pads)
    windows = xp.lib.stride_tricks.sliding_window_view(xpad, h.shape)  # (Ho, Wo, kh, kw) view
    return xp.einsum("ijkl,kl->ij", windows, kernel)


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
