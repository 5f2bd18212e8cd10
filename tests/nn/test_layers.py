"""Linear, Flatten, activations, Dropout, Sequential and ModuleList against their torch.nn twins."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn as nn
from tests.nn.oracle import to_torch


def twin_grads(ours: nn.Module, ref: torch.nn.Module, x: np.ndarray, rtol: float = 1e-10) -> None:
    """Same weights, same input: same output, input gradient and parameter gradients."""
    ours.double()
    ref.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    xc, xt = cr.tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
    out, expected = ours(xc), ref(xt)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=1e-12)
    upstream = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(xc.grad, xt.grad.numpy(), rtol=rtol, atol=1e-12)
    ref_params = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, ref_params[name].grad.numpy(), rtol=rtol, atol=1e-12, err_msg=name)


# --- Linear ------------------------------------------------------------------------------------


@given(
    lead=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    n_in=st.integers(1, 6),
    n_out=st.integers(1, 6),
    bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_linear_matches_torch(lead, n_in, n_out, bias, seed):
    x = np.random.default_rng(seed).standard_normal((*lead, n_in))
    twin_grads(nn.Linear(n_in, n_out, bias=bias), torch.nn.Linear(n_in, n_out, bias=bias), x)


def test_linear_default_init_is_pytorchs():
    cr.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert w.shape == (300, 400) and b.shape == (300,) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound  # the whole interval is used
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound  # U(-a, a) has std a / sqrt(3)
    assert abs(w.mean()) < 0.01 * bound
    ref = torch.nn.Linear(400, 300).weight.detach().numpy()  # the same law in torch
    assert abs(ref.std() - w.std()) < 0.01 * bound
    cr.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(400, 300).weight.data, w)  # seeded


def test_linear_wrong_features_names_the_layer_and_sizes():
    layer = nn.Linear(1960, 50)
    with pytest.raises(ValueError, match=r"^Linear\(1960, 50\): input has 980 features, expected 1960"):
        layer(cr.zeros(4, 980))
    assert layer(cr.zeros(4, 1960)).shape == (4, 50)


def test_linear_repr_and_no_bias():
    assert repr(nn.Linear(3, 2, bias=False)) == "Linear(in_features=3, out_features=2, bias=False)"
    assert [k for k, _ in nn.Linear(3, 2, bias=False).named_parameters()] == ["weight"]
    assert nn.Linear(3, 2, dtype=np.float64).weight.dtype == np.float64


# --- Flatten and activations ---------------------------------------------------------------------


@pytest.mark.parametrize("start,end", [(1, -1), (0, -1), (1, 2), (2, 3), (-2, -1)])
def test_flatten_matches_torch(start, end):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    twin_grads(nn.Flatten(start, end), torch.nn.Flatten(start, end), x)
    assert repr(nn.Flatten(start, end)) == repr(torch.nn.Flatten(start, end))


@pytest.mark.parametrize(
    "name,args",
    [
        ("ReLU", ()),
        ("ReLU", (True,)),
        ("Sigmoid", ()),
        ("Tanh", ()),
        ("Softmax", (1,)),
        ("Softmax", (0,)),
        ("LogSoftmax", (1,)),
        ("LogSoftmax", (-1,)),
        ("Identity", ()),
    ],
)
def test_activation_layers_match_torch(name, args):
    x = np.random.default_rng(1).standard_normal((4, 5)) * 3
    x[x == 0] = 0.5  # keep ReLU off its kink
    ours, ref = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(ref)
    if name == "ReLU":
        ref = torch.nn.ReLU()  # torch's in-place ReLU cannot take a leaf input; chainrule's ignores inplace
    twin_grads(ours, ref, x)


def test_softmax_layer_defaults_to_the_last_axis():
    x = cr.randn(3, 4)
    np.testing.assert_allclose(nn.Softmax()(x).data.sum(axis=-1), 1, rtol=1e-6)
    assert repr(nn.Softmax()) == "Softmax(dim=-1)"


# --- Dropout -------------------------------------------------------------------------------------


def test_dropout_layer_follows_train_and_eval():
    layer = nn.Dropout(0.25)
    assert repr(layer) == repr(torch.nn.Dropout(0.25)) == "Dropout(p=0.25, inplace=False)"
    x = cr.ones(100, 100)
    cr.manual_seed(0)
    out = layer(x).data
    assert 0.2 < (out == 0).mean() < 0.3 and np.isclose(out.max(), 1 / 0.75)
    assert layer.eval()(x) is x
    with pytest.raises(ValueError, match="Dropout: probability p must be a number between 0 and 1, got 1.5"):
        nn.Dropout(1.5)


# --- containers ----------------------------------------------------------------------------------


def test_sequential_indexing_iteration_and_names():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and list(seq) == [a, b, c]
    assert seq[0] is a and seq[-1] is c and seq[-3] is a
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert [k for k, _ in sub.named_children()] == ["1", "2"]  # slices keep the names, as PyTorch
    with pytest.raises(IndexError, match="Sequential: index 3 is out of range for 3 modules"):
        seq[3]
    d = nn.Tanh()
    seq[1] = d
    assert list(seq) == [a, d, c] and [k for k, _ in seq.named_children()] == ["0", "1", "2"]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and seq(cr.zeros(5, 2)).shape == (5, 1)
    del seq[3]
    assert len(seq) == 3
    with pytest.raises(TypeError, match="Sequential: function is not an nn.Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_sequential_from_ordered_dict_matches_torch():
    def build(lib):
        return lib.Sequential(OrderedDict([("fc1", lib.Linear(4, 3)), ("act", lib.ReLU()), ("fc2", lib.Linear(3, 2))]))

    ours, ref = build(nn), build(torch.nn)
    assert list(ours.state_dict()) == list(ref.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert repr(ours) == repr(ref)
    assert ours.fc1 is ours[0]
    twin_grads(ours, ref, np.random.default_rng(2).standard_normal((5, 4)))


def test_module_list_registers_its_layers():
    class Tower(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(3, 3) for _ in range(2)])
            self.layers.append(nn.Linear(3, 1))

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    tower = Tower()
    assert len(tower.layers) == 3 and tower.layers[-1].out_features == 1
    assert list(tower.state_dict())[:2] == ["layers.0.weight", "layers.0.bias"]
    assert tower(cr.zeros(2, 3)).shape == (2, 1)
    assert tower.num_parameters() == 12 + 12 + 4
