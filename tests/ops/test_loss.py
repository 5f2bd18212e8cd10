"""softmax, log_softmax, cross_entropy, nll_loss and mse_loss against PyTorch (float64) and grad_check."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F
from tests.nn.oracle import compare_with_torch, to_torch

shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4)
reductions = st.sampled_from(["mean", "sum", "none"])


@given(shape=shapes, data=st.data(), seed=st.integers(0, 2**16))
def test_softmax_and_log_softmax_match_torch(shape, data, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = np.random.default_rng(seed).standard_normal(shape) * 3
    compare_with_torch(lambda t: F.softmax(t, dim), lambda t: torch.softmax(t, dim), x)
    compare_with_torch(lambda t: F.log_softmax(t, dim), lambda t: torch.log_softmax(t, dim), x)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_grad_check(fn, dim):
    x = np.random.default_rng(3).standard_normal((3, 4, 2))
    cr.grad_check(lambda t: fn(t, dim), x)


def test_softmax_is_stable_and_sums_to_one():
    x = cr.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]])
    s = F.softmax(x).numpy()
    assert np.isfinite(s).all() and s.dtype == np.float32
    np.testing.assert_allclose(s.sum(axis=-1), 1, rtol=1e-6)
    np.testing.assert_allclose(F.log_softmax(x).data, torch.log_softmax(to_torch(x.data), -1).numpy(), rtol=1e-6)


def test_softmax_bad_dim():
    with pytest.raises(cr.ShapeError, match=r"softmax: dim 2 is out of range for a tensor of shape \(3, 4\)"):
        F.softmax(cr.zeros(3, 4), dim=2)


def _targets(rng, n, c, spatial, ignore):
    t = rng.integers(0, c, size=(n, *spatial))
    if ignore:
        t[rng.random(t.shape) < 0.3] = -100
        t.reshape(-1)[0] = 0  # at least one target counts, so "mean" is a number
    return t


@given(
    n=st.integers(1, 5),
    c=st.integers(1, 5),
    spatial=st.lists(st.integers(1, 3), max_size=2),
    reduction=reductions,
    smoothing=st.sampled_from([0.0, 0.1, 0.37, 1.0]),
    weighted=st.booleans(),
    ignore=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_cross_entropy_matches_torch(n, c, spatial, reduction, smoothing, weighted, ignore, seed):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c, *spatial)) * 2
    target = _targets(rng, n, c, spatial, ignore)
    w = rng.uniform(0.5, 2.0, c) if weighted else None
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    compare_with_torch(
        lambda x, t: F.cross_entropy(x, t, weight=w, **kw),
        lambda x, t: TF.cross_entropy(x, t, weight=None if w is None else torch.tensor(w), **kw),
        logits,
        target,
    )


@given(
    n=st.integers(1, 4),
    c=st.integers(2, 5),
    reduction=reductions,
    smoothing=st.sampled_from([0.0, 0.2]),
    weighted=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_cross_entropy_probability_targets_match_torch(n, c, reduction, smoothing, weighted, seed):
    rng = np.random.default_rng(seed)
    logits, probs = rng.standard_normal((n, c)), rng.dirichlet(np.ones(c), size=n)
    w = rng.uniform(0.5, 2.0, c) if weighted else None
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    compare_with_torch(
        lambda x, t: F.cross_entropy(x, t, weight=w, **kw),
        lambda x, t: TF.cross_entropy(x, t, weight=None if w is None else torch.tensor(w), **kw),
        logits,
        probs,
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_unbatched_matches_torch(reduction):
    x = np.array([0.3, -1.2, 2.0, 0.1])
    compare_with_torch(
        lambda a, t: F.cross_entropy(a, t, reduction=reduction),
        lambda a, t: TF.cross_entropy(a, t, reduction=reduction),
        x,
        np.array(2),
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_grad_check(reduction, smoothing, weighted):
    rng = np.random.default_rng(5)
    logits, target = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    w = np.array([0.5, 1.0, 2.0]) if weighted else None
    cr.grad_check(
        lambda x, t: F.cross_entropy(x, t, weight=w, reduction=reduction, label_smoothing=smoothing), logits, target
    )


def test_cross_entropy_grad_check_spatial_and_soft_targets():
    rng = np.random.default_rng(6)
    target = np.array([[0, 2], [1, -100]])
    cr.grad_check(lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), rng.standard_normal((2, 3, 2)), target)
    probs = rng.dirichlet(np.ones(3), size=4)
    cr.grad_check(lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), rng.standard_normal((4, 3)), probs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_stable_for_huge_logits(dtype):
    logits = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4], [5e3, -5e3, 0.0]], dtype=dtype)
    target = np.array([0, 0, 2])
    x = cr.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, target, label_smoothing=0.1)
    loss.backward()
    ref = to_torch(logits, requires_grad=True)
    ref_loss = TF.cross_entropy(ref, torch.tensor(target), label_smoothing=0.1)
    ref_loss.backward()
    assert loss.dtype == dtype and np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(loss.item(), ref_loss.item(), rtol=1e-6)
    np.testing.assert_allclose(x.grad, ref.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_cross_entropy_target_errors_name_value_and_classes():
    logits = cr.zeros(3, 10)
    with pytest.raises(ValueError, match=r"cross_entropy: target 10 is out of range for 10 classes"):
        F.cross_entropy(logits, [1, 10, 2])
    with pytest.raises(ValueError, match=r"cross_entropy: target -1 is out of range for 10 classes"):
        F.cross_entropy(logits, [1, -1, 2])
    with pytest.raises(ValueError, match=r"cross_entropy: .*integer class indices.*got 1\.5 \(10 classes\)"):
        F.cross_entropy(logits, np.array([1.0, 1.5, 2.0]))
    with pytest.raises(cr.ShapeError, match=r"cross_entropy: input of shape \(3, 10\) needs .* shape \(3,\).*\(4,\)"):
        F.cross_entropy(logits, [1, 2, 3, 4])
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.cross_entropy(logits, [1, 2, 3], reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        F.cross_entropy(logits, [1, 2, 3], label_smoothing=1.5)
    with pytest.raises(TypeError, match="cross_entropy: input must be floating point"):
        F.cross_entropy(cr.tensor([[1, 2]]), [0])
    with pytest.raises(cr.ShapeError, match=r"weight must have shape \(10,\)"):
        F.cross_entropy(logits, [1, 2, 3], weight=np.ones(3))


def test_cross_entropy_accepts_integral_float_targets():
    x = np.random.default_rng(0).standard_normal((3, 4))
    a = F.cross_entropy(cr.tensor(x), np.array([1.0, 3.0, 0.0]))
    b = F.cross_entropy(cr.tensor(x), np.array([1, 3, 0]))
    assert a.item() == b.item()


@given(
    n=st.integers(1, 5),
    c=st.integers(1, 5),
    spatial=st.lists(st.integers(1, 3), max_size=1),
    reduction=reductions,
    weighted=st.booleans(),
    ignore=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_nll_loss_matches_torch(n, c, spatial, reduction, weighted, ignore, seed):
    rng = np.random.default_rng(seed)
    logp = rng.standard_normal((n, c, *spatial))
    target = _targets(rng, n, c, spatial, ignore)
    w = rng.uniform(0.5, 2.0, c) if weighted else None
    compare_with_torch(
        lambda x, t: F.nll_loss(x, t, weight=w, reduction=reduction),
        lambda x, t: TF.nll_loss(x, t, weight=None if w is None else torch.tensor(w), reduction=reduction),
        logp,
        target,
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_grad_check_and_equals_fused(reduction):
    rng = np.random.default_rng(7)
    x, t = rng.standard_normal((5, 4)), np.array([0, 3, 3, 1, 2])
    cr.grad_check(lambda a, b: F.nll_loss(a, b, reduction=reduction), x, t)
    fused = F.cross_entropy(cr.tensor(x), t, reduction=reduction).data
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(cr.tensor(x), 1), t, reduction=reduction).data, fused)


@given(shape=shapes, reduction=reductions, seed=st.integers(0, 2**16))
def test_mse_loss_matches_torch(shape, reduction, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shape), rng.standard_normal(shape)
    compare_with_torch(
        lambda x, y: F.mse_loss(x, y, reduction), lambda x, y: TF.mse_loss(x, y, reduction=reduction), a, b
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_grad_check(reduction):
    rng = np.random.default_rng(8)
    cr.grad_check(lambda a, b: F.mse_loss(a, b, reduction), rng.standard_normal((3, 4)), rng.standard_normal((3, 4)))


@pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")  # torch's own warning
def test_mse_loss_warns_and_broadcasts_like_torch():
    rng = np.random.default_rng(9)
    a, b = rng.standard_normal((4, 1)), rng.standard_normal(4)
    with pytest.warns(UserWarning, match=r"mse_loss: input shape \(4, 1\) and target shape \(4,\) differ"):
        compare_with_torch(F.mse_loss, TF.mse_loss, a, b)
