"""Matrix product: every promotion and batch case against PyTorch, dtypes and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.oracle import helper_test_op


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [
        ((4,), (4,)),  # dot product -> 0-d
        ((3, 4), (4,)),  # matrix @ vector
        ((4,), (4, 2)),  # vector @ matrix
        ((3, 4), (4, 2)),  # matrix @ matrix
        ((5, 3, 4), (5, 4, 2)),  # batched
        ((5, 3, 4), (4, 2)),  # batch @ one matrix: the matrix's gradient sums over the batch
        ((4, 2), (5, 2, 3)),
        ((2, 1, 3, 4), (5, 4, 2)),  # batch dims broadcast (2, 1) with (5,)
        ((5, 3, 4), (4,)),  # batch @ vector
        ((4,), (2, 5, 4, 3)),  # vector @ batch
        ((1, 1), (1, 1)),
    ],
)
def test_matmul_matches_torch(shape_a, shape_b):
    out, grads = helper_test_op([shape_a, shape_b], torch.matmul, lambda a, b: a @ b, name=f"{shape_a} @ {shape_b}")
    assert grads[0].shape == shape_a and grads[1].shape == shape_b


def test_matmul_with_one_constant_operand():
    """Only the operand that needs a gradient gets one (and the other's is never computed)."""
    w = cr.tensor(np.ones((3, 2)), requires_grad=True)
    x = cr.tensor(np.arange(12.0).reshape(4, 3))
    (x @ w).sum().backward()
    assert x.grad is None
    np.testing.assert_array_equal(w.grad, np.repeat(x.data.sum(axis=0)[:, None], 2, axis=1))


def test_matmul_with_numpy_operands_on_either_side():
    w = cr.tensor(np.eye(2) * 3.0, requires_grad=True)
    left = np.array([[1.0, 2.0]]) @ w
    right = w @ np.array([1.0, -1.0])
    assert isinstance(left, cr.Tensor) and isinstance(right, cr.Tensor)
    assert left.tolist() == [[3.0, 6.0]] and right.tolist() == [3.0, -3.0]
    (left.sum() + right.sum()).backward()
    np.testing.assert_array_equal(w.grad, [[1.0 + 1.0, 1.0 - 1.0], [2.0 + 1.0, 2.0 - 1.0]])


def test_linear_layer_gradients():
    """y = x W^T + b, the fully connected layer: the shapes of every gradient as PyTorch."""
    helper_test_op([(8, 5), (3, 5), (3,)], lambda x, w, b: x @ w.T + b, lambda x, w, b: x @ w.T + b)


def test_float32_stays_float32():
    a = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    out, grads = helper_test_op(None, torch.matmul, cr.matmul, inputs=[a, b], atol=1e-5, rtol=1e-5)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)


@pytest.mark.parametrize(
    "shape_a, shape_b, message",
    [
        ((2, 3), (4,), r"matmul: shapes \(2, 3\) and \(4,\) do not align: a has 3 columns, b has 4 rows"),
        ((2, 3), (2, 3), r"matmul: shapes \(2, 3\) and \(2, 3\) do not align: a has 3 columns, b has 2 rows"),
        ((3,), (4, 5), r"matmul: shapes \(3,\) and \(4, 5\) do not align"),
        ((), (3,), r"matmul: operands must be at least 1-D, got shapes \(\) and \(3,\)"),
        ((2, 3, 4), (5, 4, 2), r"matmul: inputs of shapes \(2, 3, 4\), \(5, 4, 2\)"),  # batches
    ],
)
def test_shape_errors_name_the_op_and_shapes(shape_a, shape_b, message):
    with pytest.raises(cr.ShapeError, match=message):
        cr.ones(*shape_a) @ cr.ones(*shape_b)
