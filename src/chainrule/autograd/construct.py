"""Making a Tensor from data, as PyTorch: ``tensor()`` always copies; ``as_tensor()`` and
``from_numpy()`` share the NumPy array's memory where they can (changes show in both)."""

from __future__ import annotations

from .. import backend as B
from ..backend import devices as _device
from .tensor import Tensor


def tensor(
    data, dtype=None, device=None, requires_grad: bool = False, name: str | None = None, pin_memory: bool = False
) -> Tensor:
    """Make a tensor from data, always copying (as ``torch.tensor``): Python floats become the
    default float dtype (float32), Python ints int64, NumPy arrays keep their dtype; ``device``
    ("cpu", "cuda[:k]") places it, by default on ``get_default_device()``."""
    if isinstance(data, Tensor):
        device = data.device if device is None else device  # a copy stays on its device, as torch
        data = data._data
    if isinstance(data, (list, tuple)) and any(isinstance(v, Tensor) for v in _flat(data)):
        data = B.numpy.array([_host(v) for v in data]) if all(isinstance(v, Tensor) for v in data) else data
    arr = B.asarray(data, dtype)
    if arr is data or (B.is_array(data) and B.numpy.may_share_memory(arr, data)):
        arr = arr.copy()
    t = Tensor._from_op(arr, False)
    t.name = name
    dev = device if device is not None else _device.get_default_device()
    if dev is not None and _device.device(dev) != t.device:
        t._data = _device.to_device(t._data, dev)
    return t.requires_grad_(True) if requires_grad else t


def _flat(data):
    for v in data:
        if isinstance(v, (list, tuple)):
            yield from _flat(v)
        else:
            yield v


def _host(v):
    return _device.to_host(v._data) if isinstance(v, Tensor) else v


def as_tensor(x, dtype=None, device=None) -> Tensor:
    """``x`` if it is a Tensor (of that dtype), else a tensor sharing ``x``'s memory where it can."""
    if isinstance(x, Tensor):
        return x if dtype is None else x.to(dtype)
    t = Tensor(x, dtype=dtype)
    if device is not None:
        t._data = _device.to_device(t._data, device)
    return t


def from_numpy(array) -> Tensor:
    """A tensor on the same memory as the NumPy array (changes show in both), dtype kept."""
    if not isinstance(array, B.numpy.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._from_op(B.asarray(array), False)
