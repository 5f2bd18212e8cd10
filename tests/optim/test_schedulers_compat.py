"""ExponentialLR, MultiStepLR, LambdaLR and ReduceLROnPlateau against torch.optim.lr_scheduler: the same
learning rates step by step (get_last_lr and the groups' lr), step(epoch)'s closed forms, state dicts,
errors."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import optim
from chainrule.optim import lr_scheduler

STEPS = 25


def _pair(opt_name="SGD", lrs=(0.1, 0.02), **opt_kwargs):
    """Two-group optimizers (chainrule, torch) with one parameter per group."""
    ours = [cr.tensor(np.zeros(2), requires_grad=True) for _ in lrs]
    theirs = [torch.zeros(2, requires_grad=True) for _ in lrs]
    opt = getattr(optim, opt_name)([{"params": [p], "lr": lr} for p, lr in zip(ours, lrs)], **opt_kwargs)
    topt = getattr(torch.optim, opt_name)([{"params": [p], "lr": lr} for p, lr in zip(theirs, lrs)], **opt_kwargs)
    return opt, topt


def _same_lrs(sched, tsched, step):
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-14), f"get_last_lr at step {step}"
    ours = [g["lr"] for g in sched.optimizer.param_groups]
    assert ours == pytest.approx([g["lr"] for g in tsched.optimizer.param_groups], rel=1e-14), f"lr at step {step}"


def _decay(step):
    return 0.9**step


class _Warmup:
    """A callable object: LambdaLR saves its attributes in state_dict()."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, step):
        return min(1.0, (step + 1) / self.steps)


SCHEDULES = [
    ("ExponentialLR", {"gamma": 0.9}),
    ("ExponentialLR", {"gamma": 1.05}),
    ("MultiStepLR", {"milestones": [3, 8, 8, 15]}),
    ("MultiStepLR", {"milestones": [20, 5], "gamma": 0.5}),
    ("LambdaLR", {"lr_lambda": lambda step: 0.95**step}),
    ("LambdaLR", {"lr_lambda": [_decay, _Warmup(5)]}),
]


@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=[f"{s[0]}-{i}" for i, s in enumerate(SCHEDULES)])
@pytest.mark.parametrize("opt_name", ["SGD", "Adadelta"])
def test_schedule_matches_torch_step_by_step(name, kwargs, opt_name):
    opt, topt = _pair(opt_name)
    sched, tsched = getattr(lr_scheduler, name)(opt, **kwargs), getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    for step in range(STEPS):
        _same_lrs(sched, tsched, step)
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    assert sched.last_epoch == tsched.last_epoch == STEPS


@pytest.mark.parametrize("name, kwargs", [s for s in SCHEDULES if s[0] != "LambdaLR"])
def test_step_with_an_epoch_uses_torch_closed_form(name, kwargs):
    opt, topt = _pair()
    sched, tsched = getattr(lr_scheduler, name)(opt, **kwargs), getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (4, 9, 2, 16):
            opt.step()
            topt.step()
            sched.step(epoch)
            tsched.step(epoch)
            _same_lrs(sched, tsched, epoch)


@pytest.mark.parametrize("name, kwargs", SCHEDULES[::2], ids=["ExponentialLR", "MultiStepLR", "LambdaLR"])
def test_state_dict_round_trip_resumes(name, kwargs):
    opt, topt = _pair()
    sched, tsched = getattr(lr_scheduler, name)(opt, **kwargs), getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    for _ in range(6):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    saved = sched.state_dict()
    if name == "LambdaLR":
        assert saved["lr_lambdas"] == [None, None]  # a lambda is left out, as torch
        pickle.dumps(saved)
    opt2, _ = _pair()
    opt2.load_state_dict(opt.state_dict())
    resumed = getattr(lr_scheduler, name)(opt2, **kwargs)
    resumed.load_state_dict(saved)
    for step in range(6, 12):
        opt2.step()
        topt.step()
        resumed.step()
        tsched.step()
        _same_lrs(resumed, tsched, step)


