"""PyTorch as the oracle: run the same function in chainrule and torch (float64), compare values and grads."""

from __future__ import annotations

import numpy as np
import torch

import chainrule as cr


def to_torch(a, requires_grad: bool = False) -> torch.Tensor:
    a = np.asarray(a.data if isinstance(a, cr.Tensor) else a)
    t = torch.tensor(a.astype(np.float64) if a.dtype.kind == "f" else a)
    return t.requires_grad_(requires_grad and a.dtype.kind == "f")


def compare_with_torch(ours, theirs, *arrays, rtol: float = 1e-7, atol: float = 1e-9, grad: bool = True,
                       seed: int = 0) -> None:
    """``ours(*cr tensors)`` and ``theirs(*torch tensors)`` agree in value and, with ``grad``, in the
    gradient of sum(upstream * out) for a random upstream, on every float input."""
    arrays = [np.asarray(a) for a in arrays]
    mine = [cr.tensor(a.astype(np.float64), requires_grad=grad) if a.dtype.kind == "f" else cr.tensor(a)
            for a in arrays]
    ref = [to_torch(a, requires_grad=grad) for a in arrays]
    out, expected = ours(*mine), theirs(*ref)
    assert out.shape == tuple(expected.shape), (out.shape, tuple(expected.shape))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=atol)
    if not grad:
        return
    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for k, (m, r) in enumerate(zip(mine, ref)):
        if r.requires_grad:
            assert m.grad is not None, f"input {k} got no gradient"
            np.testing.assert_allclose(m.grad, r.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"input {k}")
