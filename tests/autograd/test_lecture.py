"""The lecture's worked examples of backpropagation (SPEC 1.1), number for number."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr


def test_add_then_multiply_circuit():
    """f(x, y, z) = (x + y) z at x=-2, y=5, z=-4: f=-12, df/dx=-4, df/dy=-4, df/dz=3."""
    x = cr.tensor(-2.0, requires_grad=True)
    y = cr.tensor(5.0, requires_grad=True)
    z = cr.tensor(-4.0, requires_grad=True)
    q = x + y
    q.retain_grad()
    f = q * z
    f.backward()
    assert f.item() == -12.0
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)
    assert q.grad == -4.0  # df/dq = z: the upstream that the add gate hands on to x and y
    assert x.grad.dtype == np.float32  # Python floats make float32 tensors, and so their gradients


# the sigmoid circuit: w0=2, x0=-1, w1=-3, x1=-2, w2=-3, so w0 x0 + w1 x1 + w2 = 1
SIGMOID_INPUTS = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
SIGMOID_GRADS = {"w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.20}


def _leaves(dtype):
    return {k: cr.tensor(np.array(v, dtype=dtype), requires_grad=True) for k, v in SIGMOID_INPUTS.items()}


def _primitive_sigmoid_circuit(t):
    """Gate by gate, as on the slide: *, *, +, +, *-1, exp, +1, 1/x."""
    dot = t["w0"] * t["x0"] + t["w1"] * t["x1"] + t["w2"]
    return 1.0 / (1.0 + (-dot).exp())


def _sigmoid_node_circuit(t):
    return (t["w0"] * t["x0"] + t["w1"] * t["x1"] + t["w2"]).sigmoid()


@pytest.mark.parametrize(
    "circuit", [_primitive_sigmoid_circuit, _sigmoid_node_circuit], ids=["primitive_ops", "sigmoid_node"]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_circuit(circuit, dtype):
    """f = 0.73; gradients w0=-0.20, x0=0.39, w1=-0.39, x1=-0.59, w2=0.20."""
    t = _leaves(dtype)
    f = circuit(t)
    f.backward()
    assert round(f.item(), 2) == 0.73
    assert {k: round(float(v.grad), 2) for k, v in t.items()} == SIGMOID_GRADS
    # and exactly: the sigmoid's local gradient (1 - s) s times the mul gate's swapped input
    s = 1 / (1 + math.exp(-1.0))
    local = (1 - s) * s
    tol = 1e-6 if dtype == np.float32 else 1e-14
    expected = {"w0": -1.0 * local, "x0": 2.0 * local, "w1": -2.0 * local, "x1": -3.0 * local, "w2": local}
    for k, v in t.items():
        assert v.grad.dtype == dtype
        assert float(v.grad) == pytest.approx(expected[k], abs=tol)


def test_sigmoid_node_equals_primitive_ops():
    a, b = _leaves(np.float64), _leaves(np.float64)
    fa, fb = _primitive_sigmoid_circuit(a), _sigmoid_node_circuit(b)
    fa.backward()
    fb.backward()
    assert fa.item() == pytest.approx(fb.item(), abs=1e-15)
    for k in SIGMOID_INPUTS:
        assert float(a[k].grad) == pytest.approx(float(b[k].grad), abs=1e-15)
    # the single node's local gradient is (1 - s) s; the primitive graph has 8 nodes, this one 6
    assert type(fb._ctx).__name__ == "Sigmoid"


# --- gradient-flow patterns ------------------------------------------------------------------------


def _pair(a, b):
    return cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)


def test_add_gate_distributes():
    x, y = _pair(3.0, -4.0)
    (x + y).backward(np.float32(2.0))
    assert (x.grad, y.grad) == (2.0, 2.0)


def test_mul_gate_swaps():
    x, y = _pair(3.0, -4.0)
    (x * y).backward(np.float32(2.0))
    assert (x.grad, y.grad) == (-8.0, 6.0)  # dx = upstream * y, dy = upstream * x


def test_copy_gate_adds():
    """A value used twice (fan-out) gets the sum of the gradients of its branches."""
    x = cr.tensor(3.0, requires_grad=True)
    (x * 2.0 + x * 5.0).backward()
    assert x.grad == 7.0
    x.zero_grad()
    (x * x).backward()  # both inputs of one gate: 2x
    assert x.grad == 6.0


def test_max_gate_routes():
    x, y = _pair(4.0, 2.0)
    cr.maximum(x, y).backward(np.float32(2.0))
    assert (x.grad, y.grad) == (2.0, 0.0)
    v = cr.tensor([1.0, 5.0, 2.0], requires_grad=True)
    v.max().backward(np.float32(3.0))
    assert v.grad.tolist() == [0.0, 3.0, 0.0]
