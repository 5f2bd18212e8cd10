"""max_pool2d / avg_pool2d against PyTorch (float64), ties, and numerical gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given
from hypothesis import strategies as st

import chainrule as cr
from chainrule.ops.pool import avg_pool2d, max_pool2d


@st.composite
def pool_case(draw):
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    for size, k, p in zip(shape[2:], kernel, padding):
        assume(size + 2 * p >= k)
    ceil_mode = draw(st.booleans())
    x = np.random.default_rng(draw(st.integers(0, 999))).standard_normal(shape)
    return x, kernel, stride, padding, ceil_mode


def compare(ours, theirs, x):
    tx = torch.tensor(x, requires_grad=True)
    ref = theirs(tx)
    upstream = np.random.default_rng(0).standard_normal(tuple(ref.shape))
    ref.backward(torch.tensor(upstream))
    cx = cr.tensor(x, requires_grad=True)
    out = ours(cx)
    out.backward(upstream)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(cx.grad, tx.grad.numpy(), atol=1e-12)


@given(pool_case())
def test_max_pool2d_matches_torch(case):
    x, k, s, p, ceil = case
    compare(lambda t: max_pool2d(t, k, s, p, ceil), lambda t: TF.max_pool2d(t, k, s, p, 1, ceil), x)


@given(pool_case(), st.booleans())
def test_avg_pool2d_matches_torch(case, include_pad):
    x, k, s, p, ceil = case
    compare(
        lambda t: avg_pool2d(t, k, s, p, ceil, include_pad), lambda t: TF.avg_pool2d(t, k, s, p, ceil, include_pad), x
    )


def test_max_pool2d_dilation_matches_torch():
    x = np.random.default_rng(2).standard_normal((2, 2, 11, 9))
    compare(lambda t: max_pool2d(t, 3, 2, 1, dilation=2), lambda t: TF.max_pool2d(t, 3, 2, 1, 2), x)


def test_max_pool_gradient_goes_to_first_maximum():
    x = cr.ones(1, 1, 4, 4, requires_grad=True)
    max_pool2d(x, 2).sum().backward()
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1
    np.testing.assert_array_equal(x.grad[0, 0], expected)


def test_max_pool_pads_with_minus_infinity():
    x = -np.ones((1, 1, 2, 2)) * 5
    assert np.all(max_pool2d(cr.tensor(x), 2, 1, 1).data == -5)


def test_pool_grad_checks():
    x = np.random.default_rng(3).standard_normal((2, 2, 5, 6))
    cr.grad_check(lambda t: max_pool2d(t, 3, 2, 1, ceil_mode=True), x)
    cr.grad_check(lambda t: avg_pool2d(t, (2, 3), (1, 2), (1, 1), ceil_mode=True, count_include_pad=False), x)


@pytest.mark.parametrize(
    "fn, kwargs, match",
    [
        (max_pool2d, {"kernel_size": 2, "padding": 2}, r"padding 2 must be at most half the kernel size 2"),
        (max_pool2d, {"kernel_size": 9}, r"kernel 9 .* does not fit the input of size 4"),
        (avg_pool2d, {"kernel_size": 2.5}, r"kernel_size must be an int"),
    ],
)
def test_pool_errors(fn, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fn(cr.zeros(1, 1, 4, 4), **kwargs)


def test_pool_needs_4d():
    with pytest.raises(ValueError, match=r"max_pool2d: expected a 4-D input"):
        max_pool2d(cr.zeros(4, 4), 2)
