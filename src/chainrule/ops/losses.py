"""Pointwise losses (regression, binary classification, KL divergence) and ``one_hot``.

Each loss is per-element values l_i = w_i f(a_i, b_i) of the input a and target b (broadcast),
reduced by "none" | "sum" | "mean"; its op keeps f beside the local gradients df/da and df/db,
and backward multiplies them by the upstream gradient (and undoes broadcasting), as Elementwise.
Names, arguments and defaults are torch.nn.functional's.
"""

from __future__ import annotations

import warnings

from .. import backend as B
from ..autograd.dtypes import promote
from ..autograd.function import Function, ShapeError, unbroadcast
from ..autograd.tensor import Tensor, as_tensor
from .loss import _Reduced, legacy_reduction


class _Pointwise(_Reduced):
    """l = f(a, b) element by element, times ``weight``, reduced; ``denom`` overrides "mean"'s count."""

    def forward(self, a, b, reduction="mean", weight=None, denom=None, **options):
        a, b = promote([a, b], to_float=True)  # PyTorch's promotion: float32 input, int64 target -> float32
        losses = self.values(a, b, **options)
        self.w = None if weight is None else weight.astype(losses.dtype, copy=False)
        if weight is not None:
            losses = losses * self.w
        return self.reduce(losses, reduction, losses.dtype.type(losses.size if denom is None else denom))

    def values(self, a, b, **options):
        raise NotImplementedError

    def local_grads(self) -> tuple:
        """(dl/da, dl/db), each broadcastable to the losses' shape (None where not needed)."""
        raise NotImplementedError

    def backward(self, upstream):
        g = self.scale(upstream)
        if self.w is not None:
            g = g * self.w
        grads = []
        for parent, need, local in zip(self.parents, self.needs_input_grad, self.local_grads()):
            grads.append(unbroadcast(g * local, parent.shape).astype(parent.dtype, copy=False) if need else None)
        return tuple(grads)


class _Difference(_Pointwise):
    """A loss of the difference d = a - b alone: dl/da = f'(d), dl/db = -f'(d)."""

    def values(self, a, b, **options):
        self.d = a - b
        return self.of_difference(self.d, **options)

    def local_grads(self):
        slope = self.slope()
        return slope, -slope


class MSELoss(_Difference):
    """l = d^2;  dl/dd = 2 d."""

    symbol = "mse"

    def of_difference(self, d):
        return d * d

    def slope(self):
        return 2 * self.d


class L1Loss(_Difference):
    """l = |d|;  dl/dd = sign(d) (0 at 0, as PyTorch)."""

    symbol = "l1"

    def of_difference(self, d):
        return self.xp.abs(d)

    def slope(self):
        return self.xp.sign(self.d)


class SmoothL1Loss(_Difference):
    """l = d^2 / (2 beta) where |d| < beta, else |d| - beta / 2;  dl/dd = d / beta there, else sign(d)."""

    symbol = "smooth_l1"

    def of_difference(self, d, beta=1.0):
        z = self.xp.abs(d)
        self.beta, self.inner = beta, z < beta
        with B.numpy.errstate(divide="ignore", invalid="ignore"):  # beta = 0: the L1 loss
            return self.xp.where(self.inner, 0.5 * d * d / d.dtype.type(beta or 1), z - d.dtype.type(0.5 * beta))

    def slope(self):
        return self.xp.where(self.inner, self.d / self.d.dtype.type(self.beta or 1), self.xp.sign(self.d))


class HuberLoss(_Difference):
    """l = d^2 / 2 where |d| < delta, else delta (|d| - delta / 2);  dl/dd = d there, else delta sign(d)."""

    symbol = "huber"

    def of_difference(self, d, delta=1.0):
        z = self.xp.abs(d)
        self.delta, self.inner = d.dtype.type(delta), z < delta
        return self.xp.where(self.inner, 0.5 * d * d, self.delta * (z - 0.5 * self.delta))

    def slope(self):
        return self.xp.where(self.inner, self.d, self.delta * self.xp.sign(self.d))


class BinaryCrossEntropy(_Pointwise):
    """l = -(t log x + (1 - t) log(1 - x)), each log clamped at -100 (so x = 0 or 1 stays finite).

    dl/dx = (x - t) / max(x (1 - x), 1e-12) (PyTorch's guard against 0 / 0); dl/dt = log(1 - x) - log x.
    """

    symbol = "bce"

    def values(self, x, t):
        self.x, self.t = x, t
        with B.numpy.errstate(divide="ignore"):
            self.log_x = self.xp.maximum(self.xp.log(x), -100)
            self.log_1mx = self.xp.maximum(self.xp.log1p(-x), -100)
        return -(t * self.log_x + (1 - t) * self.log_1mx)

    def local_grads(self):
        need_x, need_t = self.needs_input_grad
        x = self.x
        dx = (x - self.t) / self.xp.maximum(x * (1 - x), x.dtype.type(1e-12)) if need_x else None
        return dx, (self.log_1mx - self.log_x if need_t else None)


