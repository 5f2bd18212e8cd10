"""Batch normalisation as one op with the closed-form backward pass."""

from __future__ import annotations

from ..autograd.function import Function, ShapeError
from ..autograd.tensor import Tensor, as_tensor


class BatchNorm(Function):
    """y = gamma * xhat + beta,  xhat = (x - mu) / sqrt(var + eps), per channel (axis 1).

    Training: mu, var are the batch's mean and biased variance over every axis but 1 (n values
    per channel), and the local gradient is the closed form
    dx = gamma / (n sqrt(var + eps)) * (n g - sum g - xhat * sum(g xhat)).
    Evaluation: mu, var are the running statistics, constants, so dx = g gamma / sqrt(var + eps).
    Both: dgamma = sum(g xhat), dbeta = sum(g).
    """

    symbol = "batch_norm"

    def forward(
        self,
        x,
        *affine,
        has_weight=True,
        has_bias=True,
        running_mean=None,
        running_var=None,
        training=True,
        momentum=0.1,
        eps=1e-5,
    ):
        c = x.shape[1]
        self.axes = (0,) + tuple(range(2, x.ndim))
        self.bshape = (1, c) + (1,) * (x.ndim - 2)  # per-channel arrays broadcast over (N, C, ...)
        self.has_weight, self.has_bias, self.training = has_weight, has_bias, training
        weight = affine[0] if has_weight else None
        bias = affine[-1] if has_bias else None
        if training:
            n = x.size // c
            mean = x.mean(axis=self.axes)
            centered = x - mean.reshape(self.bshape)
            var = (centered * centered).mean(axis=self.axes)
            if running_mean is not None:  # PyTorch stores the unbiased variance
                running_mean *= 1 - momentum
                running_mean += momentum * mean
                running_var *= 1 - momentum
                running_var += momentum * var * (n / (n - 1))
        else:
            mean, var = running_mean, running_var
            centered = x - mean.reshape(self.bshape).astype(x.dtype, copy=False)
        self.invstd = (1.0 / self.xp.sqrt(var + eps)).astype(x.dtype, copy=False).reshape(self.bshape)
        self.xhat = centered * self.invstd
        self.gamma = weight.reshape(self.bshape) if weight is not None else None
        out = self.xhat * self.gamma if weight is not None else self.xhat.copy()
        if bias is not None:
            out += bias.reshape(self.bshape).astype(out.dtype, copy=False)
        return out

    def backward(self, g):
        scale = self.invstd if self.gamma is None else self.gamma * self.invstd
        gsum = g.sum(axis=self.axes)
        gxhat = (g * self.xhat).sum(axis=self.axes)
        dx = None
        if self.needs_input_grad[0]:
            if self.training:
                n = g.size // g.shape[1]
                dx = (scale / n) * (n * g - gsum.reshape(self.bshape) - self.xhat * gxhat.reshape(self.bshape))
            else:
                dx = g * scale
        grads = [dx]
        if self.has_weight:
            grads.append(gxhat if self.needs_input_grad[len(grads)] else None)
        if self.has_bias:
            grads.append(gsum if self.needs_input_grad[len(grads)] else None)
        return tuple(grads)


def _array(x):
    return x._data if isinstance(x, Tensor) else x


def batch_norm(
    x,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    *,
    name: str = "batch_norm",
) -> Tensor:
    """Batch normalisation of x (N, C) or (N, C, L) or (N, C, H, W) per channel, as PyTorch's.

    In ``training`` the batch statistics normalise, and running_mean / running_var (arrays or
    tensors of shape (C,), when given) are updated in place with ``momentum``:
    r = (1 - momentum) r + momentum * stat, the variance unbiased (n / (n - 1)). Otherwise the
    running statistics normalise.
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ShapeError(f"{name}: input must be (N, C, ...) with at least 2 dimensions, got shape {tuple(x.shape)}")
    c = x.shape[1]
    rm, rv = _array(running_mean), _array(running_var)
    for label, arr in (("running_mean", rm), ("running_var", rv), ("weight", weight), ("bias", bias)):
        if arr is not None and tuple(arr.shape) != (c,):
            raise ShapeError(
                f"{name}: {label} has shape {tuple(arr.shape)}, expected ({c},) for input "
                f"of shape {tuple(x.shape)} with {c} channels"
            )
    if (rm is None) != (rv is None):
        raise ValueError(f"{name}: give both running_mean and running_var, or neither")
    if training and x.numel() // max(c, 1) <= 1:
        raise ValueError(
            f"{name}: expected more than 1 value per channel when training, got input of shape {tuple(x.shape)}"
        )
    if not training and rm is None:
        raise ValueError(f"{name}: evaluation mode needs running_mean and running_var (or use training=True)")
    affine = [as_tensor(t) for t in (weight, bias) if t is not None]
    return BatchNorm.apply(
        x,
        *affine,
        has_weight=weight is not None,
        has_bias=bias is not None,
        running_mean=rm,
        running_var=rv,
        training=bool(training),
        momentum=float(momentum),
        eps=float(eps),
    )
