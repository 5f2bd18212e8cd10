"""The basic ops' entries in the test registry (``tests.oracle.OPS``): chainrule, PyTorch and NumPy
functions, input domains and Hypothesis cases. ``tests/oracle.py`` imports this module, so importing
the oracle gives the whole registry; tests/ops/test_registry.py tests every entry.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import torch
from hypothesis import strategies as st

import chainrule as cr
from tests.oracle import Domain, OpSpec, broadcastable_shapes, register, shapes

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
_unary(
    "pow_scalar_exponent",
    lambda x, p: x**p,
    lambda x, p: x**p,
    lambda x, p: x**p,
    POSITIVE,
    case=_with("p", (-1.5, -1, 0.5, 2, 2.5, 3)),
)
_unary(
    "pow_scalar_base",
    lambda x, base: base**x,
    lambda x, base: base**x,
    lambda x, base: base**x,
    case=_with("base", (0.5, 2.0, 3.0)),
)
_unary("neg", lambda x: -x, lambda x: -x, np.negative)
_unary("exp", cr.exp, torch.exp, np.exp, Domain(-3.0, 3.0))
_unary("log", cr.log, torch.log, np.log, Domain(0.2, 3.0))
_unary("sqrt", cr.sqrt, torch.sqrt, np.sqrt, Domain(0.2, 3.0))
_unary("sigmoid", cr.sigmoid, torch.sigmoid, lambda x: 1 / (1 + np.exp(-x)), Domain(-6.0, 6.0))
_unary("tanh", cr.tanh, torch.tanh, np.tanh, Domain(-3.0, 3.0))
_unary("relu", cr.relu, torch.relu, lambda x: np.maximum(x, 0.0), Domain(avoid=(0.0,)))
_unary("abs", cr.abs, torch.abs, np.abs, Domain(avoid=(0.0,)))
_unary(
    "clip",
    lambda x, lo, hi: cr.clip(x, lo, hi),
    lambda x, lo, hi: torch.clamp(x, lo, hi),
    lambda x, lo, hi: np.clip(x, lo, hi),
    Domain(avoid=(-0.5, 0.75)),
    case=lambda draw: (
        [draw(shapes())],
        dict(zip(("lo", "hi"), draw(st.sampled_from(((-0.5, 0.75), (-0.5, None), (None, 0.75)))))),
    ),
)
_unary(
    "astype",
    lambda x: x.astype(np.float32),
    lambda x: x.to(torch.float32),
    lambda x: x.astype(np.float32),
    grad_check=dict(eps=1e-2, atol=1e-4),
    atol=0.0,
    rtol=0.0,
)  # float32 rounding: a wide eps is exact


def _reduce_case(draw):
    """A shape, an axis (None, int, negative int or tuple) and keepdims."""
    shape = draw(shapes())
    nd = max(len(shape), 1)  # a 0-d tensor accepts axis 0 and -1, as in PyTorch
    axes = [st.none(), st.integers(-nd, nd - 1)]
    if shape:
        axes.append(hnp.valid_tuple_axes(len(shape), min_size=1))
    return [shape], {"axis": draw(st.one_of(*axes)), "keepdims": draw(st.booleans())}


def _reduction(name, torch_fn, np_fn, domain=Domain()):
    register(
        OpSpec(
            name,
            lambda x, axis, keepdims: getattr(x, name)(axis=axis, keepdims=keepdims),
            lambda x, axis, keepdims: torch_fn(x, dim=tuple(range(x.ndim)) if axis is None else axis, keepdim=keepdims),
            lambda x, axis, keepdims: np_fn(x, axis=None if x.ndim == 0 else axis, keepdims=keepdims),
            domain=domain,
            case=_reduce_case,
        )
    )


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


register(
    OpSpec(
        "reshape", lambda x, shape: x.reshape(*shape), lambda x, shape: x.reshape(shape), np.reshape, case=_reshape_case
    )
)
register(
    OpSpec(
        "transpose",
        lambda x, dims: x.transpose(*dims),
        lambda x, dims: x.transpose(*dims) if dims else x.permute(tuple(reversed(range(x.ndim)))),
        lambda x, dims: np.swapaxes(x, *dims) if dims and x.ndim else x.T,
        case=_transpose_case,
    )
)
register(
    OpSpec(
        "permute",
        lambda x, dims: x.permute(*dims),
        lambda x, dims: x.permute(dims),
        lambda x, dims: np.transpose(x, dims),
        case=_permute_case,
    )
)
register(
    OpSpec(
        "flatten",
        lambda x, start, end: x.flatten(start, end),
        lambda x, start, end: torch.flatten(x, start, end),
        lambda x, start, end: x.reshape(
            x.shape[: start % max(x.ndim, 1)] + (-1,) + x.shape[end % max(x.ndim, 1) + 1 :]
        ),
        case=_flatten_case,
    )
)


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
    kinds = {
        "axis0": lambda: ints(shape[0], size),
        "2d": lambda: ints(shape[0], (2, size)),
        "pair": lambda: (ints(shape[0], size), ints(shape[1], size)),
        "after_slice": lambda: (slice(None), ints(shape[1], size)),
    }
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


register(
    OpSpec(
        "concatenate",
        lambda *xs, axis: cr.concatenate(list(xs), axis=axis),
        lambda *xs, axis: torch.cat(xs, dim=axis),
        lambda *xs, axis: np.concatenate(xs, axis=axis),
        case=_concatenate_case,
    )
)
register(
    OpSpec(
        "stack",
        lambda *xs, axis: cr.stack(list(xs), axis=axis),
        lambda *xs, axis: torch.stack(xs, dim=axis),
        lambda *xs, axis: np.stack(xs, axis=axis),
        case=_stack_case,
    )
)
