"""Registry entries (``tests.oracle.OPS``) for the tensor ops added for PyTorch compatibility
(issue 13, item 4): each op three ways (chainrule, PyTorch, NumPy), with Hypothesis cases.

Ops that return several tensors (max/min(dim), sort, topk, chunk, split) are registered through
their differentiable part: the values, or the pieces joined back with a distinct weight each.
"""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import torch
from hypothesis import strategies as st

import chainrule as cr
from tests.oracle import Domain, OpSpec, broadcastable_shapes, register, shapes

DISTINCT = Domain(distinct=True)


def _dim_of(draw, shape, extra: int = 0):
    """A dim of ``shape`` (negative half the time); ``extra`` allows positions past the end (unsqueeze)."""
    n = max(len(shape) + extra, 1)
    return draw(st.integers(-n, n - 1))


# --- elementwise: sin, cos, add/sub with alpha ---------------------------------------------------

register(OpSpec("sin", cr.sin, torch.sin, np.sin, domain=Domain(-4.0, 4.0)))
register(OpSpec("cos", lambda x: x.cos(), torch.cos, np.cos, domain=Domain(-4.0, 4.0)))


def _alpha_case(draw):
    return draw(broadcastable_shapes(2)), {"alpha": draw(st.sampled_from((1, 2, -0.5)))}


register(
    OpSpec(
        "add_alpha",
        lambda a, b, alpha: cr.add(a, b, alpha=alpha),
        lambda a, b, alpha: torch.add(a, b, alpha=alpha),
        lambda a, b, alpha: a + alpha * b,
        arity=2,
        case=_alpha_case,
    )
)
register(
    OpSpec(
        "sub_alpha",
        lambda a, b, alpha: a.sub(b, alpha=alpha),
        lambda a, b, alpha: torch.sub(a, b, alpha=alpha),
        lambda a, b, alpha: a - alpha * b,
        arity=2,
        case=_alpha_case,
    )
)


def _clamp_case(draw):
    """Bounds that broadcast to x's shape (PyTorch's clamp keeps x's shape)."""
    shapes3 = draw(broadcastable_shapes(3))
    return [np.broadcast_shapes(*shapes3), *shapes3[1:]], {}


register(
    OpSpec(
        "clamp_tensor_bounds",
        lambda x, lo, hi: cr.clamp(x, lo, hi),
        torch.clamp,
        lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
        arity=3,
        domain=(Domain(grid=0.5), Domain(-1.0, -0.2, grid=0.5, offset=0.25), Domain(0.2, 1.0, grid=0.5, offset=0.25)),
        case=lambda draw: _clamp_case(draw),
    )
)

# --- matrix products ------------------------------------------------------------------------------


def _mm_case(draw):
    n, k, m = (draw(st.integers(1, 5)) for _ in range(3))
    return [(n, k), (k, m)], {}


def _bmm_case(draw):
    b, n, k, m = (draw(st.integers(1, 4)) for _ in range(4))
    return [(b, n, k), (b, k, m)], {}


register(OpSpec("mm", cr.mm, torch.mm, np.matmul, arity=2, case=_mm_case))
register(OpSpec("bmm", lambda a, b: a.bmm(b), torch.bmm, np.matmul, arity=2, case=_bmm_case))

# --- shape ----------------------------------------------------------------------------------------


def _cat_case(draw):
    base = list(draw(shapes(min_dims=1)))
    dim = _dim_of(draw, base)
    sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    d = dim % len(base)
    return [tuple(base[:d] + [s] + base[d + 1 :]) for s in sizes], {"dim": dim}


def _stack_case(draw):
    shape = draw(shapes(max_dims=3))
    return [shape] * draw(st.integers(1, 3)), {"dim": _dim_of(draw, shape, extra=1)}


register(
    OpSpec(
        "cat",
        lambda *xs, dim: cr.cat(xs, dim=dim),
        lambda *xs, dim: torch.cat(xs, dim=dim),
        lambda *xs, dim: np.concatenate(xs, axis=dim),
        case=_cat_case,
    )
)
register(
    OpSpec(
        "stack_dim",
        lambda *xs, dim: cr.stack(xs, dim=dim),
        lambda *xs, dim: torch.stack(xs, dim=dim),
        lambda *xs, dim: np.stack(xs, axis=dim),
        case=_stack_case,
    )
)


