"""StepLR, CosineAnnealingLR, OneCycleLR against torch.optim.lr_scheduler: the same learning rate
(and momentum / beta1 for OneCycleLR) at every step, state_dict round trips, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import optim
from chainrule.optim import lr_scheduler

STEPS = 30


def _pair(opt_name, opt_kwargs, lrs=(0.1, 0.02)):
    """Two-group optimizers (chainrule, torch) with one parameter per group."""
    ours = [cr.tensor(np.zeros(2), requires_grad=True) for _ in lrs]
    theirs = [torch.zeros(2, requires_grad=True) for _ in lrs]
    opt = getattr(optim, opt_name)([{"params": [p], "lr": lr} for p, lr in zip(ours, lrs)], **opt_kwargs)
    topt = getattr(torch.optim, opt_name)([{"params": [p], "lr": lr} for p, lr in zip(theirs, lrs)], **opt_kwargs)
    return opt, topt


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def _run(sched, tsched, steps=STEPS):
    """Step both (optimizer first, as PyTorch asks) and compare lr and momentum at every step."""
    opt, topt = sched.optimizer, tsched.optimizer
    for step in range(steps + 1):
        np.testing.assert_allclose(
            sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-13, atol=0, err_msg=f"lr at step {step}"
        )
        assert [g["lr"] for g in opt.param_groups] == pytest.approx([g["lr"] for g in topt.param_groups], rel=1e-13)
        assert _momenta(opt) == pytest.approx(_momenta(topt), rel=1e-13)
        if step < steps:
            opt.step()
            topt.step()
            sched.step()
            tsched.step()


SCHEDULES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}, "SGD", {}),
    ("StepLR", {"step_size": 7}, "Adam", {}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}, "SGD", {}),  # 30 steps: past T_max
    ("CosineAnnealingLR", {"T_max": 30}, "Adam", {}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": STEPS}, "SGD", {"momentum": 0.9}),
    ("OneCycleLR", {"max_lr": [0.5, 0.1], "epochs": 3, "steps_per_epoch": 10, "anneal_strategy": "linear"}, "Adam", {}),
    (
        "OneCycleLR",
        {
            "max_lr": 1.0,
            "total_steps": STEPS,
            "three_phase": True,
            "pct_start": 0.25,
            "div_factor": 10.0,
            "final_div_factor": 100.0,
        },
        "AdamW",
        {},
    ),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": STEPS, "cycle_momentum": False}, "SGD", {}),
    (
        "OneCycleLR",
        {"max_lr": 0.3, "total_steps": STEPS, "base_momentum": [0.8, 0.7], "max_momentum": 0.9},
        "RMSprop",
        {"momentum": 0.5},
    ),
]


@pytest.mark.parametrize(
    "name, kwargs, opt_name, opt_kwargs", SCHEDULES, ids=[f"{s[0]}-{i}" for i, s in enumerate(SCHEDULES)]
)
def test_schedule_matches_torch(name, kwargs, opt_name, opt_kwargs):
    opt, topt = _pair(opt_name, opt_kwargs)
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    _run(sched, tsched)


def test_cosine_matches_its_closed_form():
    opt, _ = _pair("SGD", {}, lrs=(0.1,))
    sched = optim.CosineAnnealingLR(opt, T_max=12, eta_min=0.01)
    for t in range(1, 25):
        opt.step()
        sched.step()
        expected = 0.01 + (0.1 - 0.01) * (1 + np.cos(np.pi * t / 12)) / 2
        assert sched.get_last_lr()[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "name, kwargs", [("StepLR", {"step_size": 4, "gamma": 0.3}), ("CosineAnnealingLR", {"T_max": 9, "eta_min": 0.01})]
)
def test_step_with_an_epoch_uses_the_closed_form_like_torch(name, kwargs):
    opt, topt = _pair("SGD", {})
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (5, 13, 2):
            sched.step(epoch)
            tsched.step(epoch)
            np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-13)


@pytest.mark.parametrize(
    "name, kwargs, opt_name",
    [
        ("StepLR", {"step_size": 4, "gamma": 0.3}, "SGD"),
        ("CosineAnnealingLR", {"T_max": 8}, "Adam"),
        ("OneCycleLR", {"max_lr": 0.4, "total_steps": 25}, "Adam"),
        ("OneCycleLR", {"max_lr": 0.4, "total_steps": 25}, "SGD"),
    ],
)
def test_state_dict_round_trip_resumes_the_schedule(name, kwargs, opt_name):
    opt_kwargs = {"momentum": 0.9} if opt_name == "SGD" else {}
    opt, _ = _pair(opt_name, opt_kwargs)
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    for _ in range(10):
        opt.step()
        sched.step()
    saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
    straight = []
    for _ in range(12):
        opt.step()
        sched.step()
        straight.append((sched.get_last_lr(), _momenta(opt)))

    opt2, _ = _pair(opt_name, opt_kwargs, lrs=(9.0, 9.0))
    sched2 = getattr(lr_scheduler, name)(opt2, **kwargs)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    resumed = []
    for _ in range(12):
        opt2.step()
        sched2.step()
        resumed.append((sched2.get_last_lr(), _momenta(opt2)))
    assert resumed == straight
    assert "optimizer" not in saved_sched and saved_sched["last_epoch"] == 10


def test_onecycle_past_total_steps_is_an_error():
    opt, _ = _pair("SGD", {"momentum": 0.9})
    sched = optim.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="total_steps is 3"):
        sched.step()


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda o: optim.OneCycleLR(o, max_lr=0.1), "total_steps or"),
        (lambda o: optim.OneCycleLR(o, max_lr=0.1, total_steps=0), "total_steps, got 0"),
        (lambda o: optim.OneCycleLR(o, max_lr=0.1, epochs=2, steps_per_epoch=-1), "steps_per_epoch"),
        (lambda o: optim.OneCycleLR(o, max_lr=0.1, total_steps=5, pct_start=1.5), "pct_start"),
        (lambda o: optim.OneCycleLR(o, max_lr=0.1, total_steps=5, anneal_strategy="exp"), "'cos'"),
        (lambda o: optim.OneCycleLR(o, max_lr=[0.1, 0.2, 0.3], total_steps=5), "max_lr has 3 values"),
        (lambda o: optim.StepLR(o, step_size=0), "step_size"),
        (lambda o: optim.CosineAnnealingLR(o, T_max=0), "T_max"),
    ],
)
def test_bad_scheduler_arguments_raise(make, match):
    opt, _ = _pair("SGD", {"momentum": 0.9})
    with pytest.raises(ValueError, match=match):
        make(opt)


def test_cycle_momentum_needs_momentum_or_betas():
    class Plain(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

    opt = Plain([cr.tensor(np.zeros(2), requires_grad=True)])
    with pytest.raises(ValueError, match="cycle_momentum"):
        optim.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    optim.OneCycleLR(opt, max_lr=0.1, total_steps=5, cycle_momentum=False)
    with pytest.raises(TypeError, match="not an Optimizer"):
        optim.StepLR(object(), step_size=2)


def test_warns_when_the_scheduler_steps_before_the_optimizer():
    opt, _ = _pair("SGD", {})
    sched = optim.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before optimizer.step"):
        sched.step()
    opt2, _ = _pair("SGD", {})
    sched2 = optim.StepLR(opt2, step_size=2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


def test_exports():
    assert optim.lr_scheduler.StepLR is optim.StepLR
    assert optim.lr_scheduler.OneCycleLR is optim.OneCycleLR
    assert optim.lr_scheduler.CosineAnnealingLR is optim.CosineAnnealingLR
