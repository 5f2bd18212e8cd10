"""benchmarks/distributed_scaling.py runs (smoke mode: 3 steps); nothing is asserted about time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import mpi_env

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "distributed_scaling.py"


@pytest.mark.slow
def test_scaling_benchmark_smoke(mpirun, mnist_home):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke"], env=mpi_env(mnist_home), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "shallow strong" in done.stdout and "shallow weak" in done.stdout
    assert "efficiency" in done.stdout
