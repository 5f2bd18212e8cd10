"""viz.layout / viz.sugiyama: a left-to-right layered layout in plain Python, as JSON."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.expression import parse
from chainrule.viz import sugiyama
from chainrule.viz.layout import LINE, layout_graph

VALUES = {"a": 0.5, "b": -1.25, "c": 2.0}


def box(n):
    return n["x"] - n["width"] / 2, n["y"] - n["height"] / 2, n["x"] + n["width"] / 2, n["y"] + n["height"] / 2


def label_box(e):
    above = 1 + (e["name"] is not None)
    below = e["grad"] is not None
    x, y, w = e["label_x"], e["label_y"], e["label_width"]
    return x - w / 2, y - LINE * above - 3, x + w / 2, y + LINE * below + 3


def overlap(p, q) -> bool:
    return p[0] < q[2] - 1e-6 and q[0] < p[2] - 1e-6 and p[1] < q[3] - 1e-6 and q[1] < p[3] - 1e-6


def check_geometry(data):
    """Nothing overlaps (nodes, edge labels), every edge runs left to right, all inside the picture."""
    nodes = {n["id"]: n for n in data["nodes"]}
    assert len(nodes) == len(data["nodes"])
    boxes = [box(n) for n in data["nodes"]] + [label_box(e) for e in data["edges"]]
    for p, q in itertools.combinations(boxes, 2):
        assert not overlap(p, q), (p, q)
    for p in boxes:
        assert p[0] >= 0 and p[1] >= 0 and p[2] <= data["width"] and p[3] <= data["height"]
    for e in data["edges"]:
        xs = [x for x, _ in e["points"]]
        assert all(a <= b for a, b in zip(xs, xs[1:])) and all(a < b for a, b in zip(xs[::2], xs[1::2]))
        source, target = nodes[e["source"]], nodes[e["target"]]
        assert source["x"] < xs[0] <= box(source)[2] + 1e-6 and box(target)[0] - 1e-6 <= xs[-1] < target["x"]
        assert box(source)[1] <= e["points"][0][1] <= box(source)[3]
        assert box(target)[1] <= e["points"][-1][1] <= box(target)[3]


def sigmoid_chain():
    v = {k: cr.tensor(x, dtype=cr.float64, requires_grad=True, name=k) for k, x in VALUES.items()}
    f = 1 / (1 + cr.exp(-(v["a"] * v["b"] + v["c"])))
    f.name = "f"
    return f


def test_json_shape_ids_and_steps():
    f = sigmoid_chain()
    data = json.loads(json.dumps(layout_graph(f).to_json()))
    assert set(data) == {"width", "height", "nodes", "edges"}
    node = next(n for n in data["nodes"] if n["id"] == "n-a")
    assert node == {**node, "name": "a", "kind": "leaf", "shape": "box", "label": "a", "role": "input", "value": "0.50"}
    op = next(n for n in data["nodes"] if n["id"] == "n-f")
    assert op["kind"] == "op" and op["shape"] == "circle" and op["label"] == "/" and op["role"] == "div"
    edge = next(e for e in data["edges"] if e["id"] == "e-f-1")
    assert edge["target"] == "n-f" and edge["index"] == 1 and edge["step"] == 0 and edge["path"].startswith("M")
    assert edge["value"] == "1.25" and edge["grad"] == "-0.64" and edge["name"] is not None
    out = next(e for e in data["edges"] if e["id"] == "out-f-edge")
    assert out["source"] == "n-f" and out["target"] == "out-f" and out["step"] is None and out["grad"] == "1.00"
    steps = sorted(e["step"] for e in data["edges"] if e["step"] is not None)
    assert steps == list(range(len(steps)))
    check_geometry(data)


def test_inputs_left_constants_beside_their_op_and_shared_names_made_unique():
    x = cr.tensor(3.0, requires_grad=True, name="x")
    f = ((x * 2.0).exp() + 2.0) * x
    data = layout_graph(f).to_json()
    nodes = {n["id"]: n for n in data["nodes"]}
    assert {"n-2.00", "n-2.00~2"} <= set(nodes)  # two unnamed constants of one value
    assert nodes["n-x"]["x"] == min(n["x"] for n in nodes.values())
    assert nodes["n-2.00~2"]["x"] > nodes["n-t0"]["x"]  # the later constant sits by the op it feeds
    check_geometry(data)


def test_leaf_output_and_bad_arguments():
    a = cr.tensor(1.5, requires_grad=True, name="a")
    data = layout_graph(a).to_json()
    assert [n["kind"] for n in data["nodes"]] == ["output"] and data["edges"] == []
    with pytest.raises(TypeError, match="Tensor"):
        layout_graph(1.0)
    with pytest.raises(ValueError, match="digits"):
        layout_graph(a, digits=40)
    with pytest.raises(ValueError, match="rightwards"):
        sugiyama.layered([sugiyama.Size(1, 1, 1)] * 2, [1, 0], [(0, 1)], [sugiyama.Size(1, 1, 1)])


def test_pack_is_the_nearest_spaced_placement():
    assert sugiyama._pack([0.0, 50.0, 100.0], [1, 1, 1], [10, 10]) == [0.0, 50.0, 100.0]
    assert sugiyama._pack([5.0, 5.0], [1, 1], [10]) == [0.0, 10.0]  # both moved by the same amount
    assert sugiyama._pack([5.0, 5.0], [3, 1], [8]) == pytest.approx([3.0, 11.0])  # the heavier moves less


def test_crossings_are_removed_where_an_order_without_them_exists():
    # two chains drawn crossed at first: 0 -> 3 and 1 -> 2 (2 starts above 3 in its column)
    sizes = [sugiyama.Size(10, 5, 5)] * 4
    placed = sugiyama.layered(sizes, [0, 0, 1, 1], [(0, 3), (1, 2)], [sugiyama.Size(10, 5, 5)] * 2)
    (_, y0), (_, y1), (_, y2), (_, y3) = placed.centers
    assert (y0 < y1) == (y3 < y2)


leaf = st.sampled_from(["a", "b", "c", "0.5", "2"])
expressions = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["tanh", "sigmoid", "exp"]), inner).map(lambda t: f"{t[0]}({t[1]} * 0.1)"),
    ),
    max_leaves=14,
)


@settings(max_examples=40, deadline=None)
@given(expressions)
def test_random_expression_graphs_never_overlap_and_run_left_to_right(expr):
    f = parse(expr, dict(VALUES))
    data = layout_graph(f).to_json()
    check_geometry(data)
    assert layout_graph(f).to_json() == data  # deterministic
