"""nn.functional's names, and an MLP trained five steps side by side with PyTorch (llm.c-style check)."""

from __future__ import annotations

import numpy as np
import torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import ops


def test_functional_names():
    for name in (
        "linear",
        "relu",
        "sigmoid",
        "tanh",
        "softmax",
        "log_softmax",
        "cross_entropy",
        "nll_loss",
        "mse_loss",
        "dropout",
        "batch_norm",
    ):
        assert callable(getattr(F, name)), name
    assert F.relu is ops.relu and F.sigmoid is ops.sigmoid and F.tanh is ops.tanh


def mlp(lib):
    return lib.Sequential(
        lib.Flatten(),
        lib.Linear(12, 8),
        lib.BatchNorm1d(8),
        lib.ReLU(),
        lib.Dropout(0.0),
        lib.Linear(8, 8),
        lib.Tanh(),
        lib.Linear(8, 3),
    )


def test_mlp_five_sgd_steps_match_torch():
    torch.manual_seed(0)
    ref = mlp(torch.nn).double()
    ours = mlp(nn).double()
    ours.load_state_dict(ref.state_dict())
    rng = np.random.default_rng(0)
    loss_fn, ref_loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1), torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    for step in range(5):
        x, y = rng.standard_normal((16, 3, 2, 2)), rng.integers(0, 3, 16)
        loss = loss_fn(ours(cr.tensor(x)), y)
        ref_loss = ref_loss_fn(ref(torch.tensor(x)), torch.tensor(y))
        ours.zero_grad()
        ref.zero_grad()
        loss.backward()
        ref_loss.backward()
        np.testing.assert_allclose(loss.item(), ref_loss.item(), rtol=1e-10, err_msg=f"loss at step {step}")
        ref_params = dict(ref.named_parameters())
        for name, p in ours.named_parameters():
            np.testing.assert_allclose(
                p.grad, ref_params[name].grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=f"{name} grad at step {step}"
            )
            p.data -= 0.1 * p.grad
        with torch.no_grad():
            for p in ref.parameters():
                p -= 0.1 * p.grad
    for key, value in ref.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-9, atol=1e-12, err_msg=key)
    ours.eval()
    ref.eval()
    x = rng.standard_normal((4, 3, 2, 2))
    np.testing.assert_allclose(ours(cr.tensor(x)).data, ref(torch.tensor(x)).detach().numpy(), rtol=1e-9)