def test_lambda_lr_saves_a_callable_objects_attributes_like_torch():
    opt, topt = _pair()
    sched = lr_scheduler.LambdaLR(opt, [_decay, _Warmup(5)])
    tsched = torch.optim.lr_scheduler.LambdaLR(topt, [_decay, _Warmup(5)])
    assert sched.state_dict()["lr_lambdas"] == tsched.state_dict()["lr_lambdas"] == [None, {"steps": 5}]
    fresh = lr_scheduler.LambdaLR(opt, [_decay, _Warmup(99)])
    fresh.load_state_dict(sched.state_dict())
    assert fresh.lr_lambdas[1].steps == 5


def _metrics(n=60, seed=0):
    """A loss that falls, stalls with noise, falls again, then plateaus."""
    rng = np.random.default_rng(seed)
    curve = np.r_[np.linspace(1.0, 0.6, 10), np.full(14, 0.6), np.linspace(0.6, 0.3, 6), np.full(n - 30, 0.3)]
    return curve + rng.normal(0, 1e-5, n)


PLATEAUS = [
    {},
    {"patience": 2, "factor": 0.5},
    {"patience": 1, "cooldown": 3, "min_lr": 0.005, "factor": 0.3},
    {"patience": 0, "threshold": 0.05, "threshold_mode": "abs", "min_lr": [0.001, 0.0]},
    {"mode": "max", "patience": 2, "threshold": 0.01},
    {"mode": "max", "patience": 1, "threshold_mode": "abs", "eps": 0.05},
]


@pytest.mark.parametrize("kwargs", PLATEAUS, ids=[str(i) for i in range(len(PLATEAUS))])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    opt, topt = _pair("Adagrad")
    sched = lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    cuts = 0
    for step, metric in enumerate(_metrics()):
        metric = 2 - metric if kwargs.get("mode") == "max" else metric  # an accuracy-like rising curve
        opt.step()
        topt.step()
        before = sched.get_last_lr()
        sched.step(cr.tensor(metric) if step % 2 else metric)  # a float or a one-element tensor
        tsched.step(metric)
        cuts += sched.get_last_lr() != before
        _same_lrs(sched, tsched, step)
        assert (sched.best, sched.num_bad_epochs, sched.cooldown_counter) == (
            tsched.best,
            tsched.num_bad_epochs,
            tsched.cooldown_counter,
        )
    assert cuts > 0  # the schedule did act


def test_reduce_lr_on_plateau_state_dict_round_trip():
    opt, _ = _pair()
    sched = lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=1)
    for metric in (0.1, 0.2, 0.2, 0.2):
        sched.step(metric)
    fresh = lr_scheduler.ReduceLROnPlateau(opt)
    fresh.load_state_dict(sched.state_dict())
    assert (fresh.mode, fresh.best, fresh.num_bad_epochs, fresh.mode_worse) == ("max", 0.2, 0, -np.inf)
    assert isinstance(fresh, lr_scheduler.LRScheduler)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor should be < 1.0"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError, "mode must be 'min' or 'max'"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError, "threshold_mode"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 min_lrs"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(object()), TypeError, "is not an Optimizer"),
        (lambda o: lr_scheduler.LambdaLR(o, [_decay]), ValueError, "expected 2 lr_lambdas"),
        (lambda o: lr_scheduler.LambdaLR(o, 0.5), TypeError, "must be callable"),
    ],
)
def test_bad_arguments_raise(make, error, match):
    opt, _ = _pair()
    with pytest.raises(error, match=match):
        make(opt)


def test_exports():
    for name in ("ExponentialLR", "MultiStepLR", "LambdaLR", "ReduceLROnPlateau"):
        assert getattr(optim, name) is getattr(lr_scheduler, name)
    for name in ("Adadelta", "Adagrad"):
        assert name in optim.__all__
