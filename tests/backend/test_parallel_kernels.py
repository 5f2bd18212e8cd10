"""The ops' parallel fast forms against their reference forms, bit for bit, at 1 and 2 threads:
max pooling (blocks of channels or of the batch) and ReLU (blocks of memory), forward and backward,
on both layouts (NCHW and the conv's batch-innermost one)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.backend import compiled, kernels, threads


@pytest.fixture(autouse=True)
def numpy_forms(monkeypatch):
    """These are the pool's NumPy kernels: the compiled ones (tests/ops/test_compiled_kernels.py) off."""
    monkeypatch.setattr(compiled, "active", False)


@pytest.fixture
def count_loops(monkeypatch):
    """How many parallel_for calls split their work (more than one block)."""
    calls = []
    real = threads.parallel_for

    def spy(n, body, *, min_block=1):
        calls.append(min(threads.get_num_threads(), n // max(1, min_block)) > 1)
        return real(n, body, min_block=min_block)

    monkeypatch.setattr(threads, "parallel_for", spy)
    return calls


def _input(shape, batch_innermost: bool, seed: int = 0):
    n, c, h, w = shape
    rng = np.random.default_rng(seed)
    data = rng.integers(-3, 4, (c, h, w, n) if batch_innermost else shape).astype(np.float32)  # many ties
    return data.transpose(3, 0, 1, 2) if batch_innermost else data


def _run(fn, x, upstream, mode: str, n: int):
    cr.set_num_threads(n)
    with kernels.using(mode):
        t = cr.tensor(x, requires_grad=True) if not isinstance(x, cr.Tensor) else x
        y = fn(t)
        y.backward(cr.tensor(upstream(y.shape)))
        return y.detach().numpy().copy(), t.grad.numpy().copy()


@pytest.mark.parametrize("batch_innermost", [False, True], ids=["nchw", "chwn"])
@pytest.mark.parametrize(
    "pool", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)], ids=["2x2", "3x3s2p1"]
)
def test_max_pool_fast_equals_reference(batch_innermost, pool, restore_threads, count_loops):
    x = _input((128, 10, 28, 28), batch_innermost)
    rng = np.random.default_rng(1)

    def upstream(shape):
        return rng.standard_normal(shape).astype(np.float32)

    state = rng.bit_generator.state
    want = _run(lambda t: F.max_pool2d(t, **pool), x, upstream, "reference", 1)
    assert not any(count_loops)
    for n in (1, 2):
        rng.bit_generator.state = state
        got = _run(lambda t: F.max_pool2d(t, **pool), x, upstream, "fast", n)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)
    assert any(count_loops)  # the 2-thread run did split its work


@pytest.mark.parametrize("batch_innermost", [False, True], ids=["nchw", "chwn"])
def test_relu_fast_equals_reference(batch_innermost, restore_threads, count_loops):
    x = _input((64, 20, 29, 29), batch_innermost) + np.float32(0.5)  # 1.08 M elements, zeros and negatives
    up = np.random.default_rng(2).standard_normal(x.shape).astype(np.float32)
    want = _run(cr.relu, x, lambda s: up, "reference", 1)
    for n in (1, 2):
        got = _run(cr.relu, x, lambda s: up, "fast", n)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)
    assert any(count_loops)


def test_relu_small_or_strided_inputs_take_the_plain_path(restore_threads, count_loops):
    cr.set_num_threads(2)
    base = cr.tensor(np.linspace(-1, 1, 1 << 22, dtype=np.float32).reshape(2048, 2048), requires_grad=True)
    x = base[:, ::2]  # every other column: not one dense block of memory
    assert not x._data.flags.c_contiguous
    y = cr.relu(x)
    assert not any(count_loops)  # forward on the whole (its result is dense: the backward may split)
    y.backward(cr.ones_like(y))
    want = np.zeros((2048, 2048), np.float32)
    want[:, ::2] = base.detach().numpy()[:, ::2] > 0
    np.testing.assert_array_equal(base.grad.numpy(), want)
    count_loops.clear()
    cr.relu(cr.tensor(np.ones(1000, np.float32)))
    assert not any(count_loops)
