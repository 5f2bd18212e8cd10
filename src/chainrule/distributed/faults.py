"""Faults: a rank that dies or hangs ends the job with a message that names it, in bounded time.

Two layers (docs/distributed.md shows both at work):

1. Open MPI's runtime. When a process of the job *exits* (a crash, SIGKILL, ``os._exit``), mpirun
   notices within about a second, prints which rank it was ("mpirun noticed that process rank 1
   ... exited on signal 9") and stops the others with SIGTERM, whose handler (:mod:`.comm`) says
   why on each survivor.
2. This watchdog, for what the runtime cannot see: a rank that is alive but stuck (stopped,
   deadlocked, a lost link between machines). Every collective is started non-blocking and
   polled with a deadline; beside it each rank sends its peers a heartbeat, the number of the
   collective it is entering. When the deadline passes, the peers whose last heartbeat is behind
   are the ones named: "rank 1 never reached the gradient allreduce of step 51".
"""

from __future__ import annotations

import os
import time

import numpy as np

from ..errors import DistributedError

HEARTBEAT_TAG = 7301  # point-to-point tag of the heartbeats, apart from anything else on COMM_WORLD
SPIN_SECONDS = 0.05  # poll (yielding the core) this long, as blocking MPI spins, then sleep between polls
MAX_SLEEP = 0.02


class RankFailure(DistributedError):
    """A collective did not complete in time; ``ranks`` are those that never reached it."""

    def __init__(self, message: str, ranks: list[int]) -> None:
        super().__init__(message)
        self.ranks = list(ranks)


class Watchdog:
    """Start each collective under a deadline, with a heartbeat to every peer beside it.

    ``comm``: an mpi4py communicator; ``timeout``: seconds one collective may take.
    """

    def __init__(self, comm, timeout: float) -> None:
        self.comm, self.timeout = comm, float(timeout)
        self.rank, self.world = comm.Get_rank(), comm.Get_size()
        self.peers = [r for r in range(self.world) if r != self.rank]
        self.seq = 0  # collectives this rank has entered
        self.seen = {r: 0 for r in self.peers}  # the last collective each peer said it entered
        self._inbox: dict = {}
        self._recvs: dict = {}
        self._sends: list = []

    # --- heartbeats ----------------------------------------------------------------------------
    def _post_recv(self, peer: int) -> None:
        buf = self._inbox.setdefault(peer, np.zeros(1, np.int64))
        self._recvs[peer] = self.comm.Irecv(buf, source=peer, tag=HEARTBEAT_TAG)

    def _listen(self) -> None:
        """Take in every heartbeat that has arrived (messages from one sender arrive in order)."""
        for peer in self.peers:
            if peer not in self._recvs:
                self._post_recv(peer)
            while self._recvs[peer].Test():
                self.seen[peer] = max(self.seen[peer], int(self._inbox[peer][0]))
                self._post_recv(peer)

    def _beat(self) -> None:
        self._sends = [(req, buf) for req, buf in self._sends if not req.Test()]
        buf = np.array([self.seq], np.int64)
        for peer in self.peers:
            self._sends.append((self.comm.Isend(buf, dest=peer, tag=HEARTBEAT_TAG), buf))

    # --- guarded collectives ---------------------------------------------------------------------
    def run(self, start, what: str) -> None:
        """Enter the next collective: ``start()`` returns its MPI request; wait for it or raise."""
        self.seq += 1
        if self.world > 1:
            self._listen()
            self._beat()
        request = start()
        began = time.monotonic()
        pause = 1e-4
        while not request.Test():
            waited = time.monotonic() - began
            if waited > self.timeout:
                raise self._failure(what, waited)
            if waited > SPIN_SECONDS:
                time.sleep(pause)
                pause = min(pause * 2, MAX_SLEEP)
            else:  # give the core to a rank that shares it (free when the core is ours alone)
                os.sched_yield()

    def _failure(self, what: str, waited: float) -> RankFailure:
        self._listen()
        behind = [r for r in self.peers if self.seen[r] < self.seq]
        where = f"{what} (collective #{self.seq})"
        if not behind:
            return RankFailure(
                f"{where} did not complete within {waited:.0f} s although every rank "
                "reached it: a lost connection between the ranks?",
                [],
            )
        names = ", ".join(f"rank {r} (last heard at collective #{self.seen[r]})" for r in behind)
        return RankFailure(
            f"{names} never reached the {where} within {waited:.0f} s: it died, hangs, or "
            "is slower than the distributed timeout",
            behind,
        )
