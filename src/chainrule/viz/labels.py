"""What every drawing of the graph writes: each node's kind, values and gradients as text.

Shared by the Graphviz writer (``graph.py``) and the pure-Python layout (``layout.py``), so both
classify nodes, round numbers and run the pure backward pass the same way.
"""

from __future__ import annotations

from .. import backend as B
from ..autograd import engine
from ..autograd.tensor import Tensor
from ..nn.parameter import Parameter
from .trace import graph_nodes, node_names, seed_gradient

VALUE_COLOR = "#1b7a2a"  # green, as the slides write forward values
GRAD_COLOR = "#c0151b"  # red, as the slides write gradients
ROLES = {"param": "parameter", "leaf": "input", "const": "constant", "output": "output"}


def number(x, digits: int = 2) -> str:
    """One number with ``digits`` decimals, never "-0.00" for a value that rounds to zero."""
    text = f"{float(x):.{digits}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def summary(a, digits: int = 2) -> str:
    """A value for a label: the number for a scalar, "shape mean m, min..max" for an array."""
    a = B.module_of(a).asarray(a)
    if a.size == 1:
        return number(a.reshape(-1)[0], digits)
    shape = "(" + ", ".join(str(n) for n in a.shape) + ("," if a.ndim == 1 else "") + ")"
    if a.size == 0:
        return f"{shape} empty"
    a = a.astype(B.numpy.float64)
    return f"{shape} mean {number(a.mean(), digits)}, {number(a.min(), digits)}..{number(a.max(), digits)}"


def node_kind(t: Tensor, root: Tensor) -> str:
    """ "output", "op", "param", "leaf" (needs a gradient) or "const"."""
    if t is root:
        return "output"
    if t._ctx is not None:
        return "op"
    if isinstance(t, Parameter):
        return "param"
    return "leaf" if t.requires_grad else "const"


def gradients(out: Tensor, grad) -> tuple[dict, dict]:
    """Pure backward pass: totals ``{id(tensor): grad}`` and per-edge ``{(id(node), i): grad}``.

    The per-edge dict is in the order backprop visits the edges, the order of ``viz.trace``'s steps.
    """
    if not out.requires_grad or (grad is None and out.numel() != 1):
        return {}, {}  # nothing to backpropagate (or no seed for an array output): values only
    edges = {}

    def hook(node, i, upstream, downstream):
        edges[(id(node), i)] = downstream

    totals = engine.backpropagate(out, seed_gradient(out, grad, "draw_graph"), accumulate=False, hook=hook)
    return totals, edges


def describe(out: Tensor, grad, params: dict | None, who: str) -> tuple[list, dict, dict, dict]:
    """What a drawing of ``out``'s graph reads, with one pure backward pass: its tensors (each after
    its inputs), their names (``params`` first), and ``gradients``' totals and per-edge gradients."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{who}: expected a Tensor, got {type(out).__name__}")
    return graph_nodes(out), node_names(out, params), *gradients(out, grad)
