"""Matrix products for the layers: NumPy's ``@``, or Intel MKL's ``gemm`` when it is installed.

Half of a CNN's training time is its matrix products (im2col convolution, fully connected layers).
NumPy's wheels bring OpenBLAS, whose single-precision GEMM reaches about 110-130 GFLOP/s per core on
the lecture's shapes; MKL (the BLAS under PyTorch's CPU build) reaches about 155. The ``mkl`` extra
(``pip install chainrule[mkl]``) installs it; this module then routes the layers' 2-D float
products, C = A B, through ``cblas_?gemm``, reading transposed and strided views in place
(``TransA``/``TransB`` and the leading dimensions), so ``a.T @ b`` copies nothing either way.

Everything else (batched or integer products, other array modules, empty shapes) goes to ``@``.
``CHAINRULE_BLAS`` picks: ``auto`` (default: MKL when found on an Intel CPU, else NumPy's OpenBLAS,
which beats MKL on AMD's), ``numpy`` or ``mkl`` (an error when it is missing); ``use("numpy")``
switches at run time.

Threads: ``set_threads(n)`` sets MKL's (``MKL_Set_Num_Threads``) and NumPy's OpenBLAS (through
threadpoolctl, when it is installed); ``single_threaded()`` makes the MKL products of the current
thread run on one core (MKL's thread-local setting), which ``threads.parallel_for`` uses inside its
blocks so that a pool of N threads does not start N x N BLAS threads.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy

from . import openblas

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_INT_MAX = 2**31 - 1
_mkl = None  # the loaded (library, {dtype: gemm}) pair, or None
_set_local_threads = None  # MKL_Set_Num_Threads_Local, called holding the GIL
active = "numpy"
"""The BLAS that ``matmul`` uses now: "numpy" or "mkl"."""


def _find_mkl() -> str | None:
    """Path of ``libmkl_rt``: beside this Python (where the ``mkl`` wheel puts it) or on the system."""
    for folder in (os.path.join(sys.prefix, "lib"), os.path.join(sys.base_prefix, "lib")):
        found = sorted(glob.glob(os.path.join(folder, "libmkl_rt.so*")))
        if found:
            return found[0]
    return ctypes.util.find_library("mkl_rt")


def _load_mkl():
    """Load MKL's single dynamic library and bind sgemm/dgemm, or raise OSError saying why not."""
    path = _find_mkl()
    if path is None:
        raise OSError("Intel MKL not found: pip install 'chainrule[mkl]' (the mkl wheel) to use it")
    lib = ctypes.CDLL(path)
    global _set_local_threads
    # the per-thread setting, called around every parallel loop: through PyDLL, which keeps the GIL
    # (CDLL releases and re-takes it, and re-taking it while the pool's threads run costs ~100 us)
    _set_local_threads = ctypes.PyDLL(path).MKL_Set_Num_Threads_Local
    lib.MKL_Set_Threading_Layer(ctypes.c_int(_threading_layer()))
    lib.MKL_Set_Interface_Layer(ctypes.c_int(0))  # LP64: 32-bit sizes, as the prototypes below
    c_int, ptr = ctypes.c_int, ctypes.c_void_p
    gemms = {}
    for dtype, name, scalar in (
        (numpy.float32, "cblas_sgemm", ctypes.c_float),
        (numpy.float64, "cblas_dgemm", ctypes.c_double),
    ):
        fn = getattr(lib, name)
        fn.restype = None
        fn.argtypes = [c_int, c_int, c_int, c_int, c_int, c_int, scalar, ptr, c_int, ptr, c_int, scalar, ptr, c_int]
        gemms[numpy.dtype(dtype)] = fn
    return lib, gemms


