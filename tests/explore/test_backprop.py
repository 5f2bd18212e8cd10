"""The backprop view's API: values, gradients and trace as ``chainrule graph`` prints them, edge ids, refusals."""

from __future__ import annotations

import io
import json
import re

import pytest
import torch

from chainrule.explore.api import dispatch
from chainrule.explore.protocol import BadRequest, Context
from chainrule.explore.views.backprop import MAX_EXPR_CHARS, MAX_NODES, MAX_VARIABLES, graph, presets
from chainrule.viz import demo
from chainrule.viz.trace import trace

SIGMOID_VALUES = "w0=2, x0=-1, w1=-3, x1=-2, w2=-3"


def cli_trace(expr: str, values: dict, upstream=None) -> list[str]:
    f, _ = demo.build(expr, values)
    out = io.StringIO()
    trace(f, grad=upstream, file=out)
    return [line[2:] for line in out.getvalue().splitlines()[1:]]


def test_the_sigmoid_example():
    answer = graph({"expr": demo.SIGMOID_CHAIN[0], "values": SIGMOID_VALUES}, Context())
    assert answer["f_text"] == "0.73"
    grads = {g["name"]: g["text"] for g in answer["gradients"]}
    assert grads == {"w0": "-0.20", "x0": "0.39", "w1": "-0.39", "x1": "-0.59", "w2": "0.20"}
    assert [s["text"] for s in answer["steps"]] == cli_trace(*demo.SIGMOID_CHAIN)
    assert answer["trace_header"].startswith("backward pass, output to inputs")


def test_values_and_gradients_match_torch():
    expr, values = "tanh(x*y) / (1 + exp(-z)) + max(x, z) * sqrt(y) - log(y + 2) ** 2", {"x": 0.3, "y": 1.7, "z": -1.1}
    answer = graph({"expr": expr, "values": values}, Context())
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in values.items()}
    x, y, z = t["x"], t["y"], t["z"]
    f = torch.tanh(x * y) / (1 + torch.exp(-z)) + torch.maximum(x, z) * torch.sqrt(y) - torch.log(y + 2) ** 2
    f.backward()
    assert answer["f"] == pytest.approx(f.item(), rel=1e-12)
    assert {g["name"]: g["grad"] for g in answer["gradients"]} == pytest.approx(
        {k: v.grad.item() for k, v in t.items()}
    )


def test_every_step_names_its_edge_in_the_svg_in_backprop_order():
    answer = graph({"expr": demo.SIGMOID_CHAIN[0], "values": SIGMOID_VALUES}, Context())
    svg_steps = dict(re.findall(r'<g class="edge" id="([^"]+)"[^>]* data-step="(\d+)"', answer["svg"]))
    assert len(svg_steps) == len(answer["steps"]) == 12
    for k, s in enumerate(answer["steps"]):
        assert s["edge"] == f"e-{s['node']}-{s['index']}" and svg_steps[s["edge"]] == str(k)
    assert answer["steps"][0]["upstream"] == 1.0 and answer["steps"][0]["node"] == "f"
    for g in answer["gradients"]:  # a variable's gradient is the sum of what its edges bring
        assert sum(s["downstream"] for s in answer["steps"] if s["input"] == g["name"]) == pytest.approx(g["grad"])


@pytest.mark.parametrize("pattern", demo.PATTERNS, ids=lambda p: p.gate)
def test_each_gradient_flow_pattern_with_its_upstream_gradient(pattern):
    item = next(p for p in presets({}, Context())["presets"] if p["title"] == pattern.gate)
    answer = graph({"expr": item["expr"], "values": item["values"], "upstream": item["upstream"]}, Context())
    f, leaves = demo.build(pattern.expr, pattern.values)
    expected = demo.gradients(f, leaves, pattern.upstream)
    assert {g["name"]: g["grad"] for g in answer["gradients"]} == {k: float(v) for k, v in expected.items()}
    assert [s["text"] for s in answer["steps"]] == cli_trace(pattern.expr, pattern.values, pattern.upstream)
    assert answer["steps"][0]["upstream"] == pattern.upstream


def test_presets_are_the_lectures():
    items = presets({}, Context())["presets"]
    assert [p["expr"] for p in items] == [
        demo.SIMPLE[0],
        demo.SIGMOID_CHAIN[0],
        demo.SIGMOID_NODE[0],
        *(p.expr for p in demo.PATTERNS),
    ]
    assert items[1]["values"] == SIGMOID_VALUES


def test_values_as_an_object_and_odd_but_valid_inputs():
    answer = graph({"expr": "(x + y) * z", "values": {"x": -2, "y": 5, "z": -4.0}}, Context())
    assert answer["f"] == -12 and [g["grad"] for g in answer["gradients"]] == [-4, -4, 3]
    constant = graph({"expr": "1 + 2", "values": ""}, Context())  # no variable: a value, nothing to trace
    assert constant["f"] == 3 and constant["steps"] == [] and "nothing to backpropagate" in constant["trace_header"]
    for expr, values in [("log(x)", "x=-1"), ("x / 0", "x=1"), ("x ** 2 ** 1000", "x = 2")]:
        status, body = dispatch("backprop/graph", json.dumps({"expr": expr, "values": values}).encode(), Context())
        assert status == 200 and body["f"] is None and body["f_text"] in ("nan", "inf")  # strict JSON: no NaN


@pytest.mark.parametrize(
    "payload, words",
    [
        ({"expr": "__import__('os')"}, ["'expr'", "'__import__'", "not allowed"]),
        ({"expr": "x.real", "values": "x=1"}, ["'expr'", "attribute access"]),
        ({"expr": "x + q", "values": "x=1"}, ["'expr'", "unknown name 'q'"]),
        ({"expr": "x +", "values": "x=1"}, ["'expr'", "syntax error"]),
        ({"expr": "x" * (MAX_EXPR_CHARS + 1)}, ["'expr'", f"{MAX_EXPR_CHARS + 1} characters"]),
        ({"expr": "+".join(["x"] * (MAX_NODES + 1)), "values": "x=1"}, ["'expr'", "nodes", str(MAX_NODES)]),
        ({"expr": "x", "values": "x=abc"}, ["'values'", "'abc' is not a number"]),
        ({"expr": "x", "values": "x=1, x=2"}, ["'values'", "given twice"]),
        ({"expr": "x", "values": "x"}, ["'values'", "NAME=VALUE"]),
        ({"expr": "x", "values": {"1x": 2}}, ["'values'", "'1x'"]),
        ({"expr": "x", "values": {"x": 10**400}}, ["values.x", "too large"]),
        ({"expr": "x", "values": {"x": "1"}}, ["values.x", "number"]),
        ({"expr": "x", "values": ", ".join(f"v{i}=1" for i in range(MAX_VARIABLES + 1))}, ["'values'", "13 variables"]),
        ({"expr": "x", "values": "x=1", "upstream": "1"}, ["'upstream'"]),
        ({"expr": "x", "values": "x=1", "upstream": float("nan")}, ["'upstream'", "finite"]),
        ({"expr": 3}, ["'expr'", "str"]),
        ({}, ["missing", "'expr'"]),
    ],
)
def test_bad_requests_name_the_field(payload, words):
    with pytest.raises(BadRequest) as err:
        graph(payload, Context())
    assert all(w in str(err.value) for w in words), str(err.value)
