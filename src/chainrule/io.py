"""Files: writes that readers never see half done, and standard JSON.

Used by data (the cache), train (run summaries, metrics, gradient-flow records) and experiments
(reports); it imports nothing of chainrule's.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename: readers never see half a file."""
    with temporary_path(Path(path)) as tmp:
        tmp.write_bytes(data)
        os.replace(tmp, path)


@contextlib.contextmanager
def temporary_path(dest: Path):
    """A temporary file name beside ``dest``; removed if the block fails, never left half-written."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; the final file gets the usual mode
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def to_json(value):
    """``value`` as standard JSON data: tuples -> lists, NumPy scalars -> Python, NaN and +-inf -> None."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value, **kwargs) -> str:
    """Standard JSON text of ``value`` (see :func:`to_json`); never the non-standard NaN or Infinity."""
    return json.dumps(to_json(value), allow_nan=False, **kwargs)


def write_json(path, value, indent: int | None = 1) -> Path:
    """Write ``value`` as standard JSON, atomically; returns the path."""
    path = Path(path)
    atomic_write_bytes(path, dumps(value, indent=indent, default=str).encode())
    return path


def append_jsonl(path, records) -> None:
    """Append one standard-JSON line per record to ``path`` (created with its folder if needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.writelines(dumps(r) + "\n" for r in records)
