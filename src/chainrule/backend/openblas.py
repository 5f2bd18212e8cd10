"""NumPy's own OpenBLAS, reached directly for what NumPy does not expose.

NumPy 2's wheels carry OpenBLAS (scipy-openblas64: symbols prefixed ``scipy_``, 64-bit integers).
threadpoolctl finds the copy NumPy loaded; from it chainrule takes:

- ``controllers()``: threadpoolctl's handles (the thread count, the kernels' architecture);
- ``gemm_address(dtype)`` / ``omatcopy_address(dtype)``: ``cblas_?gemm``'s and ``cblas_?omatcopy``'s
  addresses, for compiled code that multiplies or transposes inside its own loops (backend/cblas.py);
- ``thread_count()`` / ``set_thread_count(n)``: its own setting, read and set directly (cheaply);
- ``function(name)``: any other entry point, for backend/team.py (its threads callback);
- ``transpose(a, out)``: out = a^T by ``cblas_?omatcopy``, OpenBLAS's blocked transposition. A
  network's (N, C, H, W) input turned batch-innermost, (C*H*W, N), is such a transposition: 1,000
  MNIST images took 0.11 ms this way against 0.49 for NumPy's strided copy (AMD EPYC, 2026-12-02),
  which reads one number every C*H*W.

Everything here answers None / False when NumPy's BLAS is another one (or threadpoolctl is missing),
and the callers then keep their NumPy forms.
"""

from __future__ import annotations

import ctypes

import numpy

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_controllers: list | None = None  # threadpoolctl's controllers of the OpenBLAS copies loaded (found once)
_symbols: dict | None = None  # (kind, dtype) -> ctypes function of NumPy's OpenBLAS
_functions: dict = {}  # name -> its openblas_<name> entry point (or None), looked up once


def controllers() -> list:
    """threadpoolctl's controllers of the loaded OpenBLAS libraries (NumPy's), or [] without it."""
    global _controllers
    if _controllers is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # optional: without it NumPy's OpenBLAS keeps OPENBLAS_NUM_THREADS's count
            _controllers = []
        else:
            _controllers = list(ThreadpoolController().select(internal_api="openblas").lib_controllers)
    return _controllers


def _symbol(kind: str, dtype):
    """NumPy's OpenBLAS's ``cblas_?<kind>`` for ``dtype`` (float32 / float64), or None."""
    global _symbols
    if _symbols is None:
        _symbols = {}
        for controller in controllers():
            try:
                lib = ctypes.CDLL(controller.filepath)
            except (OSError, AttributeError):
                continue
            for name_kind in ("gemm", "omatcopy"):
                for dt, letter in ((numpy.float32, "s"), (numpy.float64, "d")):
                    for name in (f"scipy_cblas_{letter}{name_kind}64_", f"cblas_{letter}{name_kind}64_"):
                        fn = getattr(lib, name, None)
                        if fn is not None:
                            _symbols[name_kind, numpy.dtype(dt)] = fn
                            break
            if _symbols:
                break
    try:
        return _symbols.get((kind, numpy.dtype(dtype)))
    except TypeError:  # not a dtype NumPy knows
        return None


def gemm_address(dtype) -> int | None:
    """The address of ``cblas_sgemm`` / ``cblas_dgemm`` with 64-bit integers in the OpenBLAS NumPy
    loaded, for compiled code that multiplies (backend/cblas.py); None for other BLAS builds, other
    dtypes, or without threadpoolctl."""
    fn = _symbol("gemm", dtype)
    return None if fn is None else ctypes.cast(fn, ctypes.c_void_p).value


def omatcopy_address(dtype) -> int | None:
    """The address of ``cblas_somatcopy`` / ``cblas_domatcopy`` (64-bit integers) in NumPy's OpenBLAS,
    for compiled code that transposes (backend/cblas.py); None where there is none."""
    fn = _symbol("omatcopy", dtype)
    return None if fn is None else ctypes.cast(fn, ctypes.c_void_p).value


def transpose(a, out) -> bool:
    """out = a^T for 2-D NumPy arrays, a (m, n) with rows of contiguous numbers, out (n, m) likewise,
    same float dtype; by ``cblas_?omatcopy`` (row-major, transposed, alpha 1: an exact copy). Returns
    False, doing nothing, when that routine is not there or the operands do not fit it."""
    fn = _symbol("omatcopy", a.dtype)
    if fn is None or a.dtype != out.dtype or a.ndim != 2 or out.shape != a.shape[::-1]:
        return False
    item = a.itemsize
    if a.strides[1] != item or out.strides[1] != item or a.strides[0] % item or out.strides[0] % item:
        return False
    m, n = a.shape
    if m == 0 or n == 0:
        return True
    lda, ldb = max(a.strides[0] // item, n), max(out.strides[0] // item, m)
    if fn.argtypes is None:
        real = ctypes.c_float if a.dtype == numpy.float32 else ctypes.c_double
        i64, ptr = ctypes.c_int64, ctypes.c_void_p
        fn.argtypes = [ctypes.c_int, ctypes.c_int, i64, i64, real, ptr, i64, ptr, i64]
        fn.restype = None
    fn(_ROW_MAJOR, _TRANS, m, n, 1.0, a.ctypes.data, lda, out.ctypes.data, ldb)
    return True


def function(name: str):
    """NumPy's OpenBLAS's ``openblas_<name>`` (as scipy-openblas64 names it, ``scipy_openblas_<name>64_``),
    a ctypes function, or None (looked up once)."""
    if name not in _functions:
        _functions[name] = None
        for controller in controllers():
            try:
                lib = ctypes.CDLL(controller.filepath)
            except (OSError, AttributeError):
                continue
            for symbol in (f"scipy_openblas_{name}64_", f"openblas_{name}64_", f"openblas_{name}"):
                if getattr(lib, symbol, None) is not None:
                    _functions[name] = getattr(lib, symbol)
                    break
            if _functions[name] is not None:
                break
    return _functions[name]


def thread_count() -> int | None:
    """The threads NumPy's OpenBLAS splits a large product into now, or None without it."""
    get = function("get_num_threads")
    return None if get is None else int(get())


def set_thread_count(n: int) -> None:
    """Set NumPy's OpenBLAS's thread count (process-wide), as threadpoolctl does, without its lookups."""
    set_ = function("set_num_threads")
    if set_ is not None:
        set_(ctypes.c_int(n))
