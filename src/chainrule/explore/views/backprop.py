"""The backprop view's API: an expression's circuit, its value and gradients, and the backward pass edge by edge.

``backprop/presets`` lists the lecture's examples (``viz.demo``); ``backprop/graph`` evaluates an
expression with ``chainrule graph``'s whitelist parser, backpropagates once (pure: no ``.grad``
written) and answers f, every df/dvariable, the trace (``viz.trace``: the CLI's lines, in the
order backprop visits the edges, each with the id of its edge in the drawing) and the drawing
itself (``viz.layout`` + ``viz.svg``: no Graphviz).
"""

from __future__ import annotations

import io
import math
import re

from ... import backend as B
from ...cli_support import parse_assignments
from ...errors import UsageError
from ...expression import ExpressionError, variables
from ...viz import demo
from ...viz.layout import layout_graph
from ...viz.svg import render_svg
from ...viz.trace import graph_nodes, trace, two_decimals
from ..protocol import BadRequest, Context, field_of, number

MAX_EXPR_CHARS = 200  # the lecture's longest example is 36 characters
MAX_VALUES_CHARS = 400
MAX_VARIABLES = 12
MAX_NODES = 80  # tensors in the graph: ops, variables and constants
MAX_DIGITS = 6  # decimals on the drawing


def presets(payload: dict, ctx: Context) -> dict:
    """The lecture's two worked examples (the sigmoid one twice: chain of gates, one sigmoid gate)
    and the four gradient-flow patterns, each with the upstream gradient its output receives."""
    examples = [
        ("simple", "Example 1: f = (x + y) z", "", demo.SIMPLE),
        ("sigmoid-chain", "Example 2: the sigmoid circuit, a chain of gates", "", demo.SIGMOID_CHAIN),
        ("sigmoid-node", "Example 2 with one sigmoid gate", "local gradient (1 - s) s", demo.SIGMOID_NODE),
    ]
    items = [
        {"name": name, "title": title, "rule": rule, "expr": expr, "values": _values_text(values), "upstream": 1.0}
        for name, title, rule, (expr, values) in examples
    ]
    for p in demo.PATTERNS:
        items.append(
            {
                "name": p.gate.replace(" ", "-"),
                "title": p.gate,
                "rule": p.rule,
                "expr": p.expr,
                "values": _values_text(p.values),
                "upstream": p.upstream,
            }
        )
    return {"presets": items}


def graph(payload: dict, ctx: Context) -> dict:
    """f, its gradients, the trace steps (each with its edge id) and the SVG of ``expr`` at ``values``."""
    expr = field_of(payload, "expr", str)
    if len(expr) > MAX_EXPR_CHARS:
        raise BadRequest(f"field 'expr' is {len(expr)} characters long; the limit is {MAX_EXPR_CHARS}")
    values = _values(field_of(payload, "values", (str, dict), ""))
    upstream = field_of(payload, "upstream", float, 1.0)
    digits = number(field_of(payload, "digits", int, 2), "digits", integer=True, lo=0, hi=MAX_DIGITS)
    with B.numpy.errstate(all="ignore"):  # log(-1), 1/0: nan and inf are shown, not warned about
        try:
            f, leaves = demo.build(expr, values)
        except ExpressionError as err:
            raise BadRequest(f"field 'expr': {err}") from None
        size = len(graph_nodes(f))
        if size > MAX_NODES:
            raise BadRequest(f"field 'expr': the graph has {size} nodes; the limit is {MAX_NODES}")
        grads = demo.gradients(f, leaves, upstream)
        steps, header = _trace(f, upstream)
        layout = layout_graph(f, grad=upstream if f.requires_grad else None, digits=digits)
    edge_of = {e.step: e.id for e in layout.edges if e.step is not None}
    return {
        "expr": expr,
        "values": {name: _json_number(t._data) for name, t in leaves.items()},
        "upstream": upstream,
        "f": _json_number(f._data),
        "f_text": two_decimals(f._data),
        "gradients": [{"name": n, "grad": _json_number(g), "text": two_decimals(g)} for n, g in grads.items()],
        "trace_header": header,
        "steps": [_step(k, s, edge_of.get(k)) for k, s in enumerate(steps)],
        "svg": render_svg(layout),
        "width": layout.width,
        "height": layout.height,
    }


def _values(raw) -> dict[str, float]:
    """``"x=-2, y=5"`` (``chainrule graph``'s NAME=VALUE items, comma or blank separated) or
    ``{"x": -2, "y": 5}`` -> ``{"x": -2.0, "y": 5.0}``."""
    if isinstance(raw, str):
        if len(raw) > MAX_VALUES_CHARS:
            raise BadRequest(f"field 'values' is {len(raw)} characters long; the limit is {MAX_VALUES_CHARS}")
        items = re.sub(r"\s*=\s*", "=", raw.strip()).replace(",", " ").split()
        try:
            values = parse_assignments(items)
        except UsageError as err:
            raise BadRequest(f"field 'values': {err}") from None
    else:
        try:
            variables({name: 0.0 for name in raw})  # the parser's own check of the names
        except ExpressionError as err:
            raise BadRequest(f"field 'values': {err}") from None
        values = {name: number(v, f"values.{name}") for name, v in raw.items()}
    if len(values) > MAX_VARIABLES:
        raise BadRequest(f"field 'values' gives {len(values)} variables; the limit is {MAX_VARIABLES}")
    return values


def _trace(f, upstream: float) -> tuple[list, str]:
    """viz.trace's steps and its header line; none when no variable reaches f."""
    if not f.requires_grad:
        return [], "no variable reaches f: there is nothing to backpropagate"
    out = io.StringIO()
    steps = trace(f, grad=upstream, file=out)
    return steps, out.getvalue().splitlines()[0]


def _step(k: int, s, edge: str | None) -> dict:
    return {
        "step": k,
        "edge": edge,
        "op": s.op,
        "symbol": s.symbol,
        "node": s.node,
        "input": s.input,
        "index": s.index,
        "upstream": _json_number(s.upstream),
        "local": s.local,
        "downstream": _json_number(s.downstream),
        "text": s.text,
    }


def _json_number(a) -> float | None:
    """A one-element array as a float; None for nan or inf (JSON has neither; the texts show them)."""
    v = float(B.module_of(a).asarray(a).reshape(-1)[0])
    return v if math.isfinite(v) else None


def _values_text(values: dict) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in values.items())


ROUTES = {"backprop/presets": presets, "backprop/graph": graph}
