"""Every differentiable op, as a function on tensors (the classes hold forward + local gradient).

Names and arguments are PyTorch's (``dim``, ``keepdim``, ``alpha``); NumPy's spellings stay
accepted where they do not clash (``axis``, ``keepdims``, ``concatenate``, ``clip``).
"""

from __future__ import annotations

from .. import backend as B
from ..autograd.tensor import Tensor
from . import elementwise as _e
from .compare import all, allclose, any, eq, equal, ge, gt, isclose, isfinite, isinf, isnan, le, lt, ne
from .index import gather, index_select, masked_fill
from .linalg import bmm, matmul, mm
from .operands import pair as _pair
from .operands import with_out as _with_out
from .reduce import amax, amin, mean, prod, sum
from .shape import (
    astype,
    cat,
    chunk,
    concatenate,
    expand,
    expand_as,
    flatten,
    getitem,
    permute,
    repeat,
    reshape,
    reshape_as,
    split,
    squeeze,
    stack,
    t,
    transpose,
    unsqueeze,
    view_as,
)
from .sort import argmax, argmin, argsort, max, min, sort, topk
from .statistics import norm, std, var
from .transfer import to_device


def add(input, other, *, alpha=1):  # noqa: A002 (PyTorch's argument name)
    """input + alpha * other, as torch.add."""
    a, b = _pair(input, other)
    return _e.Add.apply(a, b if alpha == 1 else mul(b, alpha))


def sub(input, other, *, alpha=1):  # noqa: A002
    """input - alpha * other, as torch.sub."""
    a, b = _pair(input, other)
    return _e.Sub.apply(a, b if alpha == 1 else mul(b, alpha))


def mul(input, other):  # noqa: A002
    return _e.Mul.apply(*_pair(input, other))


def div(input, other, *, rounding_mode=None):  # noqa: A002
    """input / other; ``rounding_mode`` "trunc" or "floor" rounds the quotient (no gradient then)."""
    a, b = _pair(input, other)
    if rounding_mode is None:
        return _e.Div.apply(a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")
    xp = B.module_of(a._data, b._data)
    dtype = xp.result_type(a._data, b._data)
    if rounding_mode == "floor" and dtype.kind in "iu":
        q = xp.floor_divide(a._data, b._data)  # exact for integers
    else:
        with B.numpy.errstate(divide="ignore", invalid="ignore"):
            q = getattr(xp, rounding_mode)(a._data / b._data)
    return Tensor._from_op(q.astype(dtype, copy=False), False)


def pow(input, exponent):  # noqa: A002
    """input ** exponent (either may be a number), as torch.pow."""
    return _e.Pow.apply(*_pair(input, exponent))


def neg(x):
    return _e.Neg.apply(x)


def exp(x):
    return _e.Exp.apply(x)


def log(x):
    return _e.Log.apply(x)


def sqrt(x):
    return _e.Sqrt.apply(x)


def sin(x):
    return _e.Sin.apply(x)


def cos(x):
    return _e.Cos.apply(x)


def sigmoid(x):
    return _e.Sigmoid.apply(x)


def tanh(x):
    return _e.Tanh.apply(x)


def relu(x, inplace: bool = False):
    """max(x, 0); ``inplace`` writes the result into x (PyTorch's ``F.relu(x, inplace=True)``)."""
    return x.relu_() if inplace else _e.ReLU.apply(x)


def abs(x):
    return _e.Abs.apply(x)


def clamp(x, min=None, max=None):
    """min(max(x, min), max), as torch.clamp; the bounds are numbers or tensors (which then get the
    gradient where they bind)."""
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = where(ge(out, min), out, min)
        if max is not None:
            out = where(le(out, max), out, max)
        return out
    if min is None and max is None:
        raise ValueError("clamp: give at least one of min and max")
    return _e.Clip.apply(x, lo=min, hi=max)


def clip(x, min=None, max=None):
    """NumPy's (and torch's alias) name for ``clamp``; both bounds None returns a copy."""
    if min is None and max is None:
        return _e.Clip.apply(x, lo=None, hi=None)
    return clamp(x, min, max)


def clamp_min(x, min):
    return clamp(x, min=min)


def clamp_max(x, max):
    return clamp(x, max=max)


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


# PyTorch's out= on the functions scripts call with it (torch.add(a, b, out=c), torch.matmul(..., out=))
add, sub, mul, div, pow, neg, exp, log, sqrt, sin, cos, sigmoid, tanh, abs, clamp, maximum, minimum = map(
    _with_out, (add, sub, mul, div, pow, neg, exp, log, sqrt, sin, cos, sigmoid, tanh, abs, clamp, maximum, minimum)
)
matmul, mm, bmm, cat, stack, sum, mean, prod = map(_with_out, (matmul, mm, bmm, cat, stack, sum, mean, prod))

__all__ = [
    "isfinite",
    "isinf",
    "isnan",
    "abs",
    "add",
    "all",
    "allclose",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "argsort",
    "astype",
    "bmm",
    "cat",
    "chunk",
    "clamp",
    "clamp_max",
    "clamp_min",
    "clip",
    "concatenate",
    "cos",
    "div",
    "eq",
    "equal",
    "exp",
    "expand",
    "expand_as",
    "flatten",
    "gather",
    "ge",
    "getitem",
    "gt",
    "index_select",
    "isclose",
    "le",
    "log",
    "lt",
    "masked_fill",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mm",
    "mul",
    "ne",
    "neg",
    "norm",
    "permute",
    "pow",
    "prod",
    "relu",
    "repeat",
    "reshape",
    "reshape_as",
    "sigmoid",
    "sin",
    "sort",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sub",
    "sum",
    "t",
    "tanh",
    "to_device",
    "topk",
    "transpose",
    "unsqueeze",
    "var",
    "view_as",
    "where",
]
