"""Two "hosts" on this machine: one rank in each of two network namespaces joined by a veth pair.

The multi-machine path for real: mpirun starts the second host's daemon through its launch agent
(``ip netns exec`` standing in for ssh), the ranks reach each other only over TCP across the veth
(``--mca btl tcp,self``), and the run still equals one process; a rank killed on the second host
ends the job naming it. Needs root and network namespaces: skipped, with the reason, where
``ip netns add`` is not allowed (an unprivileged container).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.train.checkpoint import read_checkpoint

from . import fault_driver
from .conftest import HERE, launch, mpi_env

pytestmark = pytest.mark.slow

SCRIPT = HERE / "two_hosts.sh"
ARGS = ["--model", "shallow", "--limit", "400", "--epochs", "2", "--batch-size", "45", "--no-plots", "--no-progress"]


@pytest.fixture(scope="module")
def hosts(mpirun, mnist_home):
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("network namespaces need root and iproute2's ip")
    suffix = str(os.getpid())[-7:]
    env = dict(mpi_env(mnist_home), CR_NETNS_A=f"cra{suffix}", CR_NETNS_B=f"crb{suffix}")
    up = subprocess.run(["bash", SCRIPT, "up"], env=env, capture_output=True, text=True)
    if up.returncode != 0:
        subprocess.run(["bash", SCRIPT, "down"], env=env, capture_output=True)
        pytest.skip(f"cannot create network namespaces here: {up.stderr.strip()[:200]}")
    yield lambda args, timeout=120: launch(["bash", SCRIPT, "run", *map(str, args)], env, timeout)
    subprocess.run(["bash", SCRIPT, "down"], env=env, capture_output=True)


def test_two_hosts_train_like_one_process(hosts, mnist_home, monkeypatch, tmp_path):
    run = hosts([sys.executable, "-m", "chainrule", "train", "--distributed", *ARGS, "--out", tmp_path / "two"])
    assert run.returncode == 0, run.output
    monkeypatch.setenv("CHAINRULE_HOME", str(mnist_home))
    assert main(["train", *ARGS, "--out", str(tmp_path / "one")]) == 0
    a, b = read_checkpoint(tmp_path / "one")[0], read_checkpoint(tmp_path / "two")[0]
    assert max(float(np.abs(a[k] - b[k]).max()) for k in a) < 2e-5


def test_a_rank_killed_on_the_other_host_ends_the_job(hosts, tmp_path):
    run = hosts([sys.executable, fault_driver.__file__, 1, 12, "kill", "--distributed", *ARGS, "--out", tmp_path / "k"])
    assert run.returncode != 0 and run.seconds < 60
    assert "process rank 1" in run.output and "on node 10.77.0.2" in run.output, run.output
    assert read_checkpoint(tmp_path / "k")[2]["epoch"] == 1
