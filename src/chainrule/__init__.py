"""chainrule: backpropagation, convolutional networks and the origin of convolution, on NumPy.

``import chainrule as cr`` gives tensors with reverse-mode autodiff (``cr.tensor``), the ops as
functions (``cr.maximum``, ``cr.where``, ...), and the subpackages as attributes.
"""

from __future__ import annotations

from . import backend, data, models, nn, ops, optim, signal, viz  # noqa: E402
from .autograd import (
    Elementwise,
    Function,
    ShapeError,
    Tensor,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
    tensor,
)
from .autograd.creation import arange, ones, ones_like, rand, randn, zeros, zeros_like
from .autograd.gradcheck import GradCheckError, grad_check
from .backend import manual_seed
from .devices import Device, device
from .ops import (
    abs,
    clip,
    concatenate,
    exp,
    flatten,
    log,
    matmul,
    maximum,
    minimum,
    permute,
    relu,
    reshape,
    sigmoid,
    sqrt,
    stack,
    tanh,
    transpose,
    where,
)

float32 = backend.numpy.float32
float64 = backend.numpy.float64
int64 = backend.numpy.int64

__version__ = "0.1.0"

__all__ = [
    "Device", "Elementwise", "Function", "GradCheckError", "ShapeError", "Tensor", "abs", "arange", "backend",
    "clip", "concatenate", "data", "device", "enable_grad", "exp", "flatten", "float32", "float64", "grad_check",
    "int64", "is_grad_enabled", "log", "manual_seed", "matmul", "maximum", "minimum", "models",
    "nn", "no_grad", "optim",
    "ones", "ones_like", "ops", "permute", "rand", "randn", "relu", "reshape", "set_grad_enabled",
    "signal", "sigmoid", "sqrt", "stack", "tanh", "tensor", "transpose", "viz", "where", "zeros",
    "zeros_like",
]
