"""CrossEntropyLoss, NLLLoss and MSELoss modules against torch.nn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn as nn
from tests.nn.oracle import compare_with_torch


@given(
    reduction=st.sampled_from(["mean", "sum", "none"]),
    smoothing=st.sampled_from([0.0, 0.1]),
    weighted=st.booleans(),
    n=st.integers(1, 6),
    c=st.integers(2, 6),
    seed=st.integers(0, 2**16),
)
def test_cross_entropy_loss_module_matches_torch(reduction, smoothing, weighted, n, c, seed):
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.5, 2, c) if weighted else None
    target = rng.integers(0, c, n)
    target[0] = -1  # ignore_index below
    kw = dict(reduction=reduction, label_smoothing=smoothing, ignore_index=-1)
    ours = nn.CrossEntropyLoss(weight=w, **kw)
    ref = torch.nn.CrossEntropyLoss(weight=None if w is None else torch.tensor(w), **kw)
    if n > 1 or reduction != "mean":  # all targets ignored gives NaN in both: compared below
        compare_with_torch(ours, ref, rng.standard_normal((n, c)), target)
    assert list(ours.state_dict()) == list(ref.state_dict())


def test_all_ignored_mean_is_nan_as_torch():
    out = nn.CrossEntropyLoss()(cr.zeros(2, 3), [-100, -100])
    assert np.isnan(out.item())
    assert np.isnan(torch.nn.CrossEntropyLoss()(torch.zeros(2, 3), torch.tensor([-100, -100])).item())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_and_mse_modules_match_torch(reduction):
    rng = np.random.default_rng(1)
    logp, target = np.log(rng.dirichlet(np.ones(4), size=5)), np.array([0, 3, 1, 1, 2])
    compare_with_torch(nn.NLLLoss(reduction=reduction), torch.nn.NLLLoss(reduction=reduction), logp, target)
    a, b = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    compare_with_torch(nn.MSELoss(reduction), torch.nn.MSELoss(reduction=reduction), a, b)


def test_log_softmax_then_nll_equals_cross_entropy():
    x = cr.randn(6, 5)
    t = np.array([0, 1, 2, 3, 4, 0])
    np.testing.assert_allclose(
        nn.NLLLoss()(nn.LogSoftmax(1)(x), t).item(), nn.CrossEntropyLoss()(x, t).item(), rtol=1e-6
    )


def test_loss_modules_check_their_arguments():
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="cross_entropy: target 3 is out of range for 3 classes"):
        nn.CrossEntropyLoss()(cr.zeros(2, 3), [0, 3])
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()" and repr(nn.MSELoss()) == "MSELoss()"
