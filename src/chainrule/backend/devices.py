"""Where a tensor's numbers live: ``"cpu"`` (NumPy arrays) or ``"cuda"`` / ``"cuda:k"`` (CuPy arrays
on NVIDIA GPU k), named as PyTorch names them.

CuPy is an optional extra (``pip install chainrule[gpu]``, which brings ``cupy-cuda13x``). It is
imported the first time a GPU is asked for, never before; without it that request is one clear
error. It is then registered with the backend, and ``backend.module_of(*arrays)`` answers CuPy for
CuPy arrays: every op (``self.xp``), layer and optimizer takes its array module from its operands,
so each runs unchanged on either device.

Scripts ask before they ask for a GPU: ``gpu_count()`` (behind ``cr.cuda.is_available()``,
``cr.accelerator``) probes CuPy without loading it into the backend, and ``set_default_device``
keeps the device that creation functions use when given none.
"""

from __future__ import annotations

import numpy

from .. import backend as B

_gpu_count = 0  # GPUs CuPy found, once it is loaded
_probed: int | None = None  # GPUs that gpu_count() counted without loading the backend
_default = None  # the device set_default_device chose (None: the CPU)

KNOWN_TYPES = ("cpu", "cuda", "mps")  # the names chainrule parses; it computes on the first two


class DeviceError(RuntimeError):
    """A device that cannot be used here: no CuPy, no GPU, a GPU index too high."""


class DeviceNameError(DeviceError, ValueError):
    """A device name or index that names no device (``"tpu"``, ``"cuda:x"``, ``-1``)."""


class Device:
    """A device, as ``torch.device``: ``type`` ("cpu", "cuda", "mps") and ``index`` (None: the current
    one). ``device("cuda:1")``, ``device("cuda", 1)``, ``device(d)`` and ``device(0)`` (GPU 0) parse as
    PyTorch parses them, and ``device("cuda").index is None``.

    Unlike ``torch.device``, a device compares equal to its string (``t.device == "cpu"``) and index
    None equals index 0 (``device("cuda") == device("cuda:0")``): chainrule never changes the current
    GPU, so the two always name the same one.
    """

    __slots__ = ("type", "index")

    def __new__(cls, type, index: int | None = None) -> Device:  # noqa: A002 (PyTorch's name)
        if isinstance(type, Device) and index is None:
            return type
        if isinstance(type, int) and not isinstance(type, bool) and index is None:
            if gpu_count() == 0:
                raise DeviceError(f"device({type}): a bare index names a GPU, and none is available here")
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu' or 'cuda:0', got {type!r}")
        kind, colon, text = type.strip().lower().partition(":")
        if kind not in KNOWN_TYPES:
            raise DeviceNameError(
                f"device: unknown device {type!r}; chainrule runs on 'cpu' and 'cuda[:index]' (NVIDIA, CuPy)"
            )
        if colon:
            if index is not None:
                raise DeviceNameError(
                    f"device({type!r}, {index!r}): the string must not include an index when index is passed explicitly"
                )
            if not text.isdigit():
                raise DeviceNameError(f"device: invalid device string {type!r}; the index must be a number >= 0")
            index = int(text)
        if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
            raise DeviceNameError(f"device({type!r}, {index!r}): the index must be an int >= 0")
        self = object.__new__(cls)
        object.__setattr__(self, "type", kind)
        object.__setattr__(self, "index", index)
        return self

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError(f"device: '{name}' is read-only (a device never changes)")

    def __reduce__(self):
        return Device, (self.type, self.index)

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + ("" if self.index is None else f", index={self.index}") + ")"

    def _key(self) -> tuple:
        return self.type, self.index or 0

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = Device(other)
            except DeviceError:
                return False
        return isinstance(other, Device) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


CPU = Device("cpu")
device = Device  # cr.device("cuda") makes one and isinstance(d, cr.device) holds, as in PyTorch


def gpu_count() -> int:
    """How many NVIDIA GPUs CuPy sees: 0 without CuPy, a driver or a GPU. A probe (as
    ``torch.cuda.device_count``): it never raises and leaves the backend on NumPy."""
    global _probed
    if B._cupy is not None:
        return _gpu_count
    if _probed is None:
        try:
            import cupy as cp

            _probed = int(cp.cuda.runtime.getDeviceCount())
        except Exception:  # ImportError, CUDARuntimeError (no driver), a CUDA library mismatch
            _probed = 0
    return _probed


def set_default_device(dev) -> None:
    """The device tensors are made on when no ``device=`` is given (None: back to the CPU), as
    ``torch.set_default_device``. A GPU is checked to be usable here and now."""
    global _default
    _default = None if dev is None else check(dev)


def get_default_device() -> Device:
    """The default device, with its index filled in for a GPU (``cuda:0``), as ``torch.get_default_device``."""
    if _default is None:
        return CPU
    return _default if _default.index is not None or _default.type == "cpu" else Device(_default.type, 0)


def cupy():
    """The CuPy module, imported on first use, with a GPU checked to be there; else one clear error."""
    global _gpu_count
    if B._cupy is None:
        try:
            import cupy as cp
        except ImportError as err:
            raise DeviceError(
                "device 'cuda' needs CuPy, which is not installed: pip install 'chainrule[gpu]' "
                f"(CuPy for CUDA 13; for CUDA 12 install cupy-cuda12x instead). ({err})"
            ) from None
        try:
            count = cp.cuda.runtime.getDeviceCount()
        except Exception as err:  # CUDARuntimeError: no driver, no device
            raise DeviceError(f"device 'cuda': CuPy is installed but finds no usable NVIDIA GPU ({err})") from None
        if count == 0:
            raise DeviceError("device 'cuda': CuPy is installed but this machine has no NVIDIA GPU")
        _gpu_count = count
        B.register_cupy(cp)
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
    if dev.type == "mps":
        raise DeviceError(f"device {dev}: chainrule runs on 'cpu' and NVIDIA GPUs ('cuda'), not on Apple's MPS")
    if dev.type == "cuda":
        cupy()
        if (dev.index or 0) >= _gpu_count:
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
    with B._cupy.cuda.Device(dev.index or 0):
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
