"""Threads: how many cores chainrule's kernels use, and the pool that splits an array's work over them.

NumPy releases the GIL inside ufuncs, copies and BLAS calls, so Python threads that each take one
block of the work (a slice of the batch, of the channels, of the output) run on separate cores with
NumPy alone. ``parallel_for(n, body)`` cuts ``range(n)`` into contiguous chunks (two per thread)
and calls ``body(start, stop)`` on each, the calling thread taking chunks too; a call made from
inside a chunk runs inline (no nested pools, no oversubscription), and MKL products inside chunks
run on one core each.

The count, as PyTorch's: ``OMP_NUM_THREADS`` (or ``MKL_NUM_THREADS``) when set, else the physical
cores this process may run on (hyperthread siblings counted once). ``set_num_threads(n)`` sets it
for the pool and for the BLAS (MKL, NumPy's OpenBLAS). Under MPI, ``share_cores`` gives each rank
its share of the cores (``chainrule.distributed.init`` calls it).

Waking a sleeping thread costs 30-80 us on a small VM (the wake-up, then the GIL), so only work of a
few hundred microseconds or more is worth splitting: callers set ``min_block``. Chunks go to whichever
thread is free, so a worker that wakes late (a busy machine) costs nothing: the caller has taken
its chunks, and the loop runs at one thread's speed, not slower.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

from . import blas

ENV_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
"""Environment variables that set the default thread count, first one set wins (as PyTorch)."""
SYSFS_CPUS = "/sys/devices/system/cpu"

_num_threads: int | None = None  # None: not chosen yet (the default, on first use)
_explicit = False  # chosen by set_num_threads or an environment variable (share_cores leaves it)
_local = threading.local()
_dispatch = threading.Lock()  # one parallel_for at a time; a second caller runs its loop inline


# --- the thread count ------------------------------------------------------------------------------
def allowed_cpus() -> list[int]:
    """The logical CPUs this process may run on (its affinity; all of them where that is unknown)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def _read(path: str) -> str:
    with open(path) as f:
        return f.read().strip()


def _cores_from_sysfs(cpus: Iterable[int], root: str) -> int | None:
    """Distinct (package, core) pairs of ``cpus`` from sysfs' topology files, or None if unreadable."""
    cores = set()
    for cpu in cpus:
        folder = os.path.join(root, f"cpu{cpu}", "topology")
        try:
            cores.add((_read(os.path.join(folder, "physical_package_id")), _read(os.path.join(folder, "core_id"))))
        except OSError:
            return None
    return len(cores) or None


