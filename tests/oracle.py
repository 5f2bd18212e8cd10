"""The test oracle: float64 inputs kept away from kinks, an op registry, and a PyTorch comparison.

Small API, shared by the op, nn, conv and optim tests:
- ``Domain`` (value bounds, points to avoid, no ties) and ``sample(domain, shape, rng)``;
- ``OpSpec``/``OPS``/``register``: each op as chainrule, PyTorch (None if it has no such op) and
  NumPy functions, with per-input domains and ``case(draw) -> (shapes, kwargs)`` for Hypothesis;
  the basic ops are registered in tests/op_specs.py (imported below), and tests/ops/test_registry.py tests them;
- ``helper_test_op(shapes, torch_fn, cr_fn)`` (as tinygrad's): forward and every input gradient
  against PyTorch under one random upstream, with a per-tensor report (as llm.c's);
- ``assert_close`` (one array, the same report line); strategies ``shapes``, ``broadcastable_shapes``.
Tolerances are float64's: 1e-10 absolute, 1e-9 relative (only summation order and libm differ).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import hypothesis.extra.numpy as hnp
import numpy as np
import torch

import chainrule as cr

torch.set_num_threads(1)  # tiny tensors: threads only add overhead on a shared 2-core machine

ATOL, RTOL = 1e-10, 1e-9
SIDES = dict(min_side=1, max_side=5)


# --- input values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """Values in [low, high], at least ``gap`` from every point in ``avoid`` (kinks, poles, clip
    bounds). ``distinct``: all values of the array differ (max/min reductions have no ties).
    ``grid``: values are ``offset + grid * k`` for integers k (two inputs on offset grids never
    tie: maximum/minimum). ``kind="bool"`` gives a random boolean array (masks, conditions)."""

    low: float = -2.0
    high: float = 2.0
    avoid: tuple = ()
    gap: float = 0.1
    distinct: bool = False
    grid: float | None = None
    offset: float = 0.0
    kind: str = "float"


def sample(domain: Domain, shape: Sequence[int], rng: np.random.Generator) -> np.ndarray:
    """A float64 (or bool) array of ``shape`` drawn from ``domain``."""
    shape = tuple(shape)
    if domain.kind == "bool":
        return rng.random(shape) < 0.5
    lo, hi = domain.low, domain.high
    n = math.prod(shape)
    if domain.distinct:
        # a shuffled evenly spaced grid, jittered by at most a quarter step: no two values tie
        step = (hi - lo) / max(n - 1, 1)
        x = np.linspace(lo, hi, n) + rng.uniform(-0.25, 0.25, n) * step
        return rng.permutation(x).reshape(shape)
    if domain.grid is not None:
        k = rng.integers(
            math.ceil((lo - domain.offset) / domain.grid),
            math.floor((hi - domain.offset) / domain.grid) + 1,
            size=shape,
        )
        return domain.offset + domain.grid * k.astype(np.float64)
    x = rng.uniform(lo, hi, size=shape)
    for p in domain.avoid:  # push values out of the band [p - gap, p + gap]
        d = x - p
        x = np.where(np.abs(d) < domain.gap, p + np.where(d >= 0, 1.0, -1.0) * (domain.gap + np.abs(d)), x)
    return np.asarray(x, dtype=np.float64)


# --- Hypothesis strategies -----------------------------------------------------------------------


def shapes(min_dims: int = 0, max_dims: int = 4):
    """Shapes of 0-4 dims (default), each side 1-5."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, **SIDES)


def broadcastable_shapes(n: int, min_dims: int = 0, max_dims: int = 4):
    """``n`` mutually broadcastable shapes (a list), each side 1-5."""
    return hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=min_dims, max_dims=max_dims, **SIDES).map(
        lambda b: list(b.input_shapes)
    )


# --- the registry --------------------------------------------------------------------------------


