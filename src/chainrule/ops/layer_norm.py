"""Layer and group normalisation: statistics over the trailing axes of each sample, as PyTorch's."""

from __future__ import annotations

import math
import numbers

from ..autograd.function import Function, ShapeError
from ..autograd.tensor import Tensor, as_tensor


class LayerNorm(Function):
    """y = xhat * gamma + beta,  xhat = (x - mu) / sqrt(var + eps), mu and var (biased) over the last
    ``k`` axes: each of the M rows of K = prod(normalized_shape) values is normalised on its own.

    Local gradient, per row, with dxhat = g * gamma:
    dx = invstd / K * (K dxhat - sum(dxhat) - xhat * sum(dxhat * xhat));
    dgamma = sum over rows of g * xhat, dbeta = sum over rows of g.
    """

    symbol = "layer_norm"

    def forward(self, x, *affine, k=1, has_weight=True, has_bias=True, eps=1e-5):
        self.shape, self.has_weight, self.has_bias = x.shape, has_weight, has_bias
        size = math.prod(x.shape[x.ndim - k :])
        x2 = x.reshape(-1, size)  # (M, K): one row per normalised group
        mean = x2.mean(axis=1, keepdims=True)
        centered = x2 - mean
        var = (centered * centered).mean(axis=1, keepdims=True)
        self.invstd = (1.0 / self.xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        self.xhat = centered * self.invstd
        self.gamma = affine[0].reshape(size) if has_weight else None
        out = self.xhat * self.gamma if has_weight else self.xhat.copy()
        if has_bias:
            out += affine[-1].reshape(size).astype(out.dtype, copy=False)
        return out.reshape(x.shape)

    def backward(self, upstream):
        g = upstream.reshape(self.xhat.shape)
        grads = [None]
        if self.needs_input_grad[0]:
            dxhat = g * self.gamma if self.gamma is not None else g
            size = g.shape[1]
            dx = (self.invstd / size) * (
                size * dxhat
                - dxhat.sum(axis=1, keepdims=True)
                - self.xhat * (dxhat * self.xhat).sum(axis=1, keepdims=True)
            )
            grads[0] = dx.reshape(self.shape)
        if self.has_weight:  # gamma and beta have normalized_shape: reshape the (K,) sums back to it
            need = self.needs_input_grad[1]
            grads.append((g * self.xhat).sum(axis=0).reshape(self.parents[1].shape) if need else None)
        if self.has_bias:
            i = len(grads)
            grads.append(g.sum(axis=0).reshape(self.parents[i].shape) if self.needs_input_grad[i] else None)
        return tuple(grads)


def as_normalized_shape(normalized_shape, name: str) -> tuple:
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    try:
        shape = tuple(int(n) for n in normalized_shape)
    except TypeError:
        raise TypeError(
            f"{name}: normalized_shape must be an int or a sequence of ints, got {normalized_shape!r}"
        ) from None
    return shape


def layer_norm(
    input, normalized_shape, weight=None, bias=None, eps: float = 1e-5, *, name: str = "layer_norm"
) -> Tensor:
    """Normalise x (*, *normalized_shape) over its last len(normalized_shape) axes, then scale by
    ``weight`` and shift by ``bias`` (each of shape normalized_shape, optional)."""
    x = as_tensor(input)
    shape = as_normalized_shape(normalized_shape, name)
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k :]) != shape:
        raise ShapeError(
            f"{name}: given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {list(x.shape)}"
        )
    for label, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ShapeError(f"{name}: {label} has shape {tuple(t.shape)}, expected normalized_shape {shape}")
    affine = [as_tensor(t) for t in (weight, bias) if t is not None]
    return LayerNorm.apply(x, *affine, k=k, has_weight=weight is not None, has_bias=bias is not None, eps=float(eps))


def group_norm(
    input, num_groups: int, weight=None, bias=None, eps: float = 1e-5, *, name: str = "group_norm"
) -> Tensor:
    """x (N, C, *) in ``num_groups`` groups of C / num_groups channels: each (sample, group) is
    normalised over its channels and positions (a layer norm of x viewed as (N, G, rest)), then
    y = xhat * weight[c] + bias[c] per channel."""
    x = as_tensor(input)
    if x.ndim < 2:
        raise ShapeError(f"{name}: expected input (N, C, *) of at least 2 dimensions, got shape {tuple(x.shape)}")
    n, c = x.shape[0], x.shape[1]
    if not isinstance(num_groups, numbers.Integral) or num_groups < 1 or c % num_groups:
        raise ShapeError(
            f"{name}: expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {tuple(x.shape)} and num_groups={num_groups}"
        )
    if n * (c // num_groups) * math.prod(x.shape[2:]) == 1:  # torch's rule (its _verify_batch_size)
        raise ShapeError(
            f"{name}: expected more than 1 value per group over the batch (N * C / num_groups * "
            f"spatial > 1), got input of shape {tuple(x.shape)} with num_groups={num_groups}"
        )
    for label, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ShapeError(f"{name}: {label} has shape {tuple(t.shape)}, expected ({c},) for {c} channels")
    out = LayerNorm.apply(x.reshape(n, int(num_groups), -1), k=1, has_weight=False, has_bias=False, eps=float(eps))
    out = out.reshape(x.shape)
    per_channel = (c,) + (1,) * (x.ndim - 2)  # broadcasts over (N, C, *)
    if weight is not None:
        out = out * as_tensor(weight).reshape(per_channel)
    if bias is not None:
        out = out + as_tensor(bias).reshape(per_channel)
    return out
