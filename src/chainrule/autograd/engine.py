"""Reverse-mode autodiff: sort the graph, then push gradients from the output to the leaves.

For every node, in reverse topological order, the engine asks the node's op for
``downstream = upstream x local gradient`` on each input edge, and adds what arrives at a node
from several edges (a copy / fan-out gate is a gradient adder).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import weakref
from collections.abc import Callable

from .. import backend as B
from .errors import ShapeError


class _GradMode(threading.local):
    """Whether ops record the graph, per thread as in PyTorch: a ``no_grad`` block in one thread
    (a server answering one request) does not switch recording off in another."""

    enabled = True  # every thread starts with recording on


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad`` (in this thread): ops then record the graph for backward."""
    return _mode.enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Context manager and decorator that switches graph recording on or off in this thread; called
    plainly, ``set_grad_enabled(False)`` switches it at once, as in PyTorch."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        # a stack per thread, not one slot: as a decorator the same instance is entered again by
        # every call, so a recursive, nested or concurrent call must not overwrite what another restores
        self._stacks = threading.local()
        if type(self) is set_grad_enabled:  # the plain call; no_grad() etc. wait for `with`
            self._prev_at_init, _mode.enabled = _mode.enabled, self.mode

    def _stack(self) -> list:
        return self._stacks.__dict__.setdefault("prev", [])

    def __call__(self, func):
        self._undo_init()  # used as a decorator: the mode applies inside the function only
        return super().__call__(func)

    def _undo_init(self):
        if "_prev_at_init" in self.__dict__:
            _mode.enabled = self.__dict__.pop("_prev_at_init")

    def __enter__(self) -> None:
        self._undo_init()
        self._stack().append(_mode.enabled)
        _mode.enabled = self.mode

    def __exit__(self, *exc) -> None:
        _mode.enabled = self._stack().pop()


class _NoArgs(set_grad_enabled):
    """``@no_grad`` without parentheses decorates too, as in PyTorch."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoArgs):
    """``with cr.no_grad():`` or ``@cr.no_grad()``: run ops without recording a graph."""

    def __init__(self, orig_func=None) -> None:
        super().__init__(False)


class enable_grad(_NoArgs):
    """Switch graph recording back on inside a ``no_grad`` block."""

    def __init__(self, orig_func=None) -> None:
        super().__init__(True)


class inference_mode(set_grad_enabled):
    """``torch.inference_mode()``: as ``no_grad`` here (chainrule keeps no extra inference state)."""

    def __init__(self, mode: bool = True) -> None:
        super().__init__(not mode)


def input_node(ctx, i: int):
    """The tensor node that input ``i`` of op ``ctx`` refers to: the input itself, or, if it has
    been changed in place since (it now has another op behind it), the node of its earlier value."""
    parent = ctx.parents[i]
    made_by = ctx.parent_ctxs[i]
    if parent._ctx is made_by:
        return parent
    return getattr(made_by, "_inplace_old", parent)


def toposort(roots, constants: bool = False) -> list:
    """Nodes that lead to ``roots`` and need a gradient (all of them with ``constants``), each after its inputs."""
    order, seen = [], set()
    stack = [(r, False) for r in reversed(roots if isinstance(roots, (list, tuple)) else (roots,))]
    while stack:  # iterative depth-first search: deep graphs must not hit the recursion limit
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        ctx = node._ctx
        if ctx is not None:
            if ctx._freed:
                ctx._check_not_freed()  # raises: the graph was freed by an earlier backward
            needs, made_by = ctx.needs_input_grad, ctx.parent_ctxs
            for i in reversed(range(len(needs))):  # reversed: the first input is visited first
                if constants or needs[i]:
                    parent = ctx.parents[i]
                    if parent._ctx is not made_by[i]:  # changed in place since: the earlier value's node
                        parent = input_node(ctx, i)
                    if id(parent) not in seen:
                        stack.append((parent, False))
    return order


EdgeHook = Callable[[object, int, object, object], None]


def backpropagate(
    root,
    upstream,
    accumulate: bool = True,
    hook: EdgeHook | None = None,
    retain_graph: bool = True,
    only=None,
    capture=None,
) -> dict:
    """Run the backward pass from ``root`` (a tensor or a list of them) seeded with ``upstream``.

    With ``accumulate``, leaf tensors (and tensors that called ``retain_grad``) add their gradient
    into ``.grad`` (only those in ``only``, a set of ids, when given), and each intermediate
    gradient is dropped as soon as it has been passed on (the training path: peak memory stays
    low); without ``retain_graph`` each op frees its saved arrays right after its backward. Without
    ``accumulate`` (the pure pass that ``viz`` draws), returns ``{id(node): total gradient}`` for
    every node visited. ``capture`` (a set of ids) collects those nodes' totals instead of
    accumulating them (``autograd.grad``). ``hook(node, input_index, upstream, downstream)`` is
    called for each edge, in the order backprop visits them (``viz.trace`` uses it).
    """
    roots = root if isinstance(root, (list, tuple)) else [root]
    seeds = upstream if isinstance(root, (list, tuple)) else [upstream]
    order = toposort(roots)
    pending = {}
    for r, g in zip(roots, seeds):
        pending[id(r)] = g if id(r) not in pending else pending[id(r)] + g
    totals = {}
    state = (accumulate, hook, retain_graph, only, capture)
    _backward_nodes(order, pending, totals, state)  # each node computes with its own inputs' array module
    return totals


tensor_hooks: dict = {}
"""``tensor.register_hook(fn)``: id(tensor) -> {handle id: fn}, each called with the tensor's gradient
(the entry goes when the tensor does)."""


_hook_ids = itertools.count()


class HookHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook off again."""

    def __init__(self, tensor, key: int) -> None:
        self._tensor, self.id = weakref.ref(tensor), key

    def remove(self) -> None:
        t = self._tensor()
        if t is not None and id(t) in tensor_hooks:
            tensor_hooks[id(t)].pop(self.id, None)
            if not tensor_hooks[id(t)]:
                del tensor_hooks[id(t)]