@dataclass(repr=False)
class OpSpec:
    """One op three ways: chainrule, PyTorch (None if it has no such op) and NumPy.

    Each function takes the inputs (tensors or arrays) positionally and ``case``'s kwargs.
    ``domain`` is one Domain for every input or a tuple with one per input. ``case(draw)`` returns
    ``(shapes, kwargs)``; by default ``arity`` random shapes, equal or (``broadcast``) mutually
    broadcastable. ``grad_check`` holds keyword arguments for ``cr.grad_check``; ``atol``/``rtol``
    are for the comparisons with NumPy and PyTorch.
    """

    name: str
    cr: Callable
    torch: Callable | None
    np: Callable
    arity: int = 1
    domain: Domain | tuple = Domain()
    broadcast: bool = False
    case: Callable | None = None
    grad_check: dict = field(default_factory=dict)
    atol: float = ATOL
    rtol: float = RTOL

    def __repr__(self) -> str:
        return f"OpSpec({self.name})"

    def domain_of(self, i: int) -> Domain:
        return self.domain[i] if isinstance(self.domain, tuple) else self.domain

    def draw_case(self, draw) -> tuple[list, dict]:
        if self.case is not None:
            return self.case(draw)
        if self.broadcast:
            return draw(broadcastable_shapes(self.arity)), {}
        return [draw(shapes())] * self.arity, {}

    def inputs(self, shape_list, seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        return [sample(self.domain_of(i), s, rng) for i, s in enumerate(shape_list)]


OPS: dict[str, OpSpec] = {}


def register(spec: OpSpec) -> OpSpec:
    """Add ``spec`` to ``OPS``; registry tests then give it forward, gradient and oracle tests."""
    if spec.name in OPS:
        raise ValueError(f"op spec {spec.name!r} is registered twice")
    OPS[spec.name] = spec
    return spec


# --- comparisons ---------------------------------------------------------------------------------


def _line(label: str, ours, ref, atol: float, rtol: float, who: str) -> tuple[bool, str]:
    """One report line: shapes, dtypes, the worst element. Returns (ok, line)."""
    ours, ref = np.asarray(ours), np.asarray(ref)
    head = f"  {label:<9} {str(ours.shape):<14} {ours.dtype}"
    if ours.shape != ref.shape:
        return False, f"{head}: shape differs from {who} {ref.shape}  FAIL"
    if ours.dtype != ref.dtype:
        return False, f"{head}: dtype differs from {who} {ref.dtype}  FAIL"
    if ours.size == 0:
        return True, f"{head}: empty  ok"
    a, b = ours.astype(np.float64), ref.astype(np.float64)
    same = (a == b) | (np.isnan(a) & np.isnan(b))  # equal infinities and NaN vs NaN agree
    with np.errstate(invalid="ignore"):
        err = np.where(same, 0.0, np.nan_to_num(np.abs(a - b), nan=np.inf, posinf=np.inf))
    bad = ~same & ~(np.isfinite(err) & (err <= atol + rtol * np.abs(b)))
    worst = int(np.argmax(err))
    idx = tuple(int(i) for i in np.unravel_index(worst, ours.shape))
    text = (
        f"{head}: max abs err {err.max():.3g} at {idx}: ours {a.reshape(-1)[worst]:.10g}, "
        f"{who} {b.reshape(-1)[worst]:.10g}"
    )
    if bad.any():
        return False, f"{text}  FAIL at {int(bad.sum())} of {bad.size}"
    return True, f"{text}  ok"


def assert_close(
    ours, ref, *, atol: float = ATOL, rtol: float = RTOL, name: str = "value", who: str = "reference"
) -> None:
    """Raise AssertionError with a report line unless shape, dtype and values agree."""
    ok, line = _line(name, ours, ref, atol, rtol, who)
    if not ok:
        raise AssertionError(f"{name} differs from {who} (atol={atol}, rtol={rtol})\n{line}")


def helper_test_op(
    shapes: Sequence | None,
    torch_fn: Callable,
    cr_fn: Callable,
    *,
    inputs: Sequence | None = None,
    domain: Domain | Sequence = Domain(),
    atol: float = ATOL,
    rtol: float = RTOL,
    grad_atol: float | None = None,
    grad_rtol: float | None = None,
    forward_only: bool = False,
    seed: int = 0,
    name: str | None = None,
) -> tuple:
    """Compare ``cr_fn(*tensors)`` with ``torch_fn(*torch_tensors)``, forward and backward.

    Inputs are ``inputs`` (arrays, used as given) or float64 arrays of ``shapes`` drawn from
    ``domain`` (one, or one per input). Float inputs require grad on both sides; both outputs are
    backpropagated from the same random upstream gradient and every input gradient is compared.
    Returns ``(chainrule output, [input gradients])``; raises AssertionError with a per-tensor
    report (shape, dtype, worst element, ok/FAIL) if anything differs.
    """
    rng = np.random.default_rng(seed)
    if inputs is None:
        doms = list(domain) if isinstance(domain, (list, tuple)) else [domain] * len(shapes)
        inputs = [sample(d, s, rng) for d, s in zip(doms, shapes)]
    arrays = [np.asarray(a) for a in inputs]
    grad_of = [a.dtype.kind == "f" and not forward_only for a in arrays]
    ours = [cr.tensor(a.copy(), requires_grad=g) for a, g in zip(arrays, grad_of)]
    theirs = [torch.from_numpy(a.copy()).requires_grad_(g) for a, g in zip(arrays, grad_of)]
    out, ref = cr_fn(*ours), torch_fn(*theirs)
    results = [_line("forward", out.data, ref.detach().numpy(), atol, rtol, "torch")]
    grads = [None] * len(ours)
    if not forward_only and ref.requires_grad and out.shape == tuple(ref.shape):
        upstream = rng.standard_normal(ref.shape)
        out.backward(upstream.astype(out.dtype))
        ref.backward(torch.from_numpy(upstream).to(ref.dtype))
        ga, gr = grad_atol if grad_atol is not None else atol, grad_rtol if grad_rtol is not None else rtol
        for i, (o, t) in enumerate(zip(ours, theirs)):
            if not t.requires_grad:
                continue
            grads[i] = o.grad if o.grad is not None else np.zeros_like(o.data)
            tg = t.grad.numpy() if t.grad is not None else np.zeros_like(t.detach().numpy())
            results.append(_line(f"grad[{i}]", grads[i], tg, ga, gr, "torch"))
    failed = [line for ok, line in results if not ok]
    if failed:
        label = name or getattr(cr_fn, "__name__", "op")
        report = "\n".join(line for _, line in results)
        raise AssertionError(
            f"helper_test_op({label}): {len(failed)} of {len(results)} tensors differ "
            f"from PyTorch (atol={atol}, rtol={rtol})\n{report}"
        )
    return out, grads


from tests import op_specs, op_specs_conv, op_specs_layers, op_specs_nn, op_specs_tensor  # noqa: E402, F401  (register the ops; they need the names above)