def _cores_from_cpuinfo(cpus: Iterable[int], path: str) -> int | None:
    """Distinct (physical id, core id) pairs of ``cpus`` from /proc/cpuinfo, or None if it lacks them."""
    try:
        text = _read(path)
    except OSError:
        return None
    topology = {}
    for block in text.split("\n\n"):
        fields = dict(line.split(":", 1) for line in block.splitlines() if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        if {"processor", "physical id", "core id"} <= fields.keys():
            topology[int(fields["processor"])] = (fields["physical id"], fields["core id"])
    wanted = list(cpus)
    if not wanted or any(cpu not in topology for cpu in wanted):
        return None
    return len({topology[cpu] for cpu in wanted})


def physical_cores(cpus: Iterable[int] | None = None, sysfs: str = SYSFS_CPUS, cpuinfo: str = "/proc/cpuinfo") -> int:
    """Physical cores among ``cpus`` (default: this process's affinity), hyperthread siblings counted
    once: from sysfs' topology, else /proc/cpuinfo, else the number of logical CPUs."""
    cpus = allowed_cpus() if cpus is None else list(cpus)
    found = _cores_from_sysfs(cpus, sysfs) or _cores_from_cpuinfo(cpus, cpuinfo)
    return max(1, found or len(cpus))


def env_threads(environ: Mapping[str, str] | None = None) -> int | None:
    """The thread count that OMP_NUM_THREADS or MKL_NUM_THREADS asks for (OpenMP's "4,2": 4), or None."""
    environ = os.environ if environ is None else environ
    for name in ENV_VARIABLES:
        text = environ.get(name, "").split(",")[0].strip()
        if text.isdigit() and int(text) >= 1:
            return int(text)
    return None


def default_threads(environ: Mapping[str, str] | None = None) -> int:
    """The count used until ``set_num_threads``: the environment's, else the physical cores."""
    return env_threads(environ) or physical_cores()


def get_num_threads() -> int:
    """The number of threads chainrule's kernels use (as ``torch.get_num_threads``)."""
    global _num_threads, _explicit
    if _num_threads is None:
        _explicit = env_threads() is not None
        _num_threads = default_threads()
    return _num_threads


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in chainrule's kernels and its BLAS (as ``torch.set_num_threads``); n >= 1.

    MKL loaded under OMP_NUM_THREADS=1 or MKL_NUM_THREADS=1 runs its sequential layer for good
    (backend/blas.py): raising the count later raises the pool's, not MKL's.
    """
    global _num_threads, _explicit
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, got {n!r}")
    blas.set_threads(n)
    _num_threads, _explicit = n, True


def share_cores(ranks_here: int) -> int:
    """Give this process its share of the cores when ``ranks_here`` processes (MPI ranks on this
    machine, running on the same CPUs) share them: physical cores // ranks, at least 1. A count
    chosen by ``set_num_threads`` or the environment is kept. Returns the count now in use."""
    global _num_threads
    get_num_threads()
    if not _explicit:
        n = max(1, physical_cores() // max(1, ranks_here))
        blas.set_threads(n)
        _num_threads = n  # not explicit: a later share_cores may still change it
    return _num_threads


# --- the pool --------------------------------------------------------------------------------------
CHUNKS_PER_THREAD = 2
"""A loop is cut into up to this many chunks per thread, taken first come first served. More chunks
balance uneven threads better but cost GIL traffic: Adam at 4 per thread ran slower than at 1."""


class _Loop:
    """One parallel_for: its chunks, the next one to take, and how many are being run.

    The caller and the woken workers take chunks until none is left; a worker that wakes late
    (the machine is busy, its core taken) finds none and the caller has run them itself, so a
    loop never waits for a thread that never started: at worst it runs at one thread's speed.
    """

    def __init__(self, body: Callable[[int, int], None], chunks: list[tuple[int, int]]) -> None:
        self.body, self.chunks, self.next, self.running = body, chunks, 0, 0
        self.error: BaseException | None = None
        self.lock = threading.Lock()
        self.finished = threading.Condition(self.lock)

    def run_chunks(self) -> None:
        while True:
            with self.lock:
                if self.next == len(self.chunks) or self.error is not None:
                    return
                start, stop = self.chunks[self.next]
                self.next, self.running = self.next + 1, self.running + 1
            try:
                self.body(start, stop)
            except BaseException as err:  # handed to the caller; the other chunks are skipped
                with self.lock:
                    self.error = self.error or err
            finally:
                with self.lock:
                    self.running -= 1
                    if self.running == 0:
                        self.finished.notify_all()

    def wait(self) -> None:
        """Until every chunk taken is finished (chunks nobody took: none, run_chunks took them all)."""
        with self.lock:
            while self.running:
                self.finished.wait()


class _Worker:
    """A daemon thread that helps with the loops put in its queue (a SimpleQueue: one C-level hand-off)."""

    def __init__(self, index: int) -> None:
        self.loops: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._serve, name=f"chainrule-worker-{index}", daemon=True).start()

    def _serve(self) -> None:
        _local.inside = True  # everything this thread runs is a chunk: nested loops run inline
        loops = self.loops
        with blas.single_threaded():  # and its MKL products stay on its own core
            while True:
                loops.get().run_chunks()


_workers: list[_Worker] = []


def _reset_after_fork() -> None:
    global _workers, _dispatch
    _workers, _dispatch = [], threading.Lock()  # a forked child has none of the parent's threads


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def in_parallel_region() -> bool:
    """Whether the caller runs inside a ``parallel_for`` block (work there must stay single-threaded)."""
    return getattr(_local, "inside", False)


@contextmanager
def _inside() -> Iterator[None]:
    _local.inside = True
    try:
        yield
    finally:
        _local.inside = False


def blocks(n: int, parts: int) -> list[tuple[int, int]]:
    """``range(n)`` cut into at most ``parts`` contiguous (start, stop) blocks of near-equal size."""
    parts = max(1, min(parts, n))
    base, extra = divmod(n, parts)
    edges = [0]
    for i in range(parts):
        edges.append(edges[-1] + base + (i < extra))
    return [(edges[i], edges[i + 1]) for i in range(parts) if edges[i + 1] > edges[i]]


def parallel_for(n: int, body: Callable[[int, int], None], *, min_block: int = 1) -> None:
    """Call ``body(start, stop)`` over contiguous chunks that cover ``range(n)``, on several threads.

    Chunks are at least ``min_block`` long (small work is not worth a thread), up to
    ``CHUNKS_PER_THREAD`` per thread, taken by whichever thread is free (the caller too). With one
    thread, when called from inside another loop, or while another thread's loop holds the pool,
    ``body(0, n)`` runs inline. MKL products inside chunks use one core each. Exceptions propagate.
    """
    if n <= 0:
        return
    threads = min(get_num_threads(), max(1, n // max(1, min_block)))
    if threads <= 1 or in_parallel_region() or not _dispatch.acquire(blocking=False):
        body(0, n)
        return
    try:
        loop = _Loop(body, blocks(n, min(threads * CHUNKS_PER_THREAD, n // max(1, min_block))))
        while len(_workers) < threads - 1:
            _workers.append(_Worker(len(_workers) + 1))
        for worker in _workers[: threads - 1]:
            worker.loops.put(loop)
        with blas.single_threaded(), _inside():
            loop.run_chunks()
        loop.wait()
        if loop.error is not None:
            raise loop.error
    finally:
        _dispatch.release()
