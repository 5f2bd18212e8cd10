"""Layers on the GPU (or its stand-in) against the CPU: convolutions with every padding mode,
pooling, linear, normalisation, dropout and the losses, forward and backward."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.backend.devices as D
import chainrule.nn.functional as F
from tests.ops.test_conv import conv_case

TOL = dict(rtol=1e-9, atol=1e-10)


def _both(fn, arrays, device, seed=3, **kwargs):
    """fn on tensors of ``arrays`` on ``device``: (output, input gradients), all on the host."""
    inputs = [cr.tensor(a, requires_grad=a.dtype.kind == "f", device=device) if a is not None else None for a in arrays]
    out = fn(*inputs, **kwargs)
    assert out.device == device
    if out.requires_grad:
        upstream = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
        out.backward(cr.tensor(upstream, device=device))
    grads = []
    for t in inputs:
        if t is not None and t.grad is not None:
            assert t.grad.device == device and D.is_cuda_array(t.grad._data) == (device != "cpu"), (
                "a gradient left its device"
            )
            grads.append(t.grad.cpu().numpy())
    return out.detach().cpu().numpy(), grads


def check(fn, arrays, gpu, **kwargs):
    ref_out, ref_grads = _both(fn, arrays, "cpu", **kwargs)
    out, grads = _both(fn, arrays, gpu, **kwargs)
    np.testing.assert_allclose(out, ref_out, **TOL)
    assert len(grads) == len(ref_grads)
    for g, r in zip(grads, ref_grads):
        np.testing.assert_allclose(g, r, **TOL)


@given(conv_case(2))
def test_conv2d_every_padding_mode(gpu, case):
    x, w, b, stride, padding, dilation, mode, value = case
    check(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, padding_mode=mode, value=value), [x, w, b], gpu)


@given(conv_case(2))
def test_inference_conv2d_in_batch_chunks(gpu, case):
    x, w, b, stride, padding, dilation, mode, value = case
    with cr.no_grad():
        check(
            lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, padding_mode=mode, value=value), [x, w, b], gpu
        )


@given(conv_case(1))
def test_conv1d(gpu, case):
    x, w, b, stride, padding, dilation, mode, value = case
    check(lambda x, w, b: F.conv1d(x, w, b, stride, padding, dilation, padding_mode=mode, value=value), [x, w, b], gpu)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad(gpu, mode):
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 6))
    check(lambda x: F.pad(x, (1, 2, 2, 1), mode=mode, value=0.5), [x], gpu)


@given(k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1), ceil=st.booleans(), seed=st.integers(0, 99))
def test_pooling(gpu, k, s, p, ceil, seed):
    if p > k // 2:
        p = 0
    x = np.random.default_rng(seed).permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) / 10.0  # no ties
    check(lambda x: F.max_pool2d(x, k, s, p, ceil_mode=ceil), [x], gpu)
    check(lambda x: F.avg_pool2d(x, k, s, p), [x], gpu)


def test_linear_softmax_and_losses(gpu):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((6, 5)), rng.standard_normal((4, 5)), rng.standard_normal(4)
    check(lambda x, w, b: F.linear(x, w, b), [x, w, b], gpu)
    check(lambda x: F.softmax(x, dim=1), [x], gpu)
    check(lambda x: F.log_softmax(x, dim=0), [x], gpu)
    target = rng.integers(0, 5, 6)
    for reduction in ("mean", "sum", "none"):
        check(lambda x, t, r=reduction: F.cross_entropy(x, t, reduction=r), [x, target], gpu)
    check(lambda x, y: F.mse_loss(x, y), [x, rng.standard_normal((6, 5))], gpu)


def test_batch_norm_and_its_running_statistics(gpu):
    x = np.random.default_rng(2).standard_normal((8, 3, 4, 4))
    outs = {}
    for device in ("cpu", gpu):
        cr.manual_seed(0)
        bn = cr.nn.BatchNorm2d(3).double().to(device)
        out, grads = _both(bn, [x], device)
        bn.eval()
        with cr.no_grad():
            evaluated = bn(cr.tensor(x, device=device)).cpu().numpy()
        outs[device] = (out, grads, evaluated, bn.running_mean.cpu().numpy(), bn.running_var.cpu().numpy())
    for ours, ref in zip(outs[gpu], outs["cpu"]):
        for a, r in zip(ours if isinstance(ours, list) else [ours], ref if isinstance(ref, list) else [ref]):
            np.testing.assert_allclose(a, r, **TOL)


def test_dropout_draws_the_same_mask_on_every_device(gpu):
    x = np.random.default_rng(3).standard_normal((5, 40))
    results = []
    for device in ("cpu", gpu):
        cr.manual_seed(11)
        results.append(_both(lambda t: F.dropout(t, 0.4, training=True), [x], device))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1][0], results[1][1][0])


def test_lecture_networks_forward_and_backward(gpu):
    x = np.random.default_rng(4).random((4, 1, 28, 28)).astype(np.float32)
    y = np.array([3, 1, 4, 1])
    for name in ("shallow", "deep"):
        grads = {}
        for device in ("cpu", gpu):
            cr.manual_seed(5)
            model = cr.models.get_model(name).to(device)
            loss = F.cross_entropy(model(cr.tensor(x, device=device)), cr.tensor(y, device=device))
            loss.backward()
            grads[device] = [p.grad.cpu().numpy() for p in model.parameters()]
        for g, r in zip(grads[gpu], grads["cpu"]):
            np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-6)
