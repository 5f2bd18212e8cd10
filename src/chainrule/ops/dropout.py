"""Inverted dropout: zero each element (or each whole channel) with probability p, scale the rest by 1 / (1 - p)."""

from __future__ import annotations

import numbers
import warnings

from .. import backend as B
from ..autograd.function import Elementwise, ShapeError
from ..autograd.tensor import Tensor, as_tensor


class Dropout(Elementwise):
    """out = x * m / (1 - p), m_i ~ Bernoulli(1 - p);  d/dx = m / (1 - p): the same mask routes the gradient.

    Scaling at training time keeps E[out] = x, so evaluation is the identity. ``mask_shape`` (default
    x's) broadcasts against x: (N, C, 1, 1) drops whole channels (Dropout2d).
    """

    symbol = "dropout"

    def forward(self, x, p=0.5, mask_shape=None):
        shape = x.shape if mask_shape is None else mask_shape
        if p >= 1.0:
            self.mask = self.xp.zeros(shape, dtype=x.dtype)
        else:
            keep = B.rng().random(shape, dtype=B.numpy.float32) >= p  # drawn on the CPU: one seed, one mask
            self.mask = self.xp.asarray(keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p)))  # moved to x's device
        return x * self.mask

    def local_grads(self):
        return (self.mask,)


def check_p(p, name: str = "dropout") -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: probability p must be a number between 0 and 1, got {p!r}")
    return float(p)


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout; the identity when not ``training`` or when p = 0, zeros when p = 1.

    ``inplace`` is accepted for PyTorch code; the result is always a new tensor.
    """
    return _dropout(input, p, training, "dropout", None)


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel-wise dropout of (N, C, L) or (C, L): each channel is zeroed whole with probability p."""
    x = as_tensor(input)
    if x.ndim not in (2, 3):
        raise ShapeError(f"dropout1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape {tuple(x.shape)}")
    if x.ndim == 2:  # unbatched: each row is a channel
        return _dropout(x, p, training, "dropout1d", (x.shape[0], 1))
    return _dropout(x, p, training, "dropout1d", (*x.shape[:2], 1))


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel-wise dropout of (N, C, H, W): each (n, c) feature map is zeroed whole with probability p.

    As PyTorch, axis 1 is the channel axis for any rank: a 3-D input is read as (N, C, L) (1-D
    channel-wise dropout, with PyTorch's warning), and ranks other than 3 and 4 warn too.
    """
    x = as_tensor(input)
    if x.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: received a {x.ndim}-D input, which is deprecated (as in PyTorch); it expects "
            "(N, C, H, W) or (C, H, W) inputs",
            UserWarning,
            stacklevel=2,
        )
    elif x.ndim == 3:
        warnings.warn(
            "dropout2d: received a 3-D input; as PyTorch, it is read as (N, C, L) and each of its "
            "channels dropped whole (1-D channel-wise dropout)",
            UserWarning,
            stacklevel=2,
        )
    if x.ndim < 2:
        raise ShapeError(f"dropout2d: expected an input with a channel axis (N, C, ...), got shape {tuple(x.shape)}")
    return _dropout(x, p, training, "dropout2d", (*x.shape[:2],) + (1,) * (x.ndim - 2))


def _dropout(x, p, training: bool, name: str, mask_shape) -> Tensor:
    p = check_p(p, name)
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {x.dtype}")
    if not training or p == 0.0:
        return x
    return Dropout.apply(x, p=p, mask_shape=mask_shape)
