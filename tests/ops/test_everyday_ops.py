"""The everyday ops (issue 13, item 4) beyond the registry: return types, indices, argument
spellings, dtypes and errors, each against PyTorch. Values and gradients over random shapes are
in the registry (tests/op_specs_tensor.py, run by tests/ops/test_registry.py)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.ops.index
import chainrule.ops.sort
import chainrule.ops.statistics
from tests.oracle import OPS

X = np.array([[0.5, -1.0, 2.0, 2.0], [3.0, 0.0, -2.0, 1.5], [1.0, 1.0, -0.5, -3.0]])


def pair(data=X, grad=False):
    a = np.array(data)
    return cr.tensor(a.copy(), requires_grad=grad), torch.tensor(a.copy(), requires_grad=grad)


def same(ours, theirs):
    """Same values, shape and dtype (by name: float64, int64, bool)."""
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert tuple(ours.shape) == theirs.shape
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.detach().numpy(), theirs, rtol=1e-14, atol=0)  # exact but summation order


def grad_of(t):
    g = t.grad
    return g.numpy() if hasattr(g, "numpy") else np.asarray(g)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_new_op_modules_are_reached_by_the_registry():
    """Each Function of ops/index.py, ops/sort.py and ops/statistics.py appears in some spec's graph."""
    modules = [chainrule.ops.index, chainrule.ops.sort, chainrule.ops.statistics]
    defined = {
        name
        for m in modules
        for name, obj in vars(m).items()
        if inspect.isclass(obj) and issubclass(obj, cr.Function) and obj.__module__ == m.__name__
    }
    reached = set()
    for name in ("gather", "index_select", "masked_fill", "max_dim", "sort", "topk", "var", "std", "norm"):
        spec = OPS[name]
        shapes, kwargs = spec.draw_case(lambda strategy: strategy.example())
        x = cr.tensor(spec.inputs(shapes, 0)[0], requires_grad=True)
        out, stack = spec.cr(x, **kwargs), []
        stack.append(out)
        while stack:
            t = stack.pop()
            if t._ctx is not None:
                reached.add(type(t._ctx).__name__)
                stack.extend(t._ctx.parents)
    assert defined == {"Gather", "IndexSelect", "MaskedFill", "Var", "Std", "Norm"}
    assert defined <= reached


# --- max / min / argmax / argmin -------------------------------------------------------------------


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dim, keepdim", [(0, False), (1, False), (-1, True), (1, True)])
def test_max_min_along_a_dim_return_values_and_indices_as_torch(op, dim, keepdim):
    (a, ta), (b, tb) = pair(grad=True), pair(grad=True)
    ours, theirs = getattr(a, op)(dim, keepdim=keepdim), getattr(ta, op)(dim, keepdim=keepdim)
    assert type(ours).__name__ == op and ours._fields == ("values", "indices")
    same(ours.values, theirs.values)
    same(ours.indices, theirs.indices)
    same(ours[1], theirs[1])  # x.max(1)[1] is the indices (it used to be values)
    values, indices = getattr(cr, op)(b, dim=dim, keepdim=keepdim)
    same(indices, getattr(torch, op)(tb, dim=dim, keepdim=keepdim).indices)
    # X has ties (2.0, 2.0 in row 0; 1.0, 1.0 in row 2): the gradient goes to the first, as PyTorch
    up = np.arange(1.0, 1.0 + ours.values.numel()).reshape(tuple(ours.values.shape))
    ours.values.backward(cr.tensor(up))
    theirs.values.backward(torch.tensor(up))
    np.testing.assert_array_equal(grad_of(a), ta.grad.numpy())


