"""Tensor basics: dtype rules, unsupported data, comparisons, conversions, creation functions."""

from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule as cr

# --- dtype rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, dtype",
    [
        (1.5, np.float32),
        ([1.0, 2.0], np.float32),
        ([[1, 2.5]], np.float32),
        (np.array([1.0, 2.0]), np.float64),
        (np.float64(2.0), np.float64),
        (np.ones(2, np.float32), np.float32),
        (3, np.int64),
        ([1, 2], np.int64),
        (True, np.bool_),
        (np.array([1, 2], np.uint8), np.uint8),
    ],
)
def test_default_dtypes(data, dtype):
    """Python floats become float32 (torch's default dtype); arrays keep theirs."""
    assert cr.tensor(data).dtype == dtype


def test_explicit_dtype_and_tensor_input():
    assert cr.tensor([1, 2], dtype=np.float64).dtype == np.float64
    t = cr.tensor(np.array([1.0, 2.0]))
    assert cr.tensor(t).dtype == np.float64
    assert not np.shares_memory(cr.tensor(t).numpy(), t.numpy())  # cr.tensor always copies, as torch.tensor
    assert np.shares_memory(cr.as_tensor(t).numpy(), t.numpy())  # as_tensor and from_numpy share


@pytest.mark.parametrize("data", [1, [1, 2], np.arange(3), True, np.array([True])])
def test_integer_and_bool_tensors_cannot_require_grad(data):
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        cr.tensor(data, requires_grad=True)
    with pytest.raises(TypeError, match="floating point"):  # a TypeError too
        cr.tensor(data).requires_grad_()
    with pytest.raises(TypeError, match="floating point"):
        cr.zeros(2, dtype=np.int64, requires_grad=True)


@pytest.mark.parametrize(
    "data, kind",
    [
        (np.ones(2) + 1j, "complex128"),
        (1j, "complex"),
        (["a", "b"], "<U1"),
        ([object()], "object"),
        (np.array([b"x"]), "|S1"),
    ],
)
def test_unsupported_dtypes_are_a_type_error(data, kind):
    with pytest.raises(TypeError, match=f"unsupported dtype {re.escape(kind)}"):
        cr.tensor(data)


def test_complex_scalar_in_an_op_is_a_type_error():
    with pytest.raises(TypeError, match="unsupported dtype"):
        cr.tensor([1.0]) + 1j


SCALAR_OPS = {
    "mul": lambda t: t * 2.0,
    "rmul": lambda t: 2.0 * t,
    "add_int": lambda t: t + 1,
    "radd": lambda t: 1 + t,
    "sub": lambda t: t - 1.5,
    "rsub": lambda t: 2 - t,
    "div": lambda t: t / 3.0,
    "rdiv": lambda t: 1.0 / t,
    "pow": lambda t: t**2,
    "rpow": lambda t: 2.0**t,
    "neg": lambda t: -t,
    "maximum": lambda t: cr.maximum(t, 0.0),
    "minimum": lambda t: cr.minimum(0.5, t),
    "where": lambda t: cr.where(t.data > 1, t, 0.0),
    "clip": lambda t: t.clip(0, 1.5),
    "np_scalar": lambda t: t * np.float64(2.0),
    "mean": lambda t: (t * 3).mean(),
}


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name", list(SCALAR_OPS))
def test_python_scalars_keep_the_tensor_dtype(name, dtype):
    """A Python number takes the dtype of the tensor beside it (PyTorch's weak scalar types)."""
    x = cr.tensor(np.array([0.5, 1.25, 2.0], dtype=dtype), requires_grad=True)
    y = SCALAR_OPS[name](x)
    assert y.dtype == dtype
    y.sum().backward()
    assert x.grad.dtype == dtype


def test_integer_tensors_with_integer_scalars_stay_integer():
    i = cr.tensor([1, 2, 3])
    assert (i * 2).dtype == np.int64 and (i + 1).dtype == np.int64 and (-i).dtype == np.int64


def test_mixed_float_tensors_promote_as_torch():
    a32, a64 = cr.tensor([1.0]), cr.tensor(np.array([1.0]))
    assert (a32 + a64).dtype == np.float64 and (a32 * a32).dtype == np.float32


