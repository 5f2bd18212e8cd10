"""Run by tests/distributed/test_threads_mpi.py under mpirun: join the job, print the thread counts."""

import json

from chainrule import distributed
from chainrule.backend import blas, threads

comm = distributed.init(timeout=30)
print(json.dumps({"rank": comm.rank, "threads": threads.get_num_threads(), "mkl": blas.mkl_threads()}), flush=True)