class BinaryCrossEntropyWithLogits(_Pointwise):
    """Sigmoid + BCE in one stable step, with lw = 1 + (pos_weight - 1) t and softplus(-x) = -log sigmoid(x):

    l = (1 - t) x + lw softplus(-x);  dl/dx = (1 - t) - lw sigmoid(-x);  dl/dt = -x + (pos_weight - 1) softplus(-x).
    softplus(-x) = max(-x, 0) + log(1 + e^-|x|) never overflows.
    """

    symbol = "bce_with_logits"

    def values(self, x, t, pos_weight=None):
        self.x, self.t, self.pw = x, t, pos_weight
        e = self.xp.exp(-self.xp.abs(x))
        self.sp = self.xp.maximum(-x, 0) + self.xp.log1p(e)  # softplus(-x)
        self.sig_neg = self.xp.where(x >= 0, e / (1 + e), 1 / (1 + e))  # sigmoid(-x)
        self.lw = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        return (1 - t) * x + self.lw * self.sp

    def local_grads(self):
        need_x, need_t = self.needs_input_grad
        dx = (1 - self.t) - self.lw * self.sig_neg if need_x else None
        dt = None
        if need_t:
            dt = -self.x if self.pw is None else -self.x + (self.pw - 1) * self.sp
        return dx, dt


class KLDiv(_Pointwise):
    """l = t (log t - x) (0 where t = 0), x and t log-probabilities with ``log_target``: l = e^t (t - x).

    dl/dx = -t (-e^t);  dl/dt = log t + 1 - x (e^t (t - x + 1)).
    """

    symbol = "kl_div"

    def values(self, x, t, log_target=False):
        self.x, self.t, self.log_target = x, t, log_target
        if log_target:
            self.et = self.xp.exp(t)
            return self.et * (t - x)
        with B.numpy.errstate(divide="ignore", invalid="ignore"):
            self.log_t = self.xp.log(t)
            xlogy = self.xp.where(t == 0, 0, t * self.log_t)  # xlogy: 0 log 0 = 0
        return xlogy - t * x

    def local_grads(self):
        need_x, need_t = self.needs_input_grad
        if self.log_target:
            return (-self.et if need_x else None), (self.et * (self.t - self.x + 1) if need_t else None)
        return (-self.t if need_x else None), (self.log_t + 1 - self.x if need_t else None)


# --- functions -----------------------------------------------------------------------------------


def _weight_array(weight, shape, op: str, exact: bool = False):
    """``weight`` as an array that broadcasts to ``shape`` (equals it, with ``exact``)."""
    if weight is None:
        return None
    w = weight._data if isinstance(weight, Tensor) else B.asarray(weight)
    ok = tuple(w.shape) == tuple(shape)
    if not ok and not exact:
        try:
            ok = B.numpy.broadcast_shapes(w.shape, tuple(shape)) == tuple(shape)
        except ValueError:
            ok = False
    if not ok:
        need = "the input's shape" if exact else "a shape that broadcasts to the input's"
        raise ShapeError(f"{op}: weight of shape {tuple(w.shape)} needs {need} {tuple(shape)}")
    return w


