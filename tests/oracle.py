"""The test oracle: float64 inputs kept away from kinks, an op registry, and a PyTorch comparison.

Small API, shared by the op, nn, conv and optim tests:
- ``Domain`` (value bounds, points to avoid, no ties) and ``sample(domain, shape, rng)``;
- ``OpSpec``/``OPS``/``register``: each op as chainrule, PyTorch (None if it has no such op) and
  NumPy functions, with per-input domains and ``case(draw) -> (shapes, kwargs)`` for Hypothesis;
  the basic ops are registered at the end of this file, and tests/ops/test_registry.py tests them;
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
from hypothesis import strategies as st

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
        k = rng.integers(math.ceil((lo - domain.offset) / domain.grid),
                         math.floor((hi - domain.offset) / domain.grid) + 1, size=shape)
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
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=min_dims, max_dims=max_dims, **SIDES
    ).map(lambda b: list(b.input_shapes))


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
    text = (f"{head}: max abs err {err.max():.3g} at {idx}: ours {a.reshape(-1)[worst]:.10g}, "
            f"{who} {b.reshape(-1)[worst]:.10g}")
    if bad.any():
        return False, f"{text}  FAIL at {int(bad.sum())} of {bad.size}"
    return True, f"{text}  ok"


def assert_close(ours, ref, *, atol: float = ATOL, rtol: float = RTOL, name: str = "value",
                 who: str = "reference") -> None:
    """Raise AssertionError with a report line unless shape, dtype and values agree."""
    ok, line = _line(name, ours, ref, atol, rtol, who)
    if not ok:
        raise AssertionError(f"{name} differs from {who} (atol={atol}, rtol={rtol})\n{line}")


def helper_test_op(shapes: Sequence | None, torch_fn: Callable, cr_fn: Callable, *,
                   inputs: Sequence | None = None, domain: Domain | Sequence = Domain(),
                   atol: float = ATOL, rtol: float = RTOL, grad_atol: float | None = None,
                   grad_rtol: float | None = None, forward_only: bool = False, seed: int = 0,
                   name: str | None = None) -> tuple:
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
        raise AssertionError(f"helper_test_op({label}): {len(failed)} of {len(results)} tensors differ "
                             f"from PyTorch (atol={atol}, rtol={rtol})\n{report}")
    return out, grads


# --- the basic ops -------------------------------------------------------------------------------
# Inputs are kept away from kinks and poles: log/sqrt/div-denominator positive or away from 0,
# relu/abs away from 0, clip away from its bounds, max/min without ties.

POSITIVE = Domain(0.3, 2.0)


def _unary(name, cr_fn, torch_fn, np_fn, domain=Domain(), **kw):
    register(OpSpec(name, cr_fn, torch_fn, np_fn, 1, domain, **kw))


def _binary(name, cr_fn, torch_fn, np_fn, domain=Domain(), arity=2):
    register(OpSpec(name, cr_fn, torch_fn, np_fn, arity, domain, broadcast=True))


def _with(key, values):
    """case: one random shape and ``key`` drawn from ``values``."""
    return lambda draw: ([draw(shapes())], {key: draw(st.sampled_from(values))})


_binary("add", lambda a, b: a + b, lambda a, b: a + b, np.add)
_binary("sub", lambda a, b: a - b, lambda a, b: a - b, np.subtract)
_binary("mul", lambda a, b: a * b, lambda a, b: a * b, np.multiply)
_binary("div", lambda a, b: a / b, lambda a, b: a / b, np.divide, (Domain(), Domain(avoid=(0.0,), gap=0.5)))
_binary("pow", lambda a, b: a**b, lambda a, b: a**b, np.power, (POSITIVE, Domain()))
_binary("maximum", cr.maximum, torch.maximum, np.maximum, (Domain(grid=0.5), Domain(grid=0.5, offset=0.25)))
_binary("minimum", cr.minimum, torch.minimum, np.minimum, (Domain(grid=0.5), Domain(grid=0.5, offset=0.25)))
_binary("where", cr.where, torch.where, np.where, (Domain(kind="bool"), Domain(), Domain()), arity=3)
_unary("pow_scalar_exponent", lambda x, p: x**p, lambda x, p: x**p, lambda x, p: x**p, POSITIVE,
       case=_with("p", (-1.5, -1, 0.5, 2, 2.5, 3)))
_unary("pow_scalar_base", lambda x, base: base**x, lambda x, base: base**x, lambda x, base: base**x,
       case=_with("base", (0.5, 2.0, 3.0)))
_unary("neg", lambda x: -x, lambda x: -x, np.negative)
_unary("exp", cr.exp, torch.exp, np.exp, Domain(-3.0, 3.0))
_unary("log", cr.log, torch.log, np.log, Domain(0.2, 3.0))
_unary("sqrt", cr.sqrt, torch.sqrt, np.sqrt, Domain(0.2, 3.0))
_unary("sigmoid", cr.sigmoid, torch.sigmoid, lambda x: 1 / (1 + np.exp(-x)), Domain(-6.0, 6.0))
_unary("tanh", cr.tanh, torch.tanh, np.tanh, Domain(-3.0, 3.0))
_unary("relu", cr.relu, torch.relu, lambda x: np.maximum(x, 0.0), Domain(avoid=(0.0,)))
_unary("abs", cr.abs, torch.abs, np.abs, Domain(avoid=(0.0,)))
_unary("clip", lambda x, lo, hi: cr.clip(x, lo, hi), lambda x, lo, hi: torch.clamp(x, lo, hi),
       lambda x, lo, hi: np.clip(x, lo, hi), Domain(avoid=(-0.5, 0.75)),
       case=lambda draw: ([draw(shapes())], dict(zip(("lo", "hi"), draw(st.sampled_from(
           ((-0.5, 0.75), (-0.5, None), (None, 0.75))))))))
_unary("astype", lambda x: x.astype(np.float32), lambda x: x.to(torch.float32), lambda x: x.astype(np.float32),
       grad_check=dict(eps=1e-2, atol=1e-4), atol=0.0, rtol=0.0)  # float32 rounding: a wide eps is exact


def _reduce_case(draw):
    """A shape, an axis (None, int, negative int or tuple) and keepdims."""
    shape = draw(shapes())
    nd = max(len(shape), 1)  # a 0-d tensor accepts axis 0 and -1, as in PyTorch
    axes = [st.none(), st.integers(-nd, nd - 1)]
    if shape:
        axes.append(hnp.valid_tuple_axes(len(shape), min_size=1))
    return [shape], {"axis": draw(st.one_of(*axes)), "keepdims": draw(st.booleans())}


def _reduction(name, torch_fn, np_fn, domain=Domain()):
    register(OpSpec(
        name, lambda x, axis, keepdims: getattr(x, name)(axis=axis, keepdims=keepdims),
        lambda x, axis, keepdims: torch_fn(x, dim=tuple(range(x.ndim)) if axis is None else axis,
                                           keepdim=keepdims),
        lambda x, axis, keepdims: np_fn(x, axis=None if x.ndim == 0 else axis, keepdims=keepdims),
        domain=domain, case=_reduce_case))


_reduction("sum", torch.sum, np.sum)
_reduction("mean", torch.mean, np.mean)
_reduction("max", torch.amax, np.max, Domain(distinct=True))
_reduction("min", torch.amin, np.min, Domain(distinct=True))


def _matmul_case(draw):
    """1-D or 2-D operands, with 0-2 batch dims that broadcast against each other."""
    n, k, m = (draw(st.integers(1, 5)) for _ in range(3))
    a_mat, b_mat = draw(st.booleans()), draw(st.booleans())
    batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2))
    a = (*batch_a, n, k) if a_mat else (k,)
    b = (*batch_b, k, m) if b_mat else (k,)
    return [a, b], {}


register(OpSpec("matmul", lambda a, b: a @ b, torch.matmul, np.matmul, 2, case=_matmul_case))


def _reshape_case(draw):
    """The same elements in another shape: dims shuffled, maybe two merged, a 1 added, a -1."""
    shape = draw(shapes())
    new = list(draw(st.permutations(shape)))
    if len(new) > 1 and draw(st.booleans()):
        i = draw(st.integers(0, len(new) - 2))
        new[i : i + 2] = [new[i] * new[i + 1]]
    if draw(st.booleans()):
        new.insert(draw(st.integers(0, len(new))), 1)
    if new and draw(st.booleans()):
        new[draw(st.integers(0, len(new) - 1))] = -1
    return [shape], {"shape": tuple(new)}


def _transpose_case(draw):
    shape = draw(shapes())
    axis = st.integers(-max(len(shape), 1), max(len(shape), 1) - 1)
    return [shape], {"dims": draw(st.one_of(st.just(()), st.tuples(axis, axis)))}


def _permute_case(draw):
    shape = draw(shapes())
    perm = draw(st.permutations(range(len(shape))))
    negative = draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    return [shape], {"dims": tuple(d - len(shape) if neg else d for d, neg in zip(perm, negative))}


def _flatten_case(draw):
    shape = draw(shapes())
    nd = max(len(shape), 1)
    start = draw(st.integers(0, nd - 1))
    end = draw(st.integers(start, nd - 1))
    return [shape], {"start": start - nd * draw(st.booleans()), "end": end - nd * draw(st.booleans())}


register(OpSpec("reshape", lambda x, shape: x.reshape(*shape), lambda x, shape: x.reshape(shape),
                np.reshape, case=_reshape_case))
register(OpSpec("transpose", lambda x, dims: x.transpose(*dims),
                lambda x, dims: x.transpose(*dims) if dims else x.permute(tuple(reversed(range(x.ndim)))),
                lambda x, dims: np.swapaxes(x, *dims) if dims and x.ndim else x.T, case=_transpose_case))
register(OpSpec("permute", lambda x, dims: x.permute(*dims), lambda x, dims: x.permute(dims),
                lambda x, dims: np.transpose(x, dims), case=_permute_case))
register(OpSpec("flatten", lambda x, start, end: x.flatten(start, end),
                lambda x, start, end: torch.flatten(x, start, end),
                lambda x, start, end: x.reshape(x.shape[: start % max(x.ndim, 1)] + (-1,)
                                                + x.shape[end % max(x.ndim, 1) + 1 :]),
                case=_flatten_case))


def _torch_basic_index(x, index):
    """``x[index]`` in PyTorch, which has no negative slice steps: flip those axes, slice forwards."""
    parts = list(index) if isinstance(index, tuple) else [index]
    if any(p is Ellipsis for p in parts):
        i = next(i for i, p in enumerate(parts) if p is Ellipsis)
        used = sum(p is not None and p is not Ellipsis for p in parts)
        parts[i : i + 1] = [slice(None)] * (x.ndim - used)
    axis, flips, out = 0, [], []
    for p in parts:
        if isinstance(p, slice) and p.step is not None and p.step < 0:
            n, r = x.shape[axis], range(x.shape[axis])[p]
            flips.append(axis)
            p = slice(n - 1 - r[0], n - r[-1], -p.step) if len(r) else slice(0, 0)
        out.append(p)
        axis += p is not None
    return (torch.flip(x, flips) if flips else x)[tuple(out)]


def _torch_index(index):
    """Index arrays as torch tensors (PyTorch does not take NumPy arrays in a tuple index)."""
    if isinstance(index, tuple):
        return tuple(torch.from_numpy(p) if isinstance(p, np.ndarray) else p for p in index)
    return torch.from_numpy(index) if isinstance(index, np.ndarray) else index


def _basic_index_case(draw):
    shape = draw(shapes())
    return [shape], {"index": draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))}


def _int_index_case(draw):
    """Integer arrays (repeats and negatives likely): on axis 0, 2-D, a pair, after a slice."""
    shape = draw(shapes(min_dims=1))

    def ints(n, size):
        return draw(hnp.arrays(np.int64, size, elements=st.integers(-n, n - 1)))

    size = draw(st.integers(1, 6))
    kinds = {"axis0": lambda: ints(shape[0], size), "2d": lambda: ints(shape[0], (2, size)),
             "pair": lambda: (ints(shape[0], size), ints(shape[1], size)),
             "after_slice": lambda: (slice(None), ints(shape[1], size))}
    kind = draw(st.sampled_from(list(kinds) if len(shape) > 1 else ["axis0", "2d"]))
    return [shape], {"index": kinds[kind]()}


def _mask_case(draw):
    shape = draw(shapes(min_dims=1))
    lead = shape[: draw(st.integers(1, len(shape)))]
    return [shape], {"index": draw(hnp.arrays(np.bool_, lead))}


def _getitem(name, case, torch_fn=lambda x, index: x[_torch_index(index)]):
    register(OpSpec(name, lambda x, index: x[index], torch_fn, lambda x, index: x[index], case=case))


_getitem("getitem_basic", _basic_index_case, _torch_basic_index)
_getitem("getitem_int_array", _int_index_case)
_getitem("getitem_mask", _mask_case)


def _concatenate_case(draw):
    base = list(draw(shapes(min_dims=1)))
    axis = draw(st.integers(-len(base), len(base) - 1))
    sizes = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    a = axis % len(base)
    return [tuple(base[:a] + [s] + base[a + 1 :]) for s in sizes], {"axis": axis}


def _stack_case(draw):
    shape = draw(shapes(max_dims=3))
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    return [shape] * draw(st.integers(1, 3)), {"axis": axis}


register(OpSpec("concatenate", lambda *xs, axis: cr.concatenate(list(xs), axis=axis),
                lambda *xs, axis: torch.cat(xs, dim=axis), lambda *xs, axis: np.concatenate(xs, axis=axis),
                case=_concatenate_case))
register(OpSpec("stack", lambda *xs, axis: cr.stack(list(xs), axis=axis),
                lambda *xs, axis: torch.stack(xs, dim=axis), lambda *xs, axis: np.stack(xs, axis=axis),
                case=_stack_case))
