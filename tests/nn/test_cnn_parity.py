"""End-to-end parity with PyTorch: a small CNN trained five steps, and state dicts both ways."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.optim as optim


def small_cnn(lib):
    """The same CNN in both libraries: conv, relu, maxpool, conv (stride 2), relu, flatten, linear."""
    return lib.Sequential(
        lib.Conv2d(1, 4, 3, padding=1),
        lib.ReLU(),
        lib.MaxPool2d(2),
        lib.Conv2d(4, 8, 3, stride=2, padding=1, padding_mode="reflect"),
        lib.ReLU(),
        lib.Flatten(),
        lib.Linear(8 * 2 * 2, 10),
    )


def lecture_shallow(lib):
    return lib.Sequential(
        lib.Conv2d(1, 10, 5, stride=2, padding=2),
        lib.ReLU(),
        lib.Flatten(),
        lib.Linear(1960, 50),
        lib.ReLU(),
        lib.Linear(50, 10),
    )


def copy_torch_to_cr(tmodel, cmodel, dtype):
    cmodel.load_state_dict({k: v.detach().numpy().astype(dtype) for k, v in tmodel.state_dict().items()})


OPTIMIZERS = {
    "sgd": (lambda p: optim.SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    "sgd-nesterov-wd": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    ),
    "sgd-dampening": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3),
    ),
    "adam": (lambda p: optim.Adam(p, lr=1e-2), lambda p: torch.optim.Adam(p, lr=1e-2)),
    "adamw": (lambda p: optim.AdamW(p, lr=1e-2), lambda p: torch.optim.AdamW(p, lr=1e-2)),
    "rmsprop": (
        lambda p: optim.RMSprop(p, lr=1e-3, momentum=0.5, centered=True),
        lambda p: torch.optim.RMSprop(p, lr=1e-3, momentum=0.5, centered=True),
    ),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_five_steps_match_torch(name, dtype):
    torch.manual_seed(0)
    tmodel = small_cnn(torch.nn).to(torch.float64 if dtype == np.float64 else torch.float32)
    cmodel = small_cnn(nn)
    copy_torch_to_cr(tmodel, cmodel, dtype)
    make_cr, make_torch = OPTIMIZERS[name]
    copt, topt = make_cr(cmodel.parameters()), make_torch(tmodel.parameters())
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.standard_normal((6, 1, 8, 8)).astype(dtype)
        y = rng.integers(0, 10, 6)
        topt.zero_grad()
        tloss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(x)), torch.tensor(y))
        tloss.backward()
        topt.step()
        copt.zero_grad()
        closs = F.cross_entropy(cmodel(cr.tensor(x)), cr.tensor(y))
        closs.backward()
        copt.step()
        assert abs(closs.item() - tloss.item()) < 1e-5
    tstate = tmodel.state_dict()
    for key, value in cmodel.state_dict().items():
        np.testing.assert_allclose(value, tstate[key].numpy(), atol=1e-5, err_msg=f"{name}: {key}")


def test_state_dict_moves_both_ways():
    torch.manual_seed(1)
    tmodel, cmodel = lecture_shallow(torch.nn), lecture_shallow(nn)
    assert sum(p.numel() for p in cmodel.parameters()) == 98_820  # the lecture's shallow network
    x = np.random.default_rng(2).random((4, 1, 28, 28), dtype=np.float32)
    # chainrule -> torch: keys and layouts equal, so torch takes the dict unchanged
    tmodel.load_state_dict({k: torch.tensor(v.numpy()) for k, v in cmodel.state_dict().items()})
    np.testing.assert_allclose(cmodel(cr.tensor(x)).data, tmodel(torch.tensor(x)).detach().numpy(), atol=1e-5)
    # torch -> chainrule
    torch.manual_seed(3)
    tmodel2 = lecture_shallow(torch.nn)
    cmodel.load_state_dict(tmodel2.state_dict())
    np.testing.assert_allclose(cmodel(cr.tensor(x)).data, tmodel2(torch.tensor(x)).detach().numpy(), atol=1e-5)


def test_conv_layer_defaults_match_torch():
    torch.manual_seed(0)
    conv = nn.Conv2d(10, 40, 3, stride=2, padding=1)
    ref = torch.nn.Conv2d(10, 40, 3, stride=2, padding=1)
    assert conv.weight.shape == tuple(ref.weight.shape) and conv.bias.shape == tuple(ref.bias.shape)
    bound = 1 / np.sqrt(10 * 9)  # PyTorch's default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert conv.weight.data.abs().max() <= bound and conv.weight.data.abs().max() > 0.9 * bound
    assert conv.bias.data.abs().max() <= bound
    assert "Conv2d(10, 40, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))" in repr(conv)


def test_conv_layer_errors_name_the_layer():
    conv = nn.Conv2d(1, 10, 5)
    with pytest.raises(ValueError, match=r"Conv2d\(1, 10, k=5x5\): input has 3 channels, expected 1"):
        conv(cr.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError, match=r"Conv2d\(1, 10, k=5x5\): expected a 4-D input"):
        conv(cr.zeros(3, 28, 28))
    with pytest.raises(ValueError, match=r"Conv1d: stride must be an int"):
        nn.Conv1d(1, 2, 3, stride=0.5)
    with pytest.raises(ValueError, match=r"Conv2d: padding must be"):
        nn.Conv2d(1, 2, 3, padding="half")


def test_conv1d_layer_matches_torch():
    torch.manual_seed(0)
    ref = torch.nn.Conv1d(3, 5, 4, stride=2, padding=3, dilation=2, padding_mode="circular")
    conv = nn.Conv1d(3, 5, 4, stride=2, padding=3, dilation=2, padding_mode="circular")
    conv.load_state_dict(ref.state_dict())
    x = np.random.default_rng(0).standard_normal((2, 3, 11)).astype(np.float32)
    np.testing.assert_allclose(conv(cr.tensor(x)).data, ref(torch.tensor(x)).detach().numpy(), atol=1e-5)


def test_pool_layers_match_torch():
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8)).astype(np.float32)
    pairs = [
        (nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
        (nn.AvgPool2d(2), torch.nn.AvgPool2d(2)),
        (nn.AvgPool2d(3, 2, 1, count_include_pad=False), torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours(cr.tensor(x)).data, theirs(torch.tensor(x)).numpy(), atol=1e-6)
