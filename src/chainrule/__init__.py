"""chainrule: backpropagation, convolutional networks and the origin of convolution, on NumPy.

``import chainrule as cr`` gives tensors with reverse-mode autodiff (``cr.tensor``), the ops as
functions (``cr.maximum``, ``cr.where``, ...), and the subpackages as attributes.
"""

from __future__ import annotations

from . import accelerator, autograd, backend, backends, cuda, data, models, nn, ops, optim, signal, viz  # noqa: E402
from .autograd import (
    Elementwise,
    ShapeError,
    Size,
    Tensor,
    as_tensor,
    enable_grad,
    from_numpy,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
    tensor,
)
from .autograd.dtypes import (  # PyTorch's dtype names
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    is_floating_point,
    long,
    set_default_dtype,
    short,
    uint8,
)
from .autograd.function import Function  # chainrule's op base class (PyTorch's is cr.autograd.Function)
from .autograd.creation import (
    arange,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    zeros,
    zeros_like,
)
from .autograd.gradcheck import GradCheckError, grad_check
from .backend import manual_seed
from .devices import Device, device, get_default_device, set_default_device
from .ops import (
    abs,
    add,
    all,
    allclose,
    amax,
    amin,
    any,
    argmax,
    argmin,
    argsort,
    bmm,
    cat,
    chunk,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    concatenate,
    cos,
    div,
    eq,
    equal,
    exp,
    expand,
    flatten,
    gather,
    ge,
    gt,
    index_select,
    isclose,
    le,
    log,
    lt,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    ne,
    neg,
    norm,
    permute,
    pow,
    prod,
    relu,
    repeat,
    reshape,
    sigmoid,
    sin,
    sort,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sub,
    sum,
    t,
    tanh,
    topk,
    transpose,
    unsqueeze,
    var,
    where,
)
from .random import Generator
from .serialization import load, save
from . import utils  # torch.utils.data: datasets, samplers, DataLoader


__version__ = "0.1.0"

__all__ = [
    # the tensor core: dtypes, conversions, autograd
    "Size", "as_tensor", "autograd", "bool", "double", "float", "float16", "get_default_dtype", "half", "inference_mode",
    "int", "int8", "int16", "int32", "is_floating_point", "long", "from_numpy", "set_default_dtype", "short", "uint8",
    "Device", "Elementwise", "Function", "GradCheckError", "ShapeError", "Tensor", "abs", "arange", "backend",
    "clip", "concatenate", "data", "device", "enable_grad", "exp", "flatten", "float32", "float64", "grad_check",
    "int64", "is_grad_enabled", "log", "manual_seed", "matmul", "maximum", "minimum", "models",
    "nn", "no_grad", "optim",
    "ones", "ones_like", "ops", "permute", "rand", "randn", "relu", "reshape", "set_grad_enabled",
    "signal", "sigmoid", "sqrt", "stack", "tanh", "tensor", "transpose", "viz", "where", "zeros",
    "zeros_like",
    # item 4: the everyday ops and factories
    "add", "all", "allclose", "amax", "amin", "any", "argmax", "argmin", "argsort", "bmm", "cat", "chunk", "clamp",
    "clamp_max", "clamp_min", "cos", "div", "empty", "empty_like", "eq", "equal", "expand", "eye", "full", "full_like",
    "gather", "ge", "gt", "index_select", "isclose", "le", "linspace", "lt", "masked_fill", "max", "mean", "min", "mm",
    "mul", "ne", "neg", "norm", "pow", "prod", "rand_like", "randint", "randn_like", "randperm", "repeat", "sin",
    "sort", "split", "squeeze", "std", "sub", "sum", "t", "topk", "unsqueeze", "var",
    # items 6 and 8: device probes, save/load in PyTorch's format
    "accelerator", "backends", "cuda", "get_default_device", "load", "save", "set_default_device",
    # item 7: data
    "Generator", "utils",
]
