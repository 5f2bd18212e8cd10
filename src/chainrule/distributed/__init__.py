"""Data-parallel training over MPI (mpi4py): N processes, one model replica each, one result.

    mpirun -n 2 chainrule train --distributed --model deep
    mpirun -n 4 --hostfile hosts chainrule train --distributed      # several machines

Each rank trains on its share of every global batch; after backward the gradients are averaged
with one Allreduce over a flat buffer, so every rank takes the step one process would take with
the whole batch. Rank 0 alone writes the run folder and prints. See docs/distributed.md.

Importing this package does not import mpi4py; :func:`init` does (and starts MPI).
"""

from .allreduce import EXIT_RANK_FAILURE, Bucket, DataParallel
from .comm import (
    LAUNCHER_VARIABLES,
    Comm,
    DistributedError,
    import_mpi,
    init,
    launched_by_mpi,
    launcher_world_size,
)
from .faults import RankFailure, Watchdog
from .sampler import ShardedShift, check_shardable, global_batch_size, local_batch_size, shard
from .training import fetch_checkpoint, quiet, setup_trainer

__all__ = [
    "EXIT_RANK_FAILURE", "LAUNCHER_VARIABLES", "Bucket", "Comm", "DataParallel", "DistributedError", "RankFailure",
    "ShardedShift",
    "Watchdog", "check_shardable", "fetch_checkpoint", "global_batch_size", "import_mpi", "init",
    "launched_by_mpi", "launcher_world_size", "local_batch_size", "quiet", "setup_trainer", "shard",
]
