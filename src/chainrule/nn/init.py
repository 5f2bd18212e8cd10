"""Weight initialisers, as ``torch.nn.init``: each fills the tensor's values in place (outside
autograd) and returns the tensor.

Every draw goes through ``chainrule.backend.rng()``, so ``cr.manual_seed`` makes them repeatable.
fan_in = shape[1] * receptive field and fan_out = shape[0] * receptive field, where the receptive
field is the product of shape[2:] (kh * kw for a conv weight (out, in, kh, kw)).
"""

from __future__ import annotations

import math
import numbers

from .. import backend as B
from ..autograd.tensor import Tensor

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def _array(tensor):
    if isinstance(tensor, Tensor):
        tensor._bump_version()  # about to be written in place
        return tensor._data
    if B.is_array(tensor):
        return tensor
    raise TypeError(f"nn.init: expected a Tensor (or an array), got {type(tensor).__name__}")


def _fill(tensor, values):
    arr = _array(tensor)
    arr[...] = values
    return tensor


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The gain that keeps activations' variance steady: 1 (linear, conv, sigmoid), 5/3 (tanh),
    sqrt(2) (relu), sqrt(2 / (1 + slope^2)) (leaky_relu, slope ``param``, default 0.01), 3/4 (selu)."""
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    """(fan_in, fan_out) = (shape[1] * receptive field, shape[0] * receptive field)."""
    shape = _array(tensor).shape
    if len(shape) < 2:
        raise ValueError(
            f"nn.init: fan in and fan out can not be computed for a tensor with fewer than "
            f"2 dimensions, got shape {shape}"
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"nn.init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a: float = 0.0, b: float = 1.0):
    """Fill with samples of U(a, b)."""
    arr = _array(tensor)
    return _fill(tensor, B.rng().uniform(a, b, arr.shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0):
    """Fill with samples of N(mean, std^2)."""
    arr = _array(tensor)
    return _fill(tensor, B.rng().normal(mean, std, arr.shape))


def constant_(tensor, val: float):
    return _fill(tensor, val)


def zeros_(tensor):
    return _fill(tensor, 0)


def ones_(tensor):
    return _fill(tensor, 1)


def _empty(tensor) -> bool:
    return _array(tensor).size == 0  # nothing to draw (PyTorch warns and returns)


def xavier_uniform_(tensor, gain: float = 1.0):
    """Glorot: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    if _empty(tensor):
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor, gain: float = 1.0):
    """Glorot: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    if _empty(tensor):
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"):
    """He: U(-bound, bound), bound = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).

    ``nn.Linear`` and ``nn.Conv2d`` use a = sqrt(5), which makes bound = 1 / sqrt(fan_in).
    """
    if _empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"):
    """He: N(0, std^2), std = gain / sqrt(fan)."""
    if _empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


def lecun_uniform_(tensor):
    """LeCun: U(-a, a), a = sqrt(3 / fan_in), so the variance is 1 / fan_in."""
    if _empty(tensor):
        return tensor
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0 / fan_in)
    return uniform_(tensor, -a, a)


def lecun_normal_(tensor):
    """LeCun: N(0, 1 / fan_in) (a plain normal, not the truncated one of some libraries)."""
    if _empty(tensor):
        return tensor
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, math.sqrt(1.0 / fan_in))


__all__ = [
    "calculate_gain",
    "constant_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "lecun_normal_",
    "lecun_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]
