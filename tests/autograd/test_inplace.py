"""In-place operations against PyTorch: values, gradients, and the situations where both refuse.

Each scenario is one function of the library (``chainrule`` or ``torch``) run on both; the values,
the gradients and the error type must agree.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

X = [1.0, -2.0, 3.0, 0.5]


def leaf(lib, values=X):
    return lib.tensor(values, requires_grad=True)


def as_list(v):
    """Results to plain numbers (tensors -> lists) so both libraries compare."""
    if isinstance(v, (list, tuple)):
        return [as_list(x) for x in v]
    if hasattr(v, "detach"):
        return np.asarray(v.detach().tolist(), dtype=float)
    return v


def run(scenario, lib):
    try:
        return as_list(scenario(lib))
    except Exception as err:  # noqa: BLE001  (the error TYPE is compared)
        return RuntimeError if isinstance(err, RuntimeError) else type(err)


def same(scenario, rtol=1e-6):
    ours, theirs = run(scenario, cr), run(scenario, torch)
    if isinstance(theirs, type):
        assert ours is theirs, f"torch raises {theirs.__name__}, chainrule gives {ours}"
        return
    assert not isinstance(ours, type), f"chainrule raises {ours.__name__}, torch gives {theirs}"
    assert len(ours) == len(theirs) if isinstance(theirs, list) else True
    for a, b in zip(ours if isinstance(ours, list) else [ours], theirs if isinstance(theirs, list) else [theirs]):
        if b is None or isinstance(b, bool):
            assert a == b
        else:
            np.testing.assert_allclose(a, b, rtol=rtol)


# --- on non-leaves in grad mode: recorded, gradients equal torch's ---------------------------------


def chain(L):
    x = leaf(L)
    y = x * 2
    y += 1
    y.relu_()
    y.sum().backward()
    return y, x.grad


def chain_mul_self(L):
    x = leaf(L)
    y = x * 2
    y *= y
    y.sum().backward()
    return y, x.grad


def chain_arith(L):
    x = leaf(L)
    y = x * 3
    y.sub_(x, alpha=2).div_(L.tensor([1.0, 2.0, 4.0, 8.0])).mul_(x).add_(1.5, alpha=2)
    y.clamp_(min=-1.0, max=4.0)
    (y * y).sum().backward()
    return y, x.grad


def chain_unary(L):
    x = leaf(L)
    y = x * 0.5
    y.sigmoid_()
    y.tanh_()
    y.pow_(2)
    y.exp_()
    y.sum().backward()
    return y, x.grad


def setitem_requires_grad(L):
    x = leaf(L)
    z = L.tensor(5.0, requires_grad=True)
    y = x * 2
    y[0] = z * 3
    y[2:] = x[:2] ** 2
    (y * y).sum().backward()
    return y, x.grad, z.grad


def setitem_into_zeros(L):
    x = leaf(L)
    out = L.zeros(3)
    out[1] = (x * 2).sum()
    out.sum().backward()
    return out, x.grad, out.requires_grad, out.grad_fn is not None


def setitem_mask_and_index(L):
    x = leaf(L)
    y = x.exp()
    y = y * 1  # the exp output stays unchanged: exp's backward needs it
    y[y > 2.0] = 0.0
    y[L.tensor([0, 1])] = x[2:] * 4
    (y * x).sum().backward()
    return y, x.grad


def copy_fill_zero_non_leaf(L):
    x = leaf(L)
    a = x * 2
    a.fill_(3.0)
    b = x * 1
    b.zero_()
    c = L.zeros(4)
    c.copy_(x * x)
    (a * x + b + c).sum().backward()
    return a, b, c, x.grad


def earlier_consumer_keeps_old_value(L):
    x = leaf(L)
    y = x + 1
    s = y.sum()  # sum needs no saved value
    y.mul_(2)
    (s + (y * x).sum()).backward()
    return y, x.grad


def masked_fill_(L):
    x = leaf(L)
    y = x * 2
    y.masked_fill_(L.tensor([True, False, True, False]), 0.0)
    (y * x).sum().backward()
    return y, x.grad


def clone_then_in_place(L):
    x = leaf(L)
    c = x.clone()
    c.mul_(3).add_(x)
    c.sum().backward()
    return c, x.grad


def detached_change_of_mul_result(L):
    x = leaf(L)
    y = x * 2  # mul saved x, not its output: changing y through detach() is harmless
    y.detach().add_(1)
    y.sum().backward()
    return y, x.grad


@pytest.mark.parametrize(
    "scenario",
    [
        chain,
        chain_mul_self,
        chain_arith,
        chain_unary,
        setitem_requires_grad,
        setitem_into_zeros,
        setitem_mask_and_index,
        copy_fill_zero_non_leaf,
        earlier_consumer_keeps_old_value,
        masked_fill_,
        clone_then_in_place,
        detached_change_of_mul_result,
    ],
    ids=lambda f: f.__name__,
)
def test_recorded_in_place_ops_match_torch(scenario):
    same(scenario, rtol=1e-5)


# --- version counters: backward refuses where a saved array changed -------------------------------


def exp_output_changed(L):
    b = leaf(L).exp()  # exp saved its output
    b.add_(1)
    b.sum().backward()


def sigmoid_output_changed(L):
    y = leaf(L).sigmoid()
    y.mul_(2)
    y.sum().backward()


def mul_input_changed(L):
    a = leaf(L) * 1
    c = a * a  # mul saved a
    a.add_(1)
    c.sum().backward()


def pow_leaf_changed_through_detach(L):
    x = leaf(L)
    y = x**2
    x.detach().add_(1)  # the same memory and version counter as x
    y.sum().backward()


def matmul_input_changed(L):
    x = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    h = x * 1
    y = h @ h
    h.mul_(2)
    y.sum().backward()


def view_changed(L):
    x = leaf(L)
    h = x.exp()
    v = h[1:]
    with L.no_grad():
        v.mul_(2)  # a view shares its base's version counter
    h.sum().backward()


def tanh_then_later_use(L):
    x = leaf(L)
    y = x.tanh()
    z = y * 3
    y.add_(1)
    (z.sum() + y.sum()).backward()


@pytest.mark.parametrize(
    "scenario",
    [
        exp_output_changed,
        sigmoid_output_changed,
        mul_input_changed,
        pow_leaf_changed_through_detach,
        matmul_input_changed,
        view_changed,
        tanh_then_later_use,
    ],
    ids=lambda f: f.__name__,
)
def test_backward_raises_where_torch_does(scenario):
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        scenario(torch)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        scenario(cr)


def test_version_error_names_the_op():
    b = leaf(cr).exp()
    b.add_(1)
    with pytest.raises(RuntimeError, match="ExpBackward0.*version 1; expected version 0"):
        b.sum().backward()


def test_data_change_is_not_tracked():
    """``.data`` is outside autograd in both: no error (and the gradient uses the new values)."""
    for lib in (cr, torch):
        x = leaf(lib)
        y = x.exp()
        y.data.add_(1)
        y.sum().backward()
        np.testing.assert_allclose(x.grad.tolist(), np.exp(X) + 1, rtol=1e-6)


def test_version_counter_counts_like_torch():
    for lib in (cr, torch):
        x = lib.ones(4)
        v = x[1:3]
        x.add_(1)
        v.mul_(2)
        x.detach().zero_()
        x[0] = 5.0
        x.data.fill_(1)  # .data has its own counter in torch; it does not bump x's
        assert x._version == 4 and v._version == 4


# --- leaves -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda w: w.add_(1),
        lambda w: w.mul_(2),
        lambda w: w.zero_(),
        lambda w: w.normal_(),
        lambda w: w.copy_(w.detach() * 2),
        lambda w: w.__setitem__(0, 1.0),
        lambda w: w.__iadd__(1),
        lambda w: w[1:].mul_(2),
    ],
)
def test_leaf_requiring_grad_cannot_change_in_place_in_grad_mode(change):
    for lib in (cr, torch):
        w = leaf(lib)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad|view of a leaf"):
            change(w)


def test_sgd_step_updates_the_same_object():
    """``w -= lr * w.grad`` under no_grad changes the parameter (the issue's silent no-op), and
    ``w.grad.zero_()`` resets the same gradient tensor, as in torch."""
    results = {}
    for lib in (cr, torch):
        w = leaf(lib)
        ident, trail = id(w), []
        for _ in range(3):
            loss = ((w - 1.0) ** 2).sum()
            loss.backward()
            grad = w.grad
            with lib.no_grad():
                w -= 0.1 * w.grad
            w.grad.zero_()
            assert w.grad is grad and w.grad.tolist() == [0.0] * 4
            trail.append(loss.item())
        assert id(w) == ident and w.is_leaf and w.requires_grad
        results[lib.__name__] = (trail, w.tolist())
    np.testing.assert_allclose(results["chainrule"][0], results["torch"][0], rtol=1e-6)
    np.testing.assert_allclose(results["chainrule"][1], results["torch"][1], rtol=1e-6)


def test_data_semantics():
    for lib in (cr, torch):
        p = leaf(lib)
        d = p.data
        assert not d.requires_grad and d.is_leaf and d.grad_fn is None
        p.data.add_(1)  # changes p, not tracked
        assert p.tolist() == [v + 1 for v in X] and p.is_leaf and p.grad_fn is None
        p.data.mul_(0).uniform_(0, 1)
        assert all(0 <= v < 1 for v in p.tolist())
        p.data = lib.tensor([7.0, 8.0])  # replaces the values (a new shape too)
        assert p.tolist() == [7.0, 8.0] and p.requires_grad
        (p * p).sum().backward()
        assert p.grad.tolist() == [14.0, 16.0]


def test_no_grad_changes_reach_views_and_numpy():
    t = cr.zeros(2, 3)
    row, arr = t[0], t.numpy()
    row.add_(1)
    t[1, 2] = 5.0
    t[:, 0] += 2.0
    assert arr.tolist() == [[3.0, 1.0, 1.0], [2.0, 0.0, 5.0]] == t.tolist()


# --- dtype and shape rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scenario",
    [
        lambda L: L.tensor([1, 2, 3]).add_(1.5),  # float result into an int tensor: refused
        lambda L: L.tensor([1, 2, 3]).div_(2),
        lambda L: L.tensor([1, 2, 3]).mul_(L.tensor([0.5, 1.0, 2.0])),
        lambda L: L.tensor([1.0, 2.0]).add_(L.tensor([1.0, 2.0], dtype=L.float64)),  # kept float32
        lambda L: L.ones(3).add_(L.ones(2, 3)),  # the result would not fit
        lambda L: L.ones(2, 3).add_(L.ones(3)),
        lambda L: L.zeros(2, dtype=L.int64).copy_(L.tensor([1.7, -2.7])),
        lambda L: L.zeros(2, 2).copy_(L.tensor([1.0, 2.0])),
        lambda L: L.zeros(2, 2).copy_(L.tensor([1.0, 2.0, 3.0])),
        lambda L: L.zeros(2, dtype=L.int64).fill_(2.7),
        lambda L: L.tensor([1, 5, 9]).clamp_(2, 6),
        lambda L: L.tensor([True, False]).add_(1),
        lambda L: (lambda t: (t.__setitem__(0, 2.7), t)[1])(L.tensor([1, 2])),  # t[0] = 2.7 on ints: 2
        lambda L: (lambda t: (t.__setitem__(0, L.tensor([7.0, 8.0, 9.0])), t)[1])(L.zeros(2, 2)),
        lambda L: (lambda t: (t.__setitem__(5, 1.0), t)[1])(L.zeros(2)),
        lambda L: L.ones(3).expand(2, 3).add_(1),  # an expanded view cannot be written
    ],
)
def test_dtype_and_shape_rules_match_torch(scenario):
    same(scenario)
    ours = run(scenario, cr)
    if not isinstance(ours, type):
        assert str(scenario(cr).dtype) == str(scenario(torch).dtype).replace("torch.", "")


def test_in_place_methods_return_self():
    t = cr.ones(3)
    for method, args in [
        ("add_", (1,)),
        ("sub_", (1,)),
        ("mul_", (2,)),
        ("div_", (2,)),
        ("clamp_", (0, 1)),
        ("zero_", ()),
        ("fill_", (2,)),
        ("copy_", (cr.ones(3),)),
        ("normal_", ()),
        ("uniform_", ()),
        ("__iadd__", (1,)),
        ("__imul__", (2,)),
    ]:
        assert getattr(t, method)(*args) is t, method


def test_random_fills_follow_the_seed_and_the_distribution():
    cr.manual_seed(0)
    a = cr.empty(20000).normal_(1.0, 2.0)
    cr.manual_seed(0)
    b = cr.empty(20000).normal_(1.0, 2.0)
    assert a.tolist() == b.tolist()
    assert abs(a.mean().item() - 1.0) < 0.05 and abs(a.std().item() - 2.0) < 0.05
    u = cr.empty(20000, dtype=cr.float64).uniform_(-1.0, 3.0)
    assert u.dtype == cr.float64 and -1.0 <= u.min().item() and u.max().item() < 3.0
    assert abs(u.mean().item() - 1.0) < 0.05


# --- random shapes: in-place chains equal their out-of-place form and torch ------------------------


@settings(max_examples=20)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    seed=st.integers(0, 2**16),
    ops=st.lists(
        st.sampled_from(["add_", "sub_", "mul_", "div_", "clamp_", "relu_", "setitem"]), min_size=1, max_size=4
    ),
)
def test_random_in_place_chains_match_torch(shape, seed, ops):
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(0.5, 2.0, shape) * rng.choice([-1, 1], shape)
    other = rng.uniform(0.5, 2.0, shape[-1:])  # broadcast along the last dimension

    def scenario(L):
        x = L.tensor(x0, requires_grad=True)
        o = L.tensor(other, requires_grad=True)
        y = x * 1.5
        for op in ops:
            if op == "clamp_":
                y.clamp_(-1.0, 1.0)
            elif op == "relu_":
                y.relu_()
            elif op == "setitem":
                y[0] = o.sum() * 2
            else:
                getattr(y, op)(o)
        (y * y).sum().backward()
        return y, x.grad, o.grad if o.grad is not None else L.zeros(o.shape, dtype=L.float64)

    same(scenario, rtol=1e-10)
