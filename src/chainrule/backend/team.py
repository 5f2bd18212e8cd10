"""One team of threads for the matrix products and the compiled kernels (NumPy's OpenBLAS + Numba).

NumPy's OpenBLAS runs a threaded product on its own pthreads, which then spin for about a tenth of a
second waiting for the next one; any other thread of ours on those cores (chainrule's pool, Numba's
OpenMP threads) got half a core (docs/performance.md), so the compiled kernels stayed on one thread
beside OpenBLAS. OpenBLAS (0.3.27+) lets the caller run its parallel work instead
(``openblas_set_threads_callback_function``): once ``install()`` has run, each threaded product
hands its jobs to ``callback``, which runs them on Numba's OpenMP team, the very threads of the
compiled kernels (ReLU, col2im, Adam, the conv's pieces), so those may use every core as well.

What keeps it safe (each rule is tested in tests/backend/test_team.py):

- a threaded product's jobs wait on one another (each packs a panel of B the others read), so they
  must all run at once, one per thread: ``run_jobs`` asks Numba for exactly as many threads as jobs,
  and the team is installed only on Numba's ``omp`` layer (an OpenMP team of n threads runs n at
  once; TBB may run two on one thread, ``workqueue`` refuses concurrent launches) and while
  OpenBLAS's thread count is at most Numba's (``fits``); a count raised past it behind chainrule's
  back (threadpoolctl) gets a GNU OpenMP team of the jobs' number from the same runtime;
- OpenBLAS keeps one scratch buffer per job slot, so products called from several threads at once
  take turns (a lock taken in the callback);
- a product inside a compiled parallel loop would need a team within the team: such kernels hold
  OpenBLAS at one thread around the loop (``one_thread_products``);
- GNU OpenMP does not survive ``fork``: in a child process OpenBLAS runs its own threads again.

Threaded products give the same bits either way (the same jobs, run by other threads).
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numba
import numpy
from llvmlite import ir
from numba import prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from . import openblas

_LOCK = "chainrule_team_lock"  # an i64 in the callback's own compiled module: 1 while a product runs
installed = False
"""Whether OpenBLAS's threaded products run on Numba's team now."""
refused: str | None = None
"""Why the team is not (to be) installed, when that is for good; None when ``compiled`` may install it."""


@intrinsic
def _call_job(typingctx, dojob, thread, job, data):
    """dojob(thread, job, data): OpenBLAS's ``exec_threads`` for one job (an address, called)."""
    sig = types.void(dojob, thread, job, data)

    def codegen(context, builder, signature, args):
        i32, ptr = ir.IntType(32), ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [i32, ptr, i32])
        fn, t, j, d = args
        builder.call(
            builder.inttoptr(fn, fnty.as_pointer()),
            [builder.trunc(t, i32), builder.inttoptr(j, ptr), builder.trunc(d, i32)],
        )
        return context.get_dummy_value()

    return sig, codegen


def _lock_word(builder):
    """The lock: a 64-bit integer global of the module being compiled (one per process)."""
    word = builder.module.globals.get(_LOCK)
    if word is None:
        word = cgutils.add_global_variable(builder.module, ir.IntType(64), _LOCK)
        word.initializer = ir.Constant(ir.IntType(64), 0)
    return word


@intrinsic
def _acquire(typingctx):
    """Spin (yielding the core) until the lock goes from 0 to 1 in this thread's hands."""

    def codegen(context, builder, signature, args):
        i64, word = ir.IntType(64), _lock_word(builder)
        sched_yield = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(32), []), "sched_yield")
        retry, wait, done = (builder.append_basic_block(f"lock.{name}") for name in ("retry", "wait", "done"))
        builder.branch(retry)
        builder.position_at_end(retry)
        pair = builder.cmpxchg(word, ir.Constant(i64, 0), ir.Constant(i64, 1), "acquire", "monotonic")
        builder.cbranch(builder.extract_value(pair, 1), done, wait)
        builder.position_at_end(wait)
        builder.call(sched_yield, [])
        builder.branch(retry)
        builder.position_at_end(done)
        return context.get_dummy_value()

    return types.void(), codegen


