"""1-D convolve / correlate: NumPy's values in every mode, and gradients (grad_check, PyTorch)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.signal as S

MODES = ["full", "same", "valid"]
lengths = st.integers(1, 64)
seeds = st.integers(0, 2**32 - 1)


def numpy_slice(m, n, mode):
    """Where numpy.convolve's mode cuts the full result (written out here, independently)."""
    short, long_ = min(m, n), max(m, n)
    return {
        "full": slice(0, m + n - 1),
        "same": slice((short - 1) // 2, (short - 1) // 2 + long_),
        "valid": slice(short - 1, long_),
    }[mode]


def torch_convolve(x, h, mode):
    """True convolution in PyTorch: conv1d (a correlation) with the kernel flipped, full padding."""
    full = TF.conv1d(x.reshape(1, 1, -1), h.flip(0).reshape(1, 1, -1), padding=h.shape[0] - 1).reshape(-1)
    return full[numpy_slice(x.shape[0], h.shape[0], mode)]


@pytest.mark.parametrize("mode", MODES)
@given(m=lengths, n=lengths, seed=seeds)
def test_convolve_equals_numpy(mode, m, n, seed):
    rng = np.random.default_rng(seed)
    x, h = rng.standard_normal(m), rng.standard_normal(n)
    got = S.convolve(x, h, mode)
    assert type(got) is np.ndarray and got.dtype == np.float64
    np.testing.assert_allclose(got, np.convolve(x, h, mode), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@given(m=lengths, n=lengths, seed=seeds)
def test_correlate_equals_numpy(mode, m, n, seed):
    rng = np.random.default_rng(seed)
    x, h = rng.standard_normal(m), rng.standard_normal(n)
    np.testing.assert_allclose(S.correlate(x, h, mode), np.correlate(x, h, mode), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "m, n",
    [(1, 1), (2, 2), (3, 3), (4, 2), (2, 4), (5, 2), (2, 5), (6, 3), (3, 6), (7, 4), (4, 7), (8, 8), (1, 6), (6, 1)],
)
def test_odd_and_even_lengths_exact_for_integers(mode, m, n):
    """Integer sequences: the same integers as NumPy, dtype included, for each odd/even pairing."""
    rng = np.random.default_rng(m * 10 + n)
    x, h = rng.integers(-9, 10, m), rng.integers(-9, 10, n)
    for ours, ref in ((S.convolve, np.convolve), (S.correlate, np.correlate)):
        got, want = ours(x, h, mode), ref(x, h, mode)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_defaults_lists_scalars_and_complex():
    assert S.convolve([3, 1, 2], [3, 2, 1]).tolist() == [9, 9, 11, 5, 2]  # full by default
    assert S.correlate([1, 2, 3], [0, 1, 0.5]).tolist() == np.correlate([1, 2, 3], [0, 1, 0.5]).tolist()  # valid
    np.testing.assert_array_equal(S.convolve(3, [1, 2]), np.convolve(3, [1, 2]))  # 0-d is a length-1 sequence
    rng = np.random.default_rng(0)
    a, v = rng.standard_normal(5) + 1j * rng.standard_normal(5), rng.standard_normal(3) - 2j
    for mode in MODES:
        np.testing.assert_allclose(S.convolve(a, v, mode), np.convolve(a, v, mode))
        np.testing.assert_allclose(S.correlate(a, v, mode), np.correlate(a, v, mode))
        np.testing.assert_allclose(S.correlate(v, a, mode), np.correlate(v, a, mode))


@pytest.mark.parametrize("fn", [S.convolve, S.correlate])
def test_bad_input_names_the_argument(fn):
    name = fn.__name__
    with pytest.raises(ValueError, match=rf"{name}: x is empty"):
        fn([], [1.0])
    with pytest.raises(ValueError, match=rf"{name}: h is empty"):
        fn([1.0], np.array([]))
    with pytest.raises(ValueError, match=rf"{name}: x must be a 1-D sequence, got shape \(2, 2\)"):
        fn(np.ones((2, 2)), [1.0])
    with pytest.raises(ValueError, match=rf"{name}: h must be a 1-D sequence, got shape \(1, 3\)"):
        fn([1.0], cr.ones(1, 3))
    with pytest.raises(ValueError, match=rf"{name}: mode must be one of 'full', 'same', 'valid', got 'circular'"):
        fn([1.0], [1.0], "circular")
    with pytest.raises(TypeError, match=rf"{name}: x must hold numbers"):
        fn(["a", "b"], [1.0])


# --- tensors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@given(m=lengths, n=lengths, seed=seeds)
def test_tensor_values_and_gradients_equal_torch(mode, m, n, seed):
    rng = np.random.default_rng(seed)
    x, h = rng.standard_normal(m), rng.standard_normal(n)
    tx, th = torch.tensor(x, requires_grad=True), torch.tensor(h, requires_grad=True)
    want = torch_convolve(tx, th, mode)
    upstream = rng.standard_normal(tuple(want.shape))
    want.backward(torch.tensor(upstream))
    cx, ch = cr.tensor(x, requires_grad=True), cr.tensor(h, requires_grad=True)
    got = S.convolve(cx, ch, mode)
    assert isinstance(got, cr.Tensor) and got.dtype == np.float64
    got.backward(upstream)
    np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got.data, np.convolve(x, h, mode), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(cx.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ch.grad, th.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=10)
@given(m=st.integers(1, 12), n=st.integers(1, 12), seed=seeds)
def test_grad_check_convolve_and_correlate(mode, m, n, seed):
    rng = np.random.default_rng(seed)
    x, h = rng.standard_normal(m), rng.standard_normal(n)
    cr.grad_check(lambda a, b: S.convolve(a, b, mode), x, h)
    cr.grad_check(lambda a, b: S.correlate(a, b, mode), x, h)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("m, n", [(5, 3), (3, 5), (4, 4), (6, 1)])
def test_tensor_correlate_values_and_gradients_equal_torch(mode, m, n):
    """Correlation of tensors, NumPy's swap rule included, against PyTorch's conv1d (no flip)."""
    rng = np.random.default_rng(m + 7 * n)
    x, h = rng.standard_normal(m), rng.standard_normal(n)
    tx, th = torch.tensor(x, requires_grad=True), torch.tensor(h, requires_grad=True)
    if n <= m:
        want = torch_convolve(tx, th.flip(0), mode)
    else:
        want = torch_convolve(th, tx.flip(0), mode).flip(0)
    want.sum().backward()
    cx, ch = cr.tensor(x, requires_grad=True), cr.tensor(h, requires_grad=True)
    got = S.correlate(cx, ch, mode)
    got.sum().backward()
    np.testing.assert_allclose(got.data, np.correlate(x, h, mode), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cx.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ch.grad, th.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_tensor_dtypes_and_mixed_arguments():
    x32 = cr.tensor([3.0, 1.0, 2.0], requires_grad=True)
    y = S.convolve(x32, [3, 2, 1])  # a plain list beside a tensor takes the tensor's dtype
    assert isinstance(y, cr.Tensor) and y.dtype == np.float32 and y.tolist() == [9, 9, 11, 5, 2]
    y.sum().backward()
    assert x32.grad.dtype == np.float32 and x32.grad.tolist() == [6, 6, 6]  # sum(h) for every x[k]
    h64 = cr.tensor(np.array([1.0, -1.0]), requires_grad=True)
    out = S.convolve(np.array([1.0, 2.0, 4.0]), h64, "valid")
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0]
    out.sum().backward()
    assert h64.grad.tolist() == [6.0, 3.0]  # y[0] + y[1] = h[0] (x[1] + x[2]) + h[1] (x[0] + x[1])
    assert S.convolve(np.array([1, 2]), np.array([3, 4])).dtype == np.convolve([1, 2], [3, 4]).dtype


def test_bridge_conv1d_with_flipped_kernel_is_true_convolution():
    """The conv layer's op correlates; flip the kernel and pad by k - 1 and it convolves.

    F.conv1d(x, flip(h), padding=k-1) == signal.convolve(x, h, "full"), values and gradients;
    without the flip it is signal.correlate(x, h, "full").
    """
    from chainrule.ops.conv import conv1d

    rng = np.random.default_rng(3)
    x, h = rng.standard_normal(11), rng.standard_normal(4)
    a = cr.tensor(x, requires_grad=True)
    b = cr.tensor(h, requires_grad=True)
    layer = conv1d(a.reshape(1, 1, 11), b[::-1].reshape(1, 1, 4), padding=3).reshape(-1)
    upstream = rng.standard_normal(14)
    layer.backward(upstream)
    grads = a.grad.clone(), b.grad.clone()
    a.grad = b.grad = None
    sig = S.convolve(a, b, "full")
    sig.backward(upstream)
    np.testing.assert_allclose(layer.data, sig.data, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads[0], a.grad, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads[1], b.grad, rtol=1e-12, atol=1e-12)
    unflipped = conv1d(cr.tensor(x.reshape(1, 1, 11)), cr.tensor(h.reshape(1, 1, 4)), padding=3).reshape(-1)
    np.testing.assert_allclose(unflipped.data, np.correlate(x, h, "full"), rtol=1e-12, atol=1e-12)
    assert not np.allclose(unflipped.data, sig.data)  # the flip matters for this (asymmetric) h
