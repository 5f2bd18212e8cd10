"""Threads under MPI: ranks that share a machine's cores get cores // ranks threads each (MKL too),
unless the user chose a count; a real two-rank ``mpirun``."""

from __future__ import annotations

import json
import os
import sys

import pytest

from .conftest import HERE, launch, mpi_missing


def _ranks(bind: str, **env_extra) -> list[dict]:
    reason = mpi_missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the MPI tests: {reason}")
        pytest.skip(reason)
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", **env_extra)
    argv = ["mpirun", "-n", "2", "--oversubscribe", "--bind-to", bind, sys.executable, str(HERE / "threads_worker.py")]
    run = launch(argv, env, timeout=90)
    assert run.returncode == 0, run.output
    lines = [line for line in run.stdout.splitlines() if line.startswith("[")]
    assert len(lines) == 1, run.output
    return sorted(json.loads(lines[0]), key=lambda r: r["rank"])


def test_unbound_ranks_share_the_cores():
    from chainrule.backend import threads

    cores = threads.physical_cores()
    ranks = _ranks("none")
    assert [r["rank"] for r in ranks] == [0, 1]
    for r in ranks:
        assert r["threads"] == max(1, cores // 2), ranks
        assert r["mkl"] in (None, r["threads"]), ranks


def test_a_count_from_the_environment_is_kept():
    ranks = _ranks("none", OMP_NUM_THREADS="3")
    assert [r["threads"] for r in ranks] == [3, 3]
