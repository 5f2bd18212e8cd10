"""End to end: each optimizer fits a small linear regression built from chainrule ops."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim


@pytest.mark.parametrize(
    "make_opt",
    [
        lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
        lambda ps: optim.Adam(ps, lr=0.05),
        lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=1e-4),
        lambda ps: optim.RMSprop(ps, lr=0.05),
    ],
    ids=["SGD", "Adam", "AdamW", "RMSprop"],
)
def test_linear_regression_loss_falls(make_opt):
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((64, 3)).astype(np.float32))
    y = x @ cr.tensor(np.array([[1.5], [-2.0], [0.5]], np.float32)) + 0.7
    w = cr.tensor(np.zeros((3, 1), np.float32), requires_grad=True)
    b = cr.tensor(np.zeros(1, np.float32), requires_grad=True)
    opt = make_opt([w, b])
    sched = optim.CosineAnnealingLR(opt, T_max=200)
    losses = []
    for _ in range(200):
        opt.zero_grad()
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        optim.clip_grad_norm_([w, b], max_norm=10.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-3 * losses[0], losses[::20]
    assert w.dtype == np.float32 and b.dtype == np.float32
    np.testing.assert_allclose(w.detach().numpy().ravel(), [1.5, -2.0, 0.5], atol=0.05)
