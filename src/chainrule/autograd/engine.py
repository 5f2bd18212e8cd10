"""Reverse-mode autodiff: sort the graph, then push gradients from the output to the leaves.

For every node, in reverse topological order, the engine asks the node's op for
``downstream = upstream x local gradient`` on each input edge, and adds what arrives at a node
from several edges (a copy / fan-out gate is a gradient adder).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from .. import backend as B

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad``: ops then record the graph for backward."""
    return _grad_enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Context manager and decorator that switches graph recording on or off."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        # a stack, not one slot: as a decorator the same instance is entered again by every call,
        # so a recursive (or nested) call must not overwrite the state the outer call restores
        self._prev = []

    def __enter__(self) -> None:
        global _grad_enabled
        self._prev.append(_grad_enabled)
        _grad_enabled = self.mode

    def __exit__(self, *exc) -> None:
        global _grad_enabled
        _grad_enabled = self._prev.pop()


class no_grad(set_grad_enabled):
    """``with cr.no_grad():`` or ``@cr.no_grad()``: run ops without recording a graph."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Switch graph recording back on inside a ``no_grad`` block."""

    def __init__(self) -> None:
        super().__init__(True)


def toposort(root, constants: bool = False) -> list:
    """Nodes that lead to ``root`` and need a gradient (all of them with ``constants``), each after its inputs."""
    order, seen = [], set()
    stack = [(root, False)]
    while stack:  # iterative depth-first search: deep graphs must not hit the recursion limit
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if node._ctx is not None:
            for parent in reversed(node._ctx.parents):  # reversed: the first input is visited first
                if (constants or parent.requires_grad) and id(parent) not in seen:
                    stack.append((parent, False))
    return order


EdgeHook = Callable[[object, int, object, object], None]


def backpropagate(root, upstream, accumulate: bool = True, hook: EdgeHook | None = None) -> dict:
    """Run the backward pass from ``root`` seeded with ``upstream``.

    With ``accumulate``, leaf tensors (and tensors that called ``retain_grad``) add their gradient
    into ``.grad``, and each intermediate gradient is dropped as soon as it has been passed on (the
    training path: peak memory stays low). Without it (the pure pass that ``viz`` draws), returns
    ``{id(node): total gradient}`` for every node visited.
    ``hook(node, input_index, upstream, downstream)`` is called for each edge, in the order
    backprop visits them (``viz.trace`` uses it).
    """
    order = toposort(root)
    pending = {id(root): upstream}
    totals = {}
    with B.following(upstream):  # restores xp's module afterwards (each node points it at its gradient)
        _backward_nodes(order, pending, totals, accumulate, hook)
    return totals


def _backward_nodes(order, pending, totals, accumulate, hook) -> None:
    for node in reversed(order):
        grad = pending.pop(id(node), None)
        if grad is None:
            continue
        if B.devices_enabled:  # xp follows the gradient's device (NumPy or CuPy)
            B.working_on(grad)
        if not accumulate:
            totals[id(node)] = grad
        ctx = node._ctx
        if accumulate and (ctx is None or node._retains_grad):
            node._accumulate_grad(grad)
        if ctx is None:
            continue
        downstream = ctx.backward(grad)
        if not isinstance(downstream, tuple):
            downstream = (downstream,)
        for i, (parent, d) in enumerate(zip(ctx.parents, downstream)):
            if d is None or not parent.requires_grad:
                continue
            if hook is not None:
                hook(node, i, grad, d)
            key = id(parent)
            # not in place: an op may hand the same array to several inputs (add does)
            pending[key] = d if key not in pending else pending[key] + d
