"""A stand-in for CuPy on machines without a GPU, so the device plumbing is tested in CI.

The numbers are NumPy's, but the arrays are a type of their own, "on the GPU": like CuPy's, they
refuse to be mixed with NumPy arrays in one operation (``TypeError``), and only ``.get()`` brings
them back. A chainrule op that built a NumPy array where it should have asked its array module
(``self.xp``, ``backend.module_of``) for one, or a layer that forgot to move something, fails here as
it would on a real GPU. What it cannot catch: ``numpy.asarray(fake)`` works (CuPy refuses it), and
CUDA's own numerics.
"""

from __future__ import annotations

import contextlib
import sys
import types

import numpy

__name__ = "cupy"  # noqa: A001  (the module poses as CuPy for messages and reprs)


class _Device:
    id = 0

    def __init__(self, index: int = 0) -> None:
        self.id = index

    def synchronize(self) -> None:  # NumPy has finished when it returns
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def _is_host(x) -> bool:
    return isinstance(x, numpy.ndarray) and not isinstance(x, ndarray)


def _walk(values):
    for v in values:
        if isinstance(v, (list, tuple)):
            yield from _walk(v)
        else:
            yield v


def _refuse_host(values, what: str) -> None:
    for v in _walk(values):
        if _is_host(v):
            raise TypeError(
                f"fake cupy: {what} mixes a NumPy array {v.shape} with GPU arrays "
                "(CuPy raises 'Unsupported type <class numpy.ndarray>')"
            )


def _to_device(result):
    """Results of an operation on GPU arrays are GPU arrays (and 0-d ones stay arrays, as CuPy's)."""
    if isinstance(result, tuple):
        return tuple(_to_device(r) for r in result)
    if isinstance(result, list):
        return [_to_device(r) for r in result]
    if isinstance(result, numpy.ndarray):
        return result.view(ndarray)
    if isinstance(result, numpy.generic):
        return numpy.asarray(result).view(ndarray)
    return result


def _plain(values):
    if isinstance(values, (list, tuple)):
        return type(values)(_plain(v) for v in values)
    return values.view(numpy.ndarray) if isinstance(values, ndarray) else values


class ndarray(numpy.ndarray):  # noqa: N801  (CuPy's name)
    """A NumPy array that poses as GPU memory."""

    @property
    def device(self) -> _Device:
        return _Device(0)

    def get(self) -> numpy.ndarray:
        """Copy to the host, as ``cupy.ndarray.get``."""
        return numpy.array(self.view(numpy.ndarray), copy=True)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        _refuse_host(inputs, f"{ufunc.__name__}.{method}")
        if out is not None:
            _refuse_host(out, f"{ufunc.__name__}(out=...)")
            kwargs["out"] = tuple(_plain(o) for o in out)
        result = getattr(ufunc, method)(*_plain(inputs), **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _to_device(result)

    def __array_function__(self, func, types_, args, kwargs):
        _refuse_host(args, func.__name__)
        _refuse_host(list(kwargs.values()), func.__name__)
        plain_kwargs = {k: _plain(v) for k, v in kwargs.items()}
        result = func(*_plain(args), **plain_kwargs)
        if "out" in kwargs and kwargs["out"] is not None:
            return kwargs["out"]
        return _to_device(result)

    def __getitem__(self, index):  # an element is a 0-d GPU array, not a NumPy scalar (as CuPy)
        index = _plain(index) if isinstance(index, ndarray) else index
        if isinstance(index, tuple):
            index = tuple(_plain(i) if isinstance(i, ndarray) else i for i in index)
        return _to_device(super().__getitem__(index))

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __float__(self) -> float:
        return float(self.view(numpy.ndarray))

    def tolist(self):
        return self.view(numpy.ndarray).tolist()


def asarray(a, dtype=None, order=None):
    """Host data to the 'GPU' (a copy when it came from the host, as ``cupy.asarray``)."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)
    return numpy.array(a, dtype=dtype, order=order, copy=True).view(ndarray)


def array(a, dtype=None, copy=True, **kwargs):
    if isinstance(a, ndarray):
        return numpy.array(a.view(numpy.ndarray), dtype=dtype, copy=copy, **kwargs).view(ndarray)
    return numpy.array(a, dtype=dtype, **kwargs).view(ndarray)


def ascontiguousarray(a, dtype=None):
    """A C-contiguous GPU array (NumPy's own returns a base-class ndarray: it never dispatches)."""
    _refuse_host([a], "ascontiguousarray")
    return _to_device(numpy.ascontiguousarray(_plain(a), dtype=dtype))


def _creating(name):
    fn = getattr(numpy, name)

    def make(*args, **kwargs):
        _refuse_host(args, name)
        return _to_device(fn(*_plain(args), **{k: _plain(v) for k, v in kwargs.items()}))

    make.__name__ = name
    return make


for _name in (
    "zeros",
    "ones",
    "empty",
    "full",
    "arange",
    "eye",
    "linspace",
    "zeros_like",
    "ones_like",
    "empty_like",
    "full_like",
):
    globals()[_name] = _creating(_name)


def _stride_tricks():
    from numpy.lib import stride_tricks as st

    def as_strided(x, shape=None, strides=None):  # CuPy's signature: no writeable, no subok
        return _to_device(st.as_strided(_plain(x), shape=shape, strides=strides))

    def sliding_window_view(x, *args, **kwargs):
        return _to_device(st.sliding_window_view(_plain(x), *args, **kwargs))

    return types.SimpleNamespace(as_strided=as_strided, sliding_window_view=sliding_window_view)


lib = types.SimpleNamespace(stride_tricks=_stride_tricks())


class _Runtime:
    @staticmethod
    def getDeviceCount() -> int:  # noqa: N802  (CUDA's name)
        return 1


cuda = types.SimpleNamespace(runtime=_Runtime(), Device=_Device)


_NOT_IN_CUPY = {"errstate", "seterr", "geterr", "array2string", "set_printoptions"}


def __getattr__(name: str):
    """Everything else (dtypes, ufuncs, functions on arrays, finfo...) is NumPy's; its functions
    dispatch to ``ndarray.__array_function__`` / ``__array_ufunc__`` above. Names CuPy lacks fail."""
    if name in _NOT_IN_CUPY:
        raise AttributeError(f"module 'cupy' has no attribute {name!r} (the stand-in follows CuPy)")
    return getattr(numpy, name)


@contextlib.contextmanager
def installed():
    """Make ``import cupy`` find this module while the block runs."""
    module = sys.modules[__spec__.name]
    saved = sys.modules.get("cupy")
    sys.modules["cupy"] = module
    try:
        yield module
    finally:
        if saved is None:
            sys.modules.pop("cupy", None)
        else:
            sys.modules["cupy"] = saved
