"""Registry entries (``tests.oracle.OPS``) for the nn ops added for PyTorch compatibility: activations,
pointwise losses, adaptive and 1-D pooling. Each NumPy reference is written from the formula.

Kinks are kept out of reach: activations' inputs avoid their break points; difference losses draw
input and target on two grids a quarter apart, so |input - target| is never 0 nor the Huber/smooth-L1
break point (1.0 by default, 0.5 when drawn); max pools draw distinct values (no ties).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F
from tests.oracle import Domain, OpSpec, register, shapes

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _with(arity=1, **choices):
    """case: one random shape (for each of ``arity`` inputs) and each keyword drawn from its list."""
    return lambda draw: ([draw(shapes())] * arity, {k: draw(st.sampled_from(v)) for k, v in choices.items()})


# --- activations ---------------------------------------------------------------------------------

_ACT = [
    (
        "leaky_relu",
        dict(negative_slope=[0.01, 0.2, -0.5]),
        Domain(avoid=(0.0,)),
        lambda x, negative_slope: np.where(x > 0, x, negative_slope * x),
    ),
    (
        "elu",
        dict(alpha=[1.0, 0.5, 2.0]),
        Domain(-3, 3, avoid=(0.0,)),
        lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(x)),
    ),
    (
        "gelu",
        dict(approximate=["none", "tanh"]),
        Domain(-4, 4),
        lambda x, approximate: (
            x * 0.5 * (1 + _erf(x / math.sqrt(2)))
            if approximate == "none"
            else 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
        ),
    ),
    ("silu", {}, Domain(-6, 6), lambda x: x * _sigmoid(x)),
    (
        "softplus",
        dict(beta=[1.0, 2.0], threshold=[20.0, 3.0]),
        Domain(-4, 4, avoid=(1.5, 3.0)),
        lambda x, beta, threshold: np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta),
    ),
    (
        "hardtanh",
        dict(min_val=[-1.0], max_val=[1.0, 0.5]),
        Domain(avoid=(-1.0, 0.5, 1.0)),
        lambda x, min_val, max_val: np.clip(x, min_val, max_val),
    ),
    ("relu6", {}, Domain(-2, 8, avoid=(0.0, 6.0)), lambda x: np.clip(x, 0, 6)),
]
for _name, _choices, _domain, _np in _ACT:
    register(OpSpec(_name, getattr(F, _name), getattr(TF, _name), _np, 1, _domain, case=_with(**_choices)))


# --- pointwise losses ----------------------------------------------------------------------------

_REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}
_GRIDS = (Domain(grid=0.5), Domain(grid=0.5, offset=0.25))  # a - b is 0.25 + 0.5 k: no kink at 0, 0.5, 1


def _reduced(loss_fn):
    """A NumPy reference: per-element losses, then the reduction."""
    return lambda a, b, reduction, **kw: np.asarray(_REDUCE[reduction](loss_fn(a, b, **kw)))


def _weight(shape):
    """A fixed, uneven per-element weight for ``shape``."""
    return np.asarray(0.5 + (np.arange(math.prod(shape)) % 3).reshape(shape) * 0.75)


def _weighted(name, np_loss, mean_by_weight):
    """Spec of ``name(a, b, weight=w)``: "mean" is sum(w l) / sum(w) or mean(w l), as torch."""

    def ref(a, b, reduction):
        w, losses = _weight(a.shape), np_loss(a, b)
        if reduction == "mean":
            return np.asarray((w * losses).sum() / (w.sum() if mean_by_weight else losses.size))
        return np.asarray(_REDUCE[reduction](w * losses))

    register(
        OpSpec(
            f"{name}_weighted",
            lambda a, b, reduction: getattr(F, name)(a, b, reduction=reduction, weight=cr.tensor(_weight(a.shape))),
            lambda a, b, reduction: getattr(TF, name)(
                a, b, reduction=reduction, weight=torch.from_numpy(_weight(tuple(a.shape)))
            ),
            ref,
            2,
            _GRIDS,
            case=_with(2, reduction=list(_REDUCE)),
        )
    )


def _mse(a, b):
    return (a - b) ** 2


def _l1(a, b):
    return np.abs(a - b)


def _smooth_l1(a, b, beta=1.0):
    d = np.abs(a - b)
    return np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)


def _huber(a, b, delta=1.0):
    d = np.abs(a - b)
    return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))


for _name, _np_loss, _extra in [
    ("mse_loss", _mse, {}),
    ("l1_loss", _l1, {}),
    ("smooth_l1_loss", _smooth_l1, {"beta": [1.0, 0.5]}),
    ("huber_loss", _huber, {"delta": [1.0, 0.5, 2.0]}),
]:
    register(
        OpSpec(
            _name,
            getattr(F, _name),
            getattr(TF, _name),
            _reduced(_np_loss),
            2,
            _GRIDS,
            case=_with(2, reduction=list(_REDUCE), **_extra),
        )
    )
_weighted("mse_loss", _mse, True)
_weighted("l1_loss", _l1, True)
_weighted("huber_loss", _huber, False)


def _bce(x, t):
    return -(t * np.log(x) + (1 - t) * np.log1p(-x))


register(
    OpSpec(
        "binary_cross_entropy",
        F.binary_cross_entropy,
        TF.binary_cross_entropy,
        _reduced(_bce),
        2,
        (Domain(0.05, 0.95), Domain(0.0, 1.0)),
        case=_with(2, reduction=list(_REDUCE)),
    )
)


def _bce_logits_case(draw):
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    pos_weight = draw(st.sampled_from([None, (0.5, 2.0, 1.5)]))
    return [(n, c), (n, c)], {
        "reduction": draw(st.sampled_from(list(_REDUCE))),
        "pos_weight": None if pos_weight is None else pos_weight[:c],
    }


def _bce_logits_np(x, t, reduction, pos_weight):
    lw = 1 if pos_weight is None else 1 + (np.asarray(pos_weight) - 1) * t
    return np.asarray(_REDUCE[reduction]((1 - t) * x + lw * _softplus(-x)))


register(
    OpSpec(
        "binary_cross_entropy_with_logits",
        lambda x, t, reduction, pos_weight: F.binary_cross_entropy_with_logits(
            x, t, reduction=reduction, pos_weight=None if pos_weight is None else cr.tensor(np.asarray(pos_weight))
        ),
        lambda x, t, reduction, pos_weight: TF.binary_cross_entropy_with_logits(
            x, t, reduction=reduction, pos_weight=None if pos_weight is None else torch.tensor(pos_weight).double()
        ),
        _bce_logits_np,
        2,
        (Domain(-30, 30), Domain(0.0, 1.0)),
        case=_bce_logits_case,
    )
)


def _kl_case(draw):
    return [draw(shapes(min_dims=1))] * 2, {"reduction": draw(st.sampled_from(["mean", "batchmean", "sum", "none"]))}


def _kl_np(log_target):
    def ref(x, t, reduction):
        losses = np.exp(t) * (t - x) if log_target else t * (np.log(t) - x)
        if reduction == "batchmean":
            return np.asarray(losses.sum() / x.shape[0])
        return np.asarray(_REDUCE[reduction](losses))

    return ref


for _log_target, _target in [(False, Domain(0.05, 1.0)), (True, Domain(-3.0, 0.0))]:
    register(
        OpSpec(
            "kl_div_log_target" if _log_target else "kl_div",
            lambda x, t, reduction, _lt=_log_target: F.kl_div(x, t, reduction=reduction, log_target=_lt),
            lambda x, t, reduction, _lt=_log_target: TF.kl_div(x, t, reduction=reduction, log_target=_lt),
            _kl_np(_log_target),
            2,
            (Domain(-3.0, 0.0), _target),
            case=_kl_case,
        )
    )


# --- pooling -------------------------------------------------------------------------------------


def _windows(n_in, n_out):
    return [(i * n_in // n_out, math.ceil((i + 1) * n_in / n_out)) for i in range(n_out)]


def _adaptive_np(reduce):
    def ref(x, output_size):
        oh, ow = output_size
        out = np.empty(x.shape[:-2] + (oh, ow))
        for i, (h0, h1) in enumerate(_windows(x.shape[-2], oh)):
            for j, (w0, w1) in enumerate(_windows(x.shape[-1], ow)):
                out[..., i, j] = reduce(x[..., h0:h1, w0:w1], axis=(-2, -1))
        return out

    return ref


def _adaptive_case(draw):
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    return [shape], {"output_size": (draw(st.integers(1, 8)), draw(st.integers(1, 8)))}


register(
    OpSpec(
        "adaptive_avg_pool2d", F.adaptive_avg_pool2d, TF.adaptive_avg_pool2d, _adaptive_np(np.mean), case=_adaptive_case
    )
)
register(
    OpSpec(
        "adaptive_max_pool2d",
        F.adaptive_max_pool2d,
        TF.adaptive_max_pool2d,
        _adaptive_np(np.max),
        domain=Domain(distinct=True),
        case=_adaptive_case,
    )
)


def _adaptive_1d_case(draw):
    return [(draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 9)))], {
        "output_size": draw(st.integers(1, 10))
    }


def _adaptive_1d_np(reduce):
    return lambda x, output_size: _adaptive_np(reduce)(x[..., None, :], (1, output_size))[..., 0, :]


register(
    OpSpec(
        "adaptive_avg_pool1d",
        F.adaptive_avg_pool1d,
        TF.adaptive_avg_pool1d,
        _adaptive_1d_np(np.mean),
        case=_adaptive_1d_case,
    )
)
register(
    OpSpec(
        "adaptive_max_pool1d",
        F.adaptive_max_pool1d,
        TF.adaptive_max_pool1d,
        _adaptive_1d_np(np.max),
        domain=Domain(distinct=True),
        case=_adaptive_1d_case,
    )
)


def _pool1d_case(draw):
    k = draw(st.integers(1, 3))
    length = draw(st.integers(k, 8))
    return [(draw(st.integers(1, 2)), draw(st.integers(1, 3)), length)], {
        "kernel_size": k,
        "stride": draw(st.integers(1, 3)),
        "padding": draw(st.integers(0, k // 2)),
    }


def _pool1d_np(reduce, fill):
    def ref(x, kernel_size, stride, padding):
        xp = np.pad(x, [(0, 0), (0, 0), (padding, padding)], constant_values=fill)
        n_out = (xp.shape[-1] - kernel_size) // stride + 1
        return np.stack([reduce(xp[..., i * stride : i * stride + kernel_size], axis=-1) for i in range(n_out)], -1)

    return ref


register(
    OpSpec(
        "max_pool1d",
        F.max_pool1d,
        TF.max_pool1d,
        _pool1d_np(np.max, -np.inf),
        domain=Domain(distinct=True),
        case=_pool1d_case,
    )
)
register(OpSpec("avg_pool1d", F.avg_pool1d, TF.avg_pool1d, _pool1d_np(np.mean, 0.0), case=_pool1d_case))
