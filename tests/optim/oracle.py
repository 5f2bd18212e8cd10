"""Run a chainrule optimizer and its torch.optim twin side by side on the same random gradients.

Gradients are set directly on ``.grad`` (the same arrays for both libraries): these tests check the
update rules, not the autograd.
"""

from __future__ import annotations

import numpy as np
import torch

import chainrule as cr
from chainrule import optim


def make_params(shapes, dtype, seed):
    """The same random start for both libraries: (chainrule tensors, torch tensors)."""
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ours = [cr.tensor(w.copy(), requires_grad=True) for w in start]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in start]
    return ours, theirs


def set_grads(ours, theirs, rng, zero_mask=None):
    """Same fresh N(0, 1) gradient on each pair; ``zero_mask[i]`` zeroes part of gradient i."""
    for i, (p, tp) in enumerate(zip(ours, theirs)):
        g = rng.standard_normal(p.shape).astype(p.dtype)
        if zero_mask is not None:
            g[zero_mask[i]] = 0
        p.grad = g.copy()
        tp.grad = torch.from_numpy(g.copy())


def split_groups(params, group_options):
    """Deal params round-robin into len(group_options) groups with those options."""
    n = len(group_options)
    return [{"params": params[i::n], **opts} for i, opts in enumerate(group_options)]


def assert_params_close(ours, theirs, tol, context=""):
    for i, (p, tp) in enumerate(zip(ours, theirs)):
        assert p.dtype == tp.detach().numpy().dtype, context
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=tol, atol=tol, err_msg=f"param {i} {context}")


def tolerance(dtype) -> float:
    return 1e-10 if np.dtype(dtype) == np.float64 else 1e-5


def run_pair(cls_name, kwargs, shapes, dtype, seed, checkpoints=(5, 20), groups=None):
    """Step both optimizers from the same start with the same gradients; compare at checkpoints."""
    ours, theirs = make_params(shapes, dtype, seed)
    ours_arg, theirs_arg = ours, theirs
    if groups is not None:
        ours_arg, theirs_arg = split_groups(ours, groups), split_groups(theirs, groups)
    opt = getattr(optim, cls_name)(ours_arg, **kwargs)
    topt = getattr(torch.optim, cls_name)(theirs_arg, **kwargs)
    rng = np.random.default_rng(seed + 1)
    for step in range(1, max(checkpoints) + 1):
        set_grads(ours, theirs, rng)
        opt.step()
        topt.step()
        if step in checkpoints:
            assert_params_close(
                ours, theirs, tolerance(dtype), f"{cls_name}({kwargs}) {np.dtype(dtype)} after {step} steps"
            )
    return opt, topt, ours, theirs