def _unsqueeze_case(draw):
    shape = draw(shapes(max_dims=3))
    return [shape], {"dim": _dim_of(draw, shape, extra=1)}


def _squeeze_case(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3))
    nd = max(len(shape), 1)
    dims = st.one_of(
        st.none(), st.integers(-nd, nd - 1), st.lists(st.integers(0, nd - 1), unique=True, max_size=nd).map(tuple)
    )
    return [shape], {"dim": draw(dims)}


def _np_squeeze(x, dim):
    if dim is None:
        return np.squeeze(x)
    dims = (dim,) if isinstance(dim, int) else dim
    if x.ndim == 0:
        return x
    return np.squeeze(x, axis=tuple(d % x.ndim for d in dims if x.shape[d] == 1))


register(
    OpSpec(
        "unsqueeze",
        lambda x, dim: x.unsqueeze(dim),
        torch.unsqueeze,
        lambda x, dim: np.expand_dims(x, dim),
        case=_unsqueeze_case,
    )
)
register(
    OpSpec(
        "squeeze",
        lambda x, dim: x.squeeze(dim),
        lambda x, dim: x.squeeze() if dim is None else x.squeeze(dim),
        _np_squeeze,
        case=_squeeze_case,
    )
)


def _expand_case(draw):
    """Sizes: each size-1 dim stretched (or kept, or -1), maybe new leading dims."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    sizes = [draw(st.sampled_from((1, 2, 3))) for _ in range(draw(st.integers(0, 2)))]
    for n in shape:
        choices = (-1, n) if n != 1 else (-1, 1, 2, 4)
        sizes.append(draw(st.sampled_from(choices)))
    return [shape], {"sizes": tuple(sizes)}


def _np_expand(x, sizes):
    lead = len(sizes) - x.ndim
    shape = [x.shape[d - lead] if n == -1 else n for d, n in enumerate(sizes)]
    return np.broadcast_to(x, shape)


def _repeat_case(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    reps = draw(st.lists(st.integers(1, 3), min_size=len(shape), max_size=len(shape) + 2))
    return [shape], {"reps": tuple(reps)}


register(
    OpSpec("expand", lambda x, sizes: x.expand(*sizes), lambda x, sizes: x.expand(sizes), _np_expand, case=_expand_case)
)
register(OpSpec("repeat", lambda x, reps: x.repeat(*reps), lambda x, reps: x.repeat(reps), np.tile, case=_repeat_case))
register(OpSpec("t", lambda x: x.t(), torch.t, lambda x: x.T, case=lambda draw: ([draw(shapes(max_dims=2))], {})))
register(
    OpSpec(
        "view_as",
        lambda x, y: x.view_as(y).sum(0),
        lambda x, y: x.view_as(y).sum(0),
        lambda x, y: x.reshape(y.shape).sum(0),
        arity=2,
        case=lambda draw: ([(2, 6), draw(st.sampled_from(((3, 4), (12,), (2, 3, 2))))], {}),
    )
)


def _pieces_case(draw):
    """A shape, a dim, and chunks (an int) or split sizes (an int or a list adding up to the dim)."""
    shape = draw(shapes(min_dims=1))
    dim = _dim_of(draw, shape)
    n = shape[dim]
    how = draw(st.sampled_from(("chunk", "split_int", "split_list")))
    if how == "split_list":
        cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
        arg = [b - a for a, b in zip([0, *cuts], [*cuts, n])]
    else:
        arg = draw(st.integers(1, n + 1))
    return [shape], {"how": how, "arg": arg, "dim": dim}


def _pieces(x, how, arg, dim, cat):
    """Split x, weight piece i by (i + 1) (so each piece's gradient is told apart), join again."""
    parts = x.chunk(arg, dim) if how == "chunk" else x.split(arg, dim)
    return cat([p * (i + 1.0) for i, p in enumerate(parts)], dim)


def _np_pieces(x, how, arg, dim):
    n = x.shape[dim]
    if how == "split_list":
        sizes = arg
    else:
        size = -(-n // arg) if how == "chunk" else arg
        sizes = [min(size, n - s) for s in range(0, n, size)]
    starts = np.cumsum([0, *sizes[:-1]])
    return np.concatenate(
        [np.take(x, range(s, s + k), axis=dim) * (i + 1.0) for i, (s, k) in enumerate(zip(starts, sizes))], axis=dim
    )


register(
    OpSpec(
        "chunk_split",
        lambda x, **kw: _pieces(x, **kw, cat=cr.cat),
        lambda x, **kw: _pieces(x, **kw, cat=torch.cat),
        _np_pieces,
        case=_pieces_case,
    )
)

# --- reductions -----------------------------------------------------------------------------------


def _one_dim_case(draw, min_dims=0):
    shape = draw(shapes(min_dims=min_dims))
    return [shape], {"dim": _dim_of(draw, shape), "keepdim": draw(st.booleans())}


def _by_dim(name):
    np_fn = np.max if name == "max" else np.min

    def np_ref(x, dim, keepdim):
        return np_fn(x, axis=None if x.ndim == 0 else dim, keepdims=keepdim and x.ndim > 0)

    register(
        OpSpec(
            f"{name}_dim",
            lambda x, dim, keepdim: getattr(x, name)(dim, keepdim=keepdim).values,
            lambda x, dim, keepdim: getattr(torch, name)(x, dim, keepdim=keepdim).values,
            np_ref,
            domain=DISTINCT,
            case=_one_dim_case,
        )
    )


_by_dim("max")
_by_dim("min")


def _amax_case(draw):
    shape = draw(shapes(min_dims=1))
    return [shape], {"dim": draw(hnp.valid_tuple_axes(len(shape), min_size=1)), "keepdim": draw(st.booleans())}


register(
    OpSpec(
        "amax",
        lambda x, dim, keepdim: cr.amax(x, dim, keepdim),
        torch.amax,
        lambda x, dim, keepdim: np.max(x, axis=dim, keepdims=keepdim),
        domain=DISTINCT,
        case=_amax_case,
    )
)


def _prod_case(draw):
    shape = draw(shapes())
    dim = draw(st.one_of(st.none(), st.integers(-max(len(shape), 1), max(len(shape), 1) - 1)))
    return [shape], {"dim": dim, "keepdim": draw(st.booleans()) and dim is not None}


def _np_prod(x, dim, keepdim):
    return np.prod(x, axis=None if x.ndim == 0 else dim, keepdims=keepdim)


register(
    OpSpec(
        "prod",
        lambda x, dim, keepdim: x.prod(dim, keepdim),
        lambda x, dim, keepdim: torch.prod(x) if dim is None else torch.prod(x, dim, keepdim),
        _np_prod,
        domain=Domain(-1.5, 1.5),
        case=_prod_case,
    )
)
# zeros in the input: the product of the others, not prod / x
register(
    OpSpec(
        "prod_with_zeros",
        lambda x, dim, keepdim: x.prod(dim, keepdim),
        lambda x, dim, keepdim: torch.prod(x) if dim is None else torch.prod(x, dim, keepdim),
        _np_prod,
        domain=Domain(-1.0, 1.0, grid=0.5),
        case=_prod_case,
    )
)


def _var_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=5))
    dim = draw(
        st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1), hnp.valid_tuple_axes(len(shape), min_size=1))
    )
    return [shape], {"dim": dim, "correction": draw(st.sampled_from((0, 1))), "keepdim": draw(st.booleans())}


