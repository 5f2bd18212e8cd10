"""The backward pass: accumulation, broadcasting, no_grad, detach, deep and diamond graphs, errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd.engine import backpropagate, toposort


def f64(data, requires_grad=True):
    return cr.tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


# --- accumulation ----------------------------------------------------------------------------------


def test_gradients_accumulate_until_zero_grad():
    x = f64([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * x).sum().backward()  # a second graph: adds 2x
    np.testing.assert_array_equal(x.grad, [5.0, 7.0])
    y = (x * 10.0).sum()
    y.backward(retain_graph=True)
    y.backward()  # the same graph twice (kept by retain_graph): adds twice
    np.testing.assert_array_equal(x.grad, [25.0, 27.0])
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()  # the second call freed the graph, as in PyTorch
    x.zero_grad()
    assert x.grad is None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_accumulated_grad_is_a_copy():
    """The first backward must not hand the leaf an array that the graph (or the user) still owns."""
    x = f64([1.0, 2.0])
    upstream = np.array([1.0, 1.0])
    x.backward(upstream)
    x.backward(upstream)
    np.testing.assert_array_equal(upstream, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_non_leaves_keep_no_grad_unless_retained():
    x = f64([1.0, 2.0])
    h, k = x * 2.0, x * 3.0
    k.retain_grad()
    (h * k).sum().backward()
    assert h.grad is None and not h.is_leaf
    np.testing.assert_array_equal(k.grad, h.data)


# --- broadcasting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape_a, shape_b", [((3, 1), (4,)), ((), (2, 3)), ((2, 1, 3), (1, 4, 1)), ((1,), (1, 1, 1))])
def test_broadcasting_undone_by_summing(shape_a, shape_b):
    a, b = f64(np.ones(shape_a)), f64(np.ones(shape_b))
    out = a * b
    out.sum().backward()
    n = out.numel()
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    # each input element was copied to n / size outputs, each of which sends back 1 * 1
    np.testing.assert_array_equal(a.grad, np.full(shape_a, n / a.numel()))
    np.testing.assert_array_equal(b.grad, np.full(shape_b, n / b.numel()))


# --- no_grad and detach ----------------------------------------------------------------------------


def test_no_grad_context_records_nothing():
    x = f64([1.0, 2.0])
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        y = (x * 2.0).exp().sum()
    assert cr.is_grad_enabled()
    assert not y.requires_grad and y._ctx is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()
    z = (x * 2.0).sum()  # recording is back on after the block
    assert z.requires_grad and z._ctx is not None


def test_no_grad_decorator_and_nesting():
    x = f64([1.0, 2.0])

    @cr.no_grad()
    def double(t, depth=0):
        return double(t, depth - 1) if depth > 0 else t * 2.0

    out = double(x, depth=3)  # recursion re-enters the same no_grad instance
    assert not out.requires_grad and out._ctx is None
    assert cr.is_grad_enabled()
    with cr.no_grad():
        with cr.enable_grad():
            assert (x * 1.0).requires_grad
        assert not (x * 1.0).requires_grad
    with pytest.raises(KeyError), cr.no_grad():
        {}["missing"]
    assert cr.is_grad_enabled()  # restored after an exception too


def test_detach_cuts_the_graph_and_shares_memory():
    x = f64([1.0, 2.0, 3.0])
    d = x.detach()
    assert not d.requires_grad and d._ctx is None
    assert np.shares_memory(d.data, x.data)
    (x * d).sum().backward()  # d is a constant: the gradient is d, not 2x
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])


def test_constant_inputs_get_no_grad():
    x, c = f64([1.0, 2.0]), f64([3.0, 4.0], requires_grad=False)
    (x * c).sum().backward()
    assert c.grad is None
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * c).requires_grad_(False)


# --- graph shapes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [5000])
def test_deep_chain_does_not_hit_the_recursion_limit(n):
    limit = sys.getrecursionlimit()
    x = cr.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0 + 0.0  # 2n ops in one chain
    y.backward(retain_graph=True)
    assert x.grad == 1.0
    assert len(toposort(y)) == 2 * n + 1
    w = f64(1.0)
    z = w
    for _ in range(n):
        z = (z * 1.0001).tanh() + z * 0.0  # 3n ops; the tanh branch is the only path that matters
    z.backward()
    expected = 1.0
    v = 1.0
    for _ in range(n):  # d/dv tanh(1.0001 v) = 1.0001 (1 - tanh^2)
        t = np.tanh(1.0001 * v)
        expected, v = expected * 1.0001 * (1 - t * t), t
    assert w.grad == pytest.approx(expected, rel=1e-9) and w.grad > 0
    assert sys.getrecursionlimit() == limit


def test_diamond_graph_visits_each_node_once():
    """a = 2x, b = a + 1, c = 3a, d = b c = 12x^2 + 6x, so dd/dx = 24x + 6."""
    x = f64(2.0)
    a = x * 2.0
    b, c = a + 1.0, a * 3.0
    d = b * c
    edges = []
    totals = backpropagate(
        d, np.float64(1.0), accumulate=False, hook=lambda node, i, up, down: edges.append((id(node), i))
    )
    assert totals[id(x)] == 24 * 2.0 + 6
    assert totals[id(a)] == 12.0 + 3 * 5.0  # from c through b (c = 12) plus from b through c (3 b)
    assert len(edges) == len(set(edges)) == 5  # d->b, d->c, b->a, c->a, a->x: each edge once
    # a is reached only after both of its consumers b and c: reverse topological order
    order = [id(n) for n in reversed(toposort(d))]
    assert order.index(id(a)) > max(order.index(id(b)), order.index(id(c)))
    assert x.grad is None  # accumulate=False left .grad alone
    d.backward()
    assert x.grad == 54.0


# --- errors ----------------------------------------------------------------------------------------


def test_backward_on_non_scalar_needs_grad():
    y = f64([1.0, 2.0]) * 2.0
    with pytest.raises(RuntimeError, match=r"scalar output.*shape \(2,\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\), the tensor has \(2,\)"):
        y.backward(np.ones(3))
    y.backward(np.array([1.0, -1.0]))  # with a grad it works


def test_backward_without_requires_grad_leaf():
    y = (f64([1.0, 2.0], requires_grad=False) * 2.0).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_backward_grad_takes_the_tensor_dtype():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * 2.0).backward(np.array([1.0, 1.0]))  # a float64 upstream on a float32 graph
    assert x.grad.dtype == np.float32
