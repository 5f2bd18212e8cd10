"""Tensor factories with PyTorch's signatures: shapes, dtypes, values and arguments against torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import devices


def same(ours, theirs):
    """Same shape, dtype (by name) and values."""
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=0)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_constant_factories_take_sizes_as_torch(name):
    ours, theirs = getattr(cr, name), getattr(torch, name)
    assert ours().shape == ()  # PyTorch needs a size; the empty shape is kept as before
    for args in [(2, 3), ((2, 3),), ([2, 3],), ((),)]:
        out = ours(*args)
        assert tuple(out.shape) == tuple(theirs(*args).shape) and out.dtype == np.float32
        if name != "empty":
            same(out, theirs(*args))
    assert ours(size=(2, 1)).shape == (2, 1)
    t = ours(3, dtype=cr.float64, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf
    assert ours(2, dtype=cr.int64).dtype == np.int64
    with pytest.raises(TypeError, match=rf"{name}: sizes must be non-negative ints"):
        ours(2, -1)


def test_full_eye_linspace_as_torch():
    same(cr.full((2, 3), 1.5), torch.full((2, 3), 1.5))
    same(cr.full((2,), 7), torch.full((2,), 7))  # an int fill gives int64
    same(cr.full([3], True), torch.full([3], True))
    same(cr.full((2,), 2, dtype=cr.float64), torch.full((2,), 2, dtype=torch.float64))
    same(cr.eye(3), torch.eye(3))
    same(cr.eye(2, 4, dtype=cr.float64), torch.eye(2, 4, dtype=torch.float64))
    same(cr.linspace(-math.pi, math.pi, 7), torch.linspace(-math.pi, math.pi, 7))
    same(cr.linspace(0, 1, 1), torch.linspace(0, 1, 1))
    same(cr.linspace(2, 3, 5, dtype=cr.float64), torch.linspace(2, 3, 5, dtype=torch.float64))
    assert cr.linspace(0, 1, 5, requires_grad=True).requires_grad


def test_arange_as_torch():
    for args in [(5,), (2, 8, 3), (0.0, 1.0, 0.25), (1, 2.5), (5, 0, -2)]:
        same(cr.arange(*args), torch.arange(*args))
    same(cr.arange(3, dtype=cr.float64), torch.arange(3, dtype=torch.float64))
    same(cr.arange(start=1, end=4), torch.arange(start=1, end=4))
    with pytest.raises(ValueError, match="arange: step must be non-zero"):
        cr.arange(0, 3, 0)


def test_like_factories_keep_dtype_and_take_overrides():
    x, tx = cr.tensor(np.ones((2, 2))), torch.ones(2, 2, dtype=torch.float64)
    for name in ("zeros_like", "ones_like"):
        same(getattr(cr, name)(x), getattr(torch, name)(tx))
        same(getattr(cr, name)(x, dtype=cr.float32), getattr(torch, name)(tx, dtype=torch.float32))
    same(cr.full_like(x, 3.5), torch.full_like(tx, 3.5))
    same(cr.full_like(cr.tensor([1, 2]), 7), torch.full_like(torch.tensor([1, 2]), 7))
    assert cr.empty_like(x).shape == (2, 2) and cr.empty_like(x).dtype == np.float64
    assert cr.ones_like(cr.tensor([1, 2])).dtype == np.int64
    for name in ("rand_like", "randn_like"):
        r = getattr(cr, name)(x)
        assert r.shape == (2, 2) and r.dtype == np.float64 and not r.requires_grad
        assert getattr(cr, name)(x, requires_grad=True).requires_grad
        with pytest.raises(TypeError, match=rf"{name}: draws floats; the tensor has dtype int64"):
            getattr(cr, name)(cr.tensor([1, 2]))


def test_randint_and_randperm():
    cr.manual_seed(0)
    r = cr.randint(3, 7, (2000,))
    assert r.dtype == np.int64 and r.shape == (2000,)
    assert set(np.unique(r.numpy())) == {3, 4, 5, 6}
    assert set(np.unique(cr.randint(4, (500,)).numpy())) == {0, 1, 2, 3}  # randint(high, size)
    assert cr.randint(10, size=(2, 3)).shape == (2, 3)
    assert cr.randint(0, 5, (3,), dtype=cr.float32).dtype == np.float32
    p = cr.randperm(10)
    assert p.dtype == np.int64 and sorted(p.tolist()) == list(range(10))
    with pytest.raises(ValueError, match=r"randint: high \(2\) must be larger than low \(2\)"):
        cr.randint(2, 2, (3,))
    with pytest.raises(TypeError, match="randint: size must be a tuple"):
        cr.randint(0, 3, 5)


@pytest.mark.parametrize(
    "draw",
    [
        lambda **kw: cr.randn(3, 4, **kw),
        lambda **kw: cr.rand((3, 4), **kw),
        lambda **kw: cr.randint(0, 100, (3, 4), **kw),
        lambda **kw: cr.randperm(12, **kw),
        lambda **kw: cr.randn_like(cr.zeros(3, 4), **kw),
        lambda **kw: cr.rand_like(cr.zeros(3, 4), **kw),
    ],
)
def test_random_factories_follow_the_seed_or_a_generator(draw):
    cr.manual_seed(5)
    a = draw().numpy()
    cr.manual_seed(5)
    np.testing.assert_array_equal(draw().numpy(), a)  # the global generator, reseeded
    g = cr.Generator().manual_seed(1)
    b = draw(generator=g).numpy()
    after = draw().numpy()
    np.testing.assert_array_equal(draw(generator=cr.Generator().manual_seed(1)).numpy(), b)
    cr.manual_seed(5)
    draw()
    np.testing.assert_array_equal(draw().numpy(), after)  # a generator leaves the global stream alone


def test_random_values_and_dtypes():
    cr.manual_seed(0)
    u, n = cr.rand(20000, dtype=cr.float64).numpy(), cr.randn(20000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1.0) < 0.03
    assert cr.randn((), requires_grad=True).shape == () and cr.randn(2).dtype == np.float32


def test_default_device_is_consulted(monkeypatch):
    """With device=None the factories ask devices.get_default_device() (set by cr.set_default_device)."""
    asked = []
    monkeypatch.setattr(devices, "get_default_device", lambda: asked.append(1) or devices.CPU)
    for make in (
        lambda: cr.zeros(2),
        lambda: cr.randn(2),
        lambda: cr.arange(3),
        lambda: cr.eye(2),
        lambda: cr.full((2,), 1.0),
        lambda: cr.linspace(0, 1, 3),
        lambda: cr.randint(0, 2, (2,)),
        lambda: cr.randperm(3),
    ):
        before = len(asked)
        assert make().device == devices.CPU
        assert len(asked) > before
