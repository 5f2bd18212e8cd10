"""clip_grad_norm_ and clip_grad_value_ against torch.nn.utils: the returned norm and the clipped
gradients, every norm type, float64 and float32."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import chainrule as cr
from chainrule import optim
from tests.optim.oracle import make_params, set_grads


def _compare(ours, theirs, dtype, tol):
    for p, tp in zip(ours, theirs):
        if p.grad is None:
            assert tp.grad is None
        else:
            assert p.grad.dtype == dtype
            np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=tol, atol=tol)


@given(
    shapes=st.lists(array_shapes(min_dims=0, max_dims=3, max_side=5), min_size=1, max_size=4),
    norm_type=st.sampled_from([2.0, 1.0, math.inf, 3.0, 0.5, 0]),
    max_norm=st.sampled_from([0.1, 1.0, 5.0, 1e3]),
    scale=st.sampled_from([1e-3, 1.0, 10.0]),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**16),
)
def test_clip_grad_norm_matches_torch(shapes, norm_type, max_norm, scale, dtype, seed):
    ours, theirs = make_params(shapes, dtype, seed)
    rng = np.random.default_rng(seed)
    set_grads(ours, theirs, rng)
    for p, tp in zip(ours, theirs):
        p.grad *= scale
        tp.grad *= scale
    total = optim.clip_grad_norm_(ours, max_norm, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert isinstance(total, cr.Tensor) and total.shape == () and total.dtype == dtype
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=tol)
    _compare(ours, theirs, dtype, tol)


def test_clip_grad_norm_skips_params_without_grad_and_takes_one_tensor():
    ours, theirs = make_params([(3,), (4,)], np.float64, seed=1)
    ours[0].grad, theirs[0].grad = np.array([3.0, 4.0, 0.0]), torch.tensor([3.0, 4.0, 0.0], dtype=torch.float64)
    total = optim.clip_grad_norm_(ours, 1.0)
    torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert total.item() == 5.0 and ours[1].grad is None
    _compare(ours, theirs, np.float64, 1e-15)
    total = optim.clip_grad_norm_(ours[0], 0.5, norm_type="inf")
    assert total.item() == pytest.approx(1.0 / (5.0 + 1e-6) * 4.0)
    assert optim.clip_grad_norm_([ours[1]], 1.0).item() == 0.0


def test_small_gradients_are_left_alone():
    p = cr.tensor(np.zeros(3), requires_grad=True)
    p.grad = cr.tensor([0.1, -0.2, 0.3], dtype=cr.float64)
    before = p.grad.clone()
    optim.clip_grad_norm_([p], max_norm=10.0)
    np.testing.assert_array_equal(p.grad, before)  # the clamped coefficient is exactly 1


def test_nonfinite_norm():
    ours, theirs = make_params([(3,)], np.float64, seed=2)
    g = np.array([1.0, np.inf, 2.0])
    ours[0].grad, theirs[0].grad = g.copy(), torch.from_numpy(g.copy())
    with pytest.raises(RuntimeError, match="non-finite"):
        optim.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(ours[0].grad, g)  # untouched after the error
    total = optim.clip_grad_norm_(ours, 1.0)
    torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert math.isinf(total.item())
    np.testing.assert_array_equal(ours[0].grad, theirs[0].grad.numpy())  # 0 * inf -> nan, as torch


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_value_matches_torch(dtype):
    ours, theirs = make_params([(4, 5), (7,)], dtype, seed=3)
    set_grads(ours, theirs, np.random.default_rng(4))
    grad = ours[0].grad
    optim.clip_grad_value_(ours, 0.5)
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    assert ours[0].grad is grad  # in place
    _compare(ours, theirs, dtype, 0)
    assert ours[1].grad.abs().max().item() <= 0.5


def test_clip_rejects_a_non_iterable():
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.clip_grad_norm_(3.0, 1.0)
