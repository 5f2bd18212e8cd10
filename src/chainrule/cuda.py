"""``torch.cuda``'s probes, so that a script can ask before it asks for a GPU.

``is_available()`` is True only where CuPy imports and sees an NVIDIA GPU; asking never raises and
never switches the backend away from NumPy. Random numbers need no GPU seeding: chainrule draws
every random number (a GPU tensor's too) from the one generator that ``cr.manual_seed`` seeds, so
``manual_seed``/``manual_seed_all`` here are accepted and, as in PyTorch without a GPU, change
nothing.
"""

from __future__ import annotations

from . import devices as D


def is_available() -> bool:
    """True where CuPy imports and sees at least one NVIDIA GPU."""
    return D.gpu_count() > 0


def device_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy or a GPU)."""
    return D.gpu_count()


def is_initialized() -> bool:
    """True once a tensor has been put on a GPU (CuPy loaded into the backend)."""
    return D.B._cupy is not None


def _require(what: str) -> None:
    if not is_available():
        raise D.DeviceError(f"cuda.{what}: no GPU is available here (CuPy not installed, or it sees no NVIDIA GPU)")


def current_device() -> int:
    """The index of the current GPU: always 0 (chainrule never changes it)."""
    _require("current_device()")
    return 0


def get_device_name(device=None) -> str:
    """The GPU's name as CUDA reports it, e.g. 'NVIDIA H100 80GB HBM3'."""
    _require("get_device_name()")
    index = 0 if device is None else (device if isinstance(device, int) else D.device(device).index or 0)
    name = D.cupy().cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize(device=None) -> None:
    """Wait until the GPU has finished its queued work (for timing)."""
    _require("synchronize()")
    D.cupy().cuda.Device(0 if device is None else D.device(device).index or 0).synchronize()


def empty_cache() -> None:
    """Hand CuPy's cached, unused GPU memory back to the driver; nothing to do without a GPU."""
    if is_initialized():
        D.cupy().get_default_memory_pool().free_all_blocks()


def manual_seed(seed: int) -> None:
    """Accepted (``seed`` must be an int): GPU random numbers come from ``cr.manual_seed``'s generator."""
    int(seed)  # as PyTorch: a seed that is no number is an error, a number changes nothing here


def manual_seed_all(seed: int) -> None:
    """As :func:`manual_seed`, for every GPU."""
    manual_seed(seed)
