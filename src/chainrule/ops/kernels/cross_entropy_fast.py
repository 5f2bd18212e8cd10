"""The fast cross-entropy for the common case: (N, C) logits, class-index targets, no class weight, no
label smoothing (``ignore_index`` allowed). Everything else runs the reference ``ops.loss.CrossEntropy``.

Same math as the reference (l_i = -log softmax(x_i)[y_i], d l_i / d x_i = p_i - onehot(y_i)),
without its (N, C) target distribution q: the loss picks one log-probability per row, and the
gradient subtracts 1 at one place per row. Softmax is computed in place in one buffer (shift,
exp, normalise), so the forward makes one (N, C) array, kept as p for backward.
"""

from __future__ import annotations


def handles(x, target, weight, label_smoothing: float) -> bool:
    """Whether this kernel computes the case: 2-D logits, integer targets, no weight, no smoothing."""
    return x.ndim == 2 and target.dtype.kind in "iu" and weight is None and label_smoothing == 0.0


def forward(xp, x, target, ignore_index: int):
    """(losses (N,), p (N, C), rows, safe targets, valid (N,) as x's dtype) for the (N, C) logits."""
    rows = xp.arange(x.shape[0])
    valid = target != ignore_index
    safe = xp.where(valid, target, 0)  # an ignored row reads class 0, then counts 0
    p = x - x.max(axis=1, keepdims=True)  # max-shifted: exp never overflows
    picked = p[rows, safe]  # x[y] - m
    xp.exp(p, out=p)
    total = p.sum(axis=1)
    p /= total[:, None]  # softmax, in the same buffer
    weight = valid.astype(x.dtype)
    losses = (xp.log(total) - picked) * weight  # -log p[y] = log sum_k exp(x_k - m) - (x_y - m)
    return losses, p, rows, safe, weight


def backward(p, rows, safe, weight, g):
    """dx = (p - onehot(y)) * g_i for the per-row upstream g (N,), ignored rows 0."""
    g = g * weight
    dx = p * g[:, None]
    dx[rows, safe] -= g
    return dx
