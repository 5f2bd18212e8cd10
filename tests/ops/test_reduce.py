"""Reductions: ties, 0-d tensors, dtypes and errors (random shapes and axes: test_registry.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.oracle import helper_test_op

TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [-1.0, 0.0, -1.0]])


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("op, torch_op", [("max", torch.amax), ("min", torch.amin)])
def test_ties_split_the_gradient_evenly_as_torch(op, torch_op, axis):
    dims = (0, 1) if axis is None else axis
    helper_test_op(None, lambda t: torch_op(t, dim=dims), lambda t: getattr(t, op)(axis=axis), inputs=[TIES], name=op)


def test_max_along_rows_with_ties():
    x = cr.tensor(TIES, requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3], [0, 1, 0]], rtol=1e-15)


def test_full_max_with_ties_matches_torch_max():
    """Tensor.max() over everything: torch.max(x) also splits the gradient over equal maxima."""
    x = np.array([3.0, 1.0, 3.0, 3.0])
    _, (grad,) = helper_test_op(None, lambda t: t.max(), lambda t: t.max(), inputs=[x])
    np.testing.assert_allclose(grad[[1]], 0.0)
    assert np.count_nonzero(grad) == 3


def test_mean_gradient_is_one_over_n():
    x = cr.tensor(np.ones((2, 3, 4)), requires_grad=True)
    x.mean(axis=(0, 2)).backward(np.ones(3))
    np.testing.assert_array_equal(x.grad, np.full((2, 3, 4), 1 / 8))
    x.zero_grad()
    x.mean().backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 3, 4), 1 / 24))


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0,)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_zero_dim_tensors_reduce_over_axis_0_and_minus_1(op, axis, keepdims):
    """As PyTorch: a 0-d tensor has the one axis 0 (= -1), and reducing over it changes nothing."""
    x = cr.tensor(np.float64(2.5), requires_grad=True)
    y = getattr(x, op)(axis=axis, keepdims=keepdims)
    y.backward()
    assert y.shape == () and y.item() == 2.5 and x.grad == 1.0
    if not isinstance(axis, tuple):
        t = torch.tensor(2.5, dtype=torch.float64)
        dims = () if axis is None else axis
        fn = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax, "min": torch.amin}[op]
        assert tuple(fn(t, dim=dims, keepdim=keepdims).shape) == y.shape


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
def test_keepdims_shapes(op):
    x = cr.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert getattr(x, op)(axis=1, keepdims=True).shape == (2, 1, 4)
    assert getattr(x, op)(axis=(0, -1), keepdims=True).shape == (1, 3, 1)
    assert getattr(x, op)(keepdims=True).shape == (1, 1, 1)
    assert getattr(x, op)(axis=(2, 0)).shape == (3,)


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
def test_float32_stays_float32(op):
    x = cr.tensor(np.ones((3, 4), np.float32), requires_grad=True)
    y = getattr(x, op)(axis=0)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
def test_bad_axes_are_shape_errors_naming_the_op(op):
    x = cr.ones(2, 3)
    with pytest.raises(cr.ShapeError, match=rf"^{op}: axis 2 is out of range for a tensor with 2 dim"):
        getattr(x, op)(axis=2)
    with pytest.raises(cr.ShapeError, match=rf"^{op}: axis -3 is out of range"):
        getattr(x, op)(axis=-3)
    with pytest.raises(cr.ShapeError, match=rf"^{op}: repeated axis"):
        getattr(x, op)(axis=(1, -1))
    with pytest.raises(cr.ShapeError, match=rf"^{op}: axis 1 is out of range for a tensor with 0 dim"):
        getattr(cr.tensor(1.0), op)(axis=1)


def test_max_of_an_empty_tensor_is_an_error():
    with pytest.raises(cr.ShapeError, match=r"max: cannot reduce an empty tensor of shape \(0, 3\)"):
        cr.zeros(0, 3).max()
    assert cr.zeros(0, 3).sum().item() == 0.0


def test_sum_of_booleans_counts():
    x = cr.tensor([0.5, -1.0, 2.0])
    assert (x > 0).sum().item() == 2
