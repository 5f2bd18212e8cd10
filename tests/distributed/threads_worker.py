"""Run by tests/distributed/test_threads_mpi.py under mpirun: join the job; rank 0 prints every rank's
thread counts as one JSON line (ranks printing at once can run their lines together)."""

import json

from mpi4py import MPI

from chainrule import distributed
from chainrule.backend import blas, threads

comm = distributed.init(timeout=30)
mine = {"rank": comm.rank, "threads": threads.get_num_threads(), "mkl": blas.mkl_threads()}
everyone = MPI.COMM_WORLD.gather(mine, root=0)
if comm.rank == 0:
    print(json.dumps(everyone), flush=True)
