"""The device under test: a real GPU through CuPy when there is one, else the CuPy stand-in.

``CHAINRULE_TEST_DEVICE=cuda`` (scripts/gpu_check.sh sets it) demands the real GPU: without CuPy
or a GPU that is a failure, not a quiet fallback to the stand-in.
"""

from __future__ import annotations

import os

import pytest

import chainrule.backend as B
import chainrule.backend.devices as D
from tests.device import fake_cupy


def _real_gpu() -> bool:
    try:
        D.cupy()
        return True
    except D.DeviceError:
        return False


@pytest.fixture(scope="session")
def gpu():
    """ "cuda", backed by CuPy on a GPU, or by the stand-in (NumPy arrays posing as GPU memory)."""
    if os.environ.get("CHAINRULE_TEST_DEVICE") == "cuda":
        D.cupy()  # raises with the reason when the GPU cannot be used
        yield "cuda"
        return
    if _real_gpu():
        yield "cuda"
        return
    with fake_cupy.installed():
        D.cupy()
        try:
            yield "cuda"
        finally:  # back to plain NumPy for the rest of the session
            B._cupy = None


@pytest.fixture(scope="session")
def real_gpu(gpu) -> bool:
    return D.cupy() is not fake_cupy
