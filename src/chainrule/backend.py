"""The array backend: the one place where chainrule reaches its array module.

Ops never ``import numpy`` themselves; they use ``backend.xp``, so another array module with
NumPy's API (CuPy on a GPU) can be slotted in here without touching an op.
"""

from __future__ import annotations

import numpy

xp = numpy
"""The active array module (NumPy on the CPU)."""

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
    return xp.dtype(dtype).kind == "f"


def asarray(data, dtype=None):
    """Turn Python data or an array into a backend array, with chainrule's dtype rules.

    Python floats (and lists of them) become float32; an array keeps its dtype (float64 stays
    float64), as ``torch.tensor`` does with NumPy input.
    """
    if dtype is not None:
        arr = xp.asarray(data, dtype=dtype)
    elif isinstance(data, xp.ndarray):
        arr = data
    else:
        arr = xp.asarray(data)
        if arr.dtype == xp.float64 and not isinstance(data, xp.generic):
            arr = arr.astype(default_float)
    if arr.dtype.kind not in SUPPORTED_KINDS:
        raise TypeError(
            f"chainrule.tensor: unsupported dtype {arr.dtype} (kind '{arr.dtype.kind}'); "
            "use bool, integer or float data"
        )
    return arr
