"""A folder every rank can read: rank 0's checkpoint, its files broadcast to the others.

Resuming a data-parallel run needs rank 0's checkpoint on every rank; broadcasting its files (a few
MB) means the machines need no shared file system.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

from ..errors import CheckpointError


def fetch_folder(find, comm) -> Path:
    """A folder on this rank holding the files of the folder ``find()`` names on rank 0.

    ``find()`` runs on rank 0 only; rank 0 reads the folder's files and broadcasts them, the other
    ranks write them into a temporary folder (removed at exit). Rank 0 gets its own folder back. A
    folder rank 0 cannot find or read is a CheckpointError on every rank.
    """
    if comm.world == 1:
        return Path(find())
    blob, where = None, None
    if comm.is_main:
        try:
            where = Path(find())
            files = {f.name: f.read_bytes() for f in sorted(where.iterdir()) if f.is_file()}
            header = {"files": {name: len(data) for name, data in files.items()}}
            blob = json.dumps(header).encode() + b"\n" + b"".join(files.values())
        except (CheckpointError, OSError) as err:
            blob = json.dumps({"error": str(err)}).encode() + b"\n"
    data = comm.broadcast_bytes(blob, 0, "checkpoint broadcast")
    head, _, payload = data.partition(b"\n")
    header = json.loads(head)
    if "error" in header:
        raise CheckpointError(header["error"] if comm.is_main else f"rank 0: {header['error']}")
    if comm.is_main:
        return where
    where = Path(tempfile.mkdtemp(prefix=f"chainrule-rank{comm.rank}-checkpoint-"))
    atexit.register(shutil.rmtree, where, True)
    offset = 0
    for name, size in header["files"].items():
        (where / name).write_bytes(payload[offset : offset + size])
        offset += size
    return where
