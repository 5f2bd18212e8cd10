"""Adadelta and Adagrad against torch.optim: 5 and 20 steps from the same float64 (and float32) weights
with the same random gradients give the same weights (1e-10 / 1e-5); state dicts as torch's."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import optim
from tests.optim.oracle import make_params, run_pair, set_grads

SHAPES = [(3, 4), (5,), ()]


def _adadelta_grid():
    for lr, rho, eps, wd, maximize in itertools.product((1.0, 0.3), (0.9, 0.5), (1e-6, 1e-3), (0, 0.1), (False, True)):
        yield {"lr": lr, "rho": rho, "eps": eps, "weight_decay": wd, "maximize": maximize}


def _adagrad_grid():
    for lr_decay, wd, init, maximize in itertools.product((0, 0.05), (0, 0.1), (0, 0.5), (False, True)):
        yield {
            "lr": 0.1,
            "lr_decay": lr_decay,
            "weight_decay": wd,
            "initial_accumulator_value": init,
            "maximize": maximize,
        }


CASES = [("Adadelta", kw) for kw in _adadelta_grid()] + [("Adagrad", kw) for kw in _adagrad_grid()]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("cls_name, kwargs", CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(CASES)])
def test_grid_matches_torch(cls_name, kwargs, dtype):
    run_pair(cls_name, kwargs, SHAPES, dtype, seed=11)


@pytest.mark.parametrize("cls_name", ["Adadelta", "Adagrad"])
def test_defaults_match_torch(cls_name):
    run_pair(cls_name, {}, SHAPES, np.float64, seed=5, checkpoints=(1, 5, 50))


def test_parameter_groups_with_their_own_options_match_torch():
    run_pair("Adadelta", {}, SHAPES * 2, np.float64, seed=2, groups=[{"lr": 0.5}, {"rho": 0.7, "weight_decay": 0.1}])
    run_pair(
        "Adagrad",
        {"lr": 0.05},
        SHAPES * 2,
        np.float64,
        seed=2,
        groups=[{"lr_decay": 0.1}, {"initial_accumulator_value": 1.0}],
    )


@pytest.mark.parametrize("cls_name", ["Adadelta", "Adagrad"])
def test_state_dict_holds_torch_keys_and_values_and_resumes(cls_name):
    opt, topt, ours, theirs = run_pair(cls_name, {"weight_decay": 0.01}, SHAPES, np.float64, seed=3, checkpoints=(4,))
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"][0].keys() == tsd["param_groups"][0].keys()
    assert sd["param_groups"][0]["params"] == tsd["param_groups"][0]["params"]
    for i, tstate in tsd["state"].items():
        assert sd["state"][i].keys() == tstate.keys()
        assert sd["state"][i]["step"] == int(tstate["step"]) == 4
        for k, v in tstate.items():
            if k != "step":
                np.testing.assert_allclose(np.asarray(sd["state"][i][k]), v.numpy(), rtol=1e-12)
    # a fresh optimizer loaded from ours continues exactly as torch's does
    fresh = getattr(optim, cls_name)(ours, weight_decay=0.01)
    fresh.load_state_dict(sd)
    rng = np.random.default_rng(9)
    for _ in range(3):
        set_grads(ours, theirs, rng)
        fresh.step()
        topt.step()
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-10, atol=1e-10)


def test_adagrad_state_exists_before_the_first_step_like_torch():
    ours, theirs = make_params(SHAPES, np.float64, seed=0)
    sd = optim.Adagrad(ours, initial_accumulator_value=0.25).state_dict()
    tsd = torch.optim.Adagrad(theirs, initial_accumulator_value=0.25).state_dict()
    assert sorted(sd["state"]) == sorted(tsd["state"]) == [0, 1, 2]
    for i in tsd["state"]:
        np.testing.assert_array_equal(np.asarray(sd["state"][i]["sum"]), tsd["state"][i]["sum"].numpy())


def test_adagrad_group_added_later_gets_its_state_from_the_defaults_like_torch():
    ours = [cr.tensor(np.ones(n), requires_grad=True) for n in (2, 3)]
    theirs = [torch.ones(n, dtype=torch.float64, requires_grad=True) for n in (2, 3)]
    for lib, (a, b) in ((optim, ours), (torch.optim, theirs)):
        opt = lib.Adagrad([a], lr=0.1, initial_accumulator_value=0.5)
        opt.add_param_group({"params": [b], "initial_accumulator_value": 3.0})  # not used, as in torch
        a.grad, b.grad = (cr.tensor(np.ones(n)) if lib is optim else torch.ones(n, dtype=torch.float64) for n in (2, 3))
        opt.step()
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours[1].detach().numpy(), 1 - 0.1 / (np.sqrt(1.5) + 1e-10))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: optim.Adadelta(p, lr=-1), "Invalid learning rate"),
        (lambda p: optim.Adadelta(p, rho=1.5), "Invalid rho value"),
        (lambda p: optim.Adadelta(p, eps=-1e-6), "Invalid epsilon value"),
        (lambda p: optim.Adagrad(p, lr_decay=-0.1), "Invalid lr_decay value"),
        (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), "Invalid initial_accumulator_value value"),
        (lambda p: optim.Adagrad(p, weight_decay=-1), "Invalid weight_decay value"),
    ],
)
def test_bad_options_raise_like_torch(make, match):
    with pytest.raises(ValueError, match=match):
        make([cr.tensor(np.ones(2), requires_grad=True)])


def test_differentiable_steps_are_refused_clearly():
    with pytest.raises(NotImplementedError, match="differentiable"):
        optim.Adadelta([cr.tensor(np.ones(2), requires_grad=True)], differentiable=True)


def test_adadelta_trains_a_small_model_like_torch():
    """pytorch/examples' MNIST recipe in miniature: Adadelta(lr=1.0) with StepLR(gamma=0.7) on a tiny MLP."""
    import chainrule.nn as nn
    import chainrule.nn.functional as F

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 6)), rng.integers(0, 3, 32)
    ours = nn.Sequential(nn.Linear(6, 8, dtype=cr.float64), nn.ReLU(), nn.Linear(8, 3, dtype=cr.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).double()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    opt, topt = optim.Adadelta(ours.parameters(), lr=1.0), torch.optim.Adadelta(theirs.parameters(), lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    tsched = torch.optim.lr_scheduler.StepLR(topt, step_size=1, gamma=0.7)
    for _ in range(5):
        opt.zero_grad()
        topt.zero_grad()
        loss = F.nll_loss(F.log_softmax(ours(cr.tensor(x)), dim=1), cr.tensor(y))
        tloss = torch.nn.functional.nll_loss(torch.log_softmax(theirs(torch.from_numpy(x)), 1), torch.from_numpy(y))
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        assert np.isclose(loss.item(), tloss.item(), rtol=1e-10)
    for (k, v), tv in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(v.numpy(), tv.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)