def _threading_layer() -> int:
    """MKL's threads: none at one thread; else GNU OpenMP (libgomp), never Intel's libiomp5.

    Intel's layer forks its threads with libiomp5 but asks ``omp_get_thread_num`` of whichever
    OpenMP runtime the process loaded first; PyTorch (and much else) brings libgomp, and then every
    thread computes the same block of the product and the others are never written: wrong numbers,
    silently (tests/test_blas.py checks both import orders). With libgomp all calls go to one
    runtime. Without a libgomp, one thread (a missing runtime would end the process at the first call).
    """
    sequential, gnu = 1, 3
    threads = os.environ.get("MKL_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    if threads is not None and threads.strip() == "1":
        return sequential
    if not ctypes.util.find_library("gomp"):
        return sequential
    # libgomp's threads spin after each product, waiting for the next one (GOMP_SPINCOUNT 300,000 by
    # default), and take the cores chainrule's pool (threads.py) needs right after; sleeping at once
    # (OMP_WAIT_POLICY=PASSIVE), they must be woken for every product. ms per step at 2 threads,
    # shallow/64 and deep/128, quiet VM, 2026-12-02 (3 runs each): default 1.5 / 12.0, active 1.5 /
    # 14.1, passive 1.9 / 11.1, 30,000 spins 1.57 / 10.9. Read once, when libgomp starts: set before it.
    if "GOMP_SPINCOUNT" not in os.environ and "OMP_WAIT_POLICY" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = "30000"
    return gnu


def use(name: str) -> str:
    """Route ``matmul`` through "numpy", "mkl" or "auto" (MKL when it loads on an Intel CPU); returns the one chosen."""
    global _mkl, active
    if name not in ("auto", "numpy", "mkl"):
        raise ValueError(f"chainrule.blas: CHAINRULE_BLAS must be auto, numpy or mkl, got {name!r}")
    if name == "numpy" or (name == "auto" and not intel_cpu()):
        active = "numpy"
        return active
    try:
        _mkl = _mkl or _load_mkl()
        active = "mkl"
    except (OSError, AttributeError) as err:
        if name == "mkl":
            raise RuntimeError(f"chainrule.blas: CHAINRULE_BLAS=mkl, but MKL cannot be loaded: {err}") from None
        active = "numpy"
    return active


def intel_cpu(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether this is an Intel CPU, where MKL is the fastest BLAS. On others MKL takes generic code
    paths: on an AMD EPYC (Zen, AVX-512), 2026-12-02, its sgemm took 1.05-1.47x OpenBLAS's time on
    the lecture's shapes at one thread and 1.13-1.95x at two (benchmarks/blas_choice.py)."""
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("vendor_id"):
                    return "GenuineIntel" in line
    except OSError:
        pass
    return "intel" in (platform.processor() or "").lower()  # no /proc (Windows): the processor's name


def describe() -> str:
    """One line naming the BLAS in use, for benchmarks and bug reports."""
    if active == "mkl":
        buf = ctypes.create_string_buffer(256)
        _mkl[0].MKL_Get_Version_String(buf, 256)
        return buf.value.decode(errors="replace").strip()
    config = numpy.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    name = f"NumPy's {config.get('name', 'BLAS')} {config.get('version', '')}".strip()
    kernels = [c.architecture for c in openblas.controllers() if getattr(c, "architecture", None)]
    return f"{name} ({kernels[0]} kernels)" if kernels else name


def _operand(a):
    """(transpose flag, leading dimension) of a 2-D view that BLAS reads in place, or None."""
    item = a.itemsize
    s0, s1 = a.strides
    rows, cols = a.shape
    if (s1 == item or cols == 1) and s0 % item == 0 and s0 // item >= max(cols, 1):
        return _NO_TRANS, s0 // item  # row-major: rows start lda apart
    if (s0 == item or rows == 1) and s1 % item == 0 and s1 // item >= max(rows, 1):
        return _TRANS, s1 // item  # column-major: the transpose of a row-major view
    return None


def _for_mkl(a, b, out) -> bool:
    """Whether MKL's gemm takes this product: 2-D float NumPy operands of one dtype, sizes that fit
    its 32-bit interface, and an ``out`` (if any) that is a row-major view of the result's shape."""
    if active != "mkl" or type(a) is not numpy.ndarray or type(b) is not numpy.ndarray:
        return False
    if a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or a.dtype not in _mkl[1]:
        return False
    (m, k), (k2, n) = a.shape, b.shape
    if k != k2 or not (m and n and k) or max(m, n, k) > _INT_MAX // 4:
        return False  # NumPy raises the shape error, or handles the empty product
    if out is None:
        return True
    if type(out) is not numpy.ndarray or out.shape != (m, n) or out.dtype != a.dtype:
        return False
    layout = _operand(out)
    return layout is not None and layout[0] == _NO_TRANS


SMALL_PRODUCT = 20_000_000
"""Products of fewer multiply-adds (m n k) run on one core whatever the thread count: the shallow
net's Linear(1960, 50) at batch 64 (6.3M) took its step from 1.45 ms at one thread to 1.58 at two
with MKL's threads, 1.45 without (quiet VM, 3 rounds each)."""


SMALL_KERNEL_MADDS = 1 << 19
"""OpenBLAS's AVX-512 kernels (SkylakeX and later, which NumPy's OpenBLAS picks on such CPUs) compute a
product of up to about a million multiply-adds in place, without packing its operands. A product
with a small result and a long inner dimension (the first conv's [dW | db], 27 x 10 summed over
25,088 positions at batch 128) took 2.3-2.6x as long in one call as a sum of partial products of
this many multiply-adds (350 against 135 us; AMD EPYC, 2026-12-02). Other shapes, other kernels
(AVX2's: 163 against 176 us) and MKL (236 against 282) gain nothing, so only that case is split."""


_avx512_kernels: bool | None = None  # whether NumPy's OpenBLAS runs its AVX-512 kernels (None: not looked yet)


def _small_kernels() -> bool:
    """Whether NumPy's OpenBLAS runs its AVX-512 kernels (found once, through threadpoolctl)."""
    global _avx512_kernels
    if _avx512_kernels is None:
        names = {str(getattr(c, "architecture", "")).lower() for c in openblas.controllers()}
        _avx512_kernels = bool(names & {"skylakex", "cooperlake", "sapphirerapids"})
    return _avx512_kernels


def _inner_chunk(a, b) -> int:
    """How many of the inner dimension's k terms each partial product sums (``SMALL_KERNEL_MADDS``),
    or 0 to make the product in one call."""
    if active != "numpy" or type(a) is not numpy.ndarray or type(b) is not numpy.ndarray:
        return 0
    if a.ndim != 2 or b.ndim != 2 or a.dtype != numpy.float32 or b.dtype != numpy.float32:
        return 0
    (m, k), n = a.shape, b.shape[1]
    width = SMALL_KERNEL_MADDS // max(m * n, 1)
    if width < 1024 or k < 2 * width or k != b.shape[0] or not m * n or not _small_kernels():
        return 0
    return width


def _sum_of_products(a, b, width: int, out=None):
    """a @ b as the sum over chunks of ``width`` of the inner dimension of a[:, chunk] @ b[chunk]."""
    k = a.shape[1]
    out = numpy.matmul(a[:, :width], b[:width], out=out)
    part = numpy.empty_like(out)
    for start in range(width, k, width):
        numpy.add(out, numpy.matmul(a[:, start : start + width], b[start : start + width], out=part), out=out)
    return out


def matmul(a, b, out=None):
    """a @ b. 2-D float32/float64 operands of one dtype go through MKL's gemm when it is active.

    ``out``: a 2-D array (or a row-major view, rows any distance apart) that receives the product,
    as ``numpy.matmul(a, b, out=out)``; MKL writes into it in place. Beside OpenBLAS's AVX-512
    kernels, a product with a small result and a long inner dimension is a sum of small products
    (``SMALL_KERNEL_MADDS``).
    """
    if not _for_mkl(a, b, out):
        width = _inner_chunk(a, b)
        if width:
            return _sum_of_products(a, b, width, out)
        return a @ b if out is None else numpy.matmul(a, b, out=out)
    (m, k), n = a.shape, b.shape[1]
    op_a, op_b = _operand(a), _operand(b)
    if op_a is None:
        a, op_a = numpy.ascontiguousarray(a), (_NO_TRANS, k)
    if op_b is None:
        b, op_b = numpy.ascontiguousarray(b), (_NO_TRANS, n)
    if out is None:
        out, ldc = numpy.empty((m, n), dtype=a.dtype), n
    else:
        ldc = _operand(out)[1]  # row-major, as _for_mkl checked
    small = m * n * k < SMALL_PRODUCT  # on one core: waking MKL's threads costs more than they save
    if small:
        before = _set_local_threads(ctypes.c_int(1))
    _mkl[1][a.dtype](
        _ROW_MAJOR,
        op_a[0],
        op_b[0],
        m,
        n,
        k,
        1.0,
        a.ctypes.data,
        op_a[1],
        b.ctypes.data,
        op_b[1],
        0.0,
        out.ctypes.data,
        ldc,
    )
    if small:
        _set_local_threads(ctypes.c_int(before))
    return out


# --- threads -------------------------------------------------------------------------------------
def set_threads(n: int) -> None:
    """Let MKL (when loaded) and NumPy's OpenBLAS (through threadpoolctl, if installed) use ``n`` threads."""
    if _mkl is not None:
        _mkl[0].MKL_Set_Num_Threads(ctypes.c_int(n))
    team = sys.modules.get(f"{__package__}.team")  # imported only with Numba (backend/team.py)
    if team is not None and team.installed and not team.fits(n):
        team.uninstall(None)  # n jobs would need more threads than Numba's team has: OpenBLAS's own again
    for lib in openblas.controllers():
        lib.set_num_threads(n)


def mkl_threads() -> int | None:
    """The threads MKL would use for a product called from this thread now, or None without MKL."""
    return None if _mkl is None else int(_mkl[0].MKL_Get_Max_Threads())


@contextmanager
def single_threaded() -> Iterator[None]:
    """MKL products called by this thread inside the block run on one core (MKL's per-thread
    setting, ``MKL_Set_Num_Threads_Local``, restored after).

    OpenBLAS has only a process-wide setting, and changing it wakes or parks its threads (a
    parallel block beside that ran 50% slower, measured): it is left alone, so products through
    NumPy's ``@`` belong outside parallel blocks (OpenBLAS runs concurrent calls one at a time).
    """
    setter = None if _mkl is None else _set_local_threads
    before = setter(ctypes.c_int(1)) if setter is not None else 0
    try:
        yield
    finally:
        if setter is not None:
            setter(ctypes.c_int(before))  # 0: back to the global setting


use(os.environ.get("CHAINRULE_BLAS", "auto"))
