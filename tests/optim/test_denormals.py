"""Running averages never hold subnormal numbers where the gradient is 0 (dead ReLU units): they
are flushed to zero before they get there (SPEC section 5), without changing the results."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import optim
from tests.optim.oracle import assert_params_close, make_params, set_grads

DECAYING = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "momentum_buffer", "square_avg", "grad_avg")


def _count_subnormal(opt) -> int:
    count = 0
    for state in opt.state.values():
        for key in DECAYING:
            if key in state:
                x = state[key]
                count += np.count_nonzero((x != 0) & (np.abs(x) < np.finfo(x.dtype).smallest_normal))
    return count


def test_float32_adam_with_dead_units_never_goes_subnormal_and_matches_torch():
    """The SPEC's trap as it happens: 50 live steps, then half the units get gradient 0."""
    ours, theirs = make_params([(40,), (8, 5)], np.float32, seed=0)
    opt, topt = optim.Adam(ours, lr=1e-3), torch.optim.Adam(theirs, lr=1e-3)
    dead = [np.arange(40) % 2 == 0, np.zeros((8, 5), bool)]
    dead[1][:4] = True
    rng = np.random.default_rng(1)
    torch_subnormal = 0
    for step in range(1200):
        set_grads(ours, theirs, rng, zero_mask=dead if step >= 50 else None)
        opt.step()
        topt.step()
        assert _count_subnormal(opt) == 0, f"subnormal moments after step {step + 1}"
        texp = topt.state[theirs[0]]["exp_avg"].numpy()
        torch_subnormal += np.count_nonzero((texp != 0) & (np.abs(texp) < 1.17e-38))
    assert torch_subnormal > 0  # torch's moments did pass through subnormals: the trap was there
    assert np.all(opt.state[ours[0]]["exp_avg"][dead[0]] == 0)
    assert_params_close(ours, theirs, 1e-5)


CASES = [
    ("SGD", {"lr": 0.01, "momentum": 0.9}),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "dampening": 0.5}),
    ("Adam", {"lr": 1e-3}),
    ("Adam", {"lr": 1e-3, "betas": (0.3, 0.6), "amsgrad": True}),
    ("AdamW", {"lr": 1e-3}),
    ("RMSprop", {"lr": 1e-3, "alpha": 0.5, "momentum": 0.9, "centered": True}),
    ("RMSprop", {"lr": 1e-3, "alpha": 0.9}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("cls_name, kwargs", CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(CASES)])
def test_tiny_running_averages_are_flushed_before_going_subnormal(cls_name, kwargs, dtype):
    """Start the running averages just above the flush threshold (1e-30 float32, 1e-300 float64),
    then let them decay with zero gradients: no entry may ever be subnormal."""
    p = cr.tensor(np.ones(64, dtype), requires_grad=True)
    opt = getattr(optim, cls_name)([p], **kwargs)
    p.grad = np.ones(64, dtype)
    opt.step()
    start = 1e-28 if dtype == np.float32 else 1e-298
    rng = np.random.default_rng(0)
    for key in DECAYING:
        if key in opt.state[p]:
            opt.state[p][key][...] = start * rng.uniform(0.01, 100, 64)
    if "grad_avg" in opt.state[p]:  # keep the centered variance v - a^2 non-negative
        opt.state[p]["grad_avg"][...] = np.sqrt(opt.state[p]["square_avg"]) / 2
    p.grad = np.zeros(64, dtype)
    for step in range(600):
        opt.step()
        assert _count_subnormal(opt) == 0, f"subnormal state after {step + 1} zero-grad steps"
        assert np.all(np.isfinite(p.detach().numpy()))
    assert all(not np.any(opt.state[p][k]) for k in ("exp_avg", "momentum_buffer", "grad_avg") if k in opt.state[p])


def test_without_eps_the_second_moment_is_left_alone():
    """With eps = 0 a flushed v could divide by zero, so v is not flushed (m still is)."""
    p = cr.tensor(np.ones(4, np.float32), requires_grad=True)
    opt = optim.Adam([p], lr=1e-3, eps=0.0)
    p.grad = np.ones(4, np.float32)
    opt.step()
    opt.state[p]["exp_avg"][...] = 1e-29
    opt.state[p]["exp_avg_sq"][...] = 1e-36
    p.grad = np.zeros(4, np.float32)
    for _ in range(200):
        opt.step()
    assert np.all(opt.state[p]["exp_avg"] == 0) and np.all(opt.state[p]["exp_avg_sq"] > 0)
    assert np.all(np.isfinite(p.detach().numpy()))


def test_a_parameter_updated_only_every_other_step_is_flushed_too():
    """The flush period counts each parameter's own updates, not optimizer steps."""
    always = cr.tensor(np.ones(8, np.float32), requires_grad=True)
    sometimes = cr.tensor(np.ones(8, np.float32), requires_grad=True)
    opt = optim.SGD([always, sometimes], lr=0.01, momentum=0.9)
    always.grad = sometimes.grad = np.ones(8, np.float32)
    opt.step()
    opt.state[sometimes]["momentum_buffer"][...] = 1e-28
    for step in range(800):
        always.grad = np.zeros(8, np.float32)
        sometimes.grad = np.zeros(8, np.float32) if step % 2 else None
        opt.step()
        assert _count_subnormal(opt) == 0, f"subnormal state after {step + 1} steps"
