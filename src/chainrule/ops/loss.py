"""Softmax, log-softmax and the classification losses (cross-entropy, NLL), each one op with its local gradient.

Every exponential is max-shifted, so logits of 1e4 give finite losses and gradients:
log softmax(x)_c = (x_c - m) - log sum_k exp(x_k - m), with m = max_k x_k.
"""

from __future__ import annotations

import numbers
import warnings

from .. import backend as B
from ..autograd.function import Function, ShapeError
from ..autograd.tensor import Tensor, as_tensor
from ..backend import kernels
from .kernels import cross_entropy_fast

REDUCTIONS = ("mean", "sum", "none")


def _log_softmax(x, axis: int):
    xp = B.module_of(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Function):
    """s = exp(x - m) / sum_k exp(x_k - m) along ``dim``;  d/dx = s * (g - sum_k g_k s_k)."""

    symbol = "softmax"

    def forward(self, x, dim=-1):
        self.dim = dim
        e = self.xp.exp(x - x.max(axis=dim, keepdims=True))
        self.out = e / e.sum(axis=dim, keepdims=True)
        return self.out

    def backward(self, upstream):
        s = self.out
        return (s * (upstream - (upstream * s).sum(axis=self.dim, keepdims=True)),)


class LogSoftmax(Function):
    """y = x - m - log sum_k exp(x_k - m) along ``dim``;  d/dx = g - softmax(x) * sum_k g_k."""

    symbol = "log_softmax"

    def forward(self, x, dim=-1):
        self.dim = dim
        self.out = _log_softmax(x, dim)
        return self.out

    def backward(self, upstream):
        return (upstream - self.xp.exp(self.out) * upstream.sum(axis=self.dim, keepdims=True),)


class _Reduced(Function):
    """A loss that is per-element values l_i reduced by "none" | "sum" | "mean" (sum / denominator)."""

    def reduce(self, losses, reduction, denom):
        self.reduction, self.denom, self.loss_shape = reduction, denom, losses.shape
        if reduction == "none":
            return losses
        total = losses.sum(dtype=losses.dtype)
        if reduction == "sum":
            return total
        with B.numpy.errstate(invalid="ignore", divide="ignore"):  # every target ignored: NaN, as PyTorch
            return (total / denom).astype(losses.dtype)

    def scale(self, upstream):
        """d reduced / d l_i, shaped to broadcast against the per-element losses."""
        if self.reduction == "none":
            return upstream
        g = upstream / self.denom if self.reduction == "mean" else upstream
        return self.xp.broadcast_to(g, self.loss_shape)


class CrossEntropy(_Reduced):
    """l_i = -sum_c q_ic log p_ic with p_i = softmax(x_i): the cross-entropy of the target distribution q_i.

    q_i = onehot(y_i) for a class index y_i (the row of zeros when y_i = ignore_index), or the given
    probabilities; label smoothing eps makes it (1 - eps) q_i + eps / C, a class weight w scales it
    to q_i * w. "mean" divides by sum_i w_{y_i} (by the count of l_i for probability targets).
    Local gradient: d l_i / d x_i = p_i sum_c q_ic - q_i, which is p_i - onehot(y_i) in the plain case.

    This reference form handles every option; the plain case ((N, C) logits, class indices, no
    weight or smoothing) runs the fast kernel (``ops/kernels/cross_entropy_fast.py``) unless
    ``kernels.reference()``.
    """

    symbol = "cross_entropy"

    def forward(self, x, target, weight=None, reduction="mean", label_smoothing=0.0, ignore_index=-100):
        self.in_shape = x.shape
        if x.ndim == 1:  # unbatched (C,) logits with a () target
            x, target = x[None], target[None]
        self.fast = not kernels.reference() and cross_entropy_fast.handles(x, target, weight, label_smoothing)
        if self.fast:
            losses, self.p, self.rows, self.safe, self.valid = cross_entropy_fast.forward(
                self.xp, x, target, ignore_index
            )
            denom = self.valid.sum()
        else:
            losses, denom = self.reference_forward(x, target, weight, label_smoothing, ignore_index)
        out = self.reduce(losses, reduction, x.dtype.type(denom))
        return out[0] if len(self.in_shape) == 1 and reduction == "none" else out

    def reference_forward(self, x, target, weight, label_smoothing, ignore_index):
        """The per-sample losses (N, ...) and the "mean" denominator; keeps p and q for backward."""
        n_classes, xp = x.shape[1], self.xp
        self.logp = _log_softmax(x, 1)  # log p, max-shifted (never the log of an underflowed p)
        self.soft = target.dtype.kind == "f"
        self.w = None if weight is None else weight.astype(x.dtype).reshape((1, n_classes) + (1,) * (x.ndim - 2))
        self.eps = label_smoothing
        if self.soft:
            q = target.astype(x.dtype, copy=False)
        else:
            valid = target != ignore_index
            classes = xp.arange(n_classes).reshape((1, n_classes) + (1,) * (x.ndim - 2))
            q = (classes == xp.where(valid, target, 0)[:, None]).astype(x.dtype)  # onehot(y_i)
        q = (1 - label_smoothing) * q + label_smoothing / n_classes
        if not self.soft:
            q = q * valid[:, None]  # an ignored target: q_i = 0, no loss, no gradient
        if self.w is not None:
            q = q * self.w
        if self.soft:
            denom = x.size // n_classes
        else:  # sum_i w_{y_i} over the targets that count
            denom = valid.sum() if self.w is None else (self.w * (classes == target[:, None])).sum()
        self.q = q
        return -(q * self.logp).sum(axis=1), denom

    def backward(self, upstream):
        g = self.scale(upstream).reshape(self.loss_shape)
        if self.fast:
            dx = cross_entropy_fast.backward(self.p, self.rows, self.safe, self.valid, g)  # g: (N,)
            return dx.reshape(self.in_shape), None
        g = self.xp.expand_dims(g, 1)
        q = self.q
        dx = (self.xp.exp(self.logp) * q.sum(axis=1, keepdims=True) - q) * g  # (p sum_c q_c - q) * upstream
        dt = None
        if self.soft and self.needs_input_grad[1]:  # d l_i / d t_ic = -(1 - eps) w_c log p_ic
            dt = -(1 - self.eps) * self.logp * g * (1 if self.w is None else self.w)
            dt = dt.reshape(self.parents[1].shape)
        return dx.reshape(self.in_shape), dt


