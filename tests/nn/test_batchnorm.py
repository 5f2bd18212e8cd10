"""BatchNorm1d / BatchNorm2d against torch.nn: several training steps, running statistics, eval outputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn as nn
from tests.nn.oracle import to_torch


def steps_vs_torch(ours, ref, shapes, seed=0):
    """Train-mode steps on random batches (comparing outputs and grads), then one eval step."""
    ours.double()
    ref.double()
    rng = np.random.default_rng(seed)
    if ours.affine:  # non-trivial gamma and beta, the same in both
        with torch.no_grad():
            ref.weight.copy_(torch.tensor(rng.uniform(0.5, 2, ref.num_features)))
            if ref.bias is not None:
                ref.bias.copy_(torch.tensor(rng.standard_normal(ref.num_features)))
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    for shape in shapes:
        x = rng.standard_normal(shape) * 3 + 1
        xc, xt = cr.tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
        out, expected = ours(xc), ref(xt)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-9, atol=1e-12)
        upstream = rng.standard_normal(out.shape)
        out.backward(upstream)
        expected.backward(torch.tensor(upstream))
        np.testing.assert_allclose(xc.grad, xt.grad.numpy(), rtol=1e-8, atol=1e-10)
    for (name, p), (ref_name, rp) in zip(ours.named_parameters(), ref.named_parameters()):
        assert name == ref_name
        np.testing.assert_allclose(p.grad, rp.grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=name)
    for key, value in ref.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-12, err_msg=key)
    x = rng.standard_normal(shapes[0])
    ours.eval()
    ref.eval()
    np.testing.assert_allclose(ours(cr.tensor(x)).data, ref(torch.tensor(x)).detach().numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batchnorm2d_matches_torch_over_steps(momentum):
    ours, ref = nn.BatchNorm2d(3, momentum=momentum), torch.nn.BatchNorm2d(3, momentum=momentum)
    steps_vs_torch(ours, ref, [(4, 3, 5, 5), (2, 3, 4, 6), (6, 3, 3, 3)])
    assert ours.num_batches_tracked.item() == 3
    assert repr(ours) == repr(ref)


@given(
    affine=st.booleans(),
    bias=st.booleans(),
    track=st.booleans(),
    layout=st.sampled_from([(), (4,)]),
    n=st.integers(2, 5),
    c=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_batchnorm1d_variants_match_torch(affine, bias, track, layout, n, c, seed):
    kw = dict(affine=affine, track_running_stats=track, bias=bias)
    ours, ref = nn.BatchNorm1d(c, **kw), torch.nn.BatchNorm1d(c, **kw)
    assert list(ours.state_dict()) == list(ref.state_dict())
    steps_vs_torch(ours, ref, [(n, c, *layout), (n + 1, c, *layout)], seed)
    assert repr(ours) == repr(ref)


def test_batchnorm_defaults_and_float32():
    bn = nn.BatchNorm2d(4)
    np.testing.assert_array_equal(bn.weight.data, 1)
    np.testing.assert_array_equal(bn.bias.data, 0)
    np.testing.assert_array_equal(bn.running_mean.data, 0)
    np.testing.assert_array_equal(bn.running_var.data, 1)
    out = bn(cr.randn(3, 4, 2, 2))
    assert out.dtype == np.float32 and bn.running_mean.dtype == np.float32
    bn.reset_running_stats()
    assert bn.num_batches_tracked.item() == 0 and (bn.running_var.data == 1).all()


def test_batchnorm_eval_uses_running_stats_and_does_not_update_them():
    bn = nn.BatchNorm1d(2).eval()
    bn.running_mean.data[...] = [1.0, -1.0]
    bn.running_var.data[...] = [4.0, 0.25]
    out = bn(cr.tensor([[3.0, 0.0]])).data  # one sample is fine in eval mode
    np.testing.assert_allclose(out, [[2.0 / np.sqrt(4 + 1e-5), 1.0 / np.sqrt(0.25 + 1e-5)]], rtol=1e-6)
    assert bn.num_batches_tracked.item() == 0 and bn.running_mean.data.tolist() == [1.0, -1.0]


def test_batchnorm_errors_name_the_layer():
    with pytest.raises(cr.ShapeError, match=r"BatchNorm2d\(10\): input has 3 channels, expected 10"):
        nn.BatchNorm2d(10)(cr.zeros(2, 3, 4, 4))
    with pytest.raises(cr.ShapeError, match=r"BatchNorm2d\(3\): expected input \(N, C, H, W\), got shape \(2, 3\)"):
        nn.BatchNorm2d(3)(cr.zeros(2, 3))
    with pytest.raises(cr.ShapeError, match=r"BatchNorm1d\(3\): expected input \(N, C\) or \(N, C, L\)"):
        nn.BatchNorm1d(3)(cr.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(cr.zeros(1, 3))
