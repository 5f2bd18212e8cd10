"""Tensor factories with PyTorch's signatures: ``zeros(2, 3)``, ``zeros((2, 3))``, ``dtype=``,
``requires_grad=``, ``device=``; random ones draw from ``cr.manual_seed``'s generator, or from a
``cr.Generator`` given as ``generator=``.

``device`` ("cpu", "cuda[:k]") places the result (by default: the default device, see
``cr.set_default_device``; for ``*_like``: the input's device). Random numbers are drawn on the
CPU and then moved, so one seed gives the same numbers on every device.
"""

from __future__ import annotations

import numbers

from .. import backend as B
from ..backend import devices as _devices
from .tensor import Tensor, tensor

np = B.numpy


def _shape(shape, size=None, fn: str = "zeros") -> tuple:
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``, ``f(size=(2, 3))`` alike."""
    if size is not None:
        if shape:
            raise TypeError(f"{fn}: give the sizes positionally or as size=, not both")
        shape = (size,)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    for n in shape:
        if not isinstance(n, (numbers.Integral, Tensor)) or int(n) < 0:
            raise TypeError(f"{fn}: sizes must be non-negative ints, got {tuple(shape)}")
    return tuple(int(n) for n in shape)


def _make(data, dtype, requires_grad: bool, device) -> Tensor:
    """A tensor of the host array ``data`` (cast to ``dtype``) on ``device`` (None: the default device)."""
    if dtype is not None:
        data = data.astype(np.dtype(dtype), copy=False)
    if device is None and hasattr(_devices, "get_default_device"):
        device = _devices.get_default_device()
    return tensor(data, requires_grad=requires_grad, device=None if device == _devices.CPU else device)


def _float(dtype):
    return dtype if dtype is not None else B.default_float


def _rng(generator):
    return B.rng() if generator is None else generator.rng


# --- constant ------------------------------------------------------------------------------------


def zeros(*sizes, size=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return _make(np.zeros(_shape(sizes, size, "zeros"), dtype=_float(dtype)), None, requires_grad, device)


def ones(*sizes, size=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return _make(np.ones(_shape(sizes, size, "ones"), dtype=_float(dtype)), None, requires_grad, device)


def empty(*sizes, size=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Uninitialised in PyTorch; zeros here (reading it before writing gives 0, not garbage)."""
    return _make(np.zeros(_shape(sizes, size, "empty"), dtype=_float(dtype)), None, requires_grad, device)


def full(size, fill_value, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """``size`` filled with ``fill_value``; dtype from the value as PyTorch (bool, int64, default float)."""
    if dtype is None:
        if isinstance(fill_value, (bool, np.bool_)):
            dtype = np.bool_
        elif isinstance(fill_value, numbers.Integral):
            dtype = np.int64
        else:
            dtype = B.default_float
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    size = _shape((size,) if isinstance(size, numbers.Integral) else tuple(size), fn="full")
    return _make(np.full(size, fill_value, dtype=np.dtype(dtype)), None, requires_grad, device)


def eye(n: int, m: int | None = None, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """The n x m identity matrix (ones on the diagonal)."""
    return _make(np.eye(n, n if m is None else m, dtype=_float(dtype)), None, requires_grad, device)


def linspace(start, end, steps: int, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included (default float dtype)."""
    if not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    data = np.linspace(float(start), float(end), int(steps), dtype=np.float64)
    return _make(data, _float(dtype), requires_grad, device)


def arange(start, end=None, step=1, *, dtype=None, requires_grad: bool = False, device=None, stop=None) -> Tensor:
    """Values start, start + step, ... below ``end``: all-int arguments give int64, else the default float."""
    end = stop if end is None else end
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    data = np.arange(start, end, step)
    if data.dtype.kind in "iu":
        data = data.astype(np.int64, copy=False)
    elif dtype is None:
        dtype = B.default_float
    return _make(data, dtype, requires_grad, device)


# --- random --------------------------------------------------------------------------------------


def randn(*sizes, size=None, generator=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Samples of the standard normal N(0, 1)."""
    data = _rng(generator).standard_normal(_shape(sizes, size, "randn"), dtype=np.float64)
    return _make(data, _float(dtype), requires_grad, device)


def rand(*sizes, size=None, generator=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    data = _rng(generator).random(_shape(sizes, size, "rand"), dtype=np.float64)
    return _make(data, _float(dtype), requires_grad, device)


def randint(
    low, high=None, size=None, *, generator=None, dtype=None, requires_grad: bool = False, device=None
) -> Tensor:
    """Integers drawn uniformly from [low, high) (``randint(high, size)`` starts at 0); int64 by default."""
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if size is None:
        raise TypeError("randint: give randint(low, high, size) or randint(high, size), size a tuple")
    if isinstance(size, numbers.Integral):
        raise TypeError(f"randint: size must be a tuple of ints such as ({size},), got {size!r}")
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be larger than low ({low})")
    data = _rng(generator).integers(low, high, _shape(tuple(size), fn="randint"), dtype=np.int64)
    return _make(data, dtype, requires_grad, device)


def randperm(n: int, *, generator=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A random permutation of 0 .. n-1 (int64)."""
    return _make(_rng(generator).permutation(int(n)).astype(np.int64), dtype, requires_grad, device)


# --- like another tensor -------------------------------------------------------------------------


def _like(t: Tensor, data, dtype, requires_grad: bool, device) -> Tensor:
    """``data`` (host) cast to ``dtype`` (else t's) on ``device`` (else t's device)."""
    out = tensor(
        data.astype(np.dtype(dtype) if dtype is not None else t.dtype, copy=False),
        device=device if device is not None else t.device,
    )
    return out.requires_grad_(True) if requires_grad else out


def zeros_like(t: Tensor, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return _like(t, np.zeros(t.shape), dtype, requires_grad, device)


def ones_like(t: Tensor, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return _like(t, np.ones(t.shape), dtype, requires_grad, device)


def empty_like(t: Tensor, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Zeros here (PyTorch leaves it uninitialised)."""
    return zeros_like(t, dtype=dtype, requires_grad=requires_grad, device=device)


def full_like(t: Tensor, fill_value, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return _like(t, np.full(t.shape, fill_value), dtype, requires_grad, device)


def _float_like(t: Tensor, dtype, fn: str):
    dtype = np.dtype(dtype if dtype is not None else t.dtype)
    if dtype.kind != "f":
        raise TypeError(f"{fn}: draws floats; the tensor has dtype {dtype} (pass dtype= a float dtype)")
    return dtype


def rand_like(t: Tensor, *, generator=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    dtype = _float_like(t, dtype, "rand_like")
    return _like(t, _rng(generator).random(t.shape), dtype, requires_grad, device)


def randn_like(t: Tensor, *, generator=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    dtype = _float_like(t, dtype, "randn_like")
    return _like(t, _rng(generator).standard_normal(t.shape), dtype, requires_grad, device)
