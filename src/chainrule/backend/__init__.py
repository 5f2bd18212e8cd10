"""The array backend: the one place where chainrule reaches its array module.

Ops never ``import numpy`` themselves; they use ``backend.xp``, so another array module with
NumPy's API (CuPy on a GPU, see ``devices.py``) is slotted in here without touching an op.
"""

from __future__ import annotations

import contextlib

import numpy

from .memory import tune_malloc as tune_malloc  # chainrule.backend.tune_malloc(), see memory.py

xp = numpy
"""The array module: NumPy; once a GPU is used, a stand-in that follows the arrays being worked on."""

_current = numpy  # the module that xp stands for while a GPU is in use
_cupy = None  # CuPy, once devices.cupy() has loaded it
devices_enabled = False


class _FollowArrays:
    """``xp`` while CuPy is in use: NumPy's or CuPy's attribute, after the arrays of the running
    op (``Function.apply`` and the backward pass point it with ``working_on``)."""

    def __getattr__(self, name: str):
        return getattr(_current, name)

    def __repr__(self) -> str:
        return f"<chainrule array module, now {_current.__name__}>"


def enable_devices(cupy_module) -> None:
    """Called once by ``devices.cupy()``: from now on ``xp`` follows the arrays' device."""
    global xp, _cupy, devices_enabled
    _cupy, devices_enabled, xp = cupy_module, True, _FollowArrays()


def module_of(*arrays):
    """CuPy if any of the arrays is a CuPy array, else NumPy."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return numpy


def cupy_loaded() -> bool:
    """Whether CuPy has been loaded (a GPU was asked for): only then can an array be a CuPy array."""
    return _cupy is not None


def is_array(a) -> bool:
    """A NumPy or CuPy array (not a scalar)."""
    return isinstance(a, numpy.ndarray) or (_cupy is not None and isinstance(a, _cupy.ndarray))


def working_on(*arrays):
    """Point ``xp`` at the module of ``arrays``; returns the module it pointed at, for ``restore``."""
    global _current
    previous, _current = _current, module_of(*arrays)
    return previous


def restore(module) -> None:
    global _current
    _current = module


@contextlib.contextmanager
def following(*arrays):
    """``with following(*arrays):`` xp is the module of these arrays inside the block (code outside
    the ops that works on arrays: optimizers, gradient clipping)."""
    previous = working_on(*arrays) if devices_enabled else None
    try:
        yield
    finally:
        if previous is not None:
            restore(previous)

default_float = numpy.float32
"""dtype given to Python floats and to new random tensors, as ``torch.get_default_dtype()``."""

FLOAT_DTYPES = (numpy.dtype(numpy.float16), numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))
SUPPORTED_KINDS = "biuf"  # bool, signed and unsigned integers, floats: no complex, strings, objects

_rng = numpy.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed chainrule's random generator (randn, rand, initialisers, dropout)."""
    global _rng
    _rng = numpy.random.default_rng(seed)


def rng() -> numpy.random.Generator:
    """The generator that every random draw in chainrule goes through."""
    return _rng


def is_float(dtype) -> bool:
    return numpy.dtype(dtype).kind == "f"


def asarray(data, dtype=None):
    """Turn Python data or an array into a backend array, with chainrule's dtype rules.

    Python floats (and lists of them) become float32; an array keeps its dtype (float64 stays
    float64), as ``torch.tensor`` does with NumPy input.
    """
    mod = module_of(data) if devices_enabled else numpy  # a CuPy array stays on its GPU
    if dtype is not None:
        arr = mod.asarray(data, dtype=dtype)
    elif isinstance(data, mod.ndarray):
        arr = data
    else:
        arr = mod.asarray(data)
        if arr.dtype == numpy.float64 and not isinstance(data, numpy.generic):
            arr = arr.astype(default_float)
    if arr.dtype.kind not in SUPPORTED_KINDS:
        raise TypeError(
            f"chainrule.tensor: unsupported dtype {arr.dtype} (kind '{arr.dtype.kind}'); "
            "use bool, integer or float data"
        )
    return arr

