"""PyTorch as the oracle: run the same function in chainrule and torch (float64), compare values and grads."""

from __future__ import annotations

import numpy as np
import torch

import chainrule as cr
from tests.oracle import helper_test_op


def to_torch(a, requires_grad: bool = False) -> torch.Tensor:
    a = np.asarray(a.data if isinstance(a, cr.Tensor) else a)
    t = torch.tensor(a.astype(np.float64) if a.dtype.kind == "f" else a)
    return t.requires_grad_(requires_grad and a.dtype.kind == "f")


def compare_with_torch(
    ours, theirs, *arrays, rtol: float = 1e-7, atol: float = 1e-9, grad: bool = True, seed: int = 0
) -> None:
    """``ours(*cr tensors)`` and ``theirs(*torch tensors)`` agree in value and, with ``grad``, in the
    gradient of sum(upstream * out) for a random upstream, on every float input (made float64)."""
    arrays = [np.asarray(a) for a in arrays]
    inputs = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays]
    helper_test_op(None, theirs, ours, inputs=inputs, atol=atol, rtol=rtol, forward_only=not grad, seed=seed)
