"""backend.blas's thread control: libgomp's threads sleep between products (PASSIVE) unless the user
chose otherwise, so that chainrule's own pool finds its cores free."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chainrule.backend import blas


def _wait_policy(**env) -> str:
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY")}
    code = "import os, chainrule.backend.blas as b; print(b.active, os.environ.get('OMP_WAIT_POLICY'))"
    done = subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_libgomp_waits_passively_unless_chosen():
    if blas._mkl is None:
        pytest.skip("MKL is not loaded here")
    assert _wait_policy(OMP_NUM_THREADS="2") == ["mkl", "PASSIVE"]
    assert _wait_policy(OMP_NUM_THREADS="2", OMP_WAIT_POLICY="ACTIVE") == ["mkl", "ACTIVE"]
    assert _wait_policy(OMP_NUM_THREADS="2", GOMP_SPINCOUNT="1000") == ["mkl", "None"]
    assert _wait_policy(OMP_NUM_THREADS="1") == ["mkl", "None"]  # one thread: MKL's sequential layer, no OpenMP
