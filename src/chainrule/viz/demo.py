"""The lecture's backprop examples as functions: the two worked circuits and the gradient-flow patterns.

Used by ``chainrule train`` (until MNIST training arrives) and ``chainrule graph``; the scripts in
``examples/`` walk through the same circuits step by step.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from .. import backend as B
from ..autograd import engine
from ..autograd.tensor import Tensor
from ..expression import parse, variables
from .trace import seed_gradient, trace

SIMPLE = ("(x + y) * z", {"x": -2.0, "y": 5.0, "z": -4.0})
SIGMOID_CHAIN = ("1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0})
SIGMOID_NODE = ("sigmoid(w0*x0 + w1*x1 + w2)", SIGMOID_CHAIN[1])


@dataclass
class Pattern:
    """One gate of the lecture's "patterns in gradient flow", with the upstream gradient it receives."""

    gate: str
    rule: str
    expr: str
    values: dict
    upstream: float


# The slides draw each gate with numbers (CS231n's): the gate's output receives ``upstream``.
PATTERNS = [
    Pattern(
        "add gate", "gradient distributor: each input gets the upstream gradient", "x + y", {"x": 3.0, "y": 4.0}, 2.0
    ),
    Pattern(
        "mul gate", "swap multiplier: each input gets upstream x the other input", "x * y", {"x": 2.0, "y": 3.0}, 5.0
    ),
    Pattern(
        "copy gate",
        "gradient adder: a value used twice gets the sum of both branches' gradients",
        "4*x + 2*x",
        {"x": 7.0},
        1.0,
    ),
    Pattern(
        "max gate",
        "gradient router: the larger input gets the upstream gradient, the other 0",
        "max(x, y)",
        {"x": 4.0, "y": 5.0},
        9.0,
    ),
]


def build(expr: str, values: dict) -> tuple[Tensor, dict[str, Tensor]]:
    """The circuit of ``expr`` at ``values``: output named "f" and the float64 leaf of each variable."""
    leaves = variables(values)
    f = parse(expr, leaves)
    if f._ctx is not None and not f.name:
        f.name = "f"
    return f, leaves


def gradients(f: Tensor, leaves: dict[str, Tensor], grad=None) -> dict[str, object]:
    """d f / d variable for every leaf, by a pure backward pass (``.grad`` untouched); 0 if unused."""
    if not f.requires_grad:
        return {name: B.module_of(t._data).zeros_like(t._data) for name, t in leaves.items()}
    totals = engine.backpropagate(f, seed_gradient(f, grad, "gradients"), accumulate=False)
    return {
        name: totals[id(t)] if id(t) in totals else B.module_of(t._data).zeros_like(t._data)
        for name, t in leaves.items()
    }


def _num(x, digits: int) -> str:
    return f"{float(B.module_of(x).asarray(x).reshape(-1)[0]):.{digits}f}"


def show(
    f: Tensor,
    leaves: dict[str, Tensor],
    grad=None,
    file: TextIO | None = None,
    with_trace: bool = True,
    digits: int = 2,
) -> dict[str, object]:
    """Print f's value, each variable's gradient and (optionally) the backward trace; return the grads."""
    out = sys.stdout if file is None else file
    print(f"f = {_num(f._data, digits)}", file=out)
    grads = gradients(f, leaves, grad)
    for name, g in grads.items():
        print(f"df/d{name} = {_num(g, digits)}", file=out)
    if with_trace and f.requires_grad:
        trace(f, grad=grad, file=out)
    return grads


def run(file: TextIO | None = None) -> None:
    """Print the lecture's two worked examples and the four gradient-flow patterns with their traces."""
    out = sys.stdout if file is None else file
    for title, (expr, values) in [
        ("Example 1: f(x, y, z) = (x + y) z", SIMPLE),
        ("Example 2: the sigmoid circuit, as a chain of primitive gates", SIGMOID_CHAIN),
        ("Example 2 again, with one sigmoid gate: local gradient (1 - s) s", SIGMOID_NODE),
    ]:
        at = ", ".join(f"{k}={v:g}" for k, v in values.items())
        print(f"\n== {title}\n   f = {expr}  at {at}", file=out)
        show(*build(expr, values), file=out)
    print("\n== Patterns in gradient flow", file=out)
    for p in PATTERNS:
        f, leaves = build(p.expr, p.values)
        grads = gradients(f, leaves, p.upstream)
        at = ", ".join(f"{k}={_num(v, 2)}" for k, v in p.values.items())
        got = ", ".join(f"d{k}={_num(g, 2)}" for k, g in grads.items())
        print(
            f"\n{p.gate}: {p.rule}\n  {p.expr} at {at} = {_num(f._data, 2)}; upstream {_num(p.upstream, 2)} -> {got}",
            file=out,
        )
        trace(f, grad=p.upstream, file=out)
