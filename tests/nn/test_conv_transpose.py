"""ConvTranspose1d/2d against torch.nn: the same weights give the same outputs and gradients; weight layout
(in, out / groups, *k), state_dict, repr, default init, output_size, errors; and the defining property:
conv_transpose2d is the adjoint (the input gradient) of conv2d with the same weight."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from tests.nn.test_more_layers import match_torch, same_state_layout
from tests.oracle import assert_close

RNG = np.random.default_rng(1)

CASES_2D = [
    (3, 4, 3, {}),
    (2, 6, (3, 2), {"stride": 2, "padding": 1, "output_padding": 1}),
    (4, 6, 2, {"stride": (2, 3), "groups": 2, "bias": False}),
    (2, 2, 3, {"dilation": 2, "padding": (2, 1), "output_padding": (1, 0)}),
    (6, 3, 4, {"stride": 2, "padding": 1, "groups": 3}),  # the DCGAN generator's upsampling block
    (1, 1, 1, {"stride": 3, "output_padding": 2}),
]


@pytest.mark.parametrize("cin, cout, k, kwargs", CASES_2D)
def test_conv_transpose2d_matches_torch(cin, cout, k, kwargs):
    ours, theirs = nn.ConvTranspose2d(cin, cout, k, **kwargs), torch.nn.ConvTranspose2d(cin, cout, k, **kwargs)
    assert repr(ours) == repr(theirs)
    same_state_layout(ours, theirs)  # weight (in, out / groups, kh, kw), bias (out,)
    out = match_torch(ours, theirs, RNG.standard_normal((2, cin, 4, 5)))
    assert out.shape == tuple(theirs(torch.zeros(2, cin, 4, 5, dtype=torch.float64)).shape)


@pytest.mark.parametrize(
    "cin, cout, k, kwargs",
    [
        (3, 4, 3, {}),
        (2, 4, 2, {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
        (2, 3, 3, {"dilation": 3, "bias": False}),
    ],
)
def test_conv_transpose1d_matches_torch(cin, cout, k, kwargs):
    ours, theirs = nn.ConvTranspose1d(cin, cout, k, **kwargs), torch.nn.ConvTranspose1d(cin, cout, k, **kwargs)
    assert repr(ours) == repr(theirs)
    same_state_layout(ours, theirs)
    match_torch(ours, theirs, RNG.standard_normal((3, cin, 6)))


def test_unbatched_input_as_torch():
    ours, theirs = nn.ConvTranspose2d(2, 3, 2, stride=2), torch.nn.ConvTranspose2d(2, 3, 2, stride=2)
    out = match_torch(ours, theirs, RNG.standard_normal((2, 3, 4)))
    assert out.shape == (3, 6, 8)
    ours1, theirs1 = nn.ConvTranspose1d(2, 3, 3), torch.nn.ConvTranspose1d(2, 3, 3)
    assert match_torch(ours1, theirs1, RNG.standard_normal((2, 5))).shape == (3, 7)


@pytest.mark.parametrize("output_size", [(8, 10), (7, 9), [2, 3, 8, 9]])
def test_output_size_picks_output_padding_as_torch(output_size):
    ours, theirs = (
        nn.ConvTranspose2d(3, 3, 3, stride=2, padding=1),
        torch.nn.ConvTranspose2d(3, 3, 3, stride=2, padding=1),
    )
    ours.double().load_state_dict(theirs.double().state_dict())
    x = RNG.standard_normal((2, 3, 4, 5))
    out, ref = ours(cr.tensor(x), output_size=output_size), theirs(torch.from_numpy(x), output_size=output_size)
    assert out.shape == tuple(ref.shape) == (2, 3, *output_size[-2:])
    assert_close(out.detach().numpy(), ref.detach().numpy(), name="output", who="torch")


def test_upsampling_inverts_a_strided_conv_shape():
    """The usual encoder/decoder pairing: a stride-2 conv halves, the matching transposed conv restores."""
    x = cr.tensor(RNG.standard_normal((2, 3, 14, 14)).astype(np.float32))
    down = nn.Conv2d(3, 8, 3, stride=2, padding=1)
    up = nn.ConvTranspose2d(8, 3, 3, stride=2, padding=1, output_padding=1)
    y = up(down(x))
    assert y.shape == x.shape and y.dtype == np.float32
    y.sum().backward()
    assert down.weight.grad.shape == down.weight.shape and up.weight.grad.shape == (8, 3, 3, 3)


@pytest.mark.parametrize(
    "stride, padding, dilation, groups", [(1, 0, 1, 1), (2, 1, 1, 1), (3, 2, 2, 1), ((2, 1), (0, 1), (1, 2), 2)]
)
def test_conv_transpose_is_the_adjoint_of_conv(stride, padding, dilation, groups):
    """<conv2d(x, W), y> = <x, conv_transpose2d(y, W)> for every x, y: the forward is the conv's input gradient."""
    w = RNG.standard_normal((4, 6 // groups, 3, 2))  # conv: 6 -> 4 channels; transposed: 4 -> 6
    x = RNG.standard_normal((2, 6, 7, 8))
    conv = F.conv2d if groups == 1 else None
    if conv is None:  # grouped conv through the layer (functional conv2d takes no groups)
        layer = nn.Conv2d(6, 4, (3, 2), stride, padding, dilation, groups=groups, bias=False).double()
        layer.weight.data = cr.tensor(w)
        y_of_x = layer(cr.tensor(x)).detach()
    else:
        y_of_x = conv(cr.tensor(x), cr.tensor(w), None, stride, padding, dilation)
    y = RNG.standard_normal(tuple(y_of_x.shape))
    s, p, d = (v if isinstance(v, tuple) else (v, v) for v in (stride, padding, dilation))
    # the rows/columns the strided conv never reached come back as output_padding
    op = tuple((size + 2 * pi - di * (k - 1) - 1) % si for size, pi, di, k, si in zip((7, 8), p, d, (3, 2), s))
    xt = F.conv_transpose2d(cr.tensor(y), cr.tensor(w), None, stride, padding, op, groups, dilation)
    assert xt.shape == x.shape
    assert math.isclose(float((y_of_x.numpy() * y).sum()), float((x * xt.numpy()).sum()), rel_tol=1e-10)


def test_default_init_is_kaiming_uniform_on_the_transposed_fan():
    """torch: U(+-1/sqrt(fan_in)) with fan_in = weight.shape[1] * kh * kw = out / groups * kh * kw."""
    cr.manual_seed(0)
    layer = nn.ConvTranspose2d(64, 12, 3, groups=2)
    bound = 1 / math.sqrt(12 // 2 * 9)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert w.shape == (64, 6, 3, 3) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound  # fills the whole range
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound  # uniform's std
    assert np.abs(b).max() <= bound
    assert torch.nn.ConvTranspose2d(64, 12, 3, groups=2).weight.abs().max().item() <= bound


def test_state_dict_moves_between_the_libraries():
    theirs = torch.nn.ConvTranspose2d(4, 2, 3, stride=2)
    ours = nn.ConvTranspose2d(4, 2, 3, stride=2)
    ours.load_state_dict(theirs.state_dict())
    back = torch.nn.ConvTranspose2d(4, 2, 3, stride=2)
    back.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    x = RNG.standard_normal((1, 4, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(
        ours(cr.tensor(x)).detach().numpy(), back(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )


def test_errors_name_the_layer_and_sizes():
    layer = nn.ConvTranspose2d(2, 4, 3)
    with pytest.raises(RuntimeError, match=r"ConvTranspose2d\(2, 4, k=3x3\): input has 3 channels, expected 2"):
        layer(cr.ones(1, 3, 4, 4))
    with pytest.raises(RuntimeError, match="expected input.*to have 2 channels, but got 3"):
        torch.nn.ConvTranspose2d(2, 4, 3)(torch.ones(1, 3, 4, 4))
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(2, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        torch.nn.ConvTranspose2d(2, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"must both be divisible by groups \(2\)"):
        nn.ConvTranspose2d(3, 4, 3, groups=2)
    with pytest.raises(RuntimeError, match="output_padding must be smaller than either stride or dilation"):
        F.conv_transpose2d(cr.ones(1, 2, 3, 3), cr.ones(2, 1, 3, 3), output_padding=1)
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        torch.nn.functional.conv_transpose2d(torch.ones(1, 2, 3, 3), torch.ones(2, 1, 3, 3), output_padding=1)
    with pytest.raises(RuntimeError, match=r"output size per channel \(-1, -1\) is too small"):
        F.conv_transpose2d(cr.ones(1, 2, 1, 1), cr.ones(2, 1, 1, 1), padding=1)
    with pytest.raises(
        ValueError,
        match=r"requested an output size of \[12, 12\], but valid sizes range from "
        r"\[7, 7\] to \[8, 8\] \(for an input of \[4, 4\]\)",
    ):
        nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1)(cr.ones(1, 2, 4, 4), output_size=(12, 12))
    with pytest.raises(ValueError, match=r"requested an output size of \(12, 12\), but valid sizes range from"):
        torch.nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1)(torch.ones(1, 2, 4, 4), output_size=(12, 12))
    with pytest.raises(RuntimeError, match=r"bias has shape \(3,\), expected \(4,\)"):
        F.conv_transpose2d(cr.ones(1, 2, 3, 3), cr.ones(2, 2, 3, 3), cr.ones(3), groups=2)
    with pytest.raises(RuntimeError, match=r"expected a 2-D \(unbatched\) or 3-D input \(N, C, L\)"):
        nn.ConvTranspose1d(2, 2, 3)(cr.ones(2))
