"""Inverted dropout: statistics, the identity cases, the gradient mask, p validation, seeding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_keeps_the_mean_and_drops_a_fraction_p(p):
    cr.manual_seed(0)
    x = cr.ones(200, 500)
    out = F.dropout(x, p).numpy()
    n = out.size
    dropped = (out == 0).mean()
    assert abs(dropped - p) < 4 * np.sqrt(p * (1 - p) / n)  # four standard errors of a binomial fraction
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / (1 - p)], rtol=1e-6)
    assert abs(out.mean() - 1.0) < 4 * np.sqrt(p / (1 - p) / n)
    assert out.dtype == np.float32


@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), p=st.floats(0.05, 0.95), seed=st.integers(0, 2**16))
def test_dropout_gradient_uses_the_forward_mask(shape, p, seed):
    cr.manual_seed(seed)
    x = cr.tensor(np.random.default_rng(seed).uniform(1, 2, shape), requires_grad=True)  # never 0: mask visible
    out = F.dropout(x, p)
    upstream = np.random.default_rng(seed + 1).standard_normal(shape)
    out.backward(upstream)
    mask = out.data / x.data  # 0 or 1 / (1 - p)
    np.testing.assert_allclose(x.grad, upstream * mask)
    assert set(np.round(np.unique(mask), 9)) <= {0.0, round(1 / (1 - p), 9)}


def test_dropout_grad_check():
    x = np.random.default_rng(0).standard_normal((4, 5))

    def fn(t):
        cr.manual_seed(1)  # the same mask on every call of the numerical check
        return F.dropout(t, 0.3)

    cr.grad_check(fn, x)


def test_dropout_identity_cases():
    x = cr.randn(3, 4, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    out = F.dropout(x, 1.0)
    assert (out == 0).all() and np.isfinite(out.detach().numpy()).all()
    out.sum().backward()
    assert (x.grad == 0).all()


def test_dropout_is_seeded_by_manual_seed():
    x = cr.ones(10, 10)
    cr.manual_seed(42)
    a = F.dropout(x, 0.5).data
    cr.manual_seed(42)
    b = F.dropout(x, 0.5).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, F.dropout(x, 0.5).data)


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", None, True])
def test_dropout_validates_p(p):
    with pytest.raises(ValueError, match="dropout: probability p must be a number between 0 and 1"):
        F.dropout(cr.ones(2), p)


def test_dropout_keeps_float64_and_rejects_integers():
    assert F.dropout(cr.tensor(np.ones(4)), 0.5).dtype == np.float64
    with pytest.raises(TypeError, match="dropout: input must be floating point"):
        F.dropout(cr.tensor([1, 2, 3]), 0.5)