def test_max_forms():
    (a, ta), (b, tb) = pair(), pair(X[::-1].copy())
    same(a.max(), ta.max())  # all elements: a tensor
    same(cr.max(a), torch.max(ta))
    same(cr.max(a, b), torch.max(ta, tb))  # two tensors: the elementwise maximum
    same(a.min(b), ta.min(tb))
    same(a.max(dim=1, keepdim=True)[1], ta.max(dim=1, keepdim=True)[1])
    same(a.max(axis=1), ta.amax(dim=1))  # NumPy's keyword keeps NumPy's meaning: the values
    same(a.max(axis=(0, 1), keepdims=True), ta.amax(dim=(0, 1), keepdim=True))
    v, i = cr.tensor(2.5).max(0)
    assert v.item() == 2.5 and i.item() == 0 and i.dtype == np.int64
    with pytest.raises(cr.ShapeError, match=r"max: cannot reduce dimension 1 of size 0"):
        cr.zeros(2, 0).max(1)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (None, True), (0, False), (1, True), (-1, False)])
def test_argmax_argmin_as_torch(op, dim, keepdim):
    a, ta = pair()
    same(getattr(a, op)(dim, keepdim), getattr(ta, op)(dim, keepdim))
    same(getattr(cr, op)(a, dim=dim, keepdim=keepdim), getattr(torch, op)(ta, dim=dim, keepdim=keepdim))
    assert not getattr(cr.tensor(X, requires_grad=True), op)(dim).requires_grad


# --- sort / topk -----------------------------------------------------------------------------------


DISTINCT = np.random.default_rng(0).permutation(20).reshape(4, 5) / 4.0


@pytest.mark.parametrize("dim, descending", [(-1, False), (0, True), (1, True)])
def test_sort_values_and_indices_as_torch(dim, descending):
    a, ta = pair(DISTINCT)
    ours, theirs = a.sort(dim, descending), torch.sort(ta, dim=dim, descending=descending)
    assert type(ours).__name__ == "sort"
    same(ours.values, theirs.values)
    same(ours.indices, theirs.indices)
    same(cr.argsort(a, dim, descending), torch.argsort(ta, dim, descending))


def test_sort_keeps_equal_elements_in_order_both_ways():
    a, ta = pair([3.0, 1.0, 3.0, 2.0, 1.0])
    for descending in (False, True):
        same(
            a.sort(descending=descending, stable=True).indices,
            torch.sort(ta, descending=descending, stable=True).indices,
        )
    ints = cr.tensor([2, 7, 2, -5])
    same(ints.sort(descending=True).values, torch.tensor([7, 2, 2, -5]))


@pytest.mark.parametrize("k, dim, largest", [(2, -1, True), (3, 0, False), (1, 1, True), (0, 1, True)])
def test_topk_as_torch(k, dim, largest):
    a, ta = pair(DISTINCT, grad=True)
    ours, theirs = a.topk(k, dim, largest), torch.topk(ta, k, dim, largest)
    same(ours.values, theirs.values)
    same(ours.indices, theirs.indices)
    if k:
        ours.values.sum().backward()
        theirs.values.sum().backward()
        np.testing.assert_array_equal(grad_of(a), ta.grad.numpy())
    with pytest.raises(cr.ShapeError, match=r"topk: k \(6\) is out of range for dimension 1 of size 5"):
        a.topk(6)


# --- comparisons and logical reductions ------------------------------------------------------------


@pytest.mark.parametrize("op", ["eq", "ne", "gt", "lt", "ge", "le"])
def test_comparisons_as_functions_and_methods(op):
    (a, ta), (b, tb) = pair(grad=True), pair(np.full((4,), 1.0))
    same(getattr(cr, op)(a, b), getattr(torch, op)(ta, tb))
    same(getattr(a, op)(b), getattr(ta, op)(tb))
    same(getattr(a, op)(1.0), getattr(ta, op)(1.0))
    out = getattr(a, op)(b)
    assert out.dtype == np.bool_ and not out.requires_grad


