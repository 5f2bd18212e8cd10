"""The watchdog's logic with a stand-in communicator (no MPI): deadlines and who gets named."""

from __future__ import annotations

import time

import pytest

from chainrule.distributed import Comm, RankFailure, Watchdog, comm
from chainrule.distributed import faults as faults_module


class Request:
    def __init__(self, done_at: float = 0.0, on_done=None):
        self.done_at, self.on_done = done_at, on_done

    def Test(self) -> bool:  # mpi4py's method names
        if time.monotonic() >= self.done_at:
            if self.on_done is not None:
                self.on_done()
                self.on_done = None
            return True
        return False


class FakeComm:
    """Rank 0 of ``world``; peer ``r`` has said it entered collective ``heard[r]`` (a heartbeat)."""

    def __init__(self, world: int, heard: dict):
        self.world, self.heard, self.sent = world, dict(heard), []
        self._delivered: dict = {}

    def Get_rank(self):
        return 0

    def Get_size(self):
        return self.world

    def Isend(self, buf, dest, tag):
        self.sent.append((dest, int(buf[0]), tag))
        return Request()

    def Irecv(self, buf, source, tag):
        value = self.heard.get(source, 0)
        if self._delivered.get(source, 0) >= value:
            return Request(done_at=float("inf"))  # nothing new from this peer

        def deliver():
            buf[0] = value
            self._delivered[source] = value

        return Request(on_done=deliver)


def test_a_collective_that_completes_returns_and_beats_every_peer():
    fake = FakeComm(3, {1: 1, 2: 1})
    dog = Watchdog(fake, timeout=1.0)
    dog.run(lambda: Request(time.monotonic() + 0.01), "gradient allreduce of step 1")
    assert dog.seq == 1
    assert sorted((d, s) for d, s, _ in fake.sent) == [(1, 1), (2, 1)]
    assert all(tag == faults_module.HEARTBEAT_TAG for *_, tag in fake.sent)


def test_the_silent_rank_is_named_after_the_deadline():
    fake = FakeComm(3, {1: 5, 2: 4})  # rank 2 never entered collective 5
    dog = Watchdog(fake, timeout=0.2)
    dog.seq = 4
    started = time.monotonic()
    with pytest.raises(RankFailure) as caught:
        dog.run(lambda: Request(float("inf")), "gradient allreduce of step 5")
    assert 0.2 <= time.monotonic() - started < 2
    assert caught.value.ranks == [2]
    message = str(caught.value)
    assert "rank 2 (last heard at collective #4) never reached the gradient allreduce of step 5" in message
    assert "rank 1" not in message


def test_every_rank_arrived_but_the_collective_did_not_finish():
    fake = FakeComm(2, {1: 1})
    dog = Watchdog(fake, timeout=0.1)
    with pytest.raises(RankFailure, match="although every rank reached it") as caught:
        dog.run(lambda: Request(float("inf")), "broadcast")
    assert caught.value.ranks == []


def test_one_rank_needs_no_heartbeats():
    fake = FakeComm(1, {})
    Watchdog(fake, timeout=1.0).run(lambda: Request(), "allreduce")
    assert fake.sent == []


def test_init_refuses_a_process_no_launcher_started(monkeypatch):
    with pytest.raises(comm.DistributedError, match="mpirun -n 2 chainrule train --distributed"):
        comm.init(environ={})
    with pytest.raises(ValueError, match="timeout must be > 0"):
        comm.init(timeout=0, environ={"OMPI_COMM_WORLD_SIZE": "2"})


def test_launcher_detection():
    assert comm.launched_by_mpi({"OMPI_COMM_WORLD_SIZE": "2"}) and comm.launched_by_mpi({"PMI_RANK": "0"})
    assert not comm.launched_by_mpi({"PATH": "/bin"})
    assert comm.launcher_world_size({"OMPI_COMM_WORLD_SIZE": "4"}) == 4
    assert comm.launcher_world_size({}) is None


def test_comm_reports_main_rank():
    c = Comm(FakeComm(2, {}), rank=1, world=2)
    assert not c.is_main and Comm(FakeComm(2, {}), rank=0, world=2).is_main
