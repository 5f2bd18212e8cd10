"""``device=`` / ``dtype=`` for layers, as PyTorch's factory arguments: ``nn.Linear(3, 4, dtype=cr.float64)``."""

from __future__ import annotations

from ..autograd.creation import zeros
from .parameter import Parameter


def new_parameter(shape: tuple, device=None, dtype=None, fill: float = 0.0) -> Parameter:
    """A Parameter of ``shape`` filled with ``fill``, in ``dtype`` (default: the default float dtype)
    on ``device`` ("cpu", "cuda[:k]"; default: the default device); layers then initialise it."""
    data = zeros(*shape, dtype=dtype, device=device)._data
    if fill:
        data[...] = fill
    return Parameter(data)


def check_groups(name: str, in_channels: int, out_channels: int, groups: int) -> None:
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) "
            f"must both be divisible by groups ({groups})"
        )


def add_weight_and_bias(module, weight_shape: tuple, bias_size: int, bias: bool, device=None, dtype=None) -> None:
    """``module.weight`` of ``weight_shape`` and ``module.bias`` of ``(bias_size,)`` (or None); the
    layer's ``reset_parameters`` draws their values."""
    module.weight = new_parameter(weight_shape, device, dtype)
    if bias:
        module.bias = new_parameter((bias_size,), device, dtype)
    else:
        module.register_parameter("bias", None)


def add_affine(module, shape: tuple, affine: bool, bias: bool, device=None, dtype=None) -> None:
    """A normalisation layer's ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None each."""
    if affine:
        module.weight = new_parameter(shape, device, dtype, fill=1.0)
    else:
        module.register_parameter("weight", None)
    if affine and bias:
        module.bias = new_parameter(shape, device, dtype)
    else:
        module.register_parameter("bias", None)


def reset_affine(module) -> None:
    """Back to ``weight`` = 1 and ``bias`` = 0 (those that exist)."""
    if module.weight is not None:
        module.weight._data[...] = 1
    if module.bias is not None:
        module.bias._data[...] = 0
