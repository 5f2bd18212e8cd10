"""Registry entries (``tests.oracle.OPS``) for the layer ops added for PyTorch compatibility: embedding,
layer and group normalisation, transposed convolution. Each NumPy reference is written from the formula.

Indices and layer arguments ride in the case's kwargs (the registry's inputs are the float arrays);
transposed-convolution cases keep output_padding < max(stride, dilation) and the output non-empty, as torch.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F
from tests.oracle import OpSpec, register

# --- embedding -----------------------------------------------------------------------------------


def _embedding_case(draw):
    """Indices of shape (a,) or (a, b) with repeats; with a padding_idx they avoid that row. The padding
    row's zero gradient and scale_grad_by_freq are by design not the numerical gradient, so they are
    checked against torch in tests/nn/test_more_layers.py instead."""
    v, d = draw(st.integers(2, 6)), draw(st.integers(1, 4))
    padding_idx = draw(st.sampled_from([None, 0, -1]))
    rows = list(range(v)) if padding_idx is None else [r for r in range(v) if r != padding_idx % v]
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)))
    size = int(np.prod(shape))
    indices = np.asarray(draw(st.lists(st.sampled_from(rows), min_size=size, max_size=size))).reshape(shape)
    return [(v, d)], {"indices": indices.tolist(), "padding_idx": padding_idx}


def _embedding_np(w, indices, padding_idx):
    return w[np.asarray(indices)]  # the rows; padding_idx changes only the gradient


register(
    OpSpec(
        "embedding",
        lambda w, indices, **kw: F.embedding(cr.tensor(np.asarray(indices, dtype=np.int64)), w, **kw),
        lambda w, indices, **kw: TF.embedding(torch.tensor(indices, dtype=torch.int64), w, **kw),
        _embedding_np,
        case=_embedding_case,
    )
)


# --- layer and group normalisation ---------------------------------------------------------------


def _layer_norm_np(x, weight=None, bias=None, normalized_shape=(), eps=1e-5):
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    return y * (1 if weight is None else weight) + (0 if bias is None else bias)


def _layer_norm_case(affine: int):
    def case(draw):
        shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
        k = draw(st.integers(1, len(shape)))
        normalized = shape[len(shape) - k :]
        eps = draw(st.sampled_from([1e-5, 0.1]))
        return [shape] + [normalized] * affine, {"normalized_shape": normalized, "eps": eps}

    return case


register(
    OpSpec(
        "layer_norm",
        lambda x, w, b, **kw: F.layer_norm(x, weight=w, bias=b, **kw),
        lambda x, w, b, **kw: TF.layer_norm(x, weight=w, bias=b, **kw),
        lambda x, w, b, **kw: _layer_norm_np(x, w, b, **kw),
        3,
        case=_layer_norm_case(2),
    )
)
register(
    OpSpec(
        "layer_norm_weight_only",
        lambda x, w, **kw: F.layer_norm(x, weight=w, **kw),
        lambda x, w, **kw: TF.layer_norm(x, weight=w, **kw),
        lambda x, w, **kw: _layer_norm_np(x, w, **kw),
        2,
        case=_layer_norm_case(1),
    )
)
register(OpSpec("layer_norm_no_affine", F.layer_norm, TF.layer_norm, _layer_norm_np, 1, case=_layer_norm_case(0)))


def _group_norm_case(draw):
    groups, per = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    c = groups * per
    rest = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    n = draw(st.integers(1 if per * int(np.prod(rest)) > 1 else 2, 3))  # torch refuses one value per group
    return [(n, c, *rest), (c,), (c,)], {"num_groups": groups}


def _group_norm_np(x, w, b, num_groups):
    n, c = x.shape[:2]
    y = _layer_norm_np(x.reshape(n, num_groups, -1), normalized_shape=(1,)).reshape(x.shape)
    per_channel = (c,) + (1,) * (x.ndim - 2)
    return y * w.reshape(per_channel) + b.reshape(per_channel)


register(
    OpSpec(
        "group_norm",
        lambda x, w, b, num_groups: F.group_norm(x, num_groups, w, b),
        lambda x, w, b, num_groups: TF.group_norm(x, num_groups, w, b),
        _group_norm_np,
        3,
        case=_group_norm_case,
    )
)


# --- transposed convolution ----------------------------------------------------------------------


def _conv_transpose_case(dims: int):
    def case(draw):
        groups, cin_g, cout_g = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
        sizes = tuple(draw(st.integers(1, 4)) for _ in range(dims))
        kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
        stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
        dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
        out_pad = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        padding = tuple(
            draw(st.integers(0, ((n - 1) * s + d * (k - 1) + op) // 2))  # output >= 1
            for n, s, d, k, op in zip(sizes, stride, dilation, kernel, out_pad)
        )
        shapes = [
            (draw(st.integers(1, 2)), groups * cin_g, *sizes),
            (groups * cin_g, cout_g, *kernel),
            (groups * cout_g,),
        ]
        kw = {"stride": stride, "padding": padding, "output_padding": out_pad, "groups": groups, "dilation": dilation}
        if dims == 1:
            kw = {k: v[0] if isinstance(v, tuple) else v for k, v in kw.items()}  # the int spelling
        return shapes, kw

    return case


def _conv_transpose_np(x, w, b, stride, padding, output_padding, groups, dilation):
    """out[n, co, h*s + i*d - p, ...] += x[n, ci, h, ...] w[ci, co, i, ...], ci and co in the same group:
    each kernel tap (i, ...) adds x (mixed over channels by that tap's weights) at stride s, offset i*d,
    onto a canvas of (in - 1)*s + d*(k - 1) + 1 + output_padding, cropped by ``padding`` on each side."""
    dims = x.ndim - 2
    pairs = [v if isinstance(v, tuple) else (v,) * dims for v in (stride, padding, output_padding, dilation)]
    stride, padding, output_padding, dilation = pairs
    cin_g, cout_g, kernel = w.shape[0] // groups, w.shape[1], w.shape[2:]
    sizes = x.shape[2:]
    canvas = [
        (n - 1) * s + d * (k - 1) + 1 + op for n, s, d, k, op in zip(sizes, stride, dilation, kernel, output_padding)
    ]
    full = np.zeros((x.shape[0], cout_g * groups, *canvas))
    for g in range(groups):
        xg, wg = x[:, g * cin_g : (g + 1) * cin_g], w[g * cin_g : (g + 1) * cin_g]
        for tap in np.ndindex(*kernel):
            where = tuple(slice(t * d, t * d + (n - 1) * s + 1, s) for t, d, n, s in zip(tap, dilation, sizes, stride))
            contrib = np.einsum("nc...,co->no...", xg, wg[(slice(None), slice(None), *tap)])
            full[(slice(None), slice(g * cout_g, (g + 1) * cout_g), *where)] += contrib
    crop = tuple(slice(p, c - p) for p, c in zip(padding, canvas))
    return full[(slice(None), slice(None), *crop)] + b.reshape((-1,) + (1,) * dims)


register(
    OpSpec(
        "conv_transpose2d", F.conv_transpose2d, TF.conv_transpose2d, _conv_transpose_np, 3, case=_conv_transpose_case(2)
    )
)
register(
    OpSpec(
        "conv_transpose1d", F.conv_transpose1d, TF.conv_transpose1d, _conv_transpose_np, 3, case=_conv_transpose_case(1)
    )
)
