"""nn.init: gains and fans as torch.nn.init, the distributions' bounds and spreads, seeding, in-place writes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn import init


@pytest.mark.parametrize(
    "name,param",
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", math.sqrt(5)),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


@pytest.mark.parametrize("shape", [(50, 784), (10, 1, 5, 5), (40, 10, 3, 3), (8, 4, 3), (3, 2, 2, 2, 2)])
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(cr.zeros(shape)) == torch.nn.init._calculate_fan_in_and_fan_out(
        torch.zeros(shape)
    )


def test_fans_of_a_conv_weight_count_the_kernel():
    assert init._calculate_fan_in_and_fan_out(cr.zeros(10, 3, 5, 5)) == (75, 250)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(cr.zeros(5))


SHAPE = (200, 100, 3, 3)  # fan_in 900, fan_out 1800: 180,000 samples
FAN_IN, FAN_OUT = 900, 1800


@pytest.mark.parametrize(
    "fill,kind,spread",
    [
        (lambda t: init.uniform_(t, -2, 3), "uniform", (-2, 3)),
        (lambda t: init.normal_(t, 1.5, 0.5), "normal", (1.5, 0.5)),
        (lambda t: init.xavier_uniform_(t, gain=2.0), "uniform0", 2.0 * math.sqrt(6 / (FAN_IN + FAN_OUT))),
        (lambda t: init.xavier_normal_(t), "normal0", math.sqrt(2 / (FAN_IN + FAN_OUT))),
        (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), "uniform0", 1 / math.sqrt(FAN_IN)),
        (lambda t: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"), "uniform0", math.sqrt(6 / FAN_OUT)),
        (lambda t: init.kaiming_normal_(t, nonlinearity="relu"), "normal0", math.sqrt(2 / FAN_IN)),
        (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="tanh"), "normal0", 5 / 3 / math.sqrt(FAN_OUT)),
        (lambda t: init.lecun_uniform_(t), "uniform0", math.sqrt(3 / FAN_IN)),
        (lambda t: init.lecun_normal_(t), "normal0", math.sqrt(1 / FAN_IN)),
    ],
)
def test_init_distributions_follow_their_formulas(fill, kind, spread):
    cr.manual_seed(0)
    t = cr.zeros(SHAPE)
    arr = t._data
    assert fill(t) is t and t._data is arr and arr.dtype == np.float32  # in place, returns the tensor
    n = arr.size
    if kind.startswith("uniform"):
        lo, hi = spread if kind == "uniform" else (-spread, spread)
        assert arr.min() >= lo and arr.max() <= hi
        assert arr.min() < lo + 0.001 * (hi - lo) and arr.max() > hi - 0.001 * (hi - lo)
        mean, std = (lo + hi) / 2, (hi - lo) / math.sqrt(12)
    else:
        mean, std = spread if kind == "normal" else (0.0, spread)
    assert abs(arr.mean() - mean) < 5 * std / math.sqrt(n)
    assert abs(arr.std() / std - 1) < 0.01


def test_init_is_seeded_and_accepts_parameters_and_arrays():
    cr.manual_seed(7)
    a = init.xavier_uniform_(nn.Parameter(cr.zeros(30, 20))).detach().numpy().copy()
    cr.manual_seed(7)
    b = init.xavier_uniform_(np.zeros((30, 20), dtype=np.float32))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="expected a Tensor"):
        init.zeros_([1.0, 2.0])


def test_constant_fills_and_bad_mode():
    t = cr.zeros(2, 3)
    assert (init.ones_(t).data == 1).all()
    assert (init.constant_(t, 0.25).data == 0.25).all()
    assert (init.zeros_(t).data == 0).all()
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_uniform_(t, mode="fan_avg")
    empty = cr.zeros(0, 3)
    assert init.kaiming_uniform_(empty) is empty  # nothing to draw, as PyTorch


def test_module_apply_reinitialises_every_linear():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))

    def reinit(m):
        if isinstance(m, nn.Linear):
            init.constant_(m.weight, 0.5)
            init.zeros_(m.bias)

    model.apply(reinit)
    assert all((p.data == 0.5).all() for n, p in model.named_parameters() if n.endswith("weight"))
