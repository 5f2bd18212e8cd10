"""dtypes as PyTorch names them, and PyTorch's type promotion (where it differs from NumPy's).

PyTorch promotes by *category* (bool < integer < floating) and by *priority*: tensors with
dimensions decide first, then zero-dimensional tensors, then Python numbers, and a lower-priority
operand changes the result only when its category is higher. So float32 with an int64 tensor stays
float32 (NumPy: float64), and ``int_tensor / int_tensor`` is float32 (the default float dtype).
"""

from __future__ import annotations

import builtins
import numbers

from .. import backend as B
from ..backend import devices as _device

np = B.numpy

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)  # noqa: A001  (PyTorch's names)
float64 = double = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)  # noqa: A001
int64 = long = np.dtype(np.int64)
bool = np.dtype(np.bool_)  # noqa: A001

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}
_TORCH_NAMES = {
    float16: "HalfTensor",
    float32: "FloatTensor",
    float64: "DoubleTensor",
    uint8: "ByteTensor",
    int8: "CharTensor",
    int16: "ShortTensor",
    int32: "IntTensor",
    int64: "LongTensor",
    bool: "BoolTensor",
}


def set_default_dtype(dtype) -> None:
    """The dtype of Python floats and new float tensors (float32 unless set; float64 allowed)."""
    d = np.dtype(dtype)
    if d.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point dtypes can be the default, got {d}")
    B.default_float = d.type


def get_default_dtype():
    return np.dtype(B.default_float)


def is_floating_point(t) -> bool:
    return t.dtype.kind == "f"


def category(dtype) -> int:
    return _CATEGORY.get(np.dtype(dtype).kind, 2)


def lift_dtype(tensor_dtype, number):
    """The dtype a Python number takes beside a tensor (a "weak" scalar, as in PyTorch)."""
    if isinstance(number, (builtins.bool, np.bool_)):
        return tensor_dtype
    if isinstance(number, numbers.Integral):
        return tensor_dtype if tensor_dtype.kind in "iuf" else np.dtype(np.int64)
    return tensor_dtype if tensor_dtype.kind == "f" else np.dtype(B.default_float)


def _widest(dtypes):
    """Promote within the highest category present (float32 with int64 is float32, not float64)."""
    top = max(category(d) for d in dtypes)
    return np.result_type(*[d for d in dtypes if category(d) == top])


def result_type(arrays) -> np.dtype:
    """PyTorch's result dtype of an elementwise op on ``arrays`` (0-d ones have lower priority)."""
    dims = [a.dtype for a in arrays if a.ndim]
    zero = [a.dtype for a in arrays if not a.ndim]
    result = _widest(dims) if dims else None
    if zero:
        z = _widest(zero)
        if result is None or category(z) > category(result):
            result = z
    return result


def promote(arrays, to_float: bool = False) -> list:
    """Cast ``arrays`` to their PyTorch result type (and to a float dtype with ``to_float``)."""
    first = arrays[0].dtype
    for a in arrays:
        if a.dtype != first:
            break
    else:
        if not to_float or first.kind == "f":
            return arrays
    dt = result_type(arrays)
    if to_float and dt.kind != "f":
        dt = np.dtype(B.default_float)
    return [a if a.dtype == dt else a.astype(dt) for a in arrays]


class DtypeMethods:
    """Mixin of ``Tensor``: conversions as PyTorch spells them (``x.float()``, ``x.to(cr.long)``)."""

    __slots__ = ()

    def to(self, *args, device=None, dtype=None, non_blocking: bool = False, copy: bool = False):
        """This tensor on ``device`` ("cpu", "cuda", "cuda:1") and/or as ``dtype``, as PyTorch's
        ``t.to("cuda")``, ``t.to(cr.float64)``, ``t.to(other)``: itself if nothing changes, else a
        copy that stays in the graph (the gradient travels back to this tensor's device and dtype)."""
        if args and hasattr(args[0], "_data") and hasattr(args[0], "device"):  # t.to(other_tensor)
            args = (args[0].device, args[0].dtype) + args[1:]
        dev, dtype = _device.split_to_args(args, device, dtype)
        out = self
        if dtype is not None and np.dtype(dtype) != self.dtype:
            out = _ops.astype(out, dtype)
        if dev is not None and dev != self.device:
            out = _ops.to_device(out, dev)
        if copy and out is self:
            out = _ops.astype(out, self.dtype)  # astype always copies
        return out

    def astype(self, dtype):
        return _ops.astype(self, dtype)

    def type(self, dtype=None):
        """Without an argument, the type's name (``'chainrule.FloatTensor'``); else ``to(dtype)``."""
        if dtype is None:
            return "chainrule." + _TORCH_NAMES.get(self.dtype, str(self.dtype))
        if isinstance(dtype, str):
            names = {v: k for k, v in _TORCH_NAMES.items()}
            dtype = names[dtype.rsplit(".", 1)[-1]]
        elif isinstance(getattr(dtype, "dtype", None), np.dtype):  # x.type(cr.FloatTensor)
            dtype = dtype.dtype
        return self.to(dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self):
        return self.to(float32)

    def double(self):
        return self.to(float64)

    def half(self):
        return self.to(float16)

    def long(self):
        return self.to(int64)

    def int(self):
        return self.to(int32)

    def short(self):
        return self.to(int16)

    def byte(self):
        return self.to(uint8)

    def bool(self):
        return self.to(bool)

    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"


_ops = None  # chainrule.ops, set by tensor.py once Tensor exists (the ops need it)
