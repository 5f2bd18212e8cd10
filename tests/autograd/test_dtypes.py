"""dtypes against PyTorch: names, conversions, type promotion over every pair, set_default_dtype."""

from __future__ import annotations

import itertools
import operator

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
KINDS = ["dim", "zero-d"]
OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def name(dtype) -> str:
    """A dtype of either library as a bare name: torch.float32 and np.float32 -> 'float32'."""
    return str(dtype).replace("torch.", "")


def make(lib, dtype: str, kind: str, values=(1, 2, 3)):
    data = values if kind == "dim" else values[0]
    return lib.tensor(data, dtype=getattr(lib, dtype))


def outcome(fn, *args):
    """The dtype's name of ``fn(*args)``, or the error type's name when the library refuses the op."""
    try:
        return name(fn(*args).dtype)
    except Exception as err:  # noqa: BLE001  (the error TYPE is what is compared)
        return "RuntimeError" if isinstance(err, RuntimeError) else type(err).__name__


# --- promotion: every pair of dtypes, each with or without dimensions, and Python scalars ----------

PAIRS = list(itertools.product(DTYPES, KINDS, DTYPES, KINDS))


@pytest.mark.parametrize("op", list(OPS))
def test_tensor_tensor_promotion_matches_torch(op):
    """All 9 x 9 dtype pairs, each operand with dimensions or 0-d: the result dtype (or the refusal)."""
    f, wrong = OPS[op], []
    for a, ka, b, kb in PAIRS:
        ours = outcome(f, make(cr, a, ka), make(cr, b, kb))
        theirs = outcome(f, make(torch, a, ka), make(torch, b, kb))
        if ours != theirs:
            wrong.append(f"{a}({ka}) {op} {b}({kb}): torch {theirs}, chainrule {ours}")
    assert not wrong, "\n".join(wrong)


SCALARS = [True, 2, 2.5]


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
def test_tensor_scalar_promotion_matches_torch(op, dtype, kind, scalar):
    f = OPS[op]
    for order in ("tensor first", "scalar first"):

        def run(lib, order=order):
            t = make(lib, dtype, kind)
            return f(t, scalar) if order == "tensor first" else f(scalar, t)

        assert outcome(lambda: run(cr)) == outcome(lambda: run(torch)), (order, dtype, kind, op, scalar)


@settings(max_examples=40)
@given(
    a=st.sampled_from(DTYPES[1:]),
    b=st.sampled_from(DTYPES[1:]),
    op=st.sampled_from(["+", "-", "*"]),
    shape_a=st.sampled_from([(), (3,), (2, 3)]),
    shape_b=st.sampled_from([(), (3,), (1, 3)]),
    seed=st.integers(0, 2**16),
)
def test_promoted_values_match_torch(a, b, op, shape_a, shape_b, seed):
    """Not only the dtype: the numbers computed in the promoted dtype agree too (small values, no overflow)."""
    rng = np.random.default_rng(seed)
    xa, xb = rng.integers(0, 10, shape_a), rng.integers(0, 10, shape_b)
    ours = OPS[op](cr.tensor(xa, dtype=getattr(cr, a)), cr.tensor(xb, dtype=getattr(cr, b)))
    theirs = OPS[op](torch.tensor(xa, dtype=getattr(torch, a)), torch.tensor(xb, dtype=getattr(torch, b)))
    assert name(ours.dtype) == name(theirs.dtype)
    np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float), rtol=1e-3)


def test_the_issue_cases():
    """float32 with an int64 tensor stays float32; a float32 loss against int64 targets stays float32."""
    pred, target = cr.randn(4), cr.tensor([0, 1, 1, 0])
    assert (pred - target).dtype == cr.float32
    assert ((pred - target) ** 2).mean().dtype == cr.float32
    assert (cr.tensor([1, 2]) / cr.tensor([2, 4])).dtype == cr.float32  # true division of integers
    assert (cr.ones(3) * cr.tensor(2.0, dtype=cr.float64)).dtype == cr.float32  # a 0-d tensor is weaker


@pytest.mark.parametrize(
    "dtype, value, expected",
    [("uint8", 300, [45, 45]), ("int8", 1000, [-23, -23]), ("int32", 2**40, [1, 1]), ("uint8", -1, [0, 0])],
)
def test_out_of_range_python_ints_wrap_as_in_torch(dtype, value, expected):
    ours = cr.ones(2, dtype=getattr(cr, dtype)) + value
    theirs = torch.ones(2, dtype=getattr(torch, dtype)) + value
    assert ours.tolist() == theirs.tolist() == expected and name(ours.dtype) == dtype


