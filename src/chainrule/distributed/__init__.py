"""Data-parallel training over MPI (mpi4py): N processes, one model replica each, one result.

    mpirun -n 2 chainrule train --distributed --model deep
    mpirun -n 4 --hostfile hosts chainrule train --distributed      # several machines

Each rank trains on its share of every global batch; after backward the gradients are averaged
with one Allreduce over a flat buffer, so every rank takes the step one process would take with
the whole batch. ``DataParallel`` is the fit loop's strategy (``chainrule.train.strategy``): the loop
calls it without knowing MPI, and this package knows nothing of the loop. Rank 0 alone writes the
run folder and prints. See docs/distributed.md.

Importing this package does not import mpi4py; :func:`init` does (and starts MPI).
"""

from ..errors import DistributedError
from .allreduce import EXIT_RANK_FAILURE, Bucket, DataParallel
from .comm import LAUNCHER_VARIABLES, Comm, import_mpi, init, launched_by_mpi, launcher_world_size
from .faults import RankFailure, Watchdog
from .sampler import check_shardable, global_batch_size, local_batch_size, shard
from .transfer import fetch_folder

__all__ = [
    "EXIT_RANK_FAILURE",
    "LAUNCHER_VARIABLES",
    "Bucket",
    "Comm",
    "DataParallel",
    "DistributedError",
    "RankFailure",
    "Watchdog",
    "check_shardable",
    "fetch_folder",
    "global_batch_size",
    "import_mpi",
    "init",
    "launched_by_mpi",
    "launcher_world_size",
    "local_batch_size",
    "shard",
]
