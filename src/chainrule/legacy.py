"""PyTorch's older spellings that tutorials still use: ``FloatTensor(...)``, ``is_tensor``, ``numel``.

``torch.FloatTensor`` & co. are tensor types of one
dtype: called with data they make a tensor of it, called with sizes a zero-filled one, and
``isinstance(t, cr.FloatTensor)`` asks for the dtype.
"""

from __future__ import annotations

from . import backend as B
from .autograd.construct import tensor
from .autograd.dtypes import bool as bool_
from .autograd.dtypes import float16, float32, float64, int8, int16, int32, int64, uint8
from .autograd.tensor import Tensor

dtype = B.numpy.dtype  # ``isinstance(x.dtype, cr.dtype)``


class _TensorType(type):
    """The type of ``FloatTensor`` & co.: makes tensors of its dtype; isinstance checks the dtype."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args, device=None):
        if len(args) == 1 and not isinstance(args[0], int):  # data
            return tensor(args[0], dtype=cls.dtype, device=device)
        sizes = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args
        return tensor(B.numpy.zeros(tuple(sizes), dtype=cls.dtype), device=device)


def _tensor_type(name: str, dt) -> type:
    return _TensorType(name, (), {"dtype": dt, "__doc__": f"Tensors of dtype {dt} (PyTorch's legacy type)."})


FloatTensor = _tensor_type("FloatTensor", float32)
DoubleTensor = _tensor_type("DoubleTensor", float64)
HalfTensor = _tensor_type("HalfTensor", float16)
LongTensor = _tensor_type("LongTensor", int64)
IntTensor = _tensor_type("IntTensor", int32)
ShortTensor = _tensor_type("ShortTensor", int16)
CharTensor = _tensor_type("CharTensor", int8)
ByteTensor = _tensor_type("ByteTensor", uint8)
BoolTensor = _tensor_type("BoolTensor", bool_)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> int:
    return t.numel()
