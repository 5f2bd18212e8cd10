"""The reference/fast switch (``chainrule.backend.kernels``) really changes the code path, and the fast
conv gives the same numbers on one thread and on two (its copies split over the pool)."""

from __future__ import annotations

import os
import subprocess
import sys
from unittest.mock import patch

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.backend import blas, kernels, threads
from chainrule.ops import conv as conv_module
from chainrule.ops.kernels import conv_fast, cross_entropy_fast
from chainrule.ops.loss import CrossEntropy
from chainrule.ops.window import ConvGeometry


def broken(*args, **kwargs):
    raise RuntimeError("this path must not run")


def conv_step(x, w, b, **kw):
    """out, dx, dw, db of one conv2d forward + backward (a fixed upstream)."""
    xt, wt, bt = (cr.tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.conv2d(xt, wt, bt, **kw)
    out.backward(np.cos(np.arange(out.numel())).reshape(out.shape).astype(x.dtype))
    return tuple(t.detach().numpy().copy() for t in (out, xt.grad, wt.grad, bt.grad))


def cross_entropy_step(x, target, **kw):
    xt = cr.tensor(x, requires_grad=True)
    loss = F.cross_entropy(xt, cr.tensor(target), **kw)
    loss.backward()
    return loss.detach().numpy().copy(), xt.grad.numpy().copy()


@pytest.fixture
def conv_inputs():
    rng = np.random.default_rng(0)
    return rng.standard_normal((3, 2, 7, 6)), rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)


def test_use_checks_the_name_and_using_restores_it():
    with pytest.raises(ValueError, match=r"expected one of fast, reference, got 'slow'"):
        kernels.use("slow")
    before = kernels.active
    with pytest.raises(KeyError), kernels.using("reference"):
        assert kernels.reference()
        raise KeyError
    assert kernels.active == before


def test_environment_variable_picks_the_kernels():
    env = {**os.environ, "CHAINRULE_KERNELS": "reference"}
    code = "from chainrule.backend import kernels; print(kernels.active)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "reference"


