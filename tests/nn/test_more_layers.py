"""Embedding, LayerNorm, GroupNorm, Unflatten and nn.utils against torch.nn: the same weights give the same
outputs and gradients (inputs and every parameter), the same state_dict keys and shapes, repr and errors.
Transposed convolution: tests/nn/test_conv_transpose.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from tests.oracle import assert_close

RNG = np.random.default_rng(0)


def match_torch(ours, theirs, *inputs, atol=1e-10, rtol=1e-9, seed=0):
    """Load ``theirs``' (float64) state into ``ours``, run both on ``inputs`` (float arrays require grad),
    backpropagate one random upstream, compare the output, each float input's and each parameter's gradient."""
    theirs, ours = theirs.double(), ours.double()
    result = ours.load_state_dict(theirs.state_dict())  # torch's tensors, loaded as they are
    assert not result.missing_keys and not result.unexpected_keys
    assert list(ours.state_dict()) == list(theirs.state_dict())
    arrays = [np.asarray(a) for a in inputs]
    need = [a.dtype.kind == "f" for a in arrays]
    xs = [cr.tensor(a.copy(), requires_grad=g) for a, g in zip(arrays, need)]
    ts = [torch.from_numpy(a.copy()).requires_grad_(g) for a, g in zip(arrays, need)]
    out, ref = ours(*xs), theirs(*ts)
    assert_close(out.detach().numpy(), ref.detach().numpy(), atol=atol, rtol=rtol, name="output", who="torch")
    upstream = np.random.default_rng(seed).standard_normal(tuple(ref.shape))
    out.backward(cr.tensor(upstream))
    ref.backward(torch.from_numpy(upstream))
    for i, (x, t) in enumerate(zip(xs, ts)):
        if t.requires_grad:
            assert_close(x.grad.numpy(), t.grad.numpy(), atol=atol, rtol=rtol, name=f"input {i} grad", who="torch")
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        tp = theirs_params[name]
        if tp.grad is None:
            assert p.grad is None or not np.any(p.grad.numpy()), name
        else:
            tg = tp.grad.to_dense() if tp.grad.is_sparse else tp.grad  # sparse=True: the same values, dense here
            assert_close(p.grad.numpy(), tg.numpy(), atol=atol, rtol=rtol, name=f"{name}.grad", who="torch")
    return out


def same_state_layout(ours, theirs):
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()
    }


# --- Embedding -------------------------------------------------------------------------------------

IDX = np.array([[1, 4, 1, 0], [2, 4, 4, 3]])


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"padding_idx": 4},
        {"padding_idx": -1},
        {"padding_idx": 0},
        {"scale_grad_by_freq": True},
        {"padding_idx": 1, "scale_grad_by_freq": True},
        {"sparse": True},
    ],
)
def test_embedding_matches_torch(kwargs):
    ours = nn.Embedding(5, 3, dtype=cr.float64, **kwargs)
    theirs = torch.nn.Embedding(5, 3, **kwargs)
    match_torch(ours, theirs, IDX)  # the padding row is looked up and gets no gradient
    assert ours.padding_idx == theirs.padding_idx
    assert repr(ours) == repr(theirs)
    same_state_layout(ours, theirs)


def test_embedding_index_shapes_and_int32():
    ours = nn.Embedding(6, 2)
    for idx in (np.array(3), np.array([5, 0]), np.arange(24).reshape(2, 3, 4) % 6, np.array([], dtype=np.int64)):
        out = ours(cr.tensor(idx.astype(np.int32)))
        assert out.shape == (*idx.shape, 2) and out.dtype == np.float32
        np.testing.assert_array_equal(out.detach().numpy(), ours.weight.detach().numpy()[idx])


def test_embedding_init_is_standard_normal_with_zero_padding_row():
    cr.manual_seed(0)
    e = nn.Embedding(4000, 16, padding_idx=7)
    w = e.weight.detach().numpy()
    assert w.shape == (4000, 16) and w.dtype == np.float32 and e.weight.requires_grad
    assert not w[7].any() and np.count_nonzero(w) == w.size - 16
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01  # N(0, 1) as torch
    assert nn.Embedding(10, 3, padding_idx=-2).padding_idx == 8


@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (0.5, 1.0), (1.2, math.inf)])
def test_embedding_max_norm_renorms_the_rows_used_in_place_as_torch(max_norm, norm_type):
    theirs = torch.nn.Embedding(5, 3, max_norm=max_norm, norm_type=norm_type).double()
    with torch.no_grad():
        theirs.weight.mul_(3)
    ours = nn.Embedding(5, 3, max_norm=max_norm, norm_type=norm_type, dtype=cr.float64)
    ours.load_state_dict(theirs.state_dict())
    idx = np.array([[0, 2], [2, 3]])
    out, ref = ours(cr.tensor(idx)), theirs(torch.from_numpy(idx))
    assert_close(out.detach().numpy(), ref.detach().numpy(), atol=1e-12, rtol=1e-12, name="output")
    assert_close(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), atol=1e-12, rtol=1e-12, name="weight")
    norms = np.linalg.norm(ours.weight.detach().numpy(), ord=norm_type, axis=1)
    assert np.all(norms[[0, 2, 3]] <= max_norm + 1e-9) and np.all(norms[[1, 4]] > max_norm)  # unused rows kept
    assert repr(ours) == repr(theirs)


def test_embedding_from_pretrained_shares_and_freezes_as_torch():
    table = np.arange(12.0).reshape(4, 3)
    ours = nn.Embedding.from_pretrained(cr.tensor(table))
    theirs = torch.nn.Embedding.from_pretrained(torch.from_numpy(table))
    assert ours.weight.requires_grad is theirs.weight.requires_grad is False
    np.testing.assert_array_equal(ours(cr.tensor([3, 1])).numpy(), theirs(torch.tensor([3, 1])).numpy())
    trainable = nn.Embedding.from_pretrained(cr.tensor(table), freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad and trainable.padding_idx == 0
    assert trainable.weight.detach().numpy()[0].tolist() == [0.0, 1.0, 2.0]  # given weights are not re-initialised
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.Embedding.from_pretrained(cr.ones(3))


def test_embedding_errors_as_torch():
    e, w = nn.Embedding(5, 3), torch.randn(5, 3)
    with pytest.raises(RuntimeError, match=r"Embedding\(5, 3\): indices must be an integer tensor.*float32"):
        e(cr.tensor([1.0]))
    with pytest.raises(RuntimeError):
        torch.nn.functional.embedding(torch.tensor([1.0]), w)
    for bad in (5, -1):
        with pytest.raises(IndexError, match=rf"index out of range in self: index {bad} .* 5 rows"):
            e(cr.tensor([0, bad]))
        with pytest.raises(IndexError, match="index out of range"):
            torch.nn.functional.embedding(torch.tensor([0, bad]), w)
    for bad in (5, -6):
        with pytest.raises(AssertionError, match="padding_idx must be within num_embeddings"):
            nn.Embedding(5, 3, padding_idx=bad)
        with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
            torch.nn.Embedding(5, 3, padding_idx=bad)
    with pytest.raises(ValueError, match=r"'weight' must be 2-D.*\(5,\)"):
        F.embedding(cr.tensor([1]), cr.ones(5))
    with pytest.raises(ValueError, match=r"_weight has shape \(2, 3\), expected \(5, 3\)"):
        nn.Embedding(5, 3, _weight=cr.ones(2, 3))


# --- LayerNorm and GroupNorm ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, normalized, kwargs",
    [
        ((4, 6), 6, {}),
        ((2, 3, 5), (5,), {}),
        ((2, 3, 4, 5), [4, 5], {"eps": 1e-3}),
        ((3, 4), 4, {"bias": False}),
        ((2, 3, 4), (3, 4), {"elementwise_affine": False}),
        ((5,), 5, {}),
    ],
)
def test_layer_norm_matches_torch(shape, normalized, kwargs):
    ours, theirs = nn.LayerNorm(normalized, **kwargs), torch.nn.LayerNorm(normalized, **kwargs)
    assert repr(ours) == repr(theirs)
    same_state_layout(ours, theirs)
    for name, p in ours.named_parameters():  # ones / zeros, as torch
        np.testing.assert_array_equal(p.detach().numpy(), getattr(theirs, name).detach().numpy())
    with torch.no_grad():  # non-trivial affine parameters, so their gradients mean something
        for p in theirs.parameters():
            p.copy_(torch.from_numpy(RNG.standard_normal(tuple(p.shape))))
    match_torch(ours, theirs, RNG.standard_normal(shape) * 3 + 1)


def test_layer_norm_float32_and_functional_spelling():
    x = RNG.standard_normal((3, 8)).astype(np.float32)
    w, b = RNG.standard_normal(8).astype(np.float32), RNG.standard_normal(8).astype(np.float32)
    out = F.layer_norm(cr.tensor(x), (8,), cr.tensor(w), cr.tensor(b), eps=1e-5)
    ref = torch.nn.functional.layer_norm(*map(torch.from_numpy, (x,)), (8,), torch.from_numpy(w), torch.from_numpy(b))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)


def test_layer_norm_errors_name_the_shapes():
    with pytest.raises(
        RuntimeError,
        match=r"LayerNorm\(\(4,\)\): given normalized_shape=\[4\], expected input "
        r"with shape \[\*, 4\], but got input of size \[2, 5\]",
    ):
        nn.LayerNorm(4)(cr.ones(2, 5))
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\].*got input of size\[2, 5\]"):
        torch.nn.LayerNorm(4)(torch.ones(2, 5))
    with pytest.raises(ValueError, match=r"weight has shape \(3,\), expected normalized_shape \(4,\)"):
        F.layer_norm(cr.ones(2, 4), (4,), cr.ones(3))
    with pytest.raises(ValueError, match=r"got input of size \[3\]"):
        F.layer_norm(cr.ones(3), (2, 3))


@pytest.mark.parametrize(
    "groups, shape, kwargs",
    [
        (2, (3, 4, 5, 2), {}),
        (1, (2, 6), {}),
        (6, (2, 6, 3), {}),
        (3, (2, 6, 4), {"affine": False}),
        (2, (2, 4, 3), {"eps": 0.1, "bias": False}),
    ],
)
def test_group_norm_matches_torch(groups, shape, kwargs):
    ours, theirs = nn.GroupNorm(groups, shape[1], **kwargs), torch.nn.GroupNorm(groups, shape[1], **kwargs)
    assert repr(ours) == repr(theirs)
    same_state_layout(ours, theirs)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.from_numpy(RNG.standard_normal(tuple(p.shape))))
    match_torch(ours, theirs, RNG.standard_normal(shape) * 2 - 1)


def test_group_norm_errors_as_torch():
    with pytest.raises(ValueError, match=r"num_channels \(4\) must be divisible by num_groups \(3\)"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match=r"num_channels \(4\) must be divisible by num_groups \(3\)"):
        torch.nn.GroupNorm(3, 4)
    with pytest.raises(RuntimeError, match=r"divisible by num_groups.*\(2, 4, 3\) and num_groups=3"):
        F.group_norm(cr.ones(2, 4, 3), 3)
    with pytest.raises(ValueError, match="more than 1 value"):
        F.group_norm(cr.ones(1, 2), 2)
    with pytest.raises(ValueError, match="more than 1 value"):
        torch.nn.functional.group_norm(torch.ones(1, 2), 2)


# --- Unflatten -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dim, sizes, shape", [(1, (2, 3), (4, 6)), (-1, [2, -1], (3, 2, 8)), (0, (1, 2, 2), (4,)), (1, (5,), (2, 5, 1))]
)
def test_unflatten_matches_torch(dim, sizes, shape):
    ours, theirs = nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes)
    assert repr(ours) == repr(theirs)
    x = RNG.standard_normal(shape)
    out = match_torch(ours, theirs, x)
    assert out.shape == tuple(theirs(torch.from_numpy(x)).shape)


def test_unflatten_undoes_flatten():
    x = RNG.standard_normal((4, 2, 3))
    model = nn.Sequential(nn.Flatten(), nn.Unflatten(1, (2, 3)))
    np.testing.assert_array_equal(model(cr.tensor(x)).numpy(), x)


def test_unflatten_errors():
    with pytest.raises(RuntimeError, match=r"sizes \[2, 2\] don't multiply up to the size of dim 1 \(5\)"):
        nn.Unflatten(1, (2, 2))(cr.ones(2, 5))
    with pytest.raises(RuntimeError, match=r"don't multiply up to the size of dim 1 \(5\)"):
        torch.nn.Unflatten(1, (2, 2))(torch.ones(2, 5))
    with pytest.raises(TypeError, match="found element of type float at pos 0"):
        nn.Unflatten(1, (2.0, 3))
    with pytest.raises(IndexError, match="dimension 3 out of range"):
        nn.Unflatten(3, (1, 2))(cr.ones(2, 2))


# --- nn.utils --------------------------------------------------------------------------------------


def _twin_models():
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    ours.load_state_dict(theirs.state_dict())
    x = RNG.standard_normal((5, 3))
    (ours(cr.tensor(x)) ** 2).sum().backward()
    (theirs(torch.from_numpy(x)) ** 2).sum().backward()
    return ours, theirs


def test_nn_utils_is_reachable_as_in_torch():
    import chainrule.nn.utils as utils
    from chainrule.optim import clip_grad_norm_, clip_grad_value_

    assert nn.utils is utils and cr.nn.utils.clip_grad_norm_ is clip_grad_norm_
    assert utils.clip_grad_value_ is clip_grad_value_
    for name in (
        "clip_grad_norm_",
        "clip_grad_value_",
        "parameters_to_vector",
        "vector_to_parameters",
        "get_total_norm",
        "clip_grads_with_norm_",
    ):
        assert hasattr(torch.nn.utils, name) and callable(getattr(nn.utils, name))


@pytest.mark.parametrize("max_norm, norm_type", [(0.5, 2.0), (100.0, 2.0), (0.1, 1.0), (0.2, math.inf)])
def test_clip_grad_norm_through_nn_utils_matches_torch(max_norm, norm_type):
    ours, theirs = _twin_models()
    total = nn.utils.clip_grad_norm_(ours.parameters(), max_norm, norm_type)
    ref = torch.nn.utils.clip_grad_norm_(theirs.parameters(), max_norm, norm_type)
    assert_close(total.numpy(), ref.numpy(), name="total norm")
    for p, t in zip(ours.parameters(), theirs.parameters()):
        assert_close(p.grad.numpy(), t.grad.numpy(), name="clipped grad")


def test_get_total_norm_and_clip_grads_with_norm_match_torch():
    ours, theirs = _twin_models()
    total = nn.utils.get_total_norm([p.grad for p in ours.parameters()], 3.0)
    ref = torch.nn.utils.get_total_norm([p.grad for p in theirs.parameters()], 3.0)
    assert_close(total.numpy(), ref.numpy(), name="total norm")
    nn.utils.clip_grads_with_norm_(ours.parameters(), 0.3, total)
    torch.nn.utils.clip_grads_with_norm_(theirs.parameters(), 0.3, ref)
    for p, t in zip(ours.parameters(), theirs.parameters()):
        assert_close(p.grad.numpy(), t.grad.numpy(), name="clipped grad")
    nn.utils.clip_grad_value_(ours.parameters(), 0.01)
    torch.nn.utils.clip_grad_value_(theirs.parameters(), 0.01)
    for p, t in zip(ours.parameters(), theirs.parameters()):
        assert_close(p.grad.numpy(), t.grad.numpy(), name="value-clipped grad")
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.get_total_norm([cr.tensor([1.0, math.inf])], error_if_nonfinite=True)


def test_parameters_to_vector_and_back_as_torch():
    ours, theirs = _twin_models()
    vec = nn.utils.parameters_to_vector(ours.parameters())
    ref = torch.nn.utils.parameters_to_vector(theirs.parameters())
    assert_close(vec.detach().numpy(), ref.detach().numpy(), name="vector")
    assert vec.shape == (3 * 4 + 4 + 4 * 2 + 2,) and vec.requires_grad  # differentiable, as torch's cat
    ours.zero_grad()
    (vec * cr.tensor(np.arange(vec.shape[0], dtype=np.float64))).sum().backward()
    start = 0
    for p in ours.parameters():  # d/dp of sum(k * vec[k]) is p's slice of arange, reshaped
        n = p.numel()
        np.testing.assert_array_equal(p.grad.numpy(), np.arange(start, start + n, dtype=np.float64).reshape(p.shape))
        start += n
    new = RNG.standard_normal(vec.shape[0])
    nn.utils.vector_to_parameters(cr.tensor(new), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.from_numpy(new.copy()), theirs.parameters())
    for p, t in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), t.detach().numpy())
    x = RNG.standard_normal((2, 3))
    assert_close(ours(cr.tensor(x)).detach().numpy(), theirs(torch.from_numpy(x)).detach().numpy(), name="model")
    with pytest.raises(TypeError, match="expected a Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], ours.parameters())
    with pytest.raises(ValueError, match="the vector has 3 elements, too few"):
        nn.utils.vector_to_parameters(cr.zeros(3), ours.parameters())