for _name in ("var", "std"):
    register(
        OpSpec(
            _name,
            lambda x, dim, correction, keepdim, f=_name: getattr(x, f)(dim, keepdim=keepdim, correction=correction),
            lambda x, dim, correction, keepdim, f=_name: getattr(torch, f)(
                x, dim, correction=correction, keepdim=keepdim
            ),
            lambda x, dim, correction, keepdim, f=_name: getattr(np, f)(x, axis=dim, ddof=correction, keepdims=keepdim),
            domain=DISTINCT,
            case=_var_case,
        )
    )


def _norm_case(draw, ps):
    shape = draw(shapes(min_dims=1))
    dim = draw(
        st.one_of(
            st.none(),
            st.integers(-len(shape), len(shape) - 1),
            hnp.valid_tuple_axes(len(shape), min_size=1, max_size=min(2, len(shape))),
        )
    )
    return [shape], {"p": draw(st.sampled_from(ps)), "dim": dim, "keepdim": draw(st.booleans())}


def _np_norm(x, p, dim, keepdim):
    a = np.abs(x)
    if p in (math.inf, -math.inf):
        return (np.max if p > 0 else np.min)(a, axis=dim, keepdims=keepdim)
    p = 2 if p == "fro" else p
    return np.sum(a**p, axis=dim, keepdims=keepdim) ** (1 / p)