def test_mnist_accuracy_idiom():
    """pytorch/examples' MNIST test loop: pred = output.argmax(dim=1, keepdim=True);
    correct += pred.eq(target.view_as(pred)).sum().item()."""
    output, target = cr.tensor(DISTINCT), cr.tensor([4, 0, 2, 1])
    pred = output.argmax(dim=1, keepdim=True)
    correct = pred.eq(target.view_as(pred)).sum().item()
    tout, ttarget = torch.tensor(DISTINCT), torch.tensor([4, 0, 2, 1])
    tpred = tout.argmax(dim=1, keepdim=True)
    assert correct == tpred.eq(ttarget.view_as(tpred)).sum().item() and isinstance(correct, int)
    assert output.max(1, keepdim=True)[1].eq(pred).all().item() is True


@pytest.mark.parametrize("op", ["all", "any"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (1, True), ((0, 1), False)])
def test_all_any_as_torch(op, dim, keepdim):
    a, ta = pair([[1.0, 0.0, 2.0], [1.0, 3.0, 0.5]])
    if dim is None:
        same(getattr(a, op)(), getattr(ta, op)())
    else:
        same(getattr(a, op)(dim, keepdim), getattr(torch, op)(ta, dim=dim, keepdim=keepdim))


def test_allclose_isclose_equal():
    a, ta = pair()
    b, tb = pair(X + 1e-9)
    assert cr.allclose(a, b) is True and a.allclose(b) and not cr.allclose(a, b + 1.0)
    same(cr.isclose(a, b + np.eye(3, 4)), torch.isclose(ta, tb + torch.eye(3, 4, dtype=torch.float64)))
    assert cr.equal(a, a) and not cr.equal(a, b) and not cr.equal(a, a[0])


# --- reductions: argument spellings ----------------------------------------------------------------


def test_sum_mean_dim_keepdim_dtype_and_aliases():
    a, ta = pair()
    for fn in ("sum", "mean"):
        same(getattr(a, fn)(dim=0), getattr(ta, fn)(dim=0))
        same(getattr(a, fn)(1, True), getattr(ta, fn)(1, True))
        same(getattr(a, fn)([0, 1]), getattr(ta, fn)([0, 1]))
        same(getattr(a, fn)(axis=-1, keepdims=True), getattr(ta, fn)(dim=-1, keepdim=True))
        same(getattr(cr, fn)(a, dim=(1, 0)), getattr(torch, fn)(ta, dim=(1, 0)))
        same(getattr(a, fn)(dtype=cr.float32), getattr(ta, fn)(dtype=torch.float32))
        with pytest.raises(TypeError, match=rf"{fn}: got both dim=0 and axis=1"):
            getattr(a, fn)(0, axis=1)
    ints, tints = cr.tensor([[1, 2], [3, 4]]), torch.tensor([[1, 2], [3, 4]])
    same(ints.sum(0), tints.sum(0))  # int64 stays int64
    same((ints > 2).sum(), (tints > 2).sum())  # bools count as int64


def test_var_std_spellings_as_torch():
    a, ta = pair(DISTINCT)
    for fn in ("var", "std"):
        f, tf = getattr(a, fn), getattr(ta, fn)
        same(f(), tf())  # unbiased by default
        same(f(False), tf(False))  # the old positional ``unbiased``
        same(f(1, False), tf(1, False))
        same(f(0, keepdim=True), tf(0, keepdim=True))
        same(f(dim=(0, 1), correction=0), tf(dim=(0, 1), correction=0))
        same(f(unbiased=True), tf(unbiased=True))
        same(getattr(cr, fn)(a, 1, correction=2), getattr(torch, fn)(ta, 1, correction=2))
        with pytest.raises(TypeError, match="unbiased or correction, not both"):
            f(0, True, correction=1)
    one, tone = pair([[2.0]])
    with np.errstate(all="ignore"):
        assert np.isnan(one.var().item()) and np.isnan(tone.var().item())  # n - 1 = 0: nan, as PyTorch


