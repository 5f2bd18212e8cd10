"""nn.Parameter and nn.Module: registration, traversal, state dicts (with PyTorch), modes, hooks, repr."""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn


def mlp(lib, p=0.0):
    return lib.Sequential(
        lib.Linear(6, 5), lib.ReLU(), lib.Linear(5, 4), lib.BatchNorm1d(4), lib.Dropout(p), lib.Tanh(), lib.Linear(4, 3)
    )


def make_net(lib):
    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = lib.Linear(6, 5)
            self.bn = lib.BatchNorm1d(5)
            self.head = lib.Sequential(lib.ReLU(), lib.Linear(5, 2, bias=False))

        def forward(self, x):
            return self.head(self.bn(self.fc1(x)))

    return Net()


def torch_state(model: torch.nn.Module) -> OrderedDict:
    return OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())


# --- Parameter ---------------------------------------------------------------------------------


def test_parameter_is_a_tensor_that_requires_grad_and_shares_data():
    data = np.arange(3, dtype=np.float32)
    t = cr.tensor(data)
    p = nn.Parameter(t)
    assert isinstance(p, cr.Tensor) and p.requires_grad and p.is_leaf
    assert p._data is t._data  # shares the tensor's memory, as torch
    assert repr(p) == "Parameter containing:\ntensor([0., 1., 2.], requires_grad=True)"
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point .*can require gradients"):
        nn.Parameter(np.arange(3))
    assert type(p * 2) is cr.Tensor  # results of ops are plain tensors


# --- registration and traversal ----------------------------------------------------------------


@pytest.mark.parametrize("build", [mlp, make_net])
def test_names_and_shapes_equal_torch(build):
    ours, ref = build(nn), build(torch.nn)
    assert [(k, p.shape) for k, p in ours.named_parameters()] == [
        (k, tuple(p.shape)) for k, p in ref.named_parameters()
    ]
    assert [k for k, _ in ours.named_buffers()] == [k for k, _ in ref.named_buffers()]
    assert [k for k, _ in ours.named_modules()] == [k for k, _ in ref.named_modules()]
    assert [k for k, _ in ours.named_children()] == [k for k, _ in ref.named_children()]
    sd, ref_sd = ours.state_dict(), ref.state_dict()
    assert isinstance(sd, OrderedDict)
    assert [(k, v.shape) for k, v in sd.items()] == [(k, tuple(v.shape)) for k, v in ref_sd.items()]
    assert sd["3.num_batches_tracked" if build is mlp else "bn.num_batches_tracked"].dtype == np.int64
    assert ours.num_parameters() == sum(p.numel() for p in ref.parameters())
    assert repr(ours) == repr(ref)


def test_children_modules_buffers_and_attribute_errors():
    net = make_net(nn)
    assert [type(m).__name__ for m in net.children()] == ["Linear", "BatchNorm1d", "Sequential"]
    assert len(list(net.modules())) == 6
    assert len(list(net.buffers())) == 3
    assert net.fc1.weight is next(net.parameters())
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'fc3'"):
        net.fc3  # noqa: B018
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'weight' of Linear"):
        net.fc1.weight = cr.zeros(5, 6)
    net.fc1.bias = None  # None is allowed, as PyTorch
    assert [k for k, _ in net.fc1.named_parameters()] == ["weight"]
    del net.bn
    assert "bn.running_mean" not in net.state_dict()


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(3, 3)
    model = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(model.parameters())) == 2
    assert model.num_parameters() == 12
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]  # as PyTorch


def test_assigning_before_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"cannot assign submodules before Module.__init__\(\) call"):
        Broken()


def test_register_buffer_and_non_persistent_buffers():
    m = nn.Module()
    m.register_buffer("steps", np.zeros(2))
    m.register_buffer("scratch", cr.ones(3), persistent=False)
    assert isinstance(m.steps, cr.Tensor) and not m.steps.requires_grad
    assert list(m.state_dict()) == ["steps"]
    assert [k for k, _ in m.named_buffers()] == ["steps", "scratch"]
    m.steps = np.ones(2)
    np.testing.assert_array_equal(m.state_dict()["steps"], [1, 1])
    with pytest.raises(KeyError, match="buffer name"):
        m.register_buffer("a.b", np.zeros(1))


# --- state dicts ---------------------------------------------------------------------------------


