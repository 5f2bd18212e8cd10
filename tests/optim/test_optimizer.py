"""The Optimizer base: param groups, zero_grad, skipping params without grad, state_dict round trips
and their structure against torch, and the errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import optim
from tests.optim.oracle import assert_params_close, make_params, run_pair, set_grads

CONFIGS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
]
IDS = [f"{c}-{i}" for i, (c, _) in enumerate(CONFIGS)]
SHAPES = [(3, 4), (5,), (2, 1, 2)]


def _steps(opt, params, rng, n):
    for _ in range(n):
        for p in params:
            p.grad = rng.standard_normal(p.shape)
        opt.step()


@pytest.mark.parametrize("cls_name, kwargs", CONFIGS, ids=IDS)
def test_state_dict_round_trip_continues_exactly(cls_name, kwargs):
    cls = getattr(optim, cls_name)
    straight, _ = make_params(SHAPES, np.float64, seed=0)
    opt = cls(straight, **kwargs)
    _steps(opt, straight, np.random.default_rng(1), 3)
    saved_weights = [p.detach().numpy().copy() for p in straight]
    saved = opt.state_dict()
    _steps(opt, straight, np.random.default_rng(2), 5)

    resumed = [cr.tensor(w, requires_grad=True) for w in saved_weights]
    fresh = cls(resumed, **{**kwargs, "lr": 123.0})  # the loaded dict brings the lr back
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == kwargs["lr"]
    _steps(fresh, resumed, np.random.default_rng(2), 5)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("cls_name, kwargs", CONFIGS, ids=IDS)
def test_state_dict_has_torch_structure_and_values(cls_name, kwargs):
    groups = [{"lr": 0.05}, {}]
    opt, topt, *_ = run_pair(cls_name, kwargs, SHAPES, np.float64, seed=4, checkpoints=(3,), groups=groups)
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert [g["params"] for g in ours["param_groups"]] == [g["params"] for g in theirs["param_groups"]]
    for g, tg in zip(ours["param_groups"], theirs["param_groups"]):
        assert set(g) <= set(tg)
        assert all(g[k] == tg[k] for k in g if k != "params"), (g, tg)
    assert ours["state"].keys() == theirs["state"].keys()
    for i, state in ours["state"].items():
        tstate = theirs["state"][i]
        assert state.keys() == tstate.keys()
        for k, v in state.items():
            np.testing.assert_allclose(v, np.asarray(tstate[k]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls_name, kwargs", CONFIGS, ids=IDS)
def test_loads_a_torch_state_dict_and_continues_as_torch(cls_name, kwargs):
    ours, theirs = make_params(SHAPES, np.float64, seed=8)
    topt = getattr(torch.optim, cls_name)(theirs, **kwargs)
    rng = np.random.default_rng(9)
    for _ in range(3):
        set_grads(ours, theirs, rng)
        topt.step()
    for p, tp in zip(ours, theirs):
        p.data[...] = tp.detach().numpy()
    opt = getattr(optim, cls_name)(ours, **kwargs)
    opt.load_state_dict(topt.state_dict())
    for _ in range(4):
        set_grads(ours, theirs, rng)
        opt.step()
        topt.step()
    assert_params_close(ours, theirs, 1e-10)


def test_state_dict_copies_arrays_on_save_and_load():
    p = cr.tensor(np.ones(3), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = np.ones(3)
    opt.step()
    saved = opt.state_dict()
    saved["state"][0]["exp_avg"][...] = 99.0
    saved["param_groups"][0]["betas"] = (0.1, 0.2)
    assert not np.any(opt.state[p]["exp_avg"] == 99.0)
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)
    opt.load_state_dict(saved)
    saved["state"][0]["exp_avg"][...] = -1.0
    np.testing.assert_array_equal(opt.state[p]["exp_avg"], 99.0)
    assert opt.param_groups[0]["betas"] == (0.1, 0.2)


def test_load_state_dict_casts_arrays_to_the_param_dtype():
    p = cr.tensor(np.ones(3, np.float32), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    sd = {"state": {0: {"momentum_buffer": np.full(3, 0.5)}}, "param_groups": opt.state_dict()["param_groups"]}
    opt.load_state_dict(sd)
    assert opt.state[p]["momentum_buffer"].dtype == np.float32


def test_adamw_load_keeps_decoupled_weight_decay():
    p = cr.tensor(np.ones(2), requires_grad=True)
    sd = optim.Adam([p], weight_decay=0.1).state_dict()
    q = cr.tensor(np.ones(2), requires_grad=True)
    opt = optim.AdamW([q], weight_decay=0.1)
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


def _two_group_opt():
    a, b, c = (cr.tensor(np.zeros(s), requires_grad=True) for s in [(2,), (3, 1), (4,)])
    opt = optim.SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1, momentum=0.9)
    for p in (a, b, c):
        p.grad = np.ones(p.shape)
    opt.step()
    return opt


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda sd: sd["param_groups"].pop(), "1 parameter groups, the optimizer has 2"),
        (lambda sd: sd["param_groups"][0]["params"].pop(), "parameter group 0 has 1 parameters"),
        (
            lambda sd: sd["state"][1].update(momentum_buffer=np.zeros((1, 3))),
            r"shape \(1, 3\), the parameter has shape \(3, 1\)",
        ),
        (lambda sd: sd["state"].update({7: {}}), "parameter 7"),
        (lambda sd: sd.pop("state"), "'state' and 'param_groups'"),
    ],
)
def test_load_state_dict_rejects_a_mismatch(mutate, match):
    sd = _two_group_opt().state_dict()
    mutate(sd)
    target = _two_group_opt()
    before = target.state_dict()
    with pytest.raises(ValueError, match=match):
        target.load_state_dict(sd)
    after = target.state_dict()
    assert after["param_groups"] == before["param_groups"]  # a failed load changes nothing


def test_params_without_grad_are_skipped_like_torch():
    ours, theirs = make_params([(3,), (2,)], np.float64, seed=2)
    opt, topt = optim.Adam(ours, lr=0.1), torch.optim.Adam(theirs, lr=0.1)
    start = ours[1].detach().numpy().copy()
    for step in range(4):
        g = np.full(3, step + 1.0)
        ours[0].grad, theirs[0].grad = g.copy(), torch.from_numpy(g.copy())
        opt.step()
        topt.step()
    np.testing.assert_array_equal(ours[1].data, start)
    assert ours[1] not in opt.state and len(opt.state) == 1
    assert_params_close(ours, theirs, 1e-12)


def test_zero_grad_to_none_or_in_place():
    p = cr.tensor(np.ones(3), requires_grad=True)
    q = cr.tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([p, q], lr=0.1)
    p.grad = np.ones(3)
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and not grad.any() and q.grad is None
    opt.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize("cls_name, kwargs", CONFIGS, ids=IDS)
def test_a_step_invalidates_graphs_that_saved_the_parameter_as_torch(cls_name, kwargs):
    """The step changes p in place: a retained graph that saved p refuses a second backward, as
    torch does, instead of giving the gradient at the old values."""
    for lib, make in ((cr, getattr(optim, cls_name)), (torch, getattr(torch.optim, cls_name))):
        p = lib.ones(3, requires_grad=True)
        opt = make([p], **kwargs)
        loss = (p * p).sum()
        loss.backward(retain_graph=True)
        version = p._version
        opt.step()
        assert p._version > version
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()
        q = lib.ones(3, requires_grad=True)
        (q * 2).sum().backward()  # a graph that did not save q is not affected
        assert q.grad.tolist() == [2.0, 2.0, 2.0]


def test_step_runs_the_closure_and_returns_its_loss():
    p = cr.tensor(np.array([3.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 9.0 and p.data[0] == 3.0 - 0.25 * 6.0


def test_add_param_group_fills_defaults_and_named_params():
    a = cr.tensor(np.zeros(2), requires_grad=True)
    b = cr.tensor(np.zeros(2), requires_grad=True)
    opt = optim.Adam([("w", a)], lr=0.01)
    opt.add_param_group({"params": b, "betas": (0.5, 0.9)})
    assert opt.param_groups[0]["param_names"] == ["w"]
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["betas"] == (0.5, 0.9)
    assert opt.state_dict()["param_groups"][1]["params"] == [1]
    assert "Parameter Group 1" in repr(opt)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda p: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda p: optim.SGD(p, lr=0.1), TypeError, "single Tensor"),
        (lambda p: optim.SGD([np.zeros(2)], lr=0.1), TypeError, "ndarray"),
        (lambda p: optim.SGD([p * 2], lr=0.1), ValueError, "non-leaf"),
        (lambda p: optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1), ValueError, "more than one parameter group"),
        (lambda p: optim.SGD([p, p], lr=0.1), ValueError, "same parameter twice"),
        (lambda p: optim.SGD({p}, lr=0.1), TypeError, "not a set"),
        (lambda p: optim.Adam([{"params": [p], "lr": -1.0}]), ValueError, "lr=-1.0"),
    ],
)
def test_bad_params_raise(make, error, match):
    p = cr.tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(error, match=match):
        make(p)


@pytest.mark.parametrize(
    "cls_name, kwargs, match",
    [
        ("SGD", {"lr": -0.1}, "Invalid learning rate: lr=-0.1"),
        ("SGD", {"lr": 0.1, "momentum": -0.5}, "momentum=-0.5"),
        ("SGD", {"lr": 0.1, "weight_decay": -1}, "weight_decay=-1"),
        ("SGD", {"lr": 0.1, "nesterov": True}, "Nesterov.*momentum=0"),
        ("SGD", {"lr": 0.1, "nesterov": True, "momentum": 0.9, "dampening": 0.1}, "dampening=0.1"),
        ("Adam", {"lr": -1e-3}, "lr=-0.001"),
        ("Adam", {"betas": (1.0, 0.999)}, r"betas\[0\]=1.0"),
        ("Adam", {"betas": (0.9, -0.1)}, r"betas\[1\]=-0.1"),
        ("AdamW", {"betas": (0.9, 1.5)}, r"AdamW needs 0 <= betas\[1\] < 1"),
        ("Adam", {"eps": -1e-8}, "eps="),
        ("AdamW", {"weight_decay": -0.01}, "weight_decay=-0.01"),
        ("RMSprop", {"alpha": -0.9}, "alpha=-0.9"),
        ("RMSprop", {"momentum": -1}, "momentum=-1"),
        ("RMSprop", {"lr": -1}, "RMSprop needs lr >= 0"),
    ],
)
def test_invalid_arguments_raise_like_torch(cls_name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(optim, cls_name)([cr.tensor(np.zeros(2), requires_grad=True)], **kwargs)
    with pytest.raises(ValueError):  # torch rejects the same values
        getattr(torch.optim, cls_name)([torch.zeros(2, requires_grad=True)], **kwargs)


def test_grad_of_the_wrong_shape_is_an_error():
    p = cr.tensor(np.zeros((2, 3)), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(RuntimeError, match=r"grad has shape \(3,\), the tensor has \(2, 3\)"):
        p.grad = cr.zeros(3, dtype=cr.float64)  # refused at assignment, as torch
    assert p.grad is None
    p.grad = cr.zeros((2, 3), dtype=cr.float64)
    p.grad.data = cr.zeros(3, dtype=cr.float64)  # .data= swaps the storage unchecked, as torch
    with pytest.raises(ValueError, match=r"shape \(2, 3\) has a grad of shape \(3,\)"):
        opt.step()
