"""Every differentiable op, as a function on tensors (the classes hold forward + local gradient)."""

from __future__ import annotations

from . import elementwise as _e
from .linalg import matmul
from .reduce import max, mean, min, sum
from .shape import astype, concatenate, flatten, getitem, permute, reshape, stack, transpose
from .transfer import to_device


def add(a, b):
    return _e.Add.apply(a, b)


def sub(a, b):
    return _e.Sub.apply(a, b)


def mul(a, b):
    return _e.Mul.apply(a, b)


def div(a, b):
    return _e.Div.apply(a, b)


def pow(a, b):
    return _e.Pow.apply(a, b)


def neg(x):
    return _e.Neg.apply(x)


def exp(x):
    return _e.Exp.apply(x)


def log(x):
    return _e.Log.apply(x)


def sqrt(x):
    return _e.Sqrt.apply(x)


def sigmoid(x):
    return _e.Sigmoid.apply(x)


def tanh(x):
    return _e.Tanh.apply(x)


def relu(x):
    return _e.ReLU.apply(x)


def abs(x):
    return _e.Abs.apply(x)


def clip(x, min=None, max=None):
    return _e.Clip.apply(x, lo=min, hi=max)


def maximum(a, b):
    """Elementwise max of two tensors (or a tensor and a number); the max gate routes the gradient."""
    a, b = _pair(a, b)
    return _e.Maximum.apply(a, b)


def minimum(a, b):
    a, b = _pair(a, b)
    return _e.Minimum.apply(a, b)


def where(cond, a, b):
    """``a`` where ``cond`` is true, else ``b``; gradients flow to the chosen side only."""
    a, b = _pair(a, b)
    return _e.Where.apply(cond, a, b)


def _pair(a, b):
    """Lift Python numbers to the dtype of the tensor beside them."""
    from ..autograd.tensor import Tensor

    if isinstance(a, Tensor):
        return a, a._lift(b)
    if isinstance(b, Tensor):
        return b._lift(a), b
    return Tensor(a), Tensor(b)


__all__ = [
    "abs", "add", "astype", "to_device", "clip", "concatenate", "div", "exp", "flatten", "getitem", "log",
    "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg", "permute", "pow", "relu",
    "reshape", "sigmoid", "sqrt", "stack", "sub", "sum", "tanh", "transpose", "where",
]
