"""The PyTorch-compatibility layers against torch.nn: activation and loss modules, adaptive and 1-D
pooling, channel dropout, ModuleDict, grouped convolution, BatchNorm1d, device=/dtype= arguments."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from tests.nn.oracle import compare_with_torch

RNG = np.random.default_rng(0)


def _same_module(name, *args, **kwargs):
    return getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


@pytest.mark.parametrize(
    "name, args",
    [
        ("LeakyReLU", ()),
        ("LeakyReLU", (0.2,)),
        ("ELU", (0.5,)),
        ("GELU", ()),
        ("GELU", ("tanh",)),
        ("SiLU", ()),
        ("Softplus", ()),
        ("Softplus", (2.0, 1.0)),
        ("Hardtanh", ()),
        ("Hardtanh", (-0.5, 2.0)),
        ("ReLU6", ()),
    ],
)
def test_activation_modules_match_torch(name, args):
    ours, theirs = _same_module(name, *args)
    x = RNG.uniform(-7, 7, (4, 5))
    compare_with_torch(ours, theirs, x, rtol=1e-12, atol=1e-12)
    assert repr(ours) == repr(theirs)


def test_activation_float32_stays_float32():
    x = cr.tensor(RNG.standard_normal((3, 4)).astype(np.float32))
    for fn in (F.gelu, F.silu, F.softplus, F.elu, F.leaky_relu, F.hardtanh):
        assert fn(x).dtype == np.float32, fn.__name__
    np.testing.assert_allclose(
        F.gelu(x).numpy(), torch.nn.functional.gelu(torch.from_numpy(x.numpy())).numpy(), rtol=1e-6, atol=1e-7
    )


def test_bad_activation_arguments():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(TypeError, match="floating point"):
        F.gelu(cr.tensor(np.arange(3)))


# --- losses ----------------------------------------------------------------------------------------

P = RNG.uniform(0.02, 0.98, (6, 3))
T = (RNG.random((6, 3)) > 0.5).astype(np.float64)
W3 = np.array([0.5, 1.0, 2.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "name, kwargs, inputs",
    [
        ("BCELoss", {}, (P, T)),
        ("BCELoss", {"weight": W3}, (P, T)),
        ("BCEWithLogitsLoss", {}, (P * 20 - 10, T)),
        ("BCEWithLogitsLoss", {"pos_weight": W3, "weight": W3}, (P * 20 - 10, T)),
        ("L1Loss", {}, (P, T)),
        ("SmoothL1Loss", {"beta": 0.3}, (P * 3, T)),
        ("HuberLoss", {"delta": 0.3}, (P * 3, T)),
        ("MSELoss", {}, (P, T)),
        ("KLDivLoss", {}, (np.log(P), P[::-1].copy())),
        ("KLDivLoss", {"log_target": True}, (np.log(P), np.log(P[::-1]))),
    ],
)
def test_loss_modules_match_torch(name, kwargs, inputs, reduction):
    ours = getattr(nn, name)(
        reduction=reduction, **{k: cr.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    )
    theirs = getattr(torch.nn, name)(
        reduction=reduction, **{k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # KLDivLoss "mean" warns in both libraries
        compare_with_torch(ours, theirs, *inputs, rtol=1e-12, atol=1e-12)


def test_kl_div_batchmean_is_the_kl_divergence_and_mean_warns_like_torch():
    logq, p = np.log(RNG.dirichlet(np.ones(4), 5)), RNG.dirichlet(np.ones(4), 5)
    kl = (p * (np.log(p) - logq)).sum() / 5
    assert np.isclose(F.kl_div(cr.tensor(logq), cr.tensor(p), reduction="batchmean").item(), kl, rtol=1e-12)
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(cr.tensor(logq), cr.tensor(p))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'batchmean', 'sum' or 'none'"):
        nn.KLDivLoss(reduction="avg")


def test_bce_clamps_its_logs_at_minus_100_like_torch():
    x, t = np.array([0.0, 1.0, 0.0, 1.0, 1e-50]), np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    ours = F.binary_cross_entropy(cr.tensor(x), cr.tensor(t), reduction="none").numpy()
    theirs = torch.nn.functional.binary_cross_entropy(torch.from_numpy(x), torch.from_numpy(t), reduction="none")
    np.testing.assert_array_equal(ours, theirs.numpy())
    assert ours[0] == 100.0 and ours[2] == 0.0


def test_bce_with_logits_is_stable_for_huge_logits():
    x, t = np.array([1e4, -1e4, 800.0, -800.0]), np.array([0.0, 1.0, 1.0, 0.0])
    compare_with_torch(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"),
        lambda a, b: torch.nn.functional.binary_cross_entropy_with_logits(a, b, reduction="none"),
        x,
        t,
    )


def test_loss_errors_name_the_loss_and_the_sizes():
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(cr.tensor([0.5, 1.5]), cr.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: target size \(3,\) differs from input size \(2,\)"):
        F.binary_cross_entropy(cr.tensor([0.5, 0.5]), cr.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"mse_loss: weight of shape \(3,\)"):
        F.mse_loss(cr.tensor(np.ones((2, 3))), cr.tensor(np.ones((2, 3))), weight=cr.tensor(np.ones(3)))
    with pytest.raises(ValueError, match="huber_loss: delta must be positive"):
        F.huber_loss(cr.tensor([1.0]), cr.tensor([0.0]), delta=0)


@pytest.mark.parametrize("size_average, reduce", [(None, False), (False, None), (False, True), (True, True)])
def test_legacy_size_average_and_reduce_mean_what_torch_says(size_average, reduce):
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = nn.L1Loss(size_average, reduce)(cr.tensor(a), cr.tensor(b))
        theirs = torch.nn.L1Loss(size_average, reduce)(torch.from_numpy(a), torch.from_numpy(b))
        assert nn.MSELoss(size_average, reduce).reduction == torch.nn.MSELoss(size_average, reduce).reduction
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_nll_and_cross_entropy_take_torch_positional_order():
    logp = np.log(RNG.dirichlet(np.ones(4), 6))
    target = np.array([0, 3, 1, -100, 2, 3])
    w = np.array([1.0, 2.0, 0.5, 1.5])
    ours = F.nll_loss(cr.tensor(logp), cr.tensor(target), cr.tensor(w), None, -100, None, "sum")
    theirs = torch.nn.functional.nll_loss(
        torch.from_numpy(logp), torch.from_numpy(target), torch.from_numpy(w), None, -100, None, "sum"
    )
    assert np.isclose(ours.item(), theirs.item(), rtol=1e-12)
    ours_m = nn.CrossEntropyLoss(cr.tensor(w), None, -100, None, "mean", 0.1)(cr.tensor(logp), cr.tensor(target))
    theirs_m = torch.nn.CrossEntropyLoss(torch.from_numpy(w), None, -100, None, "mean", 0.1)(
        torch.from_numpy(logp), torch.from_numpy(target)
    )
    assert np.isclose(ours_m.item(), theirs_m.item(), rtol=1e-12)


def test_one_hot_matches_torch():
    idx = np.array([[0, 2], [4, 1]])
    ours, theirs = F.one_hot(cr.tensor(idx)), torch.nn.functional.one_hot(torch.from_numpy(idx))
    assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape) == (2, 2, 5)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(
        F.one_hot(cr.tensor(idx), num_classes=7).numpy(), torch.nn.functional.one_hot(torch.from_numpy(idx), 7).numpy()
    )
    with pytest.raises(ValueError, match="smaller than num_classes=3"):
        F.one_hot(cr.tensor(idx), 3)
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(cr.tensor(np.array([-1, 0])))
    with pytest.raises(TypeError, match="int64"):
        F.one_hot(cr.tensor(np.array([0.0, 1.0])))


# --- pooling and dropout ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, args",
    [
        ("AdaptiveAvgPool2d", ((3, 2),)),
        ("AdaptiveAvgPool2d", (1,)),
        ("AdaptiveAvgPool2d", ((None, 4),)),
        ("AdaptiveMaxPool2d", ((3, 5),)),
        ("AdaptiveMaxPool2d", (1,)),
        ("AdaptiveAvgPool1d", (4,)),
        ("AdaptiveMaxPool1d", (3,)),
        ("MaxPool1d", (3, 2, 1)),
        ("AvgPool1d", (3, 2, 1)),
        ("AvgPool1d", (2,)),
    ],
)
def test_pooling_modules_match_torch(name, args):
    ours, theirs = _same_module(name, *args)
    shape = (2, 3, 7) if "1d" in name else (2, 3, 7, 6)
    x = RNG.permutation(np.linspace(-3, 3, int(np.prod(shape)))).reshape(shape)  # distinct: no ties
    compare_with_torch(ours, theirs, x, rtol=1e-12, atol=1e-12)
    compare_with_torch(ours, theirs, x[0], rtol=1e-12, atol=1e-12)  # unbatched (C, ...) input


def test_adaptive_max_pool_indices_match_torch_with_ties():
    x = np.round(RNG.standard_normal((2, 2, 7, 9)))  # integers: many ties, first maximum wins
    for size in [(3, 4), (7, 9), (2, 10)]:
        out, idx = nn.AdaptiveMaxPool2d(size, return_indices=True)(cr.tensor(x))
        tout, tidx = torch.nn.AdaptiveMaxPool2d(size, return_indices=True)(torch.from_numpy(x))
        np.testing.assert_array_equal(out.numpy(), tout.numpy())
        np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
        assert idx.dtype == np.int64


def test_adaptive_pool_errors():
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: expected input \(N, C, H, W\) or \(C, H, W\)"):
        F.adaptive_avg_pool2d(cr.tensor(np.ones((2, 3))), 2)
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_max_pool2d(cr.tensor(np.ones((1, 2, 3, 3))), (2, 0))


def test_dropout2d_drops_whole_channels_and_scales_the_rest():
    cr.manual_seed(0)
    layer = nn.Dropout2d(0.5)
    x = cr.tensor(np.ones((8, 16, 3, 4)), requires_grad=True)
    y = layer(x)
    per_channel = y.detach().numpy().reshape(8, 16, -1)
    assert set(np.unique(per_channel)) == {0.0, 2.0}
    assert (per_channel.min(axis=-1) == per_channel.max(axis=-1)).all()  # each map all kept or all dropped
    assert 0.3 < (per_channel[..., 0] == 0).mean() < 0.7
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())  # d/dx = mask / (1 - p)
    layer.eval()
    assert layer(x) is x
    assert repr(layer) == repr(torch.nn.Dropout2d(0.5))


def test_dropout1d_and_dropout2d_shapes_like_torch():
    cr.manual_seed(1)
    y = nn.Dropout1d(0.5)(cr.tensor(np.ones((4, 6, 5)))).numpy()
    assert (y.min(axis=-1) == y.max(axis=-1)).all()
    with pytest.warns(UserWarning, match="3-D input"):
        y3 = F.dropout2d(cr.tensor(np.ones((4, 6, 5))), 0.5).numpy()  # read as (N, C, L), as torch
    assert (y3.min(axis=-1) == y3.max(axis=-1)).all()
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout2d(1.5)


# --- containers, convolution groups, BatchNorm1d, factory arguments -----------------------------------


def test_module_dict_registers_its_modules_like_torch():
    ours = nn.ModuleDict({"conv": nn.Conv2d(1, 2, 3), "act": nn.ReLU()})
    theirs = torch.nn.ModuleDict({"conv": torch.nn.Conv2d(1, 2, 3), "act": torch.nn.ReLU()})
    ours["head"], theirs["head"] = nn.Linear(2, 1), torch.nn.Linear(2, 1)
    ours.update([("extra", nn.Tanh())])
    theirs.update([("extra", torch.nn.Tanh())])
    assert list(ours.keys()) == list(theirs.keys()) == ["conv", "act", "head", "extra"]
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "act" in ours and len(ours) == 4 and isinstance(ours.pop("act"), nn.ReLU) and "act" not in ours
    assert repr(ours) == repr(theirs.pop("act") and theirs)
    with pytest.raises(KeyError, match="no module named 'missing'"):
        ours["missing"]
    with pytest.raises(TypeError, match="not an nn.Module"):
        ours["x"] = 3


@pytest.mark.parametrize(
    "cls, groups, shape", [("Conv2d", 2, (2, 4, 6, 5)), ("Conv2d", 4, (1, 4, 5, 5)), ("Conv1d", 2, (2, 4, 9))]
)
def test_grouped_convolution_matches_torch(cls, groups, shape):
    ours = getattr(nn, cls)(4, 8, 3, padding=1, groups=groups, dtype=cr.float64)
    theirs = getattr(torch.nn, cls)(4, 8, 3, padding=1, groups=groups, dtype=torch.float64)
    assert ours.weight.shape == tuple(theirs.weight.shape) and repr(ours) == repr(theirs)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    x = RNG.standard_normal(shape)
    xo, xt = cr.tensor(x, requires_grad=True), torch.from_numpy(x).requires_grad_()
    out, ref = ours(xo), theirs(xt)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="divisible by groups"):
        getattr(nn, cls)(4, 6, 3, groups=4)


@pytest.mark.parametrize("shape", [(6, 3), (5, 3, 4)])
def test_batchnorm1d_matches_torch_on_nc_and_ncl(shape):
    ours, theirs = nn.BatchNorm1d(3, dtype=cr.float64), torch.nn.BatchNorm1d(3, dtype=torch.float64)
    for step in range(3):
        x = RNG.standard_normal(shape) * 2 + step
        compare_with_torch(ours, theirs, x, rtol=1e-10, atol=1e-10)
        for name in ("running_mean", "running_var"):
            np.testing.assert_allclose(getattr(ours, name).numpy(), getattr(theirs, name).numpy(), rtol=1e-12)
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 3
    ours.eval(), theirs.eval()
    compare_with_torch(ours, theirs, RNG.standard_normal(shape), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "make",
    [
        lambda lib, dt: lib.Linear(3, 4, device="cpu", dtype=dt),
        lambda lib, dt: lib.Linear(3, 4, True, "cpu", dt),  # torch's positional order
        lambda lib, dt: lib.Conv2d(2, 4, 3, device="cpu", dtype=dt),
        lambda lib, dt: lib.Conv1d(2, 4, 3, 1, 0, 1, 1, True, "zeros", "cpu", dt),
        lambda lib, dt: lib.BatchNorm1d(4, device="cpu", dtype=dt),
        lambda lib, dt: lib.BatchNorm2d(4, 1e-5, 0.1, True, True, "cpu", dt),
    ],
)
def test_factory_arguments_make_float64_parameters_on_the_cpu(make):
    ours, theirs = make(nn, cr.float64), make(torch.nn, torch.float64)
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    for k, v in theirs_sd.items():
        assert ours_sd[k].shape == tuple(v.shape), k
        assert str(ours_sd[k].dtype).replace("torch.", "") == str(v.dtype).replace("torch.", ""), k
    assert all(p.device == "cpu" for p in ours.parameters())
    assert make(nn, None).weight.dtype == np.float32


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss"])
def test_float32_loss_against_int64_targets_stays_float32_like_torch(name):
    x, t = RNG.random((4, 3)).astype(np.float32), RNG.integers(0, 2, (4, 3))
    xo = cr.tensor(x, requires_grad=True)
    xt = torch.from_numpy(x).requires_grad_()
    out = getattr(F, name)(xo, cr.tensor(t))
    ref = getattr(torch.nn.functional, name)(xt, torch.from_numpy(t))
    out.backward()
    ref.backward()
    assert out.dtype == np.float32 and ref.dtype == torch.float32 and xo.grad.dtype == np.float32
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-6)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-7)
