"""Malloc tuning for NumPy training loops: an explicit call, never a side effect of ``import chainrule``.

Each training step allocates and frees the same large temporaries (im2col windows, activations,
gradients). By default glibc hands such blocks back to the OS (``mmap``/trim) and every step faults
the pages in again, zeroed by the kernel: about 200,000 page faults and a quarter of the step time
for the lecture's deep CNN (docs/performance.md). PyTorch avoids this with its caching allocator;
for NumPy, raising malloc's mmap and trim thresholds does the same. The ``chainrule`` command and
the benchmarks call ``tune_malloc()`` at start; a program of your own calls it once, before the
first step, if it wants the same (it changes the whole process's allocator, which is why a library
import does not do it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

MMAP_THRESHOLD = 32 << 20
"""Blocks below 32 MiB come from the heap (reused), not from fresh ``mmap``-ed pages."""
TRIM_THRESHOLD = 512 << 20
"""Up to 512 MiB of freed heap stays with the process instead of being returned to the OS."""


def tune_malloc() -> bool:
    """Tell glibc's malloc to keep freed large arrays for reuse; True when it was tuned.

    Linux/glibc only (False elsewhere, and with musl, which has no ``mallopt``). Opt out with
    ``CHAINRULE_MALLOC_TUNING=0``; glibc's own ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_``
    variables, when set, are the user's choice and are left alone (False). Calling it again is harmless.
    """
    if os.environ.get("CHAINRULE_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False  # the user has chosen
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, MMAP_THRESHOLD)) and bool(mallopt(m_trim_threshold, TRIM_THRESHOLD))