# --- comparisons -----------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"])
@pytest.mark.parametrize("other", [1.0, 2, np.array([1.0, 0.0, 3.0]), "tensor"])
def test_comparisons_give_bool_tensors_without_grad(op, other):
    x = cr.tensor([0.5, 1.0, 3.0], requires_grad=True)
    o = cr.tensor([1.0, 0.0, 3.0]) if isinstance(other, str) else other
    out = getattr(x, op)(o)
    ref = getattr(x.data, op)(o.data if isinstance(o, cr.Tensor) else o)
    assert isinstance(out, cr.Tensor) and out.dtype == np.bool_
    assert not out.requires_grad and out._ctx is None
    np.testing.assert_array_equal(out.data, ref)


def test_tensors_hash_by_identity():
    a, b = cr.tensor([1.0]), cr.tensor([1.0])
    assert len({a, b}) == 2 and a in {a}


# --- conversions -----------------------------------------------------------------------------------


def test_item_numpy_tolist():
    x = cr.tensor(np.array([[1.5]]))
    assert x.item() == 1.5 and isinstance(x.item(), float)
    assert cr.tensor(7).item() == 7 and isinstance(cr.tensor(7).item(), int)
    with pytest.raises(RuntimeError, match=r"a Tensor with 2 elements cannot be converted"):
        cr.tensor([1.0, 2.0]).item()
    y = cr.tensor([1.0, 2.0])
    assert y.numpy() is y._data  # shares memory, as torch.Tensor.numpy
    assert y.tolist() == [1.0, 2.0] and cr.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert (y.shape, y.ndim, y.size(), y.size(0), y.numel(), len(y)) == ((2,), 1, (2,), 2, 2, 2)
    assert bool(cr.tensor([1.0])) and not bool(cr.tensor(0.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(y)


def test_repr():
    assert repr(cr.tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"  # PyTorch's fixed 4 decimals
    assert repr(cr.tensor([102.4, 1024.0, 0.1024])) == "tensor([1.0240e+02, 1.0240e+03, 1.0240e-01])"
    assert repr(cr.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    x = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert repr(x) == "tensor([1., 2.], dtype=float64, requires_grad=True)"
    assert repr(x * 2.0) == "tensor([2., 4.], dtype=float64, grad_fn=<MulBackward0>)"
    assert repr(cr.tensor([1, 2])) == "tensor([1, 2])"
    assert "0.3333" in repr(cr.tensor(1 / 3)) and "0.33333" not in repr(cr.tensor(1 / 3))


# --- creation --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn, value", [(cr.zeros, 0.0), (cr.ones, 1.0)])
def test_zeros_ones(fn, value):
    for t in (fn(2, 3), fn((2, 3)), fn([2, 3])):
        assert t.shape == (2, 3) and t.dtype == np.float32 and np.all(t.data == value)
        assert not t.requires_grad
    assert fn().shape == ()
    t = fn(4, dtype=np.float64, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf
    assert fn(2, dtype=np.int64).dtype == np.int64


def test_zeros_like_ones_like_keep_the_dtype():
    x = cr.tensor(np.ones((2, 2)))
    assert cr.zeros_like(x).dtype == np.float64 and np.all(cr.zeros_like(x).data == 0)
    assert cr.ones_like(cr.tensor([1, 2])).dtype == np.int64


@pytest.mark.parametrize("fn", [cr.randn, cr.rand])
def test_random_shapes_dtypes_and_manual_seed(fn):
    cr.manual_seed(123)
    a = fn(3, 4)
    b = fn((3, 4), dtype=np.float64)
    cr.manual_seed(123)
    a2, b2 = fn(3, 4), fn(3, 4, dtype=np.float64)
    assert a.shape == b.shape == (3, 4) and a.dtype == np.float32 and b.dtype == np.float64
    np.testing.assert_array_equal(a.data, a2.data)  # same seed, same draws, in the same order
    np.testing.assert_array_equal(b.data, b2.data)
    cr.manual_seed(124)
    assert not np.array_equal(fn(3, 4).data, a.data)
    assert fn(2, requires_grad=True).requires_grad


def test_random_distributions():
    cr.manual_seed(0)
    u = cr.rand(20000, dtype=np.float64).data
    n = cr.randn(20000, dtype=np.float64).data
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1.0) < 0.03


def test_arange():
    assert cr.arange(5).tolist() == [0, 1, 2, 3, 4] and cr.arange(5).dtype == np.int64
    assert cr.arange(2, 8, 3).tolist() == [2, 5]
    f = cr.arange(0.0, 1.0, 0.25)
    assert f.dtype == np.float32 and f.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert cr.arange(3, dtype=np.float64).dtype == np.float64
    assert cr.arange(3, dtype=np.float32, requires_grad=True).requires_grad
