"""Embedding, LayerNorm, GroupNorm, ConvTranspose and nn.utils on the GPU (or its stand-in) against the CPU:
the same seed gives the same outputs and parameter gradients, and nothing leaves the device."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.backend.devices as D
import chainrule.nn as nn

TOL = dict(rtol=1e-9, atol=1e-10)


def _run(make, x, device):
    """A seeded model from ``make`` on ``device``, fed ``x``: (output, parameter grads, weights) on the host."""
    cr.manual_seed(0)
    model = make().double().to(device)
    data = cr.tensor(x, device=device) if x.dtype.kind != "f" else cr.tensor(x, device=device, requires_grad=True)
    out = model(data)
    assert out.device == data.device
    out.backward(cr.tensor(np.random.default_rng(1).standard_normal(out.shape), device=device))
    grads = []
    for name, p in model.named_parameters():
        if p.grad is not None:
            assert D.is_cuda_array(p.grad._data) == (device != "cpu"), f"{name}.grad left its device"
            grads.append(p.grad.cpu().numpy())
    return out.detach().cpu().numpy(), grads, [p.detach().cpu().numpy() for p in model.parameters()]


@pytest.mark.parametrize(
    "make, x",
    [
        (lambda: nn.Embedding(7, 3, padding_idx=2, scale_grad_by_freq=True), np.array([[1, 2, 2], [6, 1, 0]])),
        (lambda: nn.Embedding(7, 3, max_norm=0.5), np.array([[1, 2, 2], [6, 1, 0]])),
        (lambda: nn.LayerNorm((3, 4)), np.random.default_rng(2).standard_normal((2, 5, 3, 4))),
        (lambda: nn.GroupNorm(2, 4), np.random.default_rng(3).standard_normal((3, 4, 5))),
        (
            lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
            np.random.default_rng(4).standard_normal((2, 4, 3, 5)),
        ),
        (lambda: nn.ConvTranspose1d(2, 3, 3, dilation=2), np.random.default_rng(5).standard_normal((2, 2, 6))),
        (
            lambda: nn.Sequential(nn.Linear(6, 6), nn.Unflatten(1, (2, 3))),
            np.random.default_rng(6).standard_normal((2, 6)),
        ),
    ],
)
def test_layer_on_device_matches_cpu(gpu, make, x):
    ref_out, ref_grads, ref_weights = _run(make, x, "cpu")
    out, grads, weights = _run(make, x, gpu)
    np.testing.assert_allclose(out, ref_out, **TOL)
    assert len(grads) == len(ref_grads) > 0
    for g, r in zip(grads, ref_grads):
        np.testing.assert_allclose(g, r, **TOL)
    for w, r in zip(weights, ref_weights):  # max_norm renormed the same rows in place
        np.testing.assert_allclose(w, r, **TOL)


def test_parameters_to_vector_stays_on_device(gpu):
    model = nn.Linear(3, 2).to(gpu)
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.device == model.weight.device and vec.shape == (8,)
    nn.utils.vector_to_parameters(vec * 2, model.parameters())
    assert D.is_cuda_array(model.weight._data)
