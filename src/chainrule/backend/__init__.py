"""The array backend: chainrule's one door to its array module (NumPy, or CuPy on a GPU).

The package:

- this module: the array-module API. ``module_of(*arrays)`` is NumPy, or CuPy when one of the
  arrays is a CuPy array: the module *follows the operands*, and nothing global is re-pointed.
  Each op node gets its inputs' module as ``self.xp`` (``Function.apply``) and uses it in its
  forward and backward rules; code outside the ops (optimizers, gradient clipping, helpers)
  asks ``module_of`` of the arrays it works on. Plus ``asarray`` (chainrule's dtype rules), the
  default float dtype, and the one seeded random generator (``rng``, ``manual_seed``).
- ``devices``: "cpu" / "cuda[:k]" (the ``Device`` class), moving arrays, loading CuPy on demand.
- ``blas``: the layers' matrix products (Intel MKL's gemm when installed, else NumPy's ``@``).
- ``openblas``: NumPy's own OpenBLAS reached directly (its blocked transposition, gemm's address).
- ``team`` (with Numba): OpenBLAS's threaded products run on Numba's OpenMP team, the compiled kernels' threads.
- ``memory``: ``tune_malloc()``, glibc malloc tuning that a training process opts into.

``import chainrule`` never imports CuPy; ``devices.cupy()`` does, the first time a GPU is asked for,
and registers it here (``_cupy``): until then every array is a NumPy array and ``module_of`` is NumPy.
"""

from __future__ import annotations

import numpy

from . import blas as blas  # the submodules, as attributes (devices reads this module at call time only)
from . import devices as devices
from .memory import tune_malloc as tune_malloc  # chainrule.backend.tune_malloc(), see memory.py

_cupy = None  # CuPy, once devices.cupy() has loaded it (set once, never re-pointed)


def module_of(*arrays):
    """The array module of ``arrays``: CuPy if any of them is a CuPy array, else NumPy."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return numpy


def cupy_loaded() -> bool:
    """Whether CuPy has been loaded (a GPU was asked for): only then can an array be a CuPy array."""
    return _cupy is not None


def register_cupy(cupy_module) -> None:
    """Called once by ``devices.cupy()``: from now on ``module_of`` recognises CuPy arrays."""
    global _cupy
    _cupy = cupy_module


def is_array(a) -> bool:
    """A NumPy or CuPy array (not a scalar)."""
    return isinstance(a, numpy.ndarray) or (_cupy is not None and isinstance(a, _cupy.ndarray))


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
    mod = module_of(data)  # a CuPy array stays on its GPU
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
