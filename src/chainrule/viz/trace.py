"""The backward pass written out, one line per edge: [upstream] x [local gradient] = downstream.

``trace(f)`` runs the engine without touching ``.grad`` and prints, in the order backprop visits
the edges of the graph, the lecture's chain-rule product for each of them, e.g. for the sigmoid
node of the lecture's second example::

    σ  f -> t7   [1.00] x [(1 - 0.73)(0.73)] = 0.20

Edges that carry arrays show shapes and norms instead of numbers.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from .. import backend as B
from ..autograd import engine
from ..autograd.function import fmt
from ..autograd.tensor import Tensor


@dataclass
class TraceStep:
    """One edge of the backward pass: ``downstream = upstream x local`` on input ``index`` of ``op``."""

    op: str  # the op's name ("sigmoid", "mul", ...)
    symbol: str  # its label in the drawings ("σ", "*", ...)
    node: str  # name of the tensor the op produced (the gradient arrives here)
    input: str  # name of the input tensor (the gradient leaves towards it)
    index: int  # which input of the op
    upstream: object  # array: d out / d node
    downstream: object  # array: d out / d input, this edge's share
    local: str | None  # the local gradient as text (``op.formula(index)``), scalars only
    text: str  # the printed line

    @property
    def is_scalar(self) -> bool:
        return self.upstream.size == 1 and self.downstream.size == 1


def graph_nodes(root: Tensor) -> list[Tensor]:
    """Every tensor that leads to ``root`` (constants included), each after all of its inputs."""
    return engine.toposort(root, constants=True)


def node_names(root: Tensor, params: dict | None = None) -> dict[int, str]:
    """``{id(tensor): name}``: the name given in ``params`` (``{name: tensor}``, e.g.
    ``dict(model.named_parameters())``), else the tensor's ``.name``, else ``t0``, ``t1``, ... in
    forward order. Unnamed constants (leaves without requires_grad) are named by their value.
    """
    nodes = graph_nodes(root)
    given = {id(t): name for name, t in (params or {}).items()}
    taken = {t.name for t in nodes if t.name} | set(given.values())
    names, k = {}, 0
    for t in nodes:
        if id(t) in given or t.name:
            names[id(t)] = given.get(id(t)) or t.name
            continue
        if t._ctx is None and not t.requires_grad:
            names[id(t)] = fmt(t._data) if t.numel() == 1 else "const"
            continue
        while f"t{k}" in taken:
            k += 1
        names[id(t)] = f"t{k}"
        k += 1
    return names


def seed_gradient(out: Tensor, grad, who: str):
    """The upstream gradient that starts backprop: ones for a one-element output, else ``grad``."""
    if grad is None:
        if out.numel() != 1:
            raise RuntimeError(f"{who}: the output has shape {out.shape}; pass grad= of that shape to seed backprop")
        return B.module_of(out._data).ones_like(out._data)
    grad = B.asarray(grad._data if isinstance(grad, Tensor) else grad, out.dtype)
    if grad.shape != out.shape:
        raise ValueError(f"{who}: grad has shape {grad.shape}, the output has shape {out.shape}")
    return grad


def two_decimals(x) -> str:
    """``fmt`` without the sign of a value that rounds to zero: "0.00", never "-0.00"."""
    text = fmt(x)
    return "0.00" if text == "-0.00" else text


def _shape(a) -> str:
    return "(" + ",".join(str(n) for n in a.shape) + ("," if a.ndim == 1 else "") + ")"


def _norm(a) -> str:
    xp = B.module_of(a)
    return f"{float(xp.sqrt((xp.asarray(a, dtype=B.numpy.float64) ** 2).sum())):.3g}"


def _product(step_ctx, i: int, upstream, downstream) -> tuple[str | None, str]:
    """The local gradient text and the "[up] x [local] = down" text of one edge."""
    if upstream.size == 1 and downstream.size == 1:
        local = step_ctx.formula(i)
        if local is None:  # no formula for this op: the number itself, downstream / upstream
            up = float(upstream.reshape(-1)[0])
            local = fmt(float(downstream.reshape(-1)[0]) / up) if up != 0 else "?"
        return local, f"[{two_decimals(upstream)}] x [{local}] = {two_decimals(downstream)}"
    return None, (
        f"upstream {_shape(upstream)} |.|={_norm(upstream)} -> downstream {_shape(downstream)} |.|={_norm(downstream)}"
    )


def trace(out: Tensor, grad=None, file: TextIO | None = None, params: dict | None = None) -> list[TraceStep]:
    """Backpropagate from ``out`` (pure: ``.grad`` is not touched) and print one line per edge.

    ``grad`` seeds the pass (default ones, for a one-element ``out``). Lines go to ``file``
    (default stdout); ``params`` (``{name: tensor}``) names tensors that have no ``.name``.
    Returns the steps in the order backprop visits the edges.
    """
    if not isinstance(out, Tensor):
        raise TypeError(f"trace: expected a Tensor, got {type(out).__name__}")
    if not out.requires_grad:
        raise RuntimeError(
            f"trace: the output (shape {out.shape}) does not require grad: no input of its graph has "
            "requires_grad=True (or it was computed under no_grad)"
        )
    upstream = seed_gradient(out, grad, "trace")
    names = node_names(out, params)
    raw = []

    def hook(node, i, up, down):
        raw.append((node, i, up, down))

    engine.backpropagate(out, upstream, accumulate=False, hook=hook)
    steps, products = [], []
    for node, i, up, down in raw:
        ctx, up, down = node._ctx, B.module_of(up).asarray(up), B.module_of(down).asarray(down)
        local, product = _product(ctx, i, up, down)
        parent = engine.input_node(ctx, i)  # the tensor the op read, as backprop and the drawings see it
        slot = f" (input {i})" if len(ctx.parents) > 1 else ""
        edge = f"{names[id(node)]} -> {names[id(parent)]}{slot}"
        steps.append(
            TraceStep(
                type(ctx).op_name(),
                ctx.symbol or type(ctx).op_name(),
                names[id(node)],
                names[id(parent)],
                i,
                up,
                down,
                local,
                edge,
            )
        )
        products.append(product)
    w_sym = max((len(s.symbol) for s in steps), default=0)
    w_edge = max((len(s.text) for s in steps), default=0)
    for s, product in zip(steps, products):
        s.text = f"{s.symbol:<{w_sym}}  {s.text:<{w_edge}}  {product}"
    stream = sys.stdout if file is None else file
    print("backward pass, output to inputs:  [upstream gradient] x [local gradient] = downstream", file=stream)
    for s in steps:
        print("  " + s.text, file=stream)
    return steps
