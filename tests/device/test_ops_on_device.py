"""Every registered op on the GPU (or its stand-in) against the same op on the CPU: forward values,
every input gradient, and that results and gradients stay on the device."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.backend.devices as D
from tests.oracle import OPS, assert_close

SPECS = list(OPS.values())


def _run(spec, arrays, kwargs, device, upstream_seed):
    inputs = [cr.tensor(a, requires_grad=a.dtype.kind == "f", device=device) for a in arrays]
    saved = cr.get_default_device()
    cr.set_default_device(device)  # tensors the spec itself builds (a loss weight, a mask) go there too
    try:
        out = spec.cr(*inputs, **kwargs)
    finally:
        cr.set_default_device(saved)
    if out.requires_grad:
        upstream = np.random.default_rng(upstream_seed).standard_normal(out.shape).astype(out.dtype)
        out.backward(cr.tensor(upstream, device=device))
    return out, inputs


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
@given(data=st.data())
def test_op_on_device_matches_cpu(gpu, spec, data):
    shapes, kwargs = spec.draw_case(data.draw)
    arrays = spec.inputs(shapes, data.draw(st.integers(0, 2**32 - 1), label="seed"))
    ref, ref_inputs = _run(spec, arrays, kwargs, "cpu", 7)
    out, inputs = _run(spec, arrays, kwargs, gpu, 7)
    assert out.device == gpu and D.is_cuda_array(out._data)
    assert_close(
        out.detach().cpu().numpy(),
        ref.detach().numpy(),
        atol=spec.atol,
        rtol=spec.rtol,
        name=f"{spec.name} forward",
        who="CPU",
    )
    for i, (t, r) in enumerate(zip(inputs, ref_inputs)):
        if r.grad is None:
            assert t.grad is None
            continue
        assert t.grad.device == gpu and D.is_cuda_array(t.grad._data), (
            f"{spec.name}: the gradient of input {i} left the device"
        )
        assert_close(
            t.grad.cpu().numpy(),
            r.grad.numpy(),
            atol=max(spec.atol, 1e-10),
            rtol=max(spec.rtol, 1e-9),
            name=f"{spec.name} d/dinput{i}",
            who="CPU",
        )


def test_moving_between_devices_passes_the_gradient_numerically(gpu):
    """``Tensor.to`` is an op (ToDevice): its identity gradient, copied back, against float64
    central differences, for a function that goes to the device and comes back."""
    x = np.random.default_rng(5).standard_normal((3, 4))

    def there_and_back(t):
        on_gpu = t.to(gpu)
        assert on_gpu.device == gpu
        return (on_gpu * on_gpu).exp().cpu()

    report = cr.grad_check(there_and_back, x)
    assert sorted(report) == [0]
