"""What a handler of the explore API receives and may raise: the request checks, and the context.

A handler takes the request's JSON object and the server's ``Context`` and returns a JSON-able
dict. Bad input raises ``BadRequest`` (a 4xx with a message the page shows), never anything else:
the server turns any other exception into a 500 that says only that it is a bug.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ChainruleError

MAX_BODY_BYTES = 1 << 20  # a request body past 1 MiB is refused (413) before it is read


class BadRequest(ChainruleError):
    """A request the API refuses: ``status`` is the HTTP status (400, 404, 413, 422), the message says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def field_of(payload: dict, name: str, kind, default=...):
    """``payload[name]`` checked to be of ``kind`` (a type or tuple); ``default`` when missing, if given."""
    if name not in payload:
        if default is ...:
            raise BadRequest(f"missing field {name!r}")
        return default
    value = payload[name]
    if kind in (int, float) or kind == (int, float):
        return number(value, name, integer=kind is int)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise BadRequest(f"field {name!r} must be {names}, got {type(value).__name__}")
    return value


def number(value, name: str, integer: bool = False, lo: float | None = None, hi: float | None = None):
    """A finite JSON number (an int if ``integer``) within [lo, hi], or BadRequest naming the field."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(f"field {name!r} must be a number, got {type(value).__name__}")
    if integer and (isinstance(value, float) and not value.is_integer()):
        raise BadRequest(f"field {name!r} must be an integer, got {value}")
    if isinstance(value, int) and abs(value) > 2**53:  # JSON integers are unbounded; math.isfinite would overflow
        raise BadRequest(f"field {name!r} is too large: {str(value)[:20]}... (at most 2**53)")
    if not math.isfinite(value):
        raise BadRequest(f"field {name!r} must be a finite number")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise BadRequest(f"field {name!r} must be in [{lo}, {hi}], got {value}")
    return int(value) if integer else float(value)


def number_list(value, name: str, max_len: int, min_len: int = 1) -> list[float]:
    """A JSON list of finite numbers of length min_len..max_len, or BadRequest naming the field."""
    if not isinstance(value, list):
        raise BadRequest(f"field {name!r} must be a list of numbers")
    if not min_len <= len(value) <= max_len:
        raise BadRequest(f"field {name!r} must hold {min_len} to {max_len} numbers, got {len(value)}")
    return [number(v, f"{name}[{i}]") for i, v in enumerate(value)]


@dataclass
class Context:
    """What the handlers share: the run folder the server was started on (or None) and caches.

    Handlers read files only through this object: nothing outside ``run_dir`` and the package.
    ``cache`` holds loaded things (model, test set) keyed by name, guarded by ``lock``.
    """

    run_dir: Path | None = None
    cache: dict = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def cached(self, key: str, make):
        """``cache[key]``, made once by ``make()`` (thread-safe)."""
        with self.lock:
            if key not in self.cache:
                self.cache[key] = make()
            return self.cache[key]
