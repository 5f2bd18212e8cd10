"""A restricted unpickler that rebuilds NumPy arrays and nothing else.

``pickle.load`` runs whatever callable a pickle names (``os.system``, ``subprocess.Popen``, ...):
unpickling a file from the internet is running its code. ``find_class`` is the one door through
which a pickle reaches a Python object; this unpickler opens it only for what NumPy array
reconstruction needs (``ndarray``, ``dtype``, ``_reconstruct``, ``_frombuffer``, ``scalar``, and
``_codecs.encode`` / ``bytes`` for the bytes of old protocols) and raises ``UnsafePickleError``
for any other name, before anything is called.
"""

from __future__ import annotations

import codecs
import io
import pickle

import numpy as np

# (module, name) as written in a pickle -> where that object lives in the installed NumPy.
# Pickles from NumPy 1 say numpy.core.*, from NumPy 2 numpy._core.*; both map to the same objects.
_core = getattr(np, "_core", None) or np.core
ALLOWED = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    # protocols 0-2 from Python 3 spell bytes as _codecs.encode(str, "latin1") and b"" as bytes():
    # pure functions, no side effects
    ("_codecs", "encode"): codecs.encode,
    ("builtins", "bytes"): bytes,
    ("__builtin__", "bytes"): bytes,
}
for _mod in ("numpy.core", "numpy._core"):
    ALLOWED[(f"{_mod}.multiarray", "_reconstruct")] = _core.multiarray._reconstruct
    ALLOWED[(f"{_mod}.multiarray", "scalar")] = _core.multiarray.scalar
    ALLOWED[(f"{_mod}.numeric", "_frombuffer")] = _core.numeric._frombuffer


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle asked for a global outside the allowed NumPy reconstruction functions."""


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose ``find_class`` admits only NumPy array reconstruction."""

    def find_class(self, module: str, name: str):
        try:
            return ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"refusing to unpickle global {module}.{name}: only NumPy arrays are allowed "
                f"({', '.join(sorted(f'{m}.{n}' for m, n in ALLOWED))})"
            ) from None


def restricted_load(file, encoding: str = "latin1"):
    """Unpickle from a binary file object with ``RestrictedUnpickler``.

    ``encoding="latin1"`` reads Python 2 pickles of NumPy arrays (their raw data are ``str``), as
    ``numpy.load`` does.
    """
    return RestrictedUnpickler(file, encoding=encoding).load()


def restricted_loads(data: bytes, encoding: str = "latin1"):
    """``restricted_load`` from bytes."""
    return restricted_load(io.BytesIO(data), encoding=encoding)
