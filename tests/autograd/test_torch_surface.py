"""The Tensor's everyday PyTorch surface, against torch: size/numel/Size, item/tolist, iteration,
numpy()/__array__, .grad as a Tensor, detach, deepcopy, repr, storage sharing, error types."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import chainrule as cr

LIBS = [cr, torch]


def both(fn):
    """``fn(lib)`` for chainrule and torch."""
    return fn(cr), fn(torch)


# --- size, numel, Size ------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 1, 4)])
def test_size_and_numel(shape):
    ours, theirs = cr.zeros(shape), torch.zeros(shape)
    assert tuple(ours.size()) == tuple(theirs.size()) == tuple(ours.shape)
    assert ours.numel() == theirs.numel() == ours.shape.numel() == ours.nelement()
    assert ours.dim() == theirs.dim() == ours.ndim
    for d in range(-len(shape), len(shape)):
        assert ours.size(d) == theirs.size(d) and isinstance(ours.size(d), int)
    assert isinstance(ours.size(), tuple) and isinstance(ours.size(), cr.Size)


@pytest.mark.parametrize("shape, dim", [((), 0), ((), -1), ((3,), 1), ((3,), -2), ((2, 3), 2)])
def test_size_out_of_range_is_an_index_error(shape, dim):
    for lib in LIBS:
        with pytest.raises(IndexError):
            lib.zeros(shape).size(dim)


def test_size_behaves_like_torch_size():
    s, ts = cr.zeros(2, 3, 4).shape, torch.zeros(2, 3, 4).shape
    assert s == ts == (2, 3, 4) and s[-1] == 4
    assert isinstance(s[1:], cr.Size) and tuple(s[1:]) == tuple(ts[1:]) == (3, 4)
    assert isinstance(s + (5,), cr.Size) and tuple(s + (5,)) == tuple(ts + (5,))
    assert s.numel() == ts.numel() == 24
    assert repr(s) == "Size([2, 3, 4])" and repr(ts) == "torch.Size([2, 3, 4])"
    n, c, h = cr.zeros(2, 3, 4).size()  # unpacking, as scripts do
    assert (n, c, h) == (2, 3, 4)


# --- item, tolist, Python numbers ---------------------------------------------------------------------


@pytest.mark.parametrize("data", [2.5, 3, True, [[1.0]], [7]])
def test_item_and_conversions(data):
    ours, theirs = both(lambda lib: lib.tensor(data))
    assert ours.item() == theirs.item() and type(ours.item()) is type(theirs.item())
    assert float(ours) == float(theirs) and int(ours) == int(theirs) and bool(ours) == bool(theirs)


@pytest.mark.parametrize("data", [[[1, 2], [3, 4]], [1.5, -2.0], 3.0, [[True], [False]], [[[]]]])
def test_tolist(data):
    ours, theirs = both(lambda lib: lib.tensor(data))
    assert ours.tolist() == theirs.tolist()
    assert type(ours.tolist()) is type(theirs.tolist())


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda t: t.item(), RuntimeError),
        (lambda t: float(t), ValueError),
        (lambda t: bool(t), RuntimeError),
    ],
)
def test_several_elements_to_one_number_raises_like_torch(call, error):
    for lib in LIBS:
        with pytest.raises(error):
            call(lib.tensor([1.0, 2.0]))


def test_item_and_tolist_work_on_tensors_that_require_grad():
    for lib in LIBS:
        x = lib.tensor([1.5, 2.5], requires_grad=True)
        assert x[0].item() == 1.5 and x.tolist() == [1.5, 2.5]


def test_integer_tensor_as_an_index():
    for lib in LIBS:
        assert list(range(10))[lib.tensor(3)] == 3
        assert lib.ones(4)[lib.tensor(1)].item() == 1.0
        with pytest.raises(TypeError):
            list(range(10))[lib.tensor(3.0)]


# --- iteration and len ----------------------------------------------------------------------------------


def test_iteration_and_len():
    for lib in LIBS:
        t = lib.tensor([[1, 2], [3, 4], [5, 6]])
        rows = list(t)
        assert len(t) == 3 and len(rows) == 3 and [r.tolist() for r in rows] == [[1, 2], [3, 4], [5, 6]]
        a, b = lib.tensor([7, 8])
        assert (a.item(), b.item()) == (7, 8)
        assert [(x.item(), y.item()) for x, y in zip(lib.tensor([1, 2]), lib.tensor([3, 4, 5]))] == [(1, 3), (2, 4)]
        assert [v.item() for v in lib.zeros(0)] == []


def test_zero_d_tensor_has_no_len_and_no_iteration():
    for lib in LIBS:
        with pytest.raises(TypeError):
            len(lib.tensor(3.0))
        with pytest.raises(TypeError):
            list(lib.tensor(3.0))


def test_iterating_a_tensor_that_requires_grad_keeps_the_graph():
    outs = {}
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        total = sum(v * v for v in x)
        total.backward()
        outs[lib.__name__] = x.grad.tolist()
    assert outs["chainrule"] == outs["torch"] == [2.0, 4.0, 6.0]


def test_shape_errors_are_value_and_runtime_errors():
    with pytest.raises(RuntimeError):
        torch.ones(2) + torch.ones(3)
    for error in (RuntimeError, ValueError):
        with pytest.raises(error, match=r"\(2,\).*\(3,\)"):
            cr.ones(2) + cr.ones(3)
        with pytest.raises(error):
            cr.ones(2, 3) @ cr.ones(2, 3)
        with pytest.raises(error):
            cr.ones(2, 3).reshape(4)


# --- numpy, __array__, storage sharing -----------------------------------------------------------------


def test_numpy_refuses_a_tensor_that_requires_grad():
    for lib in LIBS:
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
            x.numpy()
        with pytest.raises(RuntimeError, match="requires grad"):
            np.asarray(x)
        assert x.detach().numpy().tolist() == [1.0, 1.0]
        assert (x * 2).detach().numpy().dtype == np.float32


def test_numpy_and_array_share_memory():
    for lib in LIBS:
        t = lib.tensor([1.0, 2.0])
        a, b = t.numpy(), np.asarray(t)
        t.add_(1)
        assert a.tolist() == b.tolist() == [2.0, 3.0]
        assert np.asarray(t, dtype=np.float64).dtype == np.float64
        assert np.add(np.ones(2), np.asarray(lib.ones(2))).tolist() == [2.0, 2.0]


def test_tensor_copies_from_numpy_and_as_tensor_share():
    for lib in LIBS:
        a = np.array([1.0, 2.0])
        copied, shared, shared2 = lib.tensor(a), lib.from_numpy(a), lib.as_tensor(a)
        converted = lib.as_tensor(a, dtype=lib.float32)  # another dtype: a copy
        a[0] = 9.0
        assert copied.tolist() == [1.0, 2.0] and converted.tolist() == [1.0, 2.0]
        assert shared.tolist() == shared2.tolist() == [9.0, 2.0]
        assert str(shared.dtype).endswith("float64")
        t = lib.tensor([1.0, 2.0])
        assert lib.as_tensor(t) is t
        assert not np.shares_memory(lib.tensor(t.detach()).numpy(), t.numpy())
    with pytest.raises(TypeError):
        cr.from_numpy([1.0, 2.0])
    with pytest.raises(TypeError):
        torch.from_numpy([1.0, 2.0])


# --- .grad, detach, requires_grad --------------------------------------------------------------------


def test_grad_is_a_tensor_and_none_before_backward():
    for lib in LIBS:
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        assert x.grad is None
        (x * x).sum().backward()
        g = x.grad
        assert isinstance(g, lib.Tensor) and not g.requires_grad and g.grad_fn is None
        assert (g * 2 + 1).tolist() == [5.0, -7.0] and g.size() == x.size()
        assert g.numpy().tolist() == [2.0, -4.0]
        (x * x).sum().backward()
        assert x.grad is g and g.tolist() == [4.0, -8.0]  # accumulates into the same tensor


def test_grad_setter():
    for lib in LIBS:
        x = lib.ones(3, requires_grad=True)
        x.grad = lib.full((3,), 2.0)
        (x * 1).sum().backward()
        assert x.grad.tolist() == [3.0, 3.0, 3.0]
        x.grad = None
        assert x.grad is None
        with pytest.raises(RuntimeError):
            x.grad = lib.ones(2)


def test_non_leaf_grad_is_none_unless_retained():
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y, z = x * 2, x * 3
        z.retain_grad()
        (y * z).sum().backward()
        assert z.retains_grad and not y.retains_grad
        assert z.grad.tolist() == [2.0, 4.0] and x.grad.tolist() == [12.0, 24.0]


def test_detach_and_is_leaf():
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        d = y.detach()
        assert x.is_leaf and not y.is_leaf and d.is_leaf and not d.requires_grad and d.grad_fn is None
        assert (lib.tensor([1.0]) * 2).is_leaf  # nothing requires grad: a leaf
        d[0] = 10.0  # shares memory with y
        assert y[0].item() == 10.0
        y.detach_()
        assert y.is_leaf and not y.requires_grad
        with pytest.raises(RuntimeError):
            (x * 2).requires_grad_(False)


def test_deepcopy_of_a_leaf():
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        c = copy.deepcopy(x)
        assert c is not x and c.requires_grad and c.is_leaf and c.grad.tolist() == [2.0, 4.0]
        c.data.add_(1)
        c.grad.zero_()
        assert x.tolist() == [1.0, 2.0] and x.grad.tolist() == [2.0, 4.0]
        with pytest.raises(RuntimeError):
            copy.deepcopy(x * 2)


def test_repr_shows_grad_fn_and_requires_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    for ours, theirs in [(x, tx), (x * 2, tx * 2), (x + 1, tx + 1), (x.exp(), tx.exp()), (x.sum(), tx.sum())]:
        tail = repr(theirs).split(", ", 1)[-1] if "grad" in repr(theirs) else None
        assert repr(ours).endswith(tail), (repr(ours), repr(theirs))
    assert repr(cr.tensor([1, 2])) == repr(torch.tensor([1, 2])) == "tensor([1, 2])"
    assert "dtype=int32" in repr(cr.tensor([1, 2], dtype=cr.int32))
    assert "dtype=float64" in repr(cr.tensor([1.0], dtype=cr.float64))
    assert f"{cr.tensor(2.0):.3f}" == f"{torch.tensor(2.0):.3f}" == "2.000"


def test_out_of_range_index_is_an_index_error_in_torch():
    with pytest.raises(IndexError):
        torch.zeros(2)[5]
    with pytest.raises((IndexError, RuntimeError)):  # chainrule: ShapeError (a RuntimeError) from getitem
        cr.zeros(2)[5]