def test_conv_switch_changes_the_path(conv_inputs):
    """With the fast kernel broken the reference still works (and agrees); with the reference broken, the fast."""
    with kernels.using("fast"):
        fast = conv_step(*conv_inputs, stride=2, padding=1)
    with patch.object(conv_fast, "forward", broken), patch.object(conv_fast, "backward", broken):
        with kernels.using("reference"):
            ref = conv_step(*conv_inputs, stride=2, padding=1)
        with kernels.using("fast"), pytest.raises(RuntimeError, match="must not run"):
            conv_step(*conv_inputs, stride=2, padding=1)
    for a, b in zip(fast, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    with patch.object(conv_module.Conv2d, "reference_forward", broken), kernels.using("reference"):
        with pytest.raises(RuntimeError, match="must not run"):
            conv_step(*conv_inputs)


def test_conv_backward_follows_the_path_forward_took(conv_inputs):
    x, w, b = (cr.tensor(a, requires_grad=True) for a in conv_inputs)
    with kernels.using("fast"):
        out = F.conv2d(x, w, b, padding=1)
    with kernels.using("reference"), patch.object(conv_module.Conv2d, "reference_backward", broken):
        out.sum().backward()  # the fast kernel's saved columns, read by the fast backward
    assert x.grad.shape == x.shape and w.grad.shape == w.shape


@pytest.mark.parametrize("options", [{}, {"weight": np.array([1.0, 2.0, 0.5])}, {"label_smoothing": 0.1}])
def test_cross_entropy_switch_changes_the_path(options):
    """The plain case runs the fast kernel unless the reference is chosen; other options always the reference."""
    rng = np.random.default_rng(1)
    x, target = rng.standard_normal((5, 3)), np.array([0, 2, 1, -100, 2])
    kw = {k: cr.tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    with kernels.using("reference"):
        ref = cross_entropy_step(x, target, **kw)
    with patch.object(cross_entropy_fast, "forward", broken):
        with kernels.using("reference"):
            cross_entropy_step(x, target, **kw)
        with kernels.using("fast"):
            if options:
                cross_entropy_step(x, target, **kw)  # the fast kernel defers these to the reference
            else:
                with pytest.raises(RuntimeError, match="must not run"):
                    cross_entropy_step(x, target, **kw)
    with patch.object(CrossEntropy, "reference_forward", broken), kernels.using("fast"):
        if options:
            with pytest.raises(RuntimeError, match="must not run"):
                cross_entropy_step(x, target, **kw)
        else:
            fast = cross_entropy_step(x, target, **kw)
            for a, b in zip(fast, ref):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.fixture
def thread_count(restore_threads):
    return threads.set_num_threads


@pytest.mark.parametrize(
    "x_shape, w_shape, kw",
    [
        ((6, 1, 28, 28), (10, 1, 5, 5), dict(stride=2, padding=2)),  # conv1: one channel, split by batch
        ((6, 10, 14, 14), (40, 10, 3, 3), dict(stride=2, padding=1)),  # conv2: split by channel
        ((5, 4, 7, 7), (8, 4, 3, 3), dict(padding=(1, 0), dilation=2)),
    ],
    ids=["conv1", "conv2", "dilated"],
)
def test_fast_conv_same_numbers_on_one_and_two_threads(thread_count, x_shape, w_shape, kw):
    """Each thread writes its own pieces, channels or samples. The products are cut differently
    (pieces, channel blocks) and MKL may sum them in another order: float32 rounding of the largest."""
    rng = np.random.default_rng(2)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in (x_shape, w_shape, w_shape[:1]))
    results, loops, parallel_for = [], [], threads.parallel_for

    def counted(n, body, **kw):
        loops.append(n)
        return parallel_for(n, body, **kw)

    for n in (1, 2):
        thread_count(n)
        with (
            kernels.using("fast"),
            patch.object(conv_fast, "PARALLEL_MIN_FLOPS", 0),
            patch.object(threads, "parallel_for", counted),
        ):
            step = conv_step(x, w, b, **kw)
            with cr.no_grad(), patch.object(conv_fast, "INFERENCE_COLS_BYTES", 4096):  # several pieces
                inference = F.conv2d(cr.tensor(x), cr.tensor(w), cr.tensor(b), **kw).numpy()
        results.append((*step, inference))
    assert bool(loops) == (blas.active == "mkl")  # the 2-thread run used the pool (with MKL: else one core)
    for one, two in zip(*results):
        np.testing.assert_allclose(two, one, rtol=1e-5, atol=1e-5 * np.abs(one).max())
    np.testing.assert_allclose(results[0][-1], results[0][0], rtol=1e-5, atol=1e-5 * np.abs(results[0][0]).max())


def test_threads_only_for_large_convs_with_mkl(thread_count):
    """A small conv, or one on NumPy's BLAS, runs on the calling thread (its products on one core)."""
    small = ConvGeometry.of((64, 10, 14, 14), (3, 3), (2, 2), (1, 1), ((1, 1), (1, 1)))  # conv2: 46 MFLOP
    large = ConvGeometry.of((128, 40, 7, 7), (3, 3), (1, 1), (1, 1), ((1, 1), (1, 1)))  # conv3: 362 MFLOP
    thread_count(2)
    with patch.object(blas, "active", "mkl"):
        assert conv_fast.threads_for(np, small, 40) == 1 and conv_fast.threads_for(np, large, 80) == 2
    with patch.object(blas, "active", "numpy"):
        assert conv_fast.threads_for(np, large, 80) == 1
    thread_count(1)
    assert conv_fast.threads_for(np, large, 80) == 1


def covers(slices, n: int) -> bool:
    """The slices are contiguous, disjoint and cover range(n), in more than one piece."""
    spans = sorted((s.start, s.stop) for s in slices)
    return (
        len(spans) > 1
        and spans[0][0] == 0
        and spans[-1][1] == n
        and all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    )


def test_split_by_channel_or_batch(thread_count):
    """Channels when there are at least two per thread, else the batch; one thread: one call."""
    calls = []
    thread_count(2)
    record = lambda cs, ns: calls.append((cs, ns))  # noqa: E731
    conv_fast.split(8, 6, 2, record)
    assert covers([c for c, _ in calls], 8) and all(n == slice(None) for _, n in calls)
    calls.clear()
    conv_fast.split(3, 6, 2, record)
    assert covers([n for _, n in calls], 6) and all(c == slice(None) for c, _ in calls)
    calls.clear()
    conv_fast.split(8, 6, 1, record)
    assert calls == [(slice(None), slice(None))]