def test_torch_state_dict_loads_into_chainrule_and_back():
    torch.manual_seed(0)
    ref = mlp(torch.nn).double()
    x = np.random.default_rng(0).standard_normal((8, 6))
    for _ in range(3):  # non-trivial running statistics
        ref(torch.tensor(x + np.random.default_rng(_).standard_normal(x.shape)))
    ref.eval()
    ours = mlp(nn).double().eval()
    result = ours.load_state_dict(torch_state(ref))
    assert result.missing_keys == [] and result.unexpected_keys == []
    expected = ref(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours(cr.tensor(x)).data, expected, rtol=1e-12)
    assert ours.state_dict()["3.num_batches_tracked"] == 3

    back = mlp(torch.nn).double().eval()
    back.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    np.testing.assert_allclose(back(torch.tensor(x)).detach().numpy(), expected, rtol=1e-12)


def test_load_casts_in_place_and_state_dict_shares_memory():
    ours = mlp(nn)
    weight = ours[0].weight
    sd = {k: v.double() + 1 for k, v in ours.state_dict().items()}
    ours.load_state_dict(sd)
    assert ours[0].weight is weight and weight.dtype == np.float32  # optimisers keep their references
    np.testing.assert_allclose(weight.data, sd["0.weight"], rtol=1e-6)
    entry = ours.state_dict()["0.weight"]
    assert not entry.requires_grad and entry._data is weight._data  # detached, sharing memory, as torch
    entry[...] = 0
    assert not (weight.data != 0).any()


def test_load_state_dict_errors_name_the_keys_and_shapes():
    ours = mlp(nn)
    sd = ours.state_dict()
    bad = OrderedDict(sd)
    del bad["0.bias"]
    bad["extra.weight"] = np.zeros(1)
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "0.bias"') as err:
        ours.load_state_dict(bad)
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in str(err.value)
    assert isinstance(err.value, ValueError)
    result = ours.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["extra.weight"]

    wrong = OrderedDict(sd)
    wrong["2.weight"] = np.zeros((4, 6))
    before = ours[0].weight.detach().numpy().copy()
    wrong["0.weight"] = before + 1
    with pytest.raises(nn.StateDictError, match=r"size mismatch for 2.weight: .*shape \(4, 6\) .* is \(4, 5\)"):
        ours.load_state_dict(wrong, strict=False)
    np.testing.assert_array_equal(ours[0].weight.data, before)  # nothing was loaded


def test_deepcopy_and_pickle_keep_the_model():
    model = mlp(nn).eval()
    x = cr.randn(3, 6)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        np.testing.assert_array_equal(clone(x).data, model(x).data)
        assert clone[0].weight is not model[0].weight and isinstance(clone[0].weight, nn.Parameter)
        assert not clone.training


# --- modes, grads, apply, hooks, dtype ---------------------------------------------------------------


def test_train_eval_zero_grad_and_apply():
    model = mlp(nn, p=0.5)
    assert model.eval() is model and not any(m.training for m in model.modules())
    assert model.train() is model and all(m.training for m in model.modules())
    with pytest.raises(ValueError, match="mode must be a bool"):
        model.train("no")
    model(cr.randn(4, 6)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all((p.grad == 0).all() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen[-1] == "Sequential" and seen[0] == "Linear" and len(seen) == 8


def test_forward_hooks_and_pre_hooks():
    model = mlp(nn)
    shapes = []
    handle = model[0].register_forward_hook(lambda m, inp, out: shapes.append(out.shape))
    model(cr.randn(4, 6))
    handle.remove()
    model(cr.randn(4, 6))
    assert shapes == [(4, 5)]
    with model[6].register_forward_hook(lambda m, inp, out: out * 0):
        assert (model(cr.randn(2, 6)).data == 0).all()
    assert (model(cr.randn(2, 6)).data != 0).any()
    with model.register_forward_pre_hook(lambda m, inp: (inp[0] * 0,)):
        model.eval()
        a = model(cr.randn(2, 6)).data
        np.testing.assert_allclose(a, model(cr.zeros(2, 6)).data)


def test_double_requires_grad_and_trainable_counts():
    model = mlp(nn).double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.state_dict()["3.running_var"].dtype == np.float64
    assert model.state_dict()["3.num_batches_tracked"].dtype == np.int64
    model[0].requires_grad_(False)
    assert model.num_parameters(trainable_only=True) == model.num_parameters() - 35
    assert model.float()[0].weight.dtype == np.float32


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        nn.Module()(cr.zeros(1))