def _difference_loss(op_cls, name, input, target, reduction, weight, weighted_mean, **options) -> Tensor:
    input, target = as_tensor(input), as_tensor(target)
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"{name}: input shape {tuple(input.shape)} and target shape {tuple(target.shape)} differ "
            "and will be broadcast, which is rarely intended",
            UserWarning,
            stacklevel=3,
        )
    w = _weight_array(weight, input.shape, name, exact=True)
    denom = None
    if w is not None and weighted_mean == "sum_of_weights":
        denom = w.sum()
    return op_cls.apply(input, target, reduction=reduction, weight=w, denom=denom, **options)


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None) -> Tensor:
    """(input - target)^2, reduced by "mean" (over every element; sum(w l) / sum(w) with ``weight``), "sum", "none"."""
    reduction = legacy_reduction(size_average, reduce, reduction, "mse_loss")
    return _difference_loss(MSELoss, "mse_loss", input, target, reduction, weight, "sum_of_weights")


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None) -> Tensor:
    """|input - target|, reduced ("mean" with ``weight``: sum(w l) / sum(w), as PyTorch)."""
    reduction = legacy_reduction(size_average, reduce, reduction, "l1_loss")
    return _difference_loss(L1Loss, "l1_loss", input, target, reduction, weight, "sum_of_weights")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """d^2 / (2 beta) where |d| < beta, else |d| - beta / 2 (d = input - target), reduced."""
    reduction = legacy_reduction(size_average, reduce, reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    return _difference_loss(SmoothL1Loss, "smooth_l1_loss", input, target, reduction, None, None, beta=float(beta))


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None) -> Tensor:
    """d^2 / 2 where |d| < delta, else delta (|d| - delta / 2), reduced ("mean" with ``weight``: mean of w l)."""
    legacy_reduction(None, None, reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    return _difference_loss(HuberLoss, "huber_loss", input, target, reduction, weight, "count", delta=float(delta))


def _check_same_size(input: Tensor, target: Tensor, op: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeError(
            f"{op}: target size {tuple(target.shape)} differs from input size {tuple(input.shape)}; "
            "they must be the same"
        )


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """-w (t log x + (1 - t) log(1 - x)) of probabilities x in [0, 1] (logs clamped at -100), reduced."""
    reduction = legacy_reduction(size_average, reduce, reduction, "binary_cross_entropy")
    input, target = as_tensor(input), as_tensor(target)
    _check_same_size(input, target, "binary_cross_entropy")
    x = input._data
    if x.size and not bool(((x >= 0) & (x <= 1)).all()):
        raise ValueError(
            "binary_cross_entropy: all elements of input should be between 0 and 1 "
            f"(probabilities; found values from {float(x.min())} to {float(x.max())}); "
            "for logits use binary_cross_entropy_with_logits"
        )
    w = _weight_array(weight, input.shape, "binary_cross_entropy")
    return BinaryCrossEntropy.apply(input, target, reduction=reduction, weight=w)


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None
) -> Tensor:
    """BCE of sigmoid(input), computed stably from the logits; ``pos_weight`` scales the positive term
    (broadcast along the last, class, dimension), ``weight`` each element."""
    reduction = legacy_reduction(size_average, reduce, reduction, "binary_cross_entropy_with_logits")
    input, target = as_tensor(input), as_tensor(target)
    _check_same_size(input, target, "binary_cross_entropy_with_logits")
    w = _weight_array(weight, input.shape, "binary_cross_entropy_with_logits")
    pw = _weight_array(pos_weight, input.shape, "binary_cross_entropy_with_logits (pos_weight)")
    return BinaryCrossEntropyWithLogits.apply(input, target, reduction=reduction, weight=w, pos_weight=pw)


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: target (log target - input), input holding log-probabilities.

    "mean" divides by the number of elements (PyTorch's warning says so); "batchmean" by the batch
    size input.shape[0], which is the KL divergence's definition.
    """
    reduction = legacy_reduction(size_average, reduce, reduction, "kl_div", ("mean", "batchmean", "sum", "none"))
    if reduction == "mean":
        warnings.warn(
            "kl_div: reduction='mean' divides the total loss by both the batch size and the support "
            "size; 'batchmean' divides only by the batch size and matches the KL divergence's "
            "definition (as PyTorch warns)",
            UserWarning,
            stacklevel=2,
        )
    input, target = as_tensor(input), as_tensor(target)
    denom = None
    if reduction == "batchmean":
        reduction, denom = ("mean", input.shape[0]) if input.ndim else ("sum", None)
    return KLDiv.apply(input, target, reduction=reduction, denom=denom, log_target=bool(log_target))


# --- one_hot -------------------------------------------------------------------------------------


class _OneHot(Function):
    """out[..., c] = 1 where c = index, else 0 (int64; class indices carry no gradient)."""

    def forward(self, index, num_classes=-1):
        out = self.xp.zeros(index.shape + (num_classes,), dtype=self.xp.int64)
        self.xp.put_along_axis(out, index[..., None], 1, axis=-1)
        return out


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """Class indices (any shape, int64) -> (*shape, num_classes) int64 rows of zeros with a 1 at the index.

    ``num_classes=-1`` takes the largest index + 1.
    """
    tensor = as_tensor(tensor)
    idx = tensor._data
    if idx.dtype != B.numpy.int64:
        raise TypeError(f"one_hot: expects an index tensor of dtype int64, got {idx.dtype}")
    if num_classes == -1:
        if idx.size == 0:
            raise ValueError("one_hot: can not infer the number of classes from an empty tensor; give num_classes")
        num_classes = int(idx.max()) + 1
    if idx.size and int(idx.min()) < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {int(idx.min())}")
    if idx.size and int(idx.max()) >= num_classes:
        raise ValueError(f"one_hot: class values must be smaller than num_classes={num_classes}, got {int(idx.max())}")
    return _OneHot.apply(tensor, num_classes=int(num_classes))
