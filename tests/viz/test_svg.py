"""viz.svg: the graph as a standalone SVG without Graphviz, with the trace's ids on nodes and edges."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np

import chainrule as cr
from chainrule.viz import graph as G
from chainrule.viz.svg import graph_svg, render_svg
from chainrule.viz.trace import graph_nodes
from tests.viz.test_graph import SIGMOID_VALUES, leaves, sigmoid_chain

SVG = "{http://www.w3.org/2000/svg}"


def simple():
    v = leaves({"x": -2.0, "y": 5.0, "z": -4.0})
    f = (v["x"] + v["y"]) * v["z"]
    f.name = "f"
    return f, v


def groups(root, cls):
    """``{id: <g>}`` of the groups whose class list holds ``cls``."""
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if cls in (g.get("class") or "").split()}


def texts(elem, cls):
    return [t.text for t in elem.iter(f"{SVG}text") if t.get("class") == cls]


def check_ids(f, svg, params=None):
    """One ``e-<node>-<index>`` per trace step (data-step: its position), more only from constants
    (no gradient flows there, so no step); one ``n-`` per tensor."""
    root = ET.fromstring(svg)
    steps = cr.viz.trace(f, params=params, file=io.StringIO())
    edges = {k: g for k, g in groups(root, "edge").items() if k.startswith("e-")}
    stepped = {k: g for k, g in edges.items() if g.get("data-step") is not None}
    assert sorted(stepped) == sorted(f"e-{s.node}-{s.index}" for s in steps)
    for k, s in enumerate(steps):
        assert stepped[f"e-{s.node}-{s.index}"].get("data-step") == str(k)
    consts = groups(root, "const")
    assert all(g.get("data-source") in consts for k, g in edges.items() if k not in stepped)
    nodes = [k for k in groups(root, "node") if k.startswith("n-")]
    assert len(nodes) == len(set(nodes)) == len(graph_nodes(f))
    return root, steps


def test_lecture_sigmoid_circuit_values_gradients_and_ids():
    f, v = sigmoid_chain()
    svg = graph_svg(f)
    root, steps = check_ids(f, svg)
    assert root.get("viewBox", "").startswith("0 0 ") and "<style" not in svg and "href" not in svg
    values = texts(root, "value")
    grads = texts(root, "grad")
    for val in ["2.00", "-1.00", "-3.00", "-2.00", "6.00", "4.00", "1.00", "0.37", "1.37", "0.73"]:
        assert val in values, val
    for g in ["-0.20", "0.39", "-0.39", "-0.59", "0.20", "-0.53", "1.00"]:
        assert g in grads, g
    for g in ["0.73", "0.37"]:
        assert g not in grads
    for name, g in {"w0": "-0.20", "x0": "0.39", "w1": "-0.39", "x1": "-0.59", "w2": "0.20"}.items():
        box = groups(root, "leaf")[f"n-{name}"]
        assert texts(box, "value") == [f"{SIGMOID_VALUES[name]:.2f}"] and texts(box, "grad") == [g]
    # the sigmoid's edge carries the trace's downstream gradient; the output box the seed
    last = steps[0]
    edge = groups(root, "edge")[f"e-{last.node}-{last.index}"]
    assert texts(edge, "grad") == ["-0.53"] and texts(groups(root, "output")["out-f"], "value") == ["0.73"]
    assert all(t.grad is None for t in v.values())  # the backward pass was pure
    symbols = {t.text for t in root.iter(f"{SVG}text") if t.get("class") == "symbol"}
    assert symbols == {"*", "+", "*-1", "exp", "/"}


def test_lecture_simple_example_and_digits():
    f, _ = simple()
    root, _ = check_ids(f, graph_svg(f))
    assert texts(groups(root, "edge")["e-f-1"], "grad") == ["3.00"]  # dz = x + y
    assert texts(groups(root, "edge")["e-f-0"], "name") == ["t0"]  # an op output is named on its edge
    assert texts(groups(root, "leaf")["n-z"], "grad") == ["3.00"]
    root = ET.fromstring(graph_svg(cr.sigmoid(cr.tensor(1.0, requires_grad=True, name="x")), digits=4))
    assert "0.7311" in texts(root, "value") and "0.1966" in texts(root, "grad")


def test_copy_gate_edges_carry_each_branch_and_the_box_the_sum():
    x = cr.tensor(7.0, dtype=cr.float64, requires_grad=True, name="x")
    f = 4 * x + 2 * x
    root, _ = check_ids(f, graph_svg(f))
    assert texts(groups(root, "leaf")["n-x"], "grad") == ["6.00"]
    out = [g for g in groups(root, "edge").values() if g.get("data-source") == "n-x"]
    assert sorted(texts(g, "grad")[0] for g in out) == ["2.00", "4.00"]
    consts = groups(root, "const")
    assert sorted(consts) == ["n-2.00", "n-4.00"] and all(texts(c, "grad") == [] for c in consts.values())


def test_conv_net_forward_and_loss_arrays():
    nn = cr.nn
    cr.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3))
    x, y = cr.randn(2, 1, 6, 6), cr.tensor(np.array([0, 2]))
    loss = nn.functional.cross_entropy(model(x), y)
    params = dict(model.named_parameters())
    root, steps = check_ids(loss, graph_svg(loss, params=params), params)
    boxes = groups(root, "param")
    assert sorted(boxes) == sorted(f"n-{name}" for name in params)
    assert texts(boxes["n-0.weight"], "value")[0].startswith("(2, 1, 3, 3) mean ")
    assert texts(boxes["n-0.weight"], "grad")[0].startswith("(2, 1, 3, 3) mean ")
    assert any(v.startswith("(2, 1, 6, 6) mean ") for v in texts(groups(root, "const")["n-const"], "value"))
    assert {s.input for s in steps} >= set(params)


def test_repr_svg_without_graphviz(monkeypatch):
    monkeypatch.setattr(G, "find_dot", lambda: None)
    f, _ = sigmoid_chain()
    svg = cr.viz.draw_graph(f)._repr_svg_()
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and "n-w0" in groups(root, "node") and "e-f-0" in groups(root, "edge")


def test_names_cannot_inject_markup():
    a = cr.tensor(1.5, requires_grad=True, name='a<b&"c"></text><script>x</script>\x01')
    f = cr.exp(a)
    f.name = "f' onload='x"
    svg = graph_svg(f)
    root = ET.fromstring(svg)
    assert "<script" not in svg and not list(root.iter(f"{SVG}script"))
    nodes = groups(root, "node")
    assert 'n-a<b&"c"></text><script>x</script>\ufffd' in nodes and "n-f' onload='x" in nodes
    title = next(t for t in root.iter(f"{SVG}text") if t.get("class") == "title" and "a<b" in "".join(t.itertext()))
    assert "".join(title.itertext()).startswith('a<b&"c"></text><script>x</script>')


def test_render_svg_is_deterministic_and_array_output_has_no_gradients():
    from chainrule.viz.layout import layout_graph

    W = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="W")
    out = W * 2.0
    root = ET.fromstring(render_svg(layout_graph(out)))
    assert texts(root, "grad") == [] and "(2, 3) mean 5.00, 0.00..10.00" in texts(root, "value")
    f, _ = sigmoid_chain()
    assert graph_svg(f) == graph_svg(f)