class NLLLoss(_Reduced):
    """l_i = -w_{y_i} logp[i, y_i];  d l_i / d logp[i, c] = -w_{y_i} where c = y_i, else 0."""

    symbol = "nll_loss"

    def forward(self, logp, target, weight=None, reduction="mean", ignore_index=-100):
        self.in_shape = logp.shape
        if logp.ndim == 1:
            logp, target = logp[None], target[None]
        valid = target != ignore_index
        self.safe = self.xp.where(valid, target, 0)[:, None]
        target_w = valid[:, None].astype(logp.dtype)
        if weight is not None:
            wb = weight.astype(logp.dtype).reshape((1, -1) + (1,) * (logp.ndim - 2))
            target_w *= self.xp.take_along_axis(self.xp.broadcast_to(wb, logp.shape), self.safe, axis=1)
        self.target_w, self.shape2 = target_w, logp.shape
        losses = -(self.xp.take_along_axis(logp, self.safe, axis=1) * target_w)[:, 0]
        out = self.reduce(losses, reduction, logp.dtype.type(target_w.sum()))
        return out[0] if len(self.in_shape) == 1 and reduction == "none" else out

    def backward(self, upstream):
        g = self.xp.expand_dims(self.scale(upstream).reshape(self.loss_shape), 1)
        dlogp = self.xp.zeros(self.shape2, dtype=self.target_w.dtype)
        self.xp.put_along_axis(dlogp, self.safe, -self.target_w * g, axis=1)
        return dlogp.reshape(self.in_shape), None


# --- functions ---------------------------------------------------------------------------------


