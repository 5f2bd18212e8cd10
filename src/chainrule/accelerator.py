"""``torch.accelerator`` (PyTorch 2.6+): the device-agnostic probe scripts use to pick their device,
``torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"``.

chainrule's one accelerator is an NVIDIA GPU through CuPy.
"""

from __future__ import annotations

from . import cuda
from . import devices as D


def is_available() -> bool:
    """True where a GPU can be used (see ``cuda.is_available``)."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> D.Device | None:
    """``device(type='cuda')`` where a GPU is available, else None (as PyTorch without one)."""
    return D.device("cuda") if cuda.is_available() else None


def device_count() -> int:
    """How many accelerators (GPUs) there are; 0 without one."""
    return cuda.device_count()


def _require(what: str) -> None:
    if not cuda.is_available():
        raise D.DeviceError(f"accelerator.{what}: cannot access an accelerator device when none is available")


def current_device_index() -> int:
    """The current GPU's index (0); an error without a GPU, as in PyTorch."""
    _require("current_device_index()")
    return 0


def synchronize(device=None) -> None:
    """Wait for the GPU's queued work; an error without a GPU, as in PyTorch."""
    _require("synchronize()")
    cuda.synchronize(device)