def test_bool_subtraction_is_refused_like_torch():
    with pytest.raises(RuntimeError, match="bool"):
        cr.tensor([True, False]) - cr.tensor([True, True])
    with pytest.raises(RuntimeError, match="logical_not"):
        1 - cr.tensor([True, False])
    assert (~cr.tensor([True, False])).tolist() == [False, True]  # the spelling the error suggests


# --- names and conversions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alias, real",
    [
        ("float", "float32"),
        ("double", "float64"),
        ("half", "float16"),
        ("long", "int64"),
        ("int", "int32"),
        ("short", "int16"),
    ],
)
def test_dtype_aliases(alias, real):
    assert getattr(cr, alias) == getattr(cr, real)
    assert name(getattr(torch, alias)) == real


@pytest.mark.parametrize("method", ["float", "double", "half", "long", "int", "short", "byte", "bool"])
@pytest.mark.parametrize("data", [[1.7, -2.7, 0.0], [3, 0, -1], [True, False, True]])
def test_conversion_methods_match_torch(method, data):
    if method == "byte" and data == [3, 0, -1]:
        data = [3, 0, 1]  # torch refuses negative numbers into uint8 from a Python list
    ours, theirs = getattr(cr.tensor(data), method)(), getattr(torch.tensor(data), method)()
    assert name(ours.dtype) == name(theirs.dtype)
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("target", ["float64", "int64", "float16", "bool", "int32"])
def test_to_and_type_with_a_dtype(target):
    src = [0.5, -1.5, 2.0]
    for call in (
        lambda t, lib: t.to(getattr(lib, target)),
        lambda t, lib: t.type(getattr(lib, target)),
        lambda t, lib: t.to(dtype=getattr(lib, target)),
        lambda t, lib: t.to("cpu", getattr(lib, target)),
    ):
        ours, theirs = call(cr.tensor(src), cr), call(torch.tensor(src), torch)
        assert name(ours.dtype) == name(theirs.dtype) and ours.tolist() == theirs.tolist()


def test_type_names_and_to_other_tensor():
    for data in ([1.0], [1], [True]):
        assert cr.tensor(data).type().split(".")[1] == torch.tensor(data).type().split(".")[1]
    assert cr.tensor([1.5]).type("torch.LongTensor").dtype == cr.int64
    assert cr.tensor([1.5]).to(cr.tensor([1])).dtype == cr.int64


def test_to_same_dtype_is_the_same_tensor_and_conversion_keeps_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert x.float() is x and x.to(cr.float32) is x  # torch too: no copy when nothing changes
    assert x.to(cr.float32, copy=True) is not x
    y = x.double()
    assert y.requires_grad and y.grad_fn is not None
    (y * y).sum().backward()
    assert x.grad.dtype == cr.float32 and x.grad.tolist() == [2.0, 4.0]  # the gradient comes back as float32
    assert not x.long().requires_grad  # integers are cut from the graph


def test_mixed_dtype_gradients_come_back_in_each_inputs_dtype():
    for lib in (cr, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
        (a * b).sum().backward()
        assert name(a.grad.dtype) == "float32" and name(b.grad.dtype) == "float64"
        assert a.grad.tolist() == [3.0, 4.0] and b.grad.tolist() == [1.0, 2.0]


def test_is_floating_point_and_defaults():
    for lib in (cr, torch):
        assert lib.tensor([1.0]).is_floating_point() and not lib.tensor([1]).is_floating_point()
        assert lib.is_floating_point(lib.tensor([1.0], dtype=lib.float16))
        assert name(lib.get_default_dtype()) == "float32"


def test_set_default_dtype_like_torch():
    try:
        for lib in (cr, torch):
            lib.set_default_dtype(lib.float64)
            assert name(lib.tensor([1.5]).dtype) == "float64" and name(lib.zeros(2).dtype) == "float64"
            assert name((lib.tensor([1, 2]) / 2).dtype) == "float64"
            assert name((lib.ones(2, dtype=lib.float32) * 2.5).dtype) == "float32"  # an explicit dtype stays
            lib.set_default_dtype(lib.float32)
        with pytest.raises(TypeError):
            cr.set_default_dtype(cr.int64)
        with pytest.raises(TypeError):
            torch.set_default_dtype(torch.int64)
    finally:
        cr.set_default_dtype(cr.float32)
        torch.set_default_dtype(torch.float32)


def test_requires_grad_only_on_floats():
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        cr.tensor([1, 2], requires_grad=True)
