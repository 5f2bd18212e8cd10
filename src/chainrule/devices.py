"""Where a tensor's numbers live: ``"cpu"`` (NumPy arrays) or ``"cuda"`` / ``"cuda:k"`` (CuPy arrays
on NVIDIA GPU k), named as PyTorch names them.

CuPy is an optional extra (``pip install chainrule[gpu]``, which brings ``cupy-cuda13x``). It is
imported the first time a GPU is asked for, never before; without it that request is one clear
error. From then on ``backend.xp`` follows the arrays an op works on (see ``backend.working_on``),
so every op, layer and optimizer runs unchanged on either device.
"""

from __future__ import annotations

import numpy

from . import backend as B

_gpu_count = 0  # GPUs CuPy found, once it is loaded


class DeviceError(RuntimeError):
    """A device that cannot be used here: no CuPy, no GPU, a GPU index too high."""


class Device:
    """A device: ``type`` "cpu" or "cuda", and ``index`` (the GPU's number; None for the CPU)."""

    __slots__ = ("type", "index")

    def __init__(self, type: str, index: int | None = None) -> None:  # noqa: A002 (PyTorch's name)
        self.type, self.index = type, index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + ("" if self.index is None else f", index={self.index}") + ")"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = Device("cpu")


def device(spec) -> Device:
    """Parse "cpu", "cuda", "cuda:1" (or a Device) as PyTorch does; "cuda" means the current GPU, 0."""
    if isinstance(spec, Device):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"device: expected a string such as 'cpu' or 'cuda:0', got {spec!r}")
    kind, _, index = spec.strip().lower().partition(":")
    if kind == "cpu" and not index:
        return CPU
    if kind == "cuda" and (not index or index.isdigit()):
        return Device("cuda", int(index) if index else 0)
    raise ValueError(f"device: unknown device {spec!r}; chainrule runs on 'cpu' and 'cuda[:index]' (NVIDIA, CuPy)")


def cupy():
    """The CuPy module, imported on first use, with a GPU checked to be there; else one clear error."""
    global _gpu_count
    if B._cupy is None:
        try:
            import cupy as cp
        except ImportError as err:
            raise DeviceError(
                "device 'cuda' needs CuPy, which is not installed: pip install 'chainrule[gpu]' "
                f"(CuPy for CUDA 13; for CUDA 12 install cupy-cuda12x instead). ({err})") from None
        try:
            count = cp.cuda.runtime.getDeviceCount()
        except Exception as err:  # CUDARuntimeError: no driver, no device
            raise DeviceError(f"device 'cuda': CuPy is installed but finds no usable NVIDIA GPU ({err})") from None
        if count == 0:
            raise DeviceError("device 'cuda': CuPy is installed but this machine has no NVIDIA GPU")
        _gpu_count = count
        B.enable_devices(cp)
    return B._cupy


_parse = device  # for functions whose own argument is called device


def is_cuda_array(array) -> bool:
    """True for a CuPy array (False for everything until CuPy has been loaded)."""
    return B._cupy is not None and isinstance(array, B._cupy.ndarray)


def device_of(array) -> Device:
    """The device an array lives on."""
    if is_cuda_array(array):
        return Device("cuda", int(array.device.id))
    return CPU


def check(dev) -> Device:
    """``dev`` parsed and checked usable here (CuPy installed, the GPU present), else DeviceError."""
    dev = device(dev)
    if dev.type == "cuda":
        cupy()
        if dev.index >= _gpu_count:
            raise DeviceError(f"device {dev}: this machine has {_gpu_count} GPU(s), numbered from 0")
    return dev


def to_device(array, dev) -> object:
    """The array on device ``dev``: itself when it is already there, else a copy (host <-> GPU)."""
    dev = device(dev)
    if device_of(array) == dev:
        return array
    if dev.type == "cpu":
        return array.get()  # GPU -> host
    check(dev)
    with B._cupy.cuda.Device(dev.index):
        return B._cupy.asarray(array)  # host -> GPU, or GPU -> another GPU


def split_to_args(args: tuple, device=None, dtype=None) -> tuple:
    """``.to(*args)`` as PyTorch reads it: a string or Device is the device, anything else the dtype."""
    for arg in args:
        if isinstance(arg, (str, Device)):
            device = arg
        else:
            dtype = arg
    return (None if device is None else _parse(device)), dtype


def to_host(array) -> numpy.ndarray:
    """A NumPy array with the values: the array itself on the CPU, a copy from a GPU."""
    return array.get() if is_cuda_array(array) else numpy.asarray(array)
