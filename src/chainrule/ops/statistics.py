"""Spread and size of a tensor: var, std (PyTorch's unbiased default) and vector norms."""

from __future__ import annotations

import math

from .. import backend as B
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .operands import as_tensor
from .reduce import _cast, expand_back, normalize_axes, resolve_dims


class Var(Function):
    """out = sum_i (x_i - mean)^2 / (n - correction);  d out / d x_i = 2 (x_i - mean) / (n - correction).

    (The mean's own dependence on x_i drops out: sum_j (x_j - mean) = 0.)
    """

    symbol = "var"

    def forward(self, x, axis=None, correction=1, keepdims=False):
        self.shape, self.axes, self.keepdims = x.shape, normalize_axes(axis, x.ndim, self.op_name()), keepdims
        n = math.prod(x.shape[a] for a in self.axes)
        self.dof = max(n - correction, 0)  # PyTorch clamps n - correction at 0
        self.centered = x - x.mean(axis=self.axes, keepdims=True)
        with B.numpy.errstate(divide="ignore", invalid="ignore"):  # n <= correction: inf or nan, as PyTorch
            out = (self.centered * self.centered).sum(axis=self.axes, keepdims=keepdims) / self.dof
        return out.astype(x.dtype, copy=False)

    def backward(self, upstream):
        g = expand_back(upstream, self.shape, self.axes, self.keepdims)
        with B.numpy.errstate(divide="ignore", invalid="ignore"):
            return ((2 / self.dof) * self.centered * g,) if self.dof else (self.centered * (g * self.xp.inf),)


class Std(Var):
    """out = s = sqrt(var);  d out / d x_i = (x_i - mean) / ((n - correction) s)."""

    symbol = "std"

    def forward(self, x, axis=None, correction=1, keepdims=False):
        self.out = self.xp.sqrt(super().forward(x, axis, correction, keepdims))
        return self.out

    def backward(self, upstream):
        with B.numpy.errstate(divide="ignore", invalid="ignore"):
            (g,) = super().backward(upstream / (2 * self.out))
        return (g,)


class Norm(Function):
    """out = (sum_i |x_i|^p)^(1/p) over ``axis``;  d out / d x_i = sign(x_i) |x_i|^(p-1) / out^(p-1).

    p = 2: x_i / out;  p = 1: sign(x_i);  p = inf: sign(x_i) at the largest |x_i| (split evenly on ties);
    where out = 0 the gradient is 0 (as PyTorch's subgradient).
    """

    symbol = "norm"

    def forward(self, x, p=2.0, axis=None, keepdims=False):
        self.x, self.p, self.keepdims = x, p, keepdims
        self.axes = normalize_axes(axis, x.ndim, self.op_name())
        a, ax = self.xp.abs(x), self.axes
        if p == math.inf or p == -math.inf:
            self.out = (a.max if p > 0 else a.min)(axis=ax, keepdims=True)
        elif p == 0:
            self.out = (a != 0).sum(axis=ax, keepdims=True).astype(x.dtype)
        elif p == 1:
            self.out = a.sum(axis=ax, keepdims=True)
        elif p == 2:
            self.out = self.xp.sqrt((x * x).sum(axis=ax, keepdims=True))
        else:
            self.out = ((a**p).sum(axis=ax, keepdims=True)) ** (1.0 / p)
        return self.out if keepdims else self.out.reshape([n for i, n in enumerate(x.shape) if i not in ax])

    def backward(self, upstream):
        x, out, p = self.x, self.out, self.p
        g = expand_back(upstream, x.shape, self.axes, self.keepdims)
        if p == 0:
            return (self.xp.zeros(x.shape, dtype=upstream.dtype),)
        if p == 1:
            return (self.xp.sign(x) * g,)
        if p == math.inf or p == -math.inf:
            hit = self.xp.abs(x) == out
            return (self.xp.sign(x) * hit * (g / hit.sum(axis=self.axes, keepdims=True)),)
        with B.numpy.errstate(divide="ignore", invalid="ignore"):
            local = x / out if p == 2 else self.xp.sign(x) * self.xp.abs(x) ** (p - 1) / out ** (p - 1)
        return (self.xp.where(out == 0, 0, local).astype(x.dtype, copy=False) * g,)


def _correction(dim, unbiased, correction, op: str):
    """PyTorch's three spellings: var(x, unbiased), var(x, dim, unbiased), var(x, dim, correction=c)."""
    if isinstance(dim, bool):  # var(x, False): the old positional ``unbiased``
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: give unbiased or correction, not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None) -> Tensor:
    """sum_i (x_i - mean)^2 / (n - correction) over ``dim``; correction=1 (unbiased) by default, as torch."""
    dim, correction = _correction(dim, unbiased, correction, "var")
    dim, keepdim = resolve_dims(dim, keepdim, axis, keepdims, "var")
    return Var.apply(as_tensor(x), axis=dim, correction=correction, keepdims=keepdim)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None) -> Tensor:
    """sqrt(var), with var's arguments (unbiased by default, as torch.std)."""
    dim, correction = _correction(dim, unbiased, correction, "std")
    dim, keepdim = resolve_dims(dim, keepdim, axis, keepdims, "std")
    return Std.apply(as_tensor(x), axis=dim, correction=correction, keepdims=keepdim)


def norm(x, p="fro", dim=None, keepdim=False, dtype=None) -> Tensor:
    """The p-norm over ``dim`` (None: all elements), as torch.norm: p = 1, 2, inf, -inf, 0, any
    number > 0, or "fro" (the 2-norm of all the elements over ``dim``)."""
    if p == "fro" or p is None:
        p = 2.0
    if isinstance(p, str):
        raise ValueError(f"norm: p={p!r} is not supported; use a number, inf or 'fro'")
    if isinstance(dim, list):
        dim = tuple(dim)
    return Norm.apply(_cast(as_tensor(x), dtype), p=float(p), axis=dim, keepdims=bool(keepdim))
