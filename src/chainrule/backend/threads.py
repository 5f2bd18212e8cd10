"""Threads: how many cores chainrule's kernels use, and the pool that splits an array's work over them.

NumPy releases the GIL inside ufuncs, copies and BLAS calls, so Python threads that each take one
block of the work (a slice of the batch, of the channels, of the output) run on separate cores with
NumPy alone. ``parallel_for(n, body)`` cuts ``range(n)`` into one contiguous block per thread and
calls ``body(start, stop)`` on each; a call made from inside a block runs inline (no nested pools,
no oversubscription).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

_num_threads: int | None = None  # None: not chosen yet (default on first use)
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_local = threading.local()
_lock = threading.Lock()


def physical_cores() -> int:
    """Cores this process may run on, counting hyperthread siblings once (PyTorch's default)."""
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, allowed)


def get_num_threads() -> int:
    """The number of threads chainrule's kernels use (as ``torch.get_num_threads``)."""
    global _num_threads
    if _num_threads is None:
        _num_threads = physical_cores()
    return _num_threads


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in chainrule's kernels (as ``torch.set_num_threads``); n >= 1."""
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, got {n!r}")
    _num_threads = n


def in_parallel_region() -> bool:
    """Whether the caller runs inside a ``parallel_for`` block (work there must stay single-threaded)."""
    return getattr(_local, "inside", False)


def _get_pool(size: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < size:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="chainrule")
            _pool_size = size
        return _pool


def blocks(n: int, parts: int) -> list[tuple[int, int]]:
    """``range(n)`` cut into at most ``parts`` contiguous (start, stop) blocks of near-equal size."""
    parts = max(1, min(parts, n))
    base, extra = divmod(n, parts)
    edges = [0]
    for i in range(parts):
        edges.append(edges[-1] + base + (i < extra))
    return [(edges[i], edges[i + 1]) for i in range(parts) if edges[i + 1] > edges[i]]


def _run_block(body: Callable[[int, int], None], start: int, stop: int) -> None:
    _local.inside = True
    try:
        body(start, stop)
    finally:
        _local.inside = False


def parallel_for(n: int, body: Callable[[int, int], None], *, min_block: int = 1) -> None:
    """Call ``body(start, stop)`` over ``range(n)`` in contiguous blocks, one per thread, in parallel.

    Blocks are at least ``min_block`` long (small work is not worth a thread); with one thread, or
    when called from inside another block, ``body(0, n)`` runs inline. Exceptions propagate.
    """
    threads = min(get_num_threads(), max(1, n // max(1, min_block)))
    if n <= 0:
        return
    if threads <= 1 or in_parallel_region():
        body(0, n)
        return
    parts = blocks(n, threads)
    pool = _get_pool(threads - 1)
    futures = [pool.submit(_run_block, body, a, b) for a, b in parts[1:]]
    try:
        _run_block(body, *parts[0])  # the calling thread takes the first block
    finally:
        for fut in futures:
            fut.result()
