"""Registry entries (``tests.oracle.OPS``) for the lecture ops that have a fast kernel beside their
reference form: conv2d (and conv2d_relu, the conv with its ReLU fused in), conv1d and cross-entropy
(tests/ops/test_registry.py runs them on both).

Each NumPy reference is written from the formula, independently of both forms: the convolution as a
sum over kernel taps of channel-mixing products, cross-entropy sample by sample. Class-index targets,
class weights and options ride in the case's kwargs (the registry's inputs are the float arrays).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.ops.conv import conv2d_relu
from tests.oracle import Domain, OpSpec, register

# --- convolution ---------------------------------------------------------------------------------


def _conv_case(dims: int, bias: bool):
    """Small inputs (grad_check differentiates every element): any stride, dilation and zero padding,
    the padded input at least one dilated kernel long."""

    def case(draw):
        n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
        kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
        stride = tuple(draw(st.integers(1, 2)) for _ in range(dims))
        dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
        padding = tuple(draw(st.integers(0, 2)) for _ in range(dims))
        sizes = tuple(
            max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, 3)) for k, d, p in zip(kernel, dilation, padding)
        )
        shapes = [(n, c, *sizes), (f, c, *kernel)] + [(f,)] * bias
        kw = {"stride": stride, "padding": padding, "dilation": dilation}
        if dims == 1:
            kw = {k: v[0] for k, v in kw.items()}  # the int spelling
        return shapes, kw

    return case


def _conv_np(x, w, b=None, stride=1, padding=0, dilation=1):
    """out[n, f, ho, ...] = b[f] + sum over taps t of sum_c w[f, c, t] x_pad[n, c, ho*s + t*d, ...]."""
    dims = x.ndim - 2
    stride, padding, dilation = [v if isinstance(v, tuple) else (v,) * dims for v in (stride, padding, dilation)]
    xpad = np.pad(x, ((0, 0), (0, 0), *[(p, p) for p in padding]))
    kernel = w.shape[2:]
    out_sizes = [(n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(xpad.shape[2:], kernel, stride, dilation)]
    out = np.zeros((x.shape[0], w.shape[0], *out_sizes))
    for tap in np.ndindex(*kernel):
        where = tuple(slice(t * d, t * d + (o - 1) * s + 1, s) for t, d, o, s in zip(tap, dilation, out_sizes, stride))
        out += np.einsum(
            "nc...,fc->nf...", xpad[(slice(None), slice(None), *where)], w[(slice(None), slice(None), *tap)]
        )
    return out if b is None else out + b.reshape((-1,) + (1,) * dims)


for _dims, _fn, _tfn in ((2, F.conv2d, TF.conv2d), (1, F.conv1d, TF.conv1d)):
    register(OpSpec(f"conv{_dims}d", _fn, _tfn, _conv_np, 3, case=_conv_case(_dims, bias=True)))
register(OpSpec("conv2d_no_bias", F.conv2d, TF.conv2d, _conv_np, 2, case=_conv_case(2, bias=False)))
register(  # the conv with the ReLU after it in one pass (nn.Sequential's inference path)
    OpSpec(
        "conv2d_relu",
        conv2d_relu,
        lambda *a, **kw: torch.relu(TF.conv2d(*a, **kw)),
        lambda *a, **kw: np.maximum(_conv_np(*a, **kw), 0.0),
        3,
        case=_conv_case(2, bias=True),
    )
)


# --- cross-entropy -------------------------------------------------------------------------------


def _cross_entropy_case(soft: bool):
    """Logits (N, C) or (N, C, d); class indices (some ignored, at least one counted) or probabilities;
    a class weight, label smoothing and the reduction drawn (the plain case, which the fast kernel
    takes, half of the time)."""

    def case(draw):
        n, c = draw(st.integers(1, 4)), draw(st.integers(1, 5))
        spatial = tuple(draw(st.lists(st.integers(1, 3), max_size=1)))
        rng = np.random.default_rng(draw(st.integers(0, 2**16)))
        kw = {"reduction": draw(st.sampled_from(["mean", "sum", "none"]))}
        if draw(st.booleans()):
            kw["weight"] = rng.uniform(0.5, 2.0, c)
            kw["label_smoothing"] = draw(st.sampled_from([0.0, 0.1]))
        if soft:
            return [(n, c, *spatial), (n, c, *spatial)], kw
        target = rng.integers(0, c, (n, *spatial))
        if draw(st.booleans()):  # some targets ignored (ignore_index -100), the first one counted
            target[rng.random(target.shape) < 0.3] = -100
            target.reshape(-1)[0] = rng.integers(0, c)
        kw["target"] = target
        return [(n, c, *spatial)], kw

    return case


def _cross_entropy_np(x, target, weight=None, reduction="mean", label_smoothing=0.0, ignore_index=-100):
    """l_i = -sum_c w_c q_ic log softmax(x_i)_c, q_i = (1 - eps) onehot(y_i) + eps / C, one sample at a time."""
    c = x.shape[1]
    w = np.ones(c) if weight is None else weight
    xs = np.moveaxis(x, 1, -1).reshape(-1, c)  # one row of logits per sample and position
    soft = target.dtype.kind == "f"
    ts = np.moveaxis(target, 1, -1).reshape(-1, c) if soft else target.reshape(-1)
    losses, denom = np.zeros(len(xs)), 0.0
    for i, row in enumerate(xs):
        logp = row - row.max() - np.log(np.exp(row - row.max()).sum())
        if soft:
            q, denom = (1 - label_smoothing) * ts[i] + label_smoothing / c, len(xs)
        elif ts[i] == ignore_index:
            continue
        else:
            q = (1 - label_smoothing) * (np.arange(c) == ts[i]) + label_smoothing / c
            denom += w[ts[i]]
        losses[i] = -(w * q * logp).sum()
    if reduction == "none":
        shape = (x.shape[0], *x.shape[2:])
        return losses.reshape(shape)
    return np.asarray(losses.sum() if reduction == "sum" else losses.sum() / denom)


def _with_target(fn, to_lib):
    """``fn(x, [t,] target=..., weight=...)`` with the index target and weight as the library's tensors."""

    def call(*inputs, target=None, weight=None, **kw):
        if target is not None:
            inputs = (*inputs, to_lib(target))
        return fn(*inputs, weight=None if weight is None else to_lib(weight), **kw)

    return call


for _name, _soft in (("cross_entropy", False), ("cross_entropy_soft", True)):
    register(
        OpSpec(
            _name,
            _with_target(F.cross_entropy, cr.tensor),
            _with_target(TF.cross_entropy, torch.from_numpy),
            _with_target(_cross_entropy_np, np.asarray),
            2 if _soft else 1,
            (Domain(-4, 4), Domain(0.0, 1.0)),
            case=_cross_entropy_case(_soft),
        )
    )
