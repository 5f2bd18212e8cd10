"""The MPI world of a data-parallel run: initialisation, rank, world size, guarded collectives.

A job is started by an MPI launcher (``mpirun -n 2 chainrule train --distributed``); each process
finds its rank and the world size in the environment that the launcher set, through mpi4py.
Every collective here is non-blocking underneath and waited for under a watchdog
(:mod:`.faults`): a rank that died or hangs turns into a :class:`~.faults.RankFailure` that names
it, within ``timeout`` seconds, instead of a process that waits forever.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from dataclasses import dataclass, field

import numpy as np

from ..backend import threads
from ..errors import DistributedError
from .faults import Watchdog

# Variables that MPI launchers set in every process they start: Open MPI, MPICH/Hydra and Intel
# MPI (PMI), PMIx-based launchers (srun, prterun).
LAUNCHER_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK", "MPI_LOCALNRANKS")

INSTALL_HINT = (
    "install it with `pip install 'chainrule[mpi]'` (mpi4py) and an MPI library "
    "(Debian/Ubuntu: `apt-get install openmpi-bin libopenmpi-dev`)"
)

# Open MPI's default non-blocking allreduce (libnbc, "ignore" = binomial tree for large messages)
# is ~2x slower than its blocking one on 0.4-4 MB; the ring algorithm matches the blocking one
# (docs/distributed.md has the timings) and, being reduce-scatter + allgather, gives every rank
# bitwise the same sum. Set before MPI_Init, and only where the user has not chosen.
OPEN_MPI_DEFAULTS = {"OMPI_MCA_coll_libnbc_iallreduce_algorithm": "1"}


ABORT_GRACE_SECONDS = 10.0


def launched_by_mpi(environ=None) -> bool:
    """True when an MPI launcher (mpirun, mpiexec, srun) started this process."""
    environ = os.environ if environ is None else environ
    return any(name in environ for name in LAUNCHER_VARIABLES)


def launcher_world_size(environ=None) -> int | None:
    """The number of processes the MPI launcher started (from its variables), or None outside one."""
    environ = os.environ if environ is None else environ
    for name in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"):
        if environ.get(name, "").isdigit():
            return int(environ[name])
    return None


def import_mpi():
    """mpi4py's MPI module (initialises MPI), or a DistributedError that says what to install."""
    for name, value in OPEN_MPI_DEFAULTS.items():
        os.environ.setdefault(name, value)
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise DistributedError(
            f"--distributed needs mpi4py, which is not importable here ({err}): {INSTALL_HINT}"
        ) from None
    except RuntimeError as err:  # mpi4py is there but cannot load or initialise libmpi
        raise DistributedError(f"mpi4py cannot load an MPI library ({err}): {INSTALL_HINT}") from None
    return MPI


@dataclass
class Comm:
    """One process's view of the job: ``rank`` of ``world``, and collectives that cannot hang.

    ``timeout``: seconds a collective may wait for the slowest rank before the job is declared
    broken (a step, plus rank 0 writing a checkpoint, must fit in it).
    """

    comm: object
    rank: int
    world: int
    timeout: float = 60.0
    watchdog: Watchdog = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.watchdog = Watchdog(self.comm, self.timeout)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def allreduce_(self, buffer, what: str = "allreduce") -> None:
        """Sum ``buffer`` (a contiguous array) over all ranks, in place: one MPI Iallreduce."""
        MPI = sys.modules["mpi4py.MPI"]
        self.watchdog.run(lambda: self.comm.Iallreduce(MPI.IN_PLACE, buffer, op=MPI.SUM), what)

    def broadcast_(self, buffer, root: int = 0, what: str = "broadcast") -> None:
        """Overwrite ``buffer`` on every rank with ``root``'s: one MPI Ibcast."""
        self.watchdog.run(lambda: self.comm.Ibcast(buffer, root=root), what)

    def allgather(self, values, what: str = "allgather"):
        """(world, n) float64 array: row r holds rank r's ``values`` (same order on every rank)."""
        mine = np.ascontiguousarray(values, dtype=np.float64).ravel()
        rows = np.empty((self.world, mine.size), np.float64)
        self.watchdog.run(lambda: self.comm.Iallgather(mine, rows), what)
        return rows

    def broadcast_bytes(self, data: bytes | None, root: int = 0, what: str = "broadcast") -> bytes:
        """``root``'s bytes on every rank (size first, then the payload)."""
        size = np.array([len(data) if self.rank == root else 0], np.int64)
        self.broadcast_(size, root, what + " (size)")
        buf = np.frombuffer(data, np.uint8).copy() if self.rank == root else np.empty(int(size[0]), np.uint8)
        self.broadcast_(buf, root, what)
        return buf.tobytes()

    def abort(self, message: str, code: int = 1) -> None:
        """Print ``message`` on stderr and end every process of the job (MPI_Abort); never returns."""
        print(f"chainrule [rank {self.rank}/{self.world}]: {message}", file=sys.stderr, flush=True)
        # MPI_Abort asks mpirun to end the job; when mpirun cannot be reached (the link to it is
        # gone) it may never return: this process ends itself after a grace period all the same.
        threading.Timer(ABORT_GRACE_SECONDS, os._exit, (code,)).start()
        self.comm.Abort(code)
        os._exit(code)


def init(timeout: float = 60.0, require_launcher: bool = True, environ=None) -> Comm:
    """Join the MPI job this process was started in; returns its :class:`Comm` (COMM_WORLD).

    Raises DistributedError when no MPI launcher started the process (``require_launcher``), or
    when mpi4py or the MPI library is missing. Also installs a SIGTERM handler that says why the
    process stops: mpirun sends SIGTERM to every rank when one of them dies.
    """
    if timeout <= 0:
        raise ValueError(f"distributed timeout must be > 0 seconds, got {timeout}")
    if require_launcher and not launched_by_mpi(environ):
        raise DistributedError(
            "--distributed must be started by an MPI launcher, one process per rank: "
            "`mpirun -n 2 chainrule train --distributed ...` (this process has none of "
            f"the launcher's variables: {', '.join(LAUNCHER_VARIABLES)})"
        )
    MPI = import_mpi()
    world = MPI.COMM_WORLD
    comm = Comm(world, world.Get_rank(), world.Get_size(), float(timeout))
    _explain_sigterm(comm)
    threads.share_cores(ranks_sharing_cpus(MPI, world))
    return comm


def ranks_sharing_cpus(MPI, world) -> int:
    """How many ranks of this machine may run on this rank's CPUs (itself included).

    mpirun binds each rank to its own cores when there are enough of them (then 1, and each rank
    counts the cores of its binding); with ``--bind-to none`` or a launcher that does not bind,
    every rank here sees every CPU, and they share the cores: threads = cores // ranks, not cores
    each (which would run ranks x cores threads on cores cores).
    """
    node = world.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        mine = set(threads.allowed_cpus())
        return sum(1 for cpus in node.allgather(sorted(mine)) if mine & set(cpus))
    finally:
        node.Free()


def _explain_sigterm(comm: Comm) -> None:
    def handler(signum, frame):
        os.write(
            2,
            (
                f"chainrule [rank {comm.rank}/{comm.world}]: stopped by the MPI launcher (SIGTERM): the job "
                "was cancelled, or another rank failed (mpirun's message names it). Rank 0's last checkpoint "
                "is intact: continue with --resume\n"
            ).encode(),
        )
        os._exit(128 + signum)

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave the default
        pass
