"""SGD, Adam, AdamW, RMSprop against torch.optim: 5 and 20 steps from the same float64 (and
float32) weights with the same random gradients give the same weights (1e-10 / 1e-5)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from tests.optim.oracle import run_pair

SHAPES = [(3, 4), (5,), ()]
DTYPES = [np.float64, np.float32]


def _sgd_grid():
    for momentum, dampening, nesterov, wd, maximize in itertools.product(
        (0, 0.9), (0, 0.3), (False, True), (0, 0.05), (False, True)
    ):
        if nesterov and (momentum == 0 or dampening != 0):
            continue
        yield {
            "lr": 0.1,
            "momentum": momentum,
            "dampening": dampening,
            "nesterov": nesterov,
            "weight_decay": wd,
            "maximize": maximize,
        }


def _adam_grid():
    for amsgrad, wd, maximize, betas in itertools.product(
        (False, True), (0, 0.1), (False, True), ((0.9, 0.999), (0.5, 0.9))
    ):
        yield {"lr": 0.05, "betas": betas, "amsgrad": amsgrad, "weight_decay": wd, "maximize": maximize}


def _rmsprop_grid():
    for centered, momentum, wd, maximize in itertools.product((False, True), (0, 0.5), (0, 0.1), (False, True)):
        yield {
            "lr": 0.01,
            "alpha": 0.9,
            "centered": centered,
            "momentum": momentum,
            "weight_decay": wd,
            "maximize": maximize,
        }


CASES = (
    [("SGD", kw) for kw in _sgd_grid()]
    + [("Adam", kw) for kw in _adam_grid()]
    + [("AdamW", kw) for kw in _adam_grid()]
    + [("RMSprop", kw) for kw in _rmsprop_grid()]
)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("cls_name, kwargs", CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(CASES)])
def test_grid_matches_torch(cls_name, kwargs, dtype):
    run_pair(cls_name, kwargs, SHAPES, dtype, seed=7)


@pytest.mark.parametrize("cls_name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_defaults_match_torch(cls_name):
    kwargs = {"lr": 0.1} if cls_name == "SGD" else {}
    run_pair(cls_name, kwargs, SHAPES, np.float64, seed=3)


OPTIONS = {
    "SGD": st.fixed_dictionaries(
        {
            "lr": st.floats(1e-3, 0.5),
            "momentum": st.sampled_from([0.0, 0.5, 0.99]),
            "weight_decay": st.sampled_from([0.0, 1e-3, 0.3]),
            "maximize": st.booleans(),
        }
    ),
    "Adam": st.fixed_dictionaries(
        {
            "lr": st.floats(1e-4, 0.3),
            "betas": st.tuples(st.floats(0, 0.99), st.floats(0, 0.9999)),
            "eps": st.sampled_from([1e-8, 1e-3]),
            "weight_decay": st.sampled_from([0.0, 0.1]),
            "amsgrad": st.booleans(),
            "maximize": st.booleans(),
        }
    ),
    "RMSprop": st.fixed_dictionaries(
        {
            "lr": st.floats(1e-4, 0.05),
            "alpha": st.floats(0.5, 0.999),
            "eps": st.sampled_from([1e-8, 1e-3]),
            "momentum": st.sampled_from([0.0, 0.9]),
            "centered": st.booleans(),
            "weight_decay": st.sampled_from([0.0, 0.1]),
            "maximize": st.booleans(),
        }
    ),
}
OPTIONS["AdamW"] = OPTIONS["Adam"]


@pytest.mark.parametrize("cls_name", sorted(OPTIONS))
@given(
    data=st.data(),
    shapes=st.lists(array_shapes(min_dims=0, max_dims=3, max_side=4), min_size=1, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_random_options_and_shapes_match_torch(cls_name, data, shapes, seed):
    kwargs = data.draw(OPTIONS[cls_name])
    run_pair(cls_name, kwargs, shapes, np.float64, seed, checkpoints=(5, 20))


@pytest.mark.parametrize(
    "cls_name, kwargs",
    [
        ("SGD", {"lr": 0.1, "momentum": 0.9}),
        ("Adam", {"lr": 0.01}),
        ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ],
)
def test_param_groups_with_different_options_match_torch(cls_name, kwargs):
    groups = [{"lr": 0.2}, {"lr": 0.003, "weight_decay": 0.1}, {}]
    opt, topt, *_ = run_pair(cls_name, kwargs, [(2, 3), (4,), (3,), (2, 2), (1,)], np.float64, seed=11, groups=groups)
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.003, kwargs["lr"]]
    assert [len(g["params"]) for g in opt.param_groups] == [2, 2, 1]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("cls_name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_updates_in_place_in_the_param_dtype(cls_name, dtype):
    kwargs = {"lr": 0.1, "momentum": 0.9} if cls_name == "SGD" else {"weight_decay": 0.1}
    opt, _, ours, _ = run_pair(cls_name, kwargs, [(3, 2)], dtype, seed=5, checkpoints=(2,))
    p = ours[0]
    data = p._data
    p.grad = np.ones(p.shape, dtype)
    opt.step()
    assert p._data is data and p.dtype == dtype
    for value in opt.state[p].values():
        if isinstance(value, np.ndarray):
            assert value.dtype == dtype
