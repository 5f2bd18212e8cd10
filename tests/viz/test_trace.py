"""viz.trace: the lecture's "[upstream] x [local] = downstream" lines, in backprop's order, pure."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr

SIGMOID_VALUES = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
LECTURE_GRADS = {"w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.20}


def leaves(values):
    return {k: cr.tensor(v, dtype=cr.float64, requires_grad=True, name=k) for k, v in values.items()}


def sigmoid_chain(v):
    return 1 / (1 + cr.exp(-(v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"])))


def sigmoid_node(v):
    return cr.sigmoid(v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"])


def run_trace(out, **kw):
    buf = io.StringIO()
    steps = cr.viz.trace(out, file=buf, **kw)
    return steps, buf.getvalue()


def per_leaf(steps, names):
    total = {n: 0.0 for n in names}
    for s in steps:
        if s.input in total:
            total[s.input] += float(s.downstream)
    return total


def test_sigmoid_node_prints_the_lecture_line_exactly():
    v = leaves(SIGMOID_VALUES)
    f = sigmoid_node(v)
    steps, text = run_trace(f)
    first = steps[0]
    assert first.op == "sigmoid" and first.symbol == "σ"
    assert first.local == "(1 - 0.73)(0.73)"
    assert first.text.endswith("[1.00] x [(1 - 0.73)(0.73)] = 0.20")
    assert any(line.rstrip().endswith("[1.00] x [(1 - 0.73)(0.73)] = 0.20") for line in text.splitlines())
    s = 1 / (1 + np.exp(-1.0))
    assert float(first.upstream) == 1.0
    assert float(first.downstream) == pytest.approx((1 - s) * s, abs=1e-15)
    grads = per_leaf(steps, SIGMOID_VALUES)
    for name, g in LECTURE_GRADS.items():
        assert round(grads[name], 2) == g


def test_sigmoid_chain_has_every_gate_of_the_lecture():
    v = leaves(SIGMOID_VALUES)
    f = sigmoid_chain(v)
    f.name = "f"
    steps, text = run_trace(f)
    for product in [
        "[1.00] x [-1.00/(1.37)^2] = -0.53",
        "[-0.53] x [1.00] = -0.53",
        "[-0.53] x [e^(-1.00)] = -0.20",
        "[-0.20] x [-1.00] = 0.20",
        "[0.20] x [-1.00] = -0.20",
        "[0.20] x [2.00] = 0.39",
        "[0.20] x [-2.00] = -0.39",
        "[0.20] x [-3.00] = -0.59",
    ]:
        assert product in text, product
    assert [s.op for s in steps[:4]] == ["div", "add", "exp", "neg"]
    assert steps[0].node == "f" and steps[0].index == 1  # the constant 1 (input 0) gets no gradient
    assert float(steps[0].downstream) == pytest.approx(-1 / (1 + np.exp(-1.0)) ** 2, rel=1e-12)
    grads = per_leaf(steps, SIGMOID_VALUES)
    for name, g in LECTURE_GRADS.items():
        assert round(grads[name], 2) == g


def test_simple_example_numbers_and_names():
    v = leaves({"x": -2.0, "y": 5.0, "z": -4.0})
    q = v["x"] + v["y"]
    q.name = "q"
    f = q * v["z"]
    steps, text = run_trace(f)
    assert [(s.node, s.input) for s in steps] == [("t0", "q"), ("t0", "z"), ("q", "x"), ("q", "y")]
    assert [float(s.downstream) for s in steps] == [-4.0, 3.0, -4.0, -4.0]
    assert "[1.00] x [-4.00] = -4.00" in text and "[-4.00] x [1.00] = -4.00" in text


def test_trace_is_pure_and_matches_backward():
    v = leaves(SIGMOID_VALUES)
    f = sigmoid_chain(v)
    steps, _ = run_trace(f)
    assert all(t.grad is None for t in v.values())  # trace does not touch .grad
    again, _ = run_trace(f)  # nor frees the graph
    assert [float(s.downstream) for s in again] == [float(s.downstream) for s in steps]
    f.backward(retain_graph=True)
    grads = per_leaf(steps, SIGMOID_VALUES)
    for name, t in v.items():
        assert grads[name] == pytest.approx(float(t.grad), rel=1e-12)
    run_trace(f)
    assert float(v["w0"].grad) == pytest.approx(grads["w0"])  # not accumulated a second time


def test_trace_after_backward_freed_the_graph_says_retain_graph():
    """As torch: backward() frees the graph; tracing it afterwards is a clear error, not wrong numbers."""
    v = leaves(SIGMOID_VALUES)
    f = sigmoid_chain(v)
    f.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        run_trace(f)


def test_copy_gate_gives_one_step_per_branch():
    x = cr.tensor(7.0, dtype=cr.float64, requires_grad=True, name="x")
    f = 4 * x + 2 * x
    steps, _ = run_trace(f)
    into_x = sorted(float(s.downstream) for s in steps if s.input == "x")
    assert into_x == [2.0, 4.0]


def test_seed_and_default_stdout(capsys):
    x, y = leaves({"x": 4.0, "y": 5.0}).values()
    steps = cr.viz.trace(cr.maximum(x, y), grad=9.0)
    out = capsys.readouterr().out
    assert "[9.00] x [0.00] = 0.00" in out and "[9.00] x [1.00] = 9.00" in out
    assert [float(s.downstream) for s in steps] == [0.0, 9.0]


def test_array_edges_show_shapes_and_norms():
    rng = np.random.default_rng(0)
    W = cr.tensor(rng.standard_normal((3, 4)), requires_grad=True, name="W")
    x = cr.tensor(rng.standard_normal(4), requires_grad=True, name="x")
    out = W @ x
    g = rng.standard_normal(3)
    steps, text = run_trace(out, grad=g)
    assert [s.input for s in steps] == ["W", "x"]
    for s in steps:
        assert not s.is_scalar and s.local is None
    assert np.allclose(steps[0].downstream, np.outer(g, x.data))
    expected = (
        f"upstream (3,) |.|={np.linalg.norm(g):.3g} -> downstream (3,4) |.|={np.linalg.norm(np.outer(g, x.data)):.3g}"
    )
    assert expected in text
    loss = (W * W).sum()
    steps, text = run_trace(loss)
    assert "upstream () |.|=1 -> downstream (3,4)" in text


def test_errors():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="shape"):
        cr.viz.trace(x * 2)
    with pytest.raises(ValueError, match="grad has shape"):
        cr.viz.trace(x * 2, grad=np.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.viz.trace(cr.tensor(1.0) * 2)
    with pytest.raises(TypeError, match="Tensor"):
        cr.viz.trace(np.ones(2))


def test_generated_names_skip_user_names():
    a = cr.tensor(1.0, requires_grad=True, name="t0")
    b = a * 2
    steps, _ = run_trace(b * 3)
    assert steps[-1].input == "t0" and steps[-1].node not in ("t0",)
    assert len({s.node for s in steps}) == 2


@given(st.lists(st.floats(-3, 3, allow_nan=False), min_size=5, max_size=5))
def test_trace_sums_to_the_gradient(xs):
    """The downstream gradients that reach each leaf add up to backward's gradient (copy gates add)."""
    v = leaves(dict(zip(SIGMOID_VALUES, xs)))
    f = sigmoid_chain(v) * v["w0"] + v["x0"] * v["x0"]  # w0 and x0 fan out
    steps, _ = run_trace(f)
    grads = per_leaf(steps, SIGMOID_VALUES)
    f.backward()
    for name, t in v.items():
        assert grads[name] == pytest.approx(float(t.grad), rel=1e-9, abs=1e-12)


def test_an_input_changed_in_place_afterwards_is_traced_as_the_op_read_it():
    """c = a*3 read a before a.mul_(4): c's edge goes to the old a, the one the in-place op also read."""
    b = cr.tensor([1.0, 2.0], requires_grad=True, name="b")
    a = b * 2
    c = a * 3
    a.mul_(4)
    steps = cr.viz.trace((c + a).sum(), file=io.StringIO())
    into = {(s.node, s.index): s.input for s in steps}
    c_name, a_now = into[(steps[0].input, 0)], into[(steps[0].input, 1)]  # the add's two inputs
    old_a = into[(a_now, 0)]  # what mul_ read
    assert into[(c_name, 0)] == old_a != a_now  # c reads the old a, not the a of now
    assert into[(old_a, 0)] == "b"