def register_hook(tensor, fn) -> HookHandle:
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    key = next(_hook_ids)
    if id(tensor) not in tensor_hooks:
        tensor_hooks[id(tensor)] = {}
        weakref.finalize(tensor, tensor_hooks.pop, id(tensor), None)
    tensor_hooks[id(tensor)][key] = fn
    return HookHandle(tensor, key)


def _run_hooks(node, grad):
    """Each hook sees the gradient as a tensor; one that returns a tensor replaces it (PyTorch's rule)."""
    for fn in list(tensor_hooks[id(node)].values()):
        out = fn(Tensor._from_op(grad, False))
        if out is not None:
            out = out._data if isinstance(out, Tensor) else B.asarray(out)
            if out.shape != grad.shape:
                raise ShapeError(f"a gradient hook returned shape {out.shape}, expected {grad.shape}")
            grad = out
    return grad


def _backward_nodes(order, pending, totals, state) -> None:
    accumulate, hook, retain_graph, only, capture = state
    for node in reversed(order):
        grad = pending.pop(id(node), None)
        if grad is None:
            continue
        if tensor_hooks and id(node) in tensor_hooks:
            grad = _run_hooks(node, grad)
        key = id(node)
        if not accumulate or (capture is not None and key in capture):
            totals[key] = grad
        ctx = node._ctx
        if (
            accumulate
            and (ctx is None or node._retains_grad)
            and (only is None or key in only)
            and (capture is None or key not in capture)
        ):
            node._accumulate_grad(grad)
        if ctx is None:
            continue
        ctx.check_versions()
        downstream = ctx.backward(grad)
        if not isinstance(downstream, tuple):
            downstream = (downstream,)
        for i, d in enumerate(downstream):
            if d is None or not ctx.needs_input_grad[i]:
                continue
            parent = input_node(ctx, i)
            if hook is not None:
                hook(node, i, grad, d)
            if d.dtype != parent._data.dtype:  # an input promoted to a wider dtype gets its own back
                d = d.astype(parent._data.dtype)
            k = id(parent)
            # not in place: an op may hand the same array to several inputs (add does)
            pending[k] = d if k not in pending else pending[k] + d
        if not retain_graph:
            ctx.release()


def run_backward(tensors, grad_tensors, retain_graph=None, create_graph=False, inputs=None) -> None:
    """``tensor.backward()`` and ``autograd.backward``: seed each output, accumulate into leaves."""
    if create_graph:
        raise NotImplementedError(
            "backward(create_graph=True): chainrule's ops compute their local gradients on arrays, so "
            "gradients of gradients are not recorded (no higher-order derivatives)"
        )
    seeds = [_seed(t, g, "backward") for t, g in zip(tensors, grad_tensors)]
    only = None if inputs is None else {id(t) for t in (inputs if isinstance(inputs, (list, tuple)) else [inputs])}
    backpropagate(list(tensors), seeds, retain_graph=bool(retain_graph), only=only)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=None,
    materialize_grads: bool = False,
) -> tuple:
    """``torch.autograd.grad``: d outputs / d inputs (times ``grad_outputs``), without touching ``.grad``."""
    if create_graph:
        raise NotImplementedError("autograd.grad(create_graph=True): higher-order gradients are not recorded")
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    single = not isinstance(inputs, (list, tuple))
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None or not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs] * len(outputs)
    seeds = [_seed(t, g, "autograd.grad") for t, g in zip(outputs, grad_outputs)]
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("autograd.grad: one of the differentiated Tensors does not require grad")
    capture = {id(t) for t in inputs}
    # only=set(): no .grad anywhere is touched (the leaves past the inputs included), as in PyTorch
    totals = backpropagate(outputs, seeds, retain_graph=bool(retain_graph), only=set(), capture=capture)
    result = []
    for t in inputs:
        g = totals.get(id(t))
        if g is None:
            if not (allow_unused or materialize_grads):
                raise RuntimeError(
                    "autograd.grad: one of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
            g = B.module_of(t._data).zeros_like(t._data) if materialize_grads else None
        result.append(None if g is None else Tensor._from_op(B.module_of(g).asarray(g, dtype=t.dtype), False))
    return tuple(result)


def _seed(t, g, what: str):
    """The upstream gradient that starts backprop at ``t`` (ones for a one-element output)."""
    if not t.requires_grad:
        raise RuntimeError(
            f"{what}: element 0 of tensors does not require grad and does not have a grad_fn (shape "
            f"{tuple(t.shape)}): no input of its graph has requires_grad=True, or it was computed under no_grad"
        )
    if g is None:
        if t._data.size != 1:
            raise RuntimeError(
                f"{what}: grad can be implicitly created only for scalar outputs; this tensor has shape "
                f"{tuple(t.shape)}, so pass a gradient of that shape"
            )
        return B.module_of(t._data).ones_like(t._data)
    g = B.asarray(g._data if hasattr(g, "_data") else g, t.dtype)
    if g.shape != t._data.shape:
        raise ShapeError(f"{what}: gradient has shape {g.shape}, the tensor has {t._data.shape}")
    return g


Tensor = None  # chainrule.autograd.tensor.Tensor, set by tensor.py (which imports this module first)
