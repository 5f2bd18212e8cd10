"""F.batch_norm against torch.nn.functional.batch_norm (float64), running statistics and grad_check."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F
from tests.nn.oracle import compare_with_torch


@given(
    n=st.integers(2, 4),
    c=st.integers(1, 4),
    spatial=st.sampled_from([(), (3,), (2, 3)]),
    training=st.booleans(),
    affine=st.booleans(),
    momentum=st.sampled_from([0.1, 0.5, 1.0]),
    seed=st.integers(0, 2**16),
)
def test_batch_norm_matches_torch(n, c, spatial, training, affine, momentum, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, *spatial)) * 2 + 1
    rm, rv = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    ours_rm, ours_rv = rm.copy(), rv.copy()
    ref_rm, ref_rv = torch.tensor(rm), torch.tensor(rv)
    params = [rng.standard_normal(c), rng.standard_normal(c)] if affine else []
    compare_with_torch(
        lambda t, *wb: F.batch_norm(t, ours_rm, ours_rv, *wb, training=training, momentum=momentum, eps=1e-5),
        lambda t, *wb: TF.batch_norm(t, ref_rm, ref_rv, *wb, training=training, momentum=momentum, eps=1e-5),
        x,
        *params,
        rtol=1e-6,
        atol=1e-8,
    )
    np.testing.assert_allclose(ours_rm, ref_rm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_rv, ref_rv.numpy(), rtol=1e-12)  # the unbiased variance, as torch


def test_batch_norm_updates_running_stats_with_unbiased_variance():
    x = np.arange(12, dtype=np.float64).reshape(6, 2)
    rm, rv = np.zeros(2), np.ones(2)
    F.batch_norm(cr.tensor(x), rm, rv, training=True, momentum=0.1)
    np.testing.assert_allclose(rm, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(rv, 0.9 + 0.1 * x.var(axis=0, ddof=1))


def test_batch_norm_training_output_is_normalised():
    x = cr.tensor(np.random.default_rng(0).standard_normal((64, 3, 4, 4)) * 5 + 2)
    y = F.batch_norm(x, training=True).data
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(dim=(0, 2, 3), unbiased=False), 1, rtol=1e-4)  # the biased variance it divides by


@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 2, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_grad_check_with_weight_and_bias(shape, training):
    rng = np.random.default_rng(1)
    c = shape[1]
    rm, rv = rng.standard_normal(c), rng.uniform(0.5, 2, c)

    def fn(x, w, b):  # the running stats are copied each call so the numeric check sees the same ones
        return F.batch_norm(x, rm.copy(), rv.copy(), w, b, training=training)

    cr.grad_check(fn, rng.standard_normal(shape), rng.standard_normal(c), rng.standard_normal(c))


def test_batch_norm_grad_check_without_affine():
    cr.grad_check(lambda x: F.batch_norm(x, training=True), np.random.default_rng(2).standard_normal((5, 2, 3)))


def test_batch_norm_keeps_float32():
    x = cr.randn(8, 3, 2, 2, requires_grad=True)
    w, b = cr.ones(3, requires_grad=True), cr.zeros(3, requires_grad=True)
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    y = F.batch_norm(x, rm, rv, w, b, training=True)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    assert rm.dtype == np.float32


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel when training"):
        F.batch_norm(cr.zeros(1, 3), training=True)
    with pytest.raises(cr.ShapeError, match=r"running_mean has shape \(4,\), expected \(3,\)"):
        F.batch_norm(cr.zeros(2, 3), np.zeros(4), np.ones(4), training=True)
    with pytest.raises(ValueError, match="evaluation mode needs running_mean"):
        F.batch_norm(cr.zeros(2, 3), training=False)
    with pytest.raises(cr.ShapeError, match="at least 2 dimensions"):
        F.batch_norm(cr.zeros(3), training=True)