def _torch_norm(x, p, dim, keepdim):
    return torch.linalg.vector_norm(x, 2 if p == "fro" else p, dim=dim, keepdim=keepdim)


register(
    OpSpec(
        "norm",
        lambda x, p, dim, keepdim: x.norm(p, dim, keepdim),
        _torch_norm,
        _np_norm,
        domain=Domain(avoid=(0.0,), gap=0.2),
        case=lambda draw: _norm_case(draw, (1, 2, 3, 1.5, "fro")),
    )
)
# inf-norms route to the largest |x|: distinct positive values keep |x| free of ties
register(
    OpSpec(
        "norm_inf",
        lambda x, p, dim, keepdim: cr.norm(x, p, dim, keepdim),
        _torch_norm,
        _np_norm,
        domain=Domain(0.1, 2.0, distinct=True),
        case=lambda draw: _norm_case(draw, (math.inf, -math.inf)),
    )
)

# --- ordering -------------------------------------------------------------------------------------


def _sort_case(draw):
    shape = draw(shapes(min_dims=1))
    return [shape], {"dim": _dim_of(draw, shape), "descending": draw(st.booleans())}


def _np_sort(x, dim, descending):
    return -np.sort(-x, axis=dim) if descending else np.sort(x, axis=dim)


def _topk_case(draw):
    shape = draw(shapes(min_dims=1))
    dim = _dim_of(draw, shape)
    return [shape], {"k": draw(st.integers(0, shape[dim])), "dim": dim, "largest": draw(st.booleans())}


def _np_topk(x, k, dim, largest):
    return np.take(_np_sort(x, dim, largest), range(k), axis=dim)


register(
    OpSpec(
        "sort",
        lambda x, dim, descending: x.sort(dim, descending).values,
        lambda x, dim, descending: torch.sort(x, dim, descending).values,
        _np_sort,
        domain=DISTINCT,
        case=_sort_case,
    )
)
register(
    OpSpec(
        "topk",
        lambda x, k, dim, largest: x.topk(k, dim, largest)[0],
        lambda x, k, dim, largest: torch.topk(x, k, dim, largest)[0],
        _np_topk,
        domain=DISTINCT,
        case=_topk_case,
    )
)

# --- indexing -------------------------------------------------------------------------------------


def _gather_case(draw):
    """An index no larger than x in the other dims, with repeats (the gradient adds)."""
    shape = draw(shapes(min_dims=1, max_dims=3))
    dim = _dim_of(draw, shape)
    d = dim % len(shape)
    ishape = tuple(draw(st.integers(1, 4)) if i == d else draw(st.integers(1, n)) for i, n in enumerate(shape))
    index = draw(hnp.arrays(np.int64, ishape, elements=st.integers(0, shape[d] - 1)))
    return [shape], {"dim": dim, "index": index}


def _np_gather(x, dim, index):
    d = dim % x.ndim
    out = np.empty(index.shape)
    for pos in np.ndindex(*index.shape):
        src = list(pos)
        src[d] = index[pos]
        out[pos] = x[tuple(src)]
    return out


