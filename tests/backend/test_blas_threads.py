"""backend.blas's thread control: libgomp's threads spin a short while between products (GOMP_SPINCOUNT
30,000 instead of 300,000) unless the user chose, so that chainrule's own pool finds its cores free."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chainrule.backend import blas


def _wait_policy(**env) -> list[str]:
    chosen = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
    base = {k: v for k, v in os.environ.items() if k not in chosen} | {"CHAINRULE_BLAS": "mkl"}  # any CPU
    code = "import os, chainrule.backend.blas as b; print(b.active, os.environ.get('GOMP_SPINCOUNT'))"
    done = subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_libgomp_spins_briefly_unless_chosen():
    if blas._find_mkl() is None:
        pytest.skip("MKL is not installed here")
    assert _wait_policy(OMP_NUM_THREADS="2") == ["mkl", "30000"]
    assert _wait_policy(OMP_NUM_THREADS="2", OMP_WAIT_POLICY="PASSIVE") == ["mkl", "None"]
    assert _wait_policy(OMP_NUM_THREADS="2", GOMP_SPINCOUNT="1000") == ["mkl", "1000"]
    assert _wait_policy(OMP_NUM_THREADS="1") == ["mkl", "None"]  # one thread: MKL's sequential layer, no OpenMP