@intrinsic
def _release(typingctx):
    def codegen(context, builder, signature, args):
        builder.store_atomic(ir.Constant(ir.IntType(64), 0), _lock_word(builder), "release", 8)
        return context.get_dummy_value()

    return types.void(), codegen


@intrinsic
def _as_pointer(typingctx, address):
    """An integer address as a void pointer (for ``numba.carray``)."""

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], ir.IntType(8).as_pointer())

    return types.voidptr(address), codegen


@intrinsic
def _call_int(typingctx, fn):
    """fn(), a C function of no arguments returning an int (``omp_get_thread_num``), as an int64."""

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(32), [])
        return builder.sext(builder.call(builder.inttoptr(args[0], fnty.as_pointer()), []), ir.IntType(64))

    return types.int64(fn), codegen


@intrinsic
def _gomp_parallel(typingctx, gomp, body, data, nthreads):
    """GOMP_parallel(body, data, nthreads, 0): body(data) on each thread of a GNU OpenMP team of nthreads."""
    sig = types.void(gomp, body, data, nthreads)

    def codegen(context, builder, signature, args):
        i32, ptr = ir.IntType(32), ir.IntType(8).as_pointer()
        bodyty = ir.FunctionType(ir.VoidType(), [ptr])
        fnty = ir.FunctionType(ir.VoidType(), [bodyty.as_pointer(), ptr, i32, i32])
        fn, b, d, n = args
        builder.call(
            builder.inttoptr(fn, fnty.as_pointer()),
            [
                builder.inttoptr(b, bodyty.as_pointer()),
                builder.inttoptr(d, ptr),
                builder.trunc(n, i32),
                ir.Constant(i32, 0),
            ],
        )
        return context.get_dummy_value()

    return sig, codegen


def _openmp_entry_points() -> tuple[int, int]:
    """The addresses of ``GOMP_parallel`` and ``omp_get_thread_num`` in the OpenMP runtime of Numba's
    ``omp`` layer (0, 0 where it cannot be loaded: the team is then never installed)."""
    try:
        from numba.np.ufunc import omppool

        lib = ctypes.CDLL(omppool.__file__)
        return tuple(
            ctypes.cast(getattr(lib, name), ctypes.c_void_p).value for name in ("GOMP_parallel", "omp_get_thread_num")
        )
    except (ImportError, OSError, AttributeError):
        return 0, 0


_GOMP_PARALLEL, _OMP_THREAD_NUM = _openmp_entry_points()
_TEAM_MAX = numba.config.NUMBA_NUM_THREADS
_WIDE_ARGS = numpy.zeros(5, numpy.int64)  # a wide team's arguments (one product at a time: the lock)
_WIDE_ARGS_ADDRESS = _WIDE_ARGS.ctypes.data


@numba.cfunc(types.void(types.voidptr))
def _job_on_this_thread(args):
    """A wide team's body: thread i runs job i. args: omp_get_thread_num, dojob, jobdata, elsize, data."""
    a = numba.carray(args, 5, numpy.int64)
    i = _call_int(a[0])
    _call_job(a[1], i, a[2] + i * a[3], a[4])


_WIDE_BODY = _job_on_this_thread.address


@numba.njit(parallel=True, nogil=True)  # not cached: set_num_threads is a run-time address
def run_jobs(dojob, numjobs, elsize, jobdata, data):
    """Job i (at jobdata + i * elsize) on thread i of a team of exactly ``numjobs`` threads."""
    if numjobs <= 0:
        return
    before = numba.get_num_threads()
    numba.set_num_threads(numjobs)
    for i in prange(numjobs):
        _call_job(dojob, i, jobdata + i * elsize, data)
    numba.set_num_threads(before)


