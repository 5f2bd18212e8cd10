"""Compiled kernels (optional): Numba for the passes NumPy runs on one core between the products.

At two threads and more, a lecture network's step is its matrix products (the BLAS's threads) and
dozens of short passes around them: the ReLU, col2im's slice additions, the Adam update. NumPy
runs each as several ufunc passes on one core, and handing one to a Python thread costs 30-80 us,
more than most of them take. Numba compiles each to one fused loop (2-4x faster on one core) whose
threads (OpenMP, ``prange``) start in 1-2 us, where they may run (``thread_count``).

This is the ``compiled`` extra (``pip install 'chainrule[compiled]'``). Without Numba, or with
``CHAINRULE_COMPILED=0``, or under the reference kernels (``backend.kernels``), every op runs its
NumPy form, which stays the one to read; the compiled kernels (``ops/kernels/compiled.py``) are
checked against it by the same oracle tests. ``use(False)`` / ``with using(False):`` switch at run
time. Each kernel is compiled on its first call (cached on disk, ``cache=True``) and runs on
``thread_count()`` threads.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from . import blas, kernels, threads

available = importlib.util.find_spec("numba") is not None
"""Whether Numba is installed (it is imported on the first compiled call, not with chainrule)."""
active = available and os.environ.get("CHAINRULE_COMPILED", "1").lower() not in ("0", "false", "no", "off")
"""Whether the ops use their compiled kernels now (``CHAINRULE_COMPILED=0`` at import, or ``use``)."""
_local = threading.local()  # the Numba thread count last set on this thread (Numba's own is per thread)


def use(on: bool) -> bool:
    """Turn the compiled kernels on or off; on needs Numba (a clear error without it). Returns ``on``."""
    global active
    if on and not available:
        raise RuntimeError("chainrule compiled kernels need Numba: pip install 'chainrule[compiled]'")
    active = bool(on)
    return active


@contextmanager
def using(on: bool) -> Iterator[bool]:
    """``with using(False):`` runs the block on the NumPy forms, then restores the choice."""
    before = active
    use(on)
    try:
        yield on
    finally:
        use(before)


def enabled() -> bool:
    """Whether an op should call its compiled kernel now (installed, on, and not the reference kernels)."""
    return active and not kernels.reference()


def jit(*, parallel: bool = False) -> Callable:
    """Decorator: the function compiled by Numba on its first call (``fastmath`` off: results as NumPy's
    arithmetic, operation for operation), run on chainrule's thread count when ``parallel``."""

    def wrap(fn: Callable) -> Callable:
        compiled = None

        def call(*args):
            nonlocal compiled
            if compiled is None:
                import numba

                compiled = numba.njit(cache=True, parallel=parallel, nogil=True)(fn)
            if parallel:
                _set_threads(thread_count())
            return compiled(*args)

        call.__name__, call.__doc__, call.__wrapped__ = fn.__name__, fn.__doc__, fn
        return call

    return wrap


def thread_count() -> int:
    """Numba's threads for the next parallel kernel: chainrule's count when the products' threads are
    the same threads as Numba's: MKL on GNU OpenMP (the runtime Numba's ``omp`` layer uses), or NumPy's
    OpenBLAS with its threaded products handed to Numba's team (backend/team.py, installed here on
    first use); else one. Beside OpenBLAS's own threads, which spin a while after each product,
    Numba's threads took the cores from them: shallow/64 at 2 threads went from 1.8 to 45 ms a step
    (AMD EPYC, 2026-12-02). Inside a ``parallel_for`` block, one."""
    n = threads.get_num_threads()
    if n == 1 or threads.in_parallel_region():
        return 1
    if blas.active == "mkl":
        return n
    return n if _team(n) else 1


def _team(n: int) -> bool:
    """Whether OpenBLAS's threaded products run on Numba's team, able to split n ways (installed here
    unless it was refused for good, backend/team.py)."""
    try:
        from . import team  # imports Numba (already loaded: a compiled kernel is about to run), compiles the callback
    except Exception:  # an optimisation only: OpenBLAS keeps its own threads, the kernels one
        return False
    if not team.installed and team.refused is None and team.fits(n):
        team.install()
    return team.installed and team.fits(n)


def _set_threads(n: int) -> None:
    """Numba's thread count for this thread's next parallel kernel (at most the threads it started)."""
    if getattr(_local, "threads", None) != n:
        import numba

        numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
        _local.threads = n
