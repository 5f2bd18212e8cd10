"""F.pad and the padding normaliser against PyTorch (float64) and numerical gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given
from hypothesis import strategies as st

import chainrule as cr
from chainrule.ops.pad import normalize_padding, pad


@st.composite
def pad_case(draw):
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    # PyTorch pads the last 1..3 dims of a (N, C, *spatial) tensor for non-constant modes
    spatial = draw(st.integers(1, 2)) if mode != "constant" else draw(st.integers(1, 3))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + tuple(draw(st.integers(1, 6)) for _ in range(spatial))
    pads = tuple(draw(st.integers(0, 4)) for _ in range(2 * spatial))
    for k in range(spatial):
        size = shape[-1 - k]
        widest = max(pads[2 * k], pads[2 * k + 1])
        if mode == "reflect":
            assume(widest < size)
        if mode == "circular":
            assume(widest <= size)
    x = np.random.default_rng(draw(st.integers(0, 999))).standard_normal(shape)
    return x, pads, mode, draw(st.sampled_from([0.0, -2.5]))


@given(pad_case())
def test_pad_matches_torch(case):
    x, pads, mode, value = case
    tx = torch.tensor(x, requires_grad=True)
    ref = TF.pad(tx, pads, mode=mode, value=value) if mode == "constant" else TF.pad(tx, pads, mode=mode)
    upstream = np.random.default_rng(0).standard_normal(tuple(ref.shape))
    ref.backward(torch.tensor(upstream))
    cx = cr.tensor(x, requires_grad=True)
    out = pad(cx, pads, mode=mode, value=value)
    out.backward(upstream)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(cx.grad, tx.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_grad_check(mode):
    x = np.random.default_rng(1).standard_normal((2, 2, 4, 5))
    cr.grad_check(lambda x: pad(x, (2, 1, 3, 0), mode=mode, value=0.5) ** 2, x)


def test_pad_order_is_last_dim_first():
    out = pad(cr.zeros(1, 1, 2, 3), (1, 2, 3, 4))
    assert out.shape == (1, 1, 2 + 3 + 4, 3 + 1 + 2)


def test_normalize_padding_forms():
    k, s, d = (3, 5), (1, 2), (1, 1)
    assert normalize_padding(2, k, s, d, (8, 8), "t") == ((2, 2), (2, 2))
    assert normalize_padding((1, (0, 2)), k, s, d, (8, 8), "t") == ((1, 1), (0, 2))
    assert normalize_padding("valid", k, s, d, (8, 8), "t") == ((0, 0), (0, 0))
    assert normalize_padding("full", k, s, (2, 1), (8, 8), "t") == ((4, 4), (4, 4))
    # same, stride 2, input 8, kernel 5: out 4, total = 3*2 + 5 - 8 = 3 -> (1, 2): extra at the end
    assert normalize_padding("same", k, s, d, (8, 8), "t") == ((1, 1), (1, 2))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"pad": (1, 2, 3)}, r"pad must be a tuple of 2\*k ints"),
        ({"pad": (5, 0), "mode": "reflect"}, r"reflect padding 5 on dimension 3 needs pad < size, .* size 4"),
        ({"pad": (0, 0, 0, 6), "mode": "circular"}, r"circular padding 6 on dimension 2 .* size 3"),
        ({"pad": (1, 1), "mode": "wrap"}, r"padding mode must be one of"),
        ({"pad": (-3, -2)}, r"cropping 3 \+ 2 from dimension 3 of size 4 leaves less than nothing"),
        ({"pad": (1.5, 1)}, r"pad sizes must be ints"),
    ],
)
def test_pad_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pad(cr.zeros(1, 2, 3, 4), **kwargs)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("amounts", [(-1, 2, 0, 0), (2, -1, -1, 1), (-2, -1, 0, 0), (0, 0, -1, -1), (-1, 0, 1, -1)])
def test_negative_padding_crops_as_torch(mode, amounts):
    """A negative amount crops (first), then the rest pads: values and gradients as PyTorch's."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1, 2, 3, 4))
    x = cr.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    y, ty = (
        pad(x, amounts, mode=mode, value=0.5),
        TF.pad(t, amounts, mode=mode, value=0.5 if mode == "constant" else None),
    )
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    g = rng.standard_normal(ty.shape)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())
