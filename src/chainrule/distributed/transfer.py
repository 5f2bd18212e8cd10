"""Wiring a Trainer for data-parallel training, and a checkpoint every rank can load.

``chainrule train --distributed`` builds the same Trainer on every rank with ``shard=(rank, world)``
and ``is_main=rank == 0`` (only rank 0 writes the run folder, metrics, checkpoints and plots, and
prints), then :func:`setup_trainer` adds the rest: the gradient-averaging callback, sharded
validation, augmentation that agrees with one process, resume from rank 0's checkpoint, and
rank 0's weights on every rank.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

from ..train.checkpoint import CheckpointError, resolve
from .allreduce import DataParallel
from .sampler import ShardedShift, check_shardable, shard

_FETCHED: dict = {}  # checkpoint path -> where this rank holds it


def quiet(*args, **kwargs) -> None:
    """The log of ranks other than 0: they print nothing (mpirun would interleave N copies)."""


def fetch_checkpoint(path, comm) -> Path:
    """A folder on this rank that holds the checkpoint at ``path`` on rank 0.

    Rank 0 reads the checkpoint's files and broadcasts them; the other ranks write them into a
    temporary folder (removed at exit), so resuming needs no file system shared between machines.
    Rank 0 gets ``path`` back. A checkpoint rank 0 cannot read is a CheckpointError on every rank.
    """
    key = str(path)
    if comm.world == 1:
        return Path(path)
    if key in _FETCHED:
        return _FETCHED[key]
    blob = None
    if comm.is_main:
        try:
            folder = resolve(path)
            files = {f.name: f.read_bytes() for f in sorted(folder.iterdir()) if f.is_file()}
            header = {"files": {name: len(data) for name, data in files.items()}}
            blob = json.dumps(header).encode() + b"\n" + b"".join(files.values())
        except (CheckpointError, OSError) as err:
            blob = json.dumps({"error": str(err)}).encode() + b"\n"
    data = comm.broadcast_bytes(blob, 0, "checkpoint broadcast")
    head, _, payload = data.partition(b"\n")
    header = json.loads(head)
    if "error" in header:
        raise CheckpointError(f"rank 0: {header['error']}")
    if comm.is_main:
        where = Path(path)
    else:
        where = Path(tempfile.mkdtemp(prefix=f"chainrule-rank{comm.rank}-checkpoint-"))
        atexit.register(shutil.rmtree, where, True)
        offset = 0
        for name, size in header["files"].items():
            (where / name).write_bytes(payload[offset : offset + size])
            offset += size
    _FETCHED[key] = where
    return where


def setup_trainer(trainer, comm, *, shift: int = 0, config: dict | None = None, resume=None) -> DataParallel:
    """Make ``trainer`` (built with ``shard=(comm.rank, comm.world)``) one replica of a data-parallel run.

    - refuses batch sizes that would leave a rank an empty batch (check_shardable);
    - validation: each rank evaluates its strided share, the callback sums the shares;
    - ``shift`` > 0: random shifts drawn as one process draws them (ShardedShift);
    - ``resume``: every rank loads rank 0's checkpoint (fetch_checkpoint);
    - rank 0's weights are broadcast, and ``config`` is checked equal on every rank.
    Returns the DataParallel callback (first in ``trainer.callbacks``).
    """
    rank, world = comm.rank, comm.world
    if tuple(trainer.shard) != (rank, world):
        raise ValueError(f"setup_trainer: the Trainer was built with shard={trainer.shard}, "
                         f"but this process is rank {rank} of {world}")
    check_shardable(len(trainer.train_x), trainer.batch_size, world)
    trainer.val_data = shard(trainer.val_data, rank, world)
    if shift > 0:
        trainer.augment = ShardedShift(shift, trainer, rank, world)
    parallel = DataParallel(comm, trainer.model)
    trainer.callbacks.insert(0, parallel)  # first: other callbacks (gradient-flow monitor) see the global gradient
    if resume is not None:
        source = fetch_checkpoint(resume, comm)
        trainer.resume(source)
    parallel.start(trainer, config=config)
    return parallel
