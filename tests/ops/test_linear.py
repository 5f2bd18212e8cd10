"""F.linear: forward and backward against PyTorch, numerical gradient check, shape errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.ops.linear import linear
from tests.nn.oracle import compare_with_torch

dims = st.integers(1, 5)


@given(
    lead=st.lists(st.integers(1, 3), max_size=3), n_in=dims, n_out=dims, bias=st.booleans(), seed=st.integers(0, 2**16)
)
def test_linear_matches_torch(lead, n_in, n_out, bias, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((*lead, n_in))
    w = rng.standard_normal((n_out, n_in))
    b = rng.standard_normal(n_out)
    if bias:
        compare_with_torch(F.linear, torch.nn.functional.linear, x, w, b)
    else:
        compare_with_torch(F.linear, torch.nn.functional.linear, x, w)


@given(n=st.integers(2, 6), n_in=dims, n_out=dims, bias=st.booleans(), seed=st.integers(0, 2**16))
def test_linear_on_a_batch_innermost_input_matches_torch(n, n_in, n_out, bias, seed):
    """A flattened conv output is a transposed view ((in, N) memory): the W x^T path, same numbers."""
    rng = np.random.default_rng(seed)
    x = np.ascontiguousarray(rng.standard_normal((n_in, n))).T  # Fortran order, as the CHWN flatten
    w, b = rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out)
    assert x.T.flags.c_contiguous and (n_in == 1 or not x.flags.c_contiguous)
    args = (x, w, b) if bias else (x, w)
    compare_with_torch(F.linear, torch.nn.functional.linear, *args)


@pytest.mark.parametrize("x_shape", [(3, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_grad_check(x_shape, bias):
    rng = np.random.default_rng(1)
    inputs = [rng.standard_normal(x_shape), rng.standard_normal((2, 4))]
    if bias:
        inputs.append(rng.standard_normal(2))
    cr.grad_check(linear, *inputs)


def test_linear_is_one_node_and_keeps_float32():
    x = cr.randn(5, 3)
    w, b = cr.randn(2, 3, requires_grad=True), cr.randn(2, requires_grad=True)
    out = F.linear(x, w, b)
    assert out.dtype == np.float32 and out.shape == (5, 2)
    assert type(out._ctx).__name__ == "Linear" and out._ctx.parents[0] is x
    out.sum().backward()
    assert w.grad.dtype == np.float32 and b.grad.dtype == np.float32
    np.testing.assert_allclose(b.grad, [5, 5])


def test_linear_skips_gradients_nobody_needs():
    x = cr.randn(4, 3, requires_grad=True)
    w = cr.randn(2, 3)
    F.linear(x, w).sum().backward()
    assert x.grad.shape == (4, 3) and w.grad is None


def test_linear_errors_name_the_sizes():
    with pytest.raises(cr.ShapeError, match=r"linear: input has 980 features, expected 1960"):
        F.linear(cr.zeros(2, 980), cr.zeros(50, 1960))
    with pytest.raises(cr.ShapeError, match=r"Linear\(1960, 50\): input has 980 features, expected 1960"):
        F.linear(cr.zeros(2, 980), cr.zeros(50, 1960), name="Linear(1960, 50)")
    with pytest.raises(cr.ShapeError, match=r"bias has shape \(3,\), expected \(50,\)"):
        F.linear(cr.zeros(2, 1960), cr.zeros(50, 1960), cr.zeros(3))
    with pytest.raises(cr.ShapeError, match="weight must be 2-D"):
        F.linear(cr.zeros(2, 3), cr.zeros(3))
