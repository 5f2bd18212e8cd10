"""nn.Sequential's inference path: a Conv2d and the ReLU after it as one op (``Conv2d.forward_relu``),
only where nothing can tell the difference (no graph recorded, no hooks, the fast kernels)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.backend import kernels
from chainrule.nn import container


def _net(shared_relu: bool = False):
    relu = nn.ReLU()
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, stride=2, padding=1),
        relu if shared_relu else nn.ReLU(),
        nn.Conv2d(4, 6, 3, padding=1),
        relu if shared_relu else nn.ReLU(),
        nn.Conv2d(6, 6, 3, padding=1, groups=2),  # grouped: fused per group
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(6 * 4 * 4, 5),
        nn.ReLU(),
        nn.Linear(5, 3),
    )


@pytest.fixture
def fused_calls(monkeypatch):
    calls = []
    real = nn.Conv2d.forward_relu

    def spy(self, x):
        calls.append(self)
        return real(self, x)

    monkeypatch.setattr(nn.Conv2d, "forward_relu", spy)
    return calls


def _input(n: int = 5):
    return cr.tensor(np.random.default_rng(0).standard_normal((n, 2, 8, 8)).astype(np.float32))


def _unfused(model, x, monkeypatch):
    with monkeypatch.context() as mp, cr.no_grad():
        mp.setattr(container, "_conv_then_relu", lambda first, second: False)
        return model(x).numpy()


@pytest.mark.parametrize("shared_relu", [False, True])
def test_inference_fuses_each_conv_with_its_relu_to_the_same_values(fused_calls, monkeypatch, shared_relu):
    model, x = _net(shared_relu), _input()
    with cr.no_grad():
        got = model(x).numpy()
    assert fused_calls == [model[0], model[2], model[4]]
    np.testing.assert_array_equal(got, _unfused(model, x, monkeypatch))  # the same pieces and products
    np.testing.assert_allclose(got, model(x).detach().numpy(), rtol=1e-5, atol=1e-6)  # training's path


def test_the_fused_op_clamps_what_the_conv_gives(fused_calls):
    conv = nn.Conv2d(2, 3, 3, padding=1)
    x = _input(40)  # enough positions for several pieces
    with cr.no_grad():
        want = np.maximum(conv(x).numpy(), 0)
        got = nn.Sequential(conv, nn.ReLU())(x).numpy()
    assert fused_calls == [conv] and (want == 0).any() and (want > 0).any()
    np.testing.assert_array_equal(got, want)


def test_training_keeps_the_two_ops_in_the_graph(fused_calls):
    model = _net()
    out = model(_input())
    out.sum().backward()
    assert fused_calls == []
    assert model[0].weight.grad is not None


def test_hooks_see_the_conv_before_its_relu(fused_calls):
    model, x = _net(), _input()
    seen = []
    model[0].register_forward_hook(lambda module, args, out: seen.append(out.numpy().copy()))
    model[3].register_forward_pre_hook(lambda module, args: seen.append(args[0].numpy().copy()))
    with cr.no_grad():
        model(x)
    assert fused_calls == [model[4]]  # the first two pairs each have a hook; the third none
    assert (seen[0] < 0).any()  # the conv's own output, negatives and all
    assert (seen[1] < 0).any()


def test_reference_kernels_run_each_layer_alone(fused_calls):
    with kernels.using("reference"), cr.no_grad():
        _net()(_input())
    assert fused_calls == []


def test_only_a_plain_conv_then_a_plain_relu_fuse(fused_calls):
    class MyConv(nn.Conv2d):
        def forward(self, x):
            return super().forward(x) * 2

    class MyReLU(nn.ReLU):
        pass

    x = _input()
    with cr.no_grad():
        nn.Sequential(MyConv(2, 3, 3), nn.ReLU())(x)
        nn.Sequential(nn.Conv2d(2, 3, 3), MyReLU())(x)
        nn.Sequential(nn.ReLU(), nn.Conv2d(2, 3, 3))(x)  # a ReLU before the conv
        nn.Sequential(nn.Conv2d(2, 3, 3))(x)
    assert fused_calls == []


def test_the_fused_op_is_one_node_named_for_both():
    x = _input().requires_grad_()
    conv = nn.Conv2d(2, 3, 3)
    out = conv.forward_relu(x)
    assert out.grad_fn.symbol == "conv2d_relu"
    assert (out.detach().numpy() >= 0).all()