def softmax(input, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(x)_c = exp(x_c) / sum_k exp(x_k) along ``dim`` (computed max-shifted); ``dtype`` casts first.

    Without ``dim``, PyTorch's implicit choice (with its warning): dim 0 for 0-, 1- and 3-D inputs, else 1.
    """
    x = _softmax_input(input, dtype)
    return Softmax.apply(x, dim=_check_dim(x, _implicit_dim(x, dim, "softmax"), "softmax"))


def log_softmax(input, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log softmax(x)_c = x_c - log sum_k exp(x_k) along ``dim`` (computed max-shifted); as ``softmax``."""
    x = _softmax_input(input, dtype)
    return LogSoftmax.apply(x, dim=_check_dim(x, _implicit_dim(x, dim, "log_softmax"), "log_softmax"))


def _softmax_input(x, dtype) -> Tensor:
    x = as_tensor(x)
    return x if dtype is None else x.to(dtype)


def _implicit_dim(x: Tensor, dim, op: str) -> int:
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {op} has been deprecated (as in PyTorch): pass dim=", UserWarning, stacklevel=4
    )
    return 0 if x.ndim in (0, 1, 3) else 1


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Fused log-softmax + negative log-likelihood, as ``torch.nn.functional.cross_entropy``.

    input: logits (N, C) or (N, C, d1, ...) or (C,); target: class indices (N,) / (N, d1, ...) / (),
    or class probabilities shaped like the logits. "mean" divides by the summed target weights (by
    the number of samples for probability targets); ``label_smoothing`` eps mixes the target with
    the uniform distribution: (1 - eps) onehot + eps / C. ``size_average``/``reduce``: PyTorch's
    deprecated spellings of ``reduction``.
    """
    logits = input
    reduction = legacy_reduction(size_average, reduce, reduction, "cross_entropy")
    logits, target = as_tensor(logits), as_tensor(target)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    target = _check_target(logits, target, "cross_entropy", ignore_index)
    w = _check_weight(weight, logits, "cross_entropy")
    return CrossEntropy.apply(
        logits, target, weight=w, reduction=reduction, label_smoothing=float(label_smoothing), ignore_index=ignore_index
    )


def nll_loss(
    input, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None, reduction: str = "mean"
) -> Tensor:
    """-input[i, target_i] (times weight[target_i]), reduced; input holds log-probabilities (log_softmax)."""
    reduction = legacy_reduction(size_average, reduce, reduction, "nll_loss")
    logp, target = as_tensor(input), as_tensor(target)
    target = _check_target(logp, target, "nll_loss", ignore_index, allow_soft=False)
    w = _check_weight(weight, logp, "nll_loss")
    return NLLLoss.apply(logp, target, weight=w, reduction=reduction, ignore_index=ignore_index)


# --- argument checks ---------------------------------------------------------------------------


def _check_dim(x: Tensor, dim: int, op: str) -> int:
    nd = max(x.ndim, 1)
    if not isinstance(dim, numbers.Integral) or not -nd <= dim < nd:
        raise ShapeError(f"{op}: dim {dim} is out of range for a tensor of shape {tuple(x.shape)}")
    return int(dim) % nd if x.ndim else 0


def _check_reduction(reduction, op: str, allowed: tuple = REDUCTIONS) -> None:
    if reduction not in allowed:
        names = ", ".join(repr(r) for r in allowed[:-1]) + f" or {allowed[-1]!r}"
        raise ValueError(f"{op}: reduction must be {names}, got {reduction!r}")


def legacy_reduction(size_average, reduce, reduction, op: str, allowed: tuple = REDUCTIONS) -> str:
    """``reduction``, or what PyTorch's deprecated ``size_average``/``reduce`` flags ask for instead.

    Either flag given: "mean" if both are true (None counts as true), "sum" if only ``reduce`` is,
    else "none" (with PyTorch's deprecation warning). A string in ``size_average``'s place (a call
    written before these flags existed here, ``mse_loss(a, b, "sum")``) is taken as the reduction.
    """
    if isinstance(size_average, str):
        reduction, size_average = size_average, None
    if size_average is not None or reduce is not None:
        warnings.warn(
            f"{op}: size_average and reduce are deprecated, as in PyTorch; use reduction=", UserWarning, stacklevel=3
        )
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    _check_reduction(reduction, op, allowed)
    return reduction


def _check_weight(weight, x: Tensor, op: str):
    if weight is None:
        return None
    w = weight._data if isinstance(weight, Tensor) else B.asarray(weight)
    n_classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    if w.shape != (n_classes,):
        raise ShapeError(f"{op}: weight must have shape ({n_classes},), one per class, got {w.shape}")
    return w


def _check_target(x: Tensor, target: Tensor, op: str, ignore_index: int, allow_soft: bool = True) -> Tensor:
    """Class indices as int64 (checked against the C classes), or float probabilities shaped like x."""
    if x.ndim == 0:
        raise ShapeError(f"{op}: input must be (C,), (N, C) or (N, C, d1, ...), got a scalar")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point (logits or log-probabilities), got dtype {x.dtype}")
    n_classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    t = target._data
    if allow_soft and t.dtype.kind == "f" and t.shape == x.shape:
        return target
    expected = () if x.ndim == 1 else (x.shape[0],) + tuple(x.shape[2:])
    if t.shape != expected:
        raise ShapeError(
            f"{op}: input of shape {tuple(x.shape)} needs class-index targets of shape {expected}"
            + (" (or probabilities of the input's shape)" if allow_soft else "")
            + f", got {t.shape}"
        )
    if t.dtype.kind not in "iuf":
        raise TypeError(f"{op}: targets must be integer class indices, got dtype {t.dtype}")
    if t.dtype.kind == "f":
        fractional = t != B.module_of(t).round(t)
        if fractional.any():
            raise ValueError(
                f"{op}: targets must be integer class indices in [0, {n_classes}), "
                f"got {float(t[fractional].reshape(-1)[0])} ({n_classes} classes)"
            )
    t = t.astype(B.numpy.int64, copy=False)
    bad = ((t < 0) | (t >= n_classes)) & (t != ignore_index)
    if bad.any():
        raise ValueError(
            f"{op}: target {int(t[bad].reshape(-1)[0])} is out of range for {n_classes} classes "
            f"(valid: 0 to {n_classes - 1})"
        )
    return Tensor(t)
