"""Inverted dropout: zero each element with probability p and scale the survivors by 1 / (1 - p)."""

from __future__ import annotations

import numbers

from .. import backend as B
from ..autograd.function import Elementwise
from ..autograd.tensor import Tensor, as_tensor


class Dropout(Elementwise):
    """out = x * m / (1 - p), m_i ~ Bernoulli(1 - p);  d/dx = m / (1 - p): the same mask routes the gradient.

    Scaling at training time keeps E[out] = x, so evaluation is the identity.
    """

    symbol = "dropout"

    def forward(self, x, p=0.5):
        if p >= 1.0:
            self.mask = B.xp.zeros(x.shape, dtype=x.dtype)
        else:
            keep = B.rng().random(x.shape, dtype=B.numpy.float32) >= p  # drawn on the CPU: one seed, one mask
            self.mask = B.xp.asarray(keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p)))  # moved to x's device
        return x * self.mask

    def local_grads(self):
        return (self.mask,)


def check_p(p, name: str = "dropout") -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: probability p must be a number between 0 and 1, got {p!r}")
    return float(p)


def dropout(x, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout; the identity when not ``training`` or when p = 0, zeros when p = 1."""
    p = check_p(p)
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"dropout: input must be floating point, got dtype {x.dtype}")
    if not training or p == 0.0:
        return x
    return Dropout.apply(x, p=p)
