"""PyTorch's smaller surface, against torch itself: out=, gradient hooks, new_* factories, the
legacy type names (FloatTensor, Variable), relu(inplace), contiguous, unbind, flip, softmax methods."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import Variable


def both(data, requires_grad=False):
    a = np.asarray(data, dtype=np.float64)
    return cr.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "matmul", "maximum"])
def test_out_argument_writes_into_the_given_tensor(name):
    a, ta = both([[1.0, 2.0], [3.0, 4.0]])
    b, tb = both([[0.5, -1.0], [2.0, 3.0]])
    out, tout = cr.zeros(2, 2, dtype=cr.float64), torch.zeros(2, 2, dtype=torch.float64)
    got = getattr(cr, name)(a, b, out=out)
    getattr(torch, name)(ta, tb, out=tout)
    assert got is out
    np.testing.assert_allclose(out.numpy(), tout.numpy())


def test_out_is_resized_and_refused_under_autograd():
    a, ta = both([1.0, 2.0, 3.0])
    out, tout = cr.zeros(1, dtype=cr.float64), torch.zeros(1, dtype=torch.float64)
    cr.exp(a, out=out)
    torch.exp(ta, out=tout)
    assert tuple(out.shape) == tuple(tout.shape) == (3,)
    np.testing.assert_allclose(out.numpy(), tout.numpy())
    x, tx = both([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="out=.*automatic differentiation"):
        cr.mul(x, 2.0, out=cr.zeros(2, dtype=cr.float64))
    with pytest.raises(RuntimeError):
        torch.mul(tx, 2.0, out=torch.zeros(2, dtype=torch.float64))


def test_register_hook_sees_and_replaces_gradients_as_torch():
    x, tx = both([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    seen, tseen = [], []
    for t, log in ((x, seen), (tx, tseen)):
        y = t * t
        y.register_hook(lambda g, log=log: log.append(g.detach().clone()))
        h = t.register_hook(lambda g: g * 10)
        (y * 3).sum().backward()
        h.remove()
        (t * 1.0).sum().backward()  # the removed hook no longer scales
    np.testing.assert_allclose(seen[0].numpy(), tseen[0].numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        cr.ones(2).register_hook(lambda g: g)


def test_new_factories_take_dtype_and_device_from_the_tensor():
    x, tx = cr.ones(2, dtype=cr.float64), torch.ones(2, dtype=torch.float64)
    for name, args in [
        ("new_ones", (2, 3)),
        ("new_zeros", ((4,),)),
        ("new_full", ((2,), 7.0)),
        ("new_tensor", ([1, 2, 3],)),
    ]:
        ours, ref = getattr(x, name)(*args), getattr(tx, name)(*args)
        assert tuple(ours.shape) == tuple(ref.shape)
        assert str(ours.dtype) == str(ref.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert x.new_ones(2, dtype=cr.long).dtype == cr.long
    assert x.new_zeros(2, requires_grad=True).requires_grad


def test_legacy_type_names_and_variable():
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor", "BoolTensor"):
        ours, ref = getattr(cr, name)([1, 0, 2]), getattr(torch, name)([1, 0, 2])
        assert str(ours.dtype) == str(ref.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
        assert isinstance(ours, getattr(cr, name))
        assert tuple(getattr(cr, name)(2, 3).shape) == tuple(getattr(torch, name)(2, 3).shape)
    assert not isinstance(cr.ones(2), cr.LongTensor)
    assert cr.ones(2).type(cr.LongTensor).dtype == cr.long
    assert cr.ones(2).type() == "chainrule.FloatTensor"
    v = Variable(cr.ones(2), requires_grad=True)
    (v * 2).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [2.0, 2.0])
    assert cr.is_tensor(v) and not cr.is_tensor(np.ones(2)) and cr.numel(cr.ones(2, 3)) == 6
    assert isinstance(v.dtype, cr.dtype)


def test_relu_inplace_contiguous_unbind_flip_softmax():
    x, tx = both([[-1.0, 2.0], [3.0, -4.0]])
    assert F.relu(x, inplace=True) is x
    torch.nn.functional.relu(tx, inplace=True)
    np.testing.assert_array_equal(x.numpy(), tx.numpy())
    y, ty = both([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    for ours, ref in [
        (y.t().contiguous(), ty.t().contiguous()),
        (y.flip(0), ty.flip(0)),
        (y.flip(0, 1), ty.flip(0, 1)),
        (y.softmax(1), ty.softmax(1)),
        (y.log_softmax(0), ty.log_softmax(0)),
        (y.square(), ty.square()),
        (y.rsqrt(), ty.rsqrt()),
    ]:
        np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
    assert y.t().contiguous().is_contiguous() and not y.t().is_contiguous()
    parts, tparts = y.unbind(1), ty.unbind(1)
    assert len(parts) == len(tparts) == 3
    (parts[0] * 1.0 + parts[2] * 2.0).sum().backward()
    (tparts[0] * 1.0 + tparts[2] * 2.0).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), ty.grad.numpy())


def test_isfinite_isnan_isinf_as_torch():
    values = [1.0, float("inf"), -float("inf"), float("nan"), 0.0]
    x, tx = both(values)
    for name in ("isfinite", "isnan", "isinf"):
        np.testing.assert_array_equal(getattr(cr, name)(x).numpy(), getattr(torch, name)(tx).numpy())
        np.testing.assert_array_equal(getattr(x, name)().numpy(), getattr(tx, name)().numpy())
    np.testing.assert_array_equal(cr.isfinite(cr.tensor([1, 2])).numpy(), torch.isfinite(torch.tensor([1, 2])).numpy())