def _index_select_case(draw):
    shape = draw(shapes(min_dims=1))
    dim = _dim_of(draw, shape)
    index = draw(hnp.arrays(np.int64, draw(st.integers(0, 6)), elements=st.integers(0, shape[dim] - 1)))
    return [shape], {"dim": dim, "index": index}


def _masked_fill_case(draw):
    x_shape, m_shape = draw(broadcastable_shapes(2))
    x_shape = np.broadcast_shapes(x_shape, m_shape)  # out-of-place masked_fill may also broadcast x
    return [x_shape], {"mask": draw(hnp.arrays(np.bool_, m_shape)), "value": draw(st.sampled_from((0.0, -1.5)))}


register(
    OpSpec(
        "gather",
        lambda x, dim, index: x.gather(dim, cr.tensor(index)),
        lambda x, dim, index: torch.gather(x, dim, torch.from_numpy(index)),
        _np_gather,
        case=_gather_case,
    )
)
register(
    OpSpec(
        "index_select",
        lambda x, dim, index: cr.index_select(x, dim, cr.tensor(index)),
        lambda x, dim, index: torch.index_select(x, dim, torch.from_numpy(index)),
        lambda x, dim, index: np.take(x, index, axis=dim),
        case=_index_select_case,
    )
)
register(
    OpSpec(
        "masked_fill",
        lambda x, mask, value: x.masked_fill(cr.tensor(mask), value),
        lambda x, mask, value: x.masked_fill(torch.from_numpy(mask), value),
        lambda x, mask, value: np.where(mask, value, x),
        case=_masked_fill_case,
    )
)


# --- contiguous (a reversed-axes view made row-major), flip, unbind ------------------------------


def _reversed(x):
    return x.permute(*reversed(range(x.ndim))) if x.ndim else x * 1.0  # torch's permute() needs a dim


register(
    OpSpec(
        "contiguous",
        lambda x: _reversed(x).contiguous(),
        lambda x: _reversed(x).contiguous(),
        lambda x: np.asarray(x.transpose(), order="C"),  # sides >= 2: the reversed view is not C-ordered
        case=lambda draw: ([draw(hnp.array_shapes(min_dims=2, max_dims=4, min_side=2, max_side=4))], {}),
    )
)
register(
    OpSpec(
        "flip_all",
        lambda x: x.flip(*range(x.ndim)) if x.ndim else x * 1.0,
        lambda x: x.flip(list(range(x.ndim))) if x.ndim else x * 1.0,
        lambda x: np.flip(x) if x.ndim else x * 1.0,
    )
)


# --- assignment recorded by autograd: t[index] = v and t.copy_(src) on a non-leaf ---------------


def _setitem(lib_copy):
    def fn(x, v, index):
        y = lib_copy(x)
        y[index] = v
        return y

    return fn


def _setitem_np(x, v, index):
    y = x.copy()
    y[index] = v
    return y


def _setitem_case(draw):
    """x of 1-4 dims; index: an int, a slice or a step slice on the first axis; v: the indexed shape
    or that shape without its leading axes (broadcast into the assignment)."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5))
    n = shape[0]
    index = draw(st.sampled_from([0, n - 1, slice(0, max(n // 2, 1)), slice(None, None, 2)]))
    target = np.empty(shape)[index].shape
    drop = draw(st.integers(0, len(target)))
    return [shape, target[drop:]], {"index": index}


register(
    OpSpec(
        "setitem", _setitem(lambda x: x * 1.0), _setitem(lambda x: x * 1.0), _setitem_np, arity=2, case=_setitem_case
    )
)


def _copy(x, src):
    y = x * 1.0
    y.copy_(src)
    return y * 1.0


def _copy_case(draw):
    shape = draw(shapes(min_dims=1))
    return [shape, shape[draw(st.integers(0, len(shape))) :]], {}  # src broadcasts into x


register(OpSpec("copy_", _copy, _copy, lambda x, src: np.broadcast_to(src, x.shape).copy(), arity=2, case=_copy_case))