@numba.cfunc(types.void(types.int32, types.uintp, types.int32, types.uintp, types.uintp, types.int32))
def callback(sync, dojob, numjobs, elsize, jobdata, data):
    """OpenBLAS's ``openblas_threads_callback``: run the ``numjobs`` jobs at once, one product at a time.
    More jobs than Numba's team can hold (OpenBLAS's count raised past it behind chainrule's back, as
    ``threadpoolctl.threadpool_limits(4)`` on two cores does) run on a GNU OpenMP team of their own
    size, the same runtime's threads: run one by one, they would wait on each other forever."""
    _acquire()
    if numjobs <= _TEAM_MAX:
        run_jobs(dojob, numpy.int64(numjobs), numpy.uint64(elsize), jobdata, numpy.int64(data))
    else:
        a = numba.carray(_as_pointer(_WIDE_ARGS_ADDRESS), 5, numpy.int64)
        a[0], a[1], a[2], a[3], a[4] = _OMP_THREAD_NUM, dojob, jobdata, elsize, data
        _gomp_parallel(_GOMP_PARALLEL, _WIDE_BODY, _WIDE_ARGS_ADDRESS, numpy.int64(numjobs))
    _release()


def fits(n: int) -> bool:
    """Whether a product split n ways can run on the team (n jobs need n of Numba's threads)."""
    return 1 <= n <= numba.config.NUMBA_NUM_THREADS


def install() -> bool:
    """Hand NumPy's OpenBLAS's threaded products to Numba's OpenMP team; True when it is done (or was).

    Nothing is changed, and False returned, where the rules above cannot hold: no OpenBLAS with the
    callback entry point, a Numba threading layer other than ``omp``, OpenMP's dynamic thread
    adjustment on (``refused`` then says why, and ``compiled`` stops asking), or OpenBLAS set to more
    threads than Numba has (asked again when the count changes)."""
    global installed, refused
    if installed:
        return True
    refused = None
    setter = openblas.function("set_threads_callback_function")
    if setter is None:
        refused = "NumPy's BLAS has no threads callback (OpenBLAS 0.3.27+)"
    elif _dynamic_threads():
        refused = "OMP_DYNAMIC is on: OpenMP may run a product's jobs on fewer threads than there are jobs"
    if refused is not None or not fits(openblas.thread_count() or 0):
        return False
    try:
        run_jobs(0, 0, 0, 0, 0)  # compiles the team's loop, starting Numba's threading layer
        layer, address = numba.threading_layer(), callback.address
    except Exception as error:  # an optimisation: without it OpenBLAS keeps its own threads
        refused = f"the team's kernels could not be compiled: {type(error).__name__}: {error}"
        return False
    if layer != "omp":
        refused = f"Numba's threading layer is {layer!r}, not 'omp'"
    elif not _GOMP_PARALLEL:
        refused = "the OpenMP runtime of Numba's omp layer has no GOMP_parallel"
    if refused is not None:
        return False
    setter(ctypes.c_void_p(address))
    installed = True
    return True


def uninstall(reason: str | None = "uninstalled") -> None:
    """Give OpenBLAS its own threads back (they start again on the next threaded product). ``reason``:
    why, kept in ``refused`` so that ``compiled`` does not install the team again (None: it may)."""
    global installed, refused
    setter = openblas.function("set_threads_callback_function")
    if setter is not None:
        setter(ctypes.c_void_p(0))
    installed, refused = False, reason


def _dynamic_threads() -> bool:
    """Whether OpenMP may give a parallel region fewer threads than asked (OMP_DYNAMIC=true)."""
    return os.environ.get("OMP_DYNAMIC", "").strip().lower() in ("true", "1", "yes")


_single = [0, None]  # [blocks open, OpenBLAS's count to restore when the last one closes]
_single_lock = threading.Lock()


@contextmanager
def one_thread_products() -> Iterator[None]:
    """Products called inside the block (from any thread) run unthreaded: for a compiled parallel loop
    whose iterations multiply (the team cannot run a team inside itself). Process-wide: OpenBLAS's
    count is 1 from the first block's start to the last one's end (blocks on several threads overlap)."""
    if not installed:
        yield
        return
    with _single_lock:
        if _single[0] == 0:
            _single[1] = openblas.thread_count()
            openblas.set_thread_count(1)
        _single[0] += 1
    try:
        yield
    finally:
        with _single_lock:
            _single[0] -= 1
            if _single[0] == 0:
                openblas.set_thread_count(_single[1])


if hasattr(os, "register_at_fork"):  # GNU OpenMP's threads are not there in a forked child

    def _after_fork_in_child() -> None:
        if installed:
            uninstall("a forked child: GNU OpenMP's threads did not come with it")

    os.register_at_fork(after_in_child=_after_fork_in_child)
