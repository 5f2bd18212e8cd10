"""Running chainrule under a real ``mpirun``: the fixture and its limits.

The MPI tests need Open MPI's ``mpirun`` and mpi4py (``pip install -e '.[mpi]'``, Debian's
``openmpi-bin libopenmpi-dev``). Without them they are skipped on a developer machine and fail in
CI (CI=true), where .ci/run installs both. Every launch has a wall-clock limit and is killed as a
whole process group past it, so a hang is a test failure, never a stuck test run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@dataclass
class Launch:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def mpi_missing() -> str | None:
    """Why MPI tests cannot run here, or None."""
    if shutil.which("mpirun") is None:
        return "no mpirun on PATH (apt-get install openmpi-bin libopenmpi-dev)"
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py is not installed (pip install -e '.[mpi]')"
    return None


def mpi_env(mnist_home: Path) -> dict:
    env = dict(
        os.environ,
        CHAINRULE_HOME=str(mnist_home),
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        OMPI_ALLOW_RUN_AS_ROOT="1",
        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
        OMPI_MCA_rmaps_base_oversubscribe="1",
    )
    return env


def launch(argv: list, env: dict, timeout: float) -> Launch:
    """Run ``argv`` in its own process group; past ``timeout`` s kill the group and fail the test."""
    started = time.monotonic()
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{' '.join(map(str, argv[:6]))} ... still running after {timeout} s (a hang):\n{out}\n{err}")
    return Launch(proc.returncode, out, err, time.monotonic() - started)


@pytest.fixture(scope="session")
def mpirun(mnist_home):
    """``mpirun(args, n=2, timeout=120)``: ``mpirun -n N python ARGS...`` with the real MNIST cache."""
    reason = mpi_missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the MPI tests: {reason}")
        pytest.skip(reason)
    env = mpi_env(mnist_home)

    def run(args: list, n: int = 2, timeout: float = 120) -> Launch:
        argv = ["mpirun", "-n", str(n), "--bind-to", "none", sys.executable, *map(str, args)]
        return launch(argv, env, timeout)

    return run