def test_norm_and_prod_spellings_as_torch():
    a, ta = pair(grad=True)
    same(a.norm(), ta.norm())
    same(cr.norm(a, p="fro", dim=(0, 1)), torch.norm(ta, p="fro", dim=(0, 1)))
    same(a.norm(1, dim=1, keepdim=True), ta.norm(1, dim=1, keepdim=True))
    same(a.norm(float("inf")), ta.norm(float("inf")))
    same(a.norm(0, 1), ta.norm(0, 1))
    z, tz = pair(np.zeros(3), grad=True)
    z.norm().backward()
    tz.norm().backward()
    np.testing.assert_array_equal(grad_of(z), tz.grad.numpy())  # 0 at 0, not nan
    same(a.prod(), ta.prod())
    same(a.prod(1, True), ta.prod(1, True))
    same(cr.prod(cr.tensor([[1, 2], [3, 4]]), 0), torch.prod(torch.tensor([[1, 2], [3, 4]]), 0))
    with pytest.raises(TypeError, match="prod: dim must be one int"):
        a.prod((0, 1))


# --- elementwise spellings -------------------------------------------------------------------------


def test_arithmetic_functions_and_methods():
    (a, ta), (b, tb) = pair(), pair(X[::-1].copy() + 0.25)
    same(cr.add(a, b, alpha=2), torch.add(ta, tb, alpha=2))
    same(a.add(1), ta.add(1))
    same(cr.sub(a, b), torch.sub(ta, tb))
    same(a.sub(b, alpha=0.5), ta.sub(tb, alpha=0.5))
    same(cr.mul(a, 3), torch.mul(ta, 3))
    same(a.div(b), ta.div(tb))
    same(cr.pow(a, 2), torch.pow(ta, 2))
    same(cr.pow(2, a), torch.pow(2, ta))
    same(a.pow(2).sum(), ta.pow(2).sum())
    same(a.neg(), ta.neg())
    same(cr.neg(a), torch.neg(ta))
    same(a.abs(), ta.abs())
    same(a.sin(), ta.sin())
    same(cr.cos(a), torch.cos(ta))
    for mode in ("trunc", "floor"):
        same(cr.div(a, b, rounding_mode=mode), torch.div(ta, tb, rounding_mode=mode))
        ints, tints = cr.tensor([7, -7, 5]), torch.tensor([7, -7, 5])
        same(ints.div(2, rounding_mode=mode), tints.div(2, rounding_mode=mode))


def test_clamp_spellings():
    a, ta = pair()
    same(a.clamp(min=0), ta.clamp(min=0))
    same(a.clamp(-0.5, 1.0), ta.clamp(-0.5, 1.0))
    same(cr.clamp(a, max=1.0), torch.clamp(ta, max=1.0))
    same(a.clamp_min(0.5), ta.clamp_min(0.5))
    same(cr.clamp_max(a, 0.5), torch.clamp_max(ta, 0.5))
    same(a.clip(max=0.0), ta.clip(max=0.0))
    with pytest.raises(ValueError, match="clamp: give at least one of min and max"):
        a.clamp()


# --- matrix products -------------------------------------------------------------------------------


def test_matrix_product_methods_and_errors():
    (a, ta), (b, tb) = pair(), pair(X.T.copy())
    same(a.mm(b), ta.mm(tb))
    same(cr.mm(a, b), torch.mm(ta, tb))
    same(a.matmul(b), ta.matmul(tb))
    same(a.t(), ta.t())
    same(cr.t(a[0]), torch.t(ta[0]))
    c, tc = pair(np.arange(24.0).reshape(2, 3, 4))
    d, td = pair(np.arange(16.0).reshape(2, 4, 2))
    same(c.bmm(d), tc.bmm(td))
    with pytest.raises(cr.ShapeError, match=r"mm: mat1 and mat2 shapes cannot be multiplied \(3x4 and 3x4\)"):
        a.mm(a)
    with pytest.raises(cr.ShapeError, match=r"mm: both operands must be matrices"):
        cr.mm(a, a[0])
    with pytest.raises(cr.ShapeError, match=r"bmm: shapes \(2, 3, 4\) and \(2, 3, 4\) do not match"):
        c.bmm(c)
    with pytest.raises(cr.ShapeError, match=r"t\(\) expects a tensor with <= 2 dimensions, but it has 3"):
        c.t()
