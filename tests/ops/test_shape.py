"""Shape ops: the cases the random tests do not single out, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.oracle import helper_test_op

X = np.arange(24.0).reshape(2, 3, 4)


def leaf(data=X):
    return cr.tensor(np.array(data, dtype=np.float64), requires_grad=True)


# --- transpose, permute, flatten, reshape ----------------------------------------------------------


def test_transpose_without_args_reverses_and_with_two_swaps_as_torch():
    assert leaf().T.shape == leaf().transpose().shape == (4, 3, 2)
    helper_test_op([(2, 3, 4)], lambda t: t.transpose(0, 2), lambda t: t.transpose(0, 2))
    helper_test_op([(2, 3, 4)], lambda t: t.transpose(-1, 1), lambda t: cr.transpose(t, -1, 1))
    helper_test_op([(3, 5)], lambda t: t.T, lambda t: t.T)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda t: t.transpose(0, 3), r"transpose: axis 3 is out of range for a tensor with 3 dim"),
        (lambda t: t.transpose(-4, 0), r"transpose: axis -4 is out of range"),
        (lambda t: t.transpose(0, 1, 2), r"transpose: give two axes to swap"),
        (lambda t: t.permute(0, 1), r"permute: \(0, 1\) is not an ordering of the 3 axes of \(2, 3, 4\)"),
        (lambda t: t.permute(0, 0, 1), r"permute: \(0, 0, 1\) is not an ordering"),
        (lambda t: t.flatten(3), r"flatten: axis 3 is out of range for a tensor with 3 dim"),
        (lambda t: t.flatten(0, -4), r"flatten: axis -4 is out of range"),
        (lambda t: t.flatten(2, 0), r"flatten: start_dim 2 comes after end_dim 0 for shape \(2, 3, 4\)"),
        (lambda t: t.reshape(5, 5), r"reshape: cannot view shape \(2, 3, 4\) \(24 elements\) as \(5, 5\)"),
    ],
)
def test_shape_op_errors(call, message):
    """Out-of-range axes are errors (they used to wrap around silently, as d % ndim)."""
    with pytest.raises(cr.ShapeError, match=message):
        call(leaf())


def test_permute_gradient_is_the_inverse_permutation():
    x = leaf()
    y = x.permute(2, 0, 1)
    assert y.shape == (4, 2, 3)
    up = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(up)
    np.testing.assert_array_equal(x.grad, up.transpose(1, 2, 0))
    helper_test_op([(2, 3, 4, 5)], lambda t: t.permute(3, 1, 0, 2), lambda t: cr.permute(t, (3, -3, 0, 2)))


def test_flatten_as_torch():
    for start, end in [(0, -1), (1, -1), (0, 1), (1, 1), (-2, -1)]:
        helper_test_op(
            [(2, 3, 4)], lambda t, s=start, e=end: torch.flatten(t, s, e), lambda t, s=start, e=end: t.flatten(s, e)
        )
    assert cr.tensor(3.0).flatten().shape == (1,)
    assert cr.flatten(leaf(), 1).shape == (2, 12)


def test_reshape_forms():
    x = leaf()
    assert x.reshape(4, -1).shape == x.reshape((4, 6)).shape == x.view([4, 6]).shape == (4, 6)
    assert cr.reshape(x, -1).shape == (24,)
    assert cr.tensor([5.0]).reshape().shape == ()
    helper_test_op([(2, 3, 4)], lambda t: t.reshape(4, 3, 2) * 2.0, lambda t: t.reshape(4, 3, 2) * 2.0)


# --- indexing --------------------------------------------------------------------------------------


def test_repeated_integer_indices_accumulate():
    """x[[0, 0, 2, 0]]: element 0 is copied three times, so its gradient is the sum of three."""
    x = leaf([1.0, 2.0, 3.0])
    x[[0, 0, 2, 0]].backward(np.array([1.0, 10.0, 100.0, 1000.0]))
    assert x.grad.tolist() == [1011.0, 0.0, 100.0]
    _, (g,) = helper_test_op(
        None, lambda t: t[torch.tensor([[1, 1], [-1, 1]])], lambda t: t[np.array([[1, 1], [-1, 1]])], inputs=[X]
    )
    assert np.all(g[0] == 0)


def test_index_with_tensors():
    x = leaf([-1.0, 2.0, -3.0, 4.0])
    pos = x[x > 0]  # a boolean tensor from a comparison
    pos.sum().backward()
    assert pos.tolist() == [2.0, 4.0] and x.grad.tolist() == [0.0, 1.0, 0.0, 1.0]
    x.zero_grad()
    x[cr.tensor([3, 3])].sum().backward()  # an integer tensor
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 2.0]
    x.zero_grad()
    x[[True, False, False, True]].sum().backward()  # a list of booleans is a mask, as in NumPy
    assert x.grad.tolist() == [1.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize(
    "index",
    [
        (slice(None), np.array([2, 0, 2])),
        (np.array([1, 1]), slice(None, None, 2), np.array([0, 3])),
        (np.array([True, False]), 1),
        (Ellipsis, np.array([[0, 3], [3, 3]])),
    ],
)
def test_mixed_advanced_indices_match_torch(index):
    tindex = tuple(torch.from_numpy(i) if isinstance(i, np.ndarray) else i for i in index)
    helper_test_op([(2, 3, 4)], lambda t: t[tindex], lambda t: t[index])


def test_negative_step_slices():
    """PyTorch has no negative steps: the gradient is checked against a NumPy scatter."""
    x = leaf()
    index = (slice(None, None, -1), slice(2, 0, -1), slice(None, None, -3))
    y = x[index]
    np.testing.assert_array_equal(y.data, X[index])
    up = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(up)
    expected = np.zeros_like(X)
    expected[index] = up
    np.testing.assert_array_equal(x.grad, expected)
    cr.grad_check(lambda t: t[::-2, None, ..., 1], X)


def test_index_out_of_bounds_names_the_shape():
    with pytest.raises(cr.ShapeError, match=r"index 3 is out of bounds.*\(tensor of shape \(2, 3, 4\)\)"):
        leaf()[:, 3]


# --- concatenate, stack, astype --------------------------------------------------------------------


def test_concatenate_splits_the_gradient():
    a, b, c = leaf(np.ones((2, 1))), cr.tensor(np.ones((2, 2))), leaf(np.ones((2, 3)))
    out = cr.concatenate([a, b, c], axis=-1)
    assert out.shape == (2, 6)
    out.backward(np.arange(12.0).reshape(2, 6))
    assert a.grad.tolist() == [[0.0], [6.0]] and b.grad is None
    assert c.grad.tolist() == [[3.0, 4.0, 5.0], [9.0, 10.0, 11.0]]


def test_stack_unstacks_the_gradient():
    a, b = leaf(np.zeros(3)), leaf(np.ones(3))
    out = cr.stack([a, b], axis=-1)
    assert out.shape == (3, 2)
    out.backward(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    assert a.grad.tolist() == [1.0, 3.0, 5.0] and b.grad.tolist() == [2.0, 4.0, 6.0]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: cr.concatenate([cr.ones(2, 3), cr.ones(2, 4)]), r"concatenate: inputs of shapes \(2, 3\), \(2, 4\)"),
        (lambda: cr.concatenate([]), r"concatenate: needs at least one tensor"),
        (lambda: cr.stack([cr.ones(2), cr.ones(3)]), r"stack: inputs of shapes \(2,\), \(3,\)"),
        (lambda: cr.stack([]), r"stack: needs at least one tensor"),
    ],
)
def test_join_errors(call, message):
    with pytest.raises(cr.ShapeError, match=message):
        call()


def test_astype_casts_the_gradient_back():
    x = cr.tensor([1.5, 2.5], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 5.0]
    assert leaf().float().dtype == np.float32


def test_astype_to_integer_leaves_the_graph():
    """As in PyTorch, an integer result carries no gradient (it used to claim requires_grad)."""
    x = cr.tensor([1.5, 2.5], requires_grad=True)
    i = x.astype(np.int64)
    assert i.dtype == np.int64 and not i.requires_grad and i._ctx is None
    assert not (x > 2).requires_grad
