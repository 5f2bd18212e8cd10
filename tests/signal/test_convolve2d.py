"""2-D convolve2d / correlate2d: SciPy's values in every mode, gradients, and the conv2d bridge."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss
import torch
import torch.nn.functional as TF
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.signal as S
from chainrule.ops.conv import conv2d

MODES = ["full", "same", "valid"]
sides = st.integers(1, 9)
seeds = st.integers(0, 2**32 - 1)


def valid_ok(xs, hs):
    return all(a >= b for a, b in zip(xs, hs)) or all(a <= b for a, b in zip(xs, hs))


@pytest.mark.parametrize("mode", MODES)
@given(m=sides, n=sides, p=sides, q=sides, seed=seeds, fill=st.sampled_from([0, 0, 1.5, -2]))
def test_convolve2d_and_correlate2d_equal_scipy(mode, m, n, p, q, seed, fill):
    assume(mode != "valid" or valid_ok((m, n), (p, q)))
    rng = np.random.default_rng(seed)
    x, h = rng.standard_normal((m, n)), rng.standard_normal((p, q))
    for ours, ref in ((S.convolve2d, ss.convolve2d), (S.correlate2d, ss.correlate2d)):
        got = ours(x, h, mode, fillvalue=fill)
        assert type(got) is np.ndarray
        np.testing.assert_allclose(got, ref(x, h, mode, fillvalue=fill), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=15)
@given(m=st.integers(1, 64), p=st.integers(1, 64), seed=seeds)
def test_long_thin_images_equal_scipy(mode, m, p, seed):
    """Lengths 1..64 along one axis (odd and even), as the 1-D tests."""
    rng = np.random.default_rng(seed)
    x, h = rng.standard_normal((2, m)), rng.standard_normal((2, p))
    np.testing.assert_allclose(S.convolve2d(x, h, mode), ss.convolve2d(x, h, mode), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(S.correlate2d(x, h, mode), ss.correlate2d(x, h, mode), rtol=1e-12, atol=1e-12)


def test_complex_correlate2d_conjugates_h():
    rng = np.random.default_rng(0)
    x, h = rng.standard_normal((4, 5)) + 1j, rng.standard_normal((2, 3)) * 1j + 0.5
    for mode in MODES:
        np.testing.assert_allclose(S.correlate2d(x, h, mode), ss.correlate2d(x, h, mode))
        np.testing.assert_allclose(S.convolve2d(x, h, mode), ss.convolve2d(x, h, mode))


@pytest.mark.parametrize("fn", [S.convolve2d, S.correlate2d])
def test_bad_input_names_the_argument(fn):
    name = fn.__name__
    with pytest.raises(ValueError, match=rf"{name}: x must be a 2-D array, got shape \(3,\)"):
        fn([1.0, 2.0, 3.0], np.ones((2, 2)))
    with pytest.raises(ValueError, match=rf"{name}: h is empty"):
        fn(np.ones((2, 2)), np.ones((0, 2)))
    with pytest.raises(ValueError, match=rf"{name}: mode must be one of"):
        fn(np.ones((2, 2)), np.ones((2, 2)), "wrap")
    with pytest.raises(ValueError, match=rf"{name}: boundary must be 'fill'"):
        fn(np.ones((2, 2)), np.ones((2, 2)), boundary="symm")
    with pytest.raises(ValueError, match=rf"{name}: for mode 'valid' one input must be at least as large"):
        fn(np.ones((2, 5)), np.ones((3, 3)), "valid")
    with pytest.raises(ValueError, match="valid"):
        ss.convolve2d(np.ones((2, 5)), np.ones((3, 3)), "valid")  # SciPy refuses the same pair


def torch_convolve2d(x, h, mode, fill, flip):
    """PyTorch reference: pad by (k-1) with the fill value, correlate (flipped kernel: convolve), cut."""
    (m, n), (p, q) = x.shape, h.shape
    k = h.flip((0, 1)) if flip else h
    full = TF.conv2d(TF.pad(x[None, None], (q - 1, q - 1, p - 1, p - 1), value=fill), k[None, None])[0, 0]
    if mode == "full":
        return full
    if mode == "same":
        a, b = ((p - 1) // 2, (q - 1) // 2) if flip else (p // 2, q // 2)
        return full[a : a + m, b : b + n]
    return full[min(m, p) - 1 : max(m, p), min(n, q) - 1 : max(n, q)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("flip", [True, False])
@settings(max_examples=15)
@given(m=sides, n=sides, p=sides, q=sides, seed=seeds, fill=st.sampled_from([0.0, 0.75]))
def test_tensor_values_and_gradients_equal_torch(mode, flip, m, n, p, q, seed, fill):
    assume(mode != "valid" or valid_ok((m, n), (p, q)))
    rng = np.random.default_rng(seed)
    x, h = rng.standard_normal((m, n)), rng.standard_normal((p, q))
    tx, th = torch.tensor(x, requires_grad=True), torch.tensor(h, requires_grad=True)
    want = torch_convolve2d(tx, th, mode, 0.0 if mode == "valid" else fill, flip)
    upstream = rng.standard_normal(tuple(want.shape))
    want.backward(torch.tensor(upstream))
    cx, ch = cr.tensor(x, requires_grad=True), cr.tensor(h, requires_grad=True)
    got = (S.convolve2d if flip else S.correlate2d)(cx, ch, mode, fillvalue=fill)
    assert isinstance(got, cr.Tensor)
    got.backward(upstream)
    ref = (ss.convolve2d if flip else ss.correlate2d)(x, h, mode, fillvalue=fill)
    np.testing.assert_allclose(got.data, ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(cx.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ch.grad, th.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", MODES)
def test_grad_check_2d(mode):
    rng = np.random.default_rng(1)
    for xs, hs in (((4, 5), (2, 3)), ((2, 3), (3, 4))):
        x, h = rng.standard_normal(xs), rng.standard_normal(hs)
        cr.grad_check(lambda a, b: S.convolve2d(a, b, mode), x, h)
        cr.grad_check(lambda a, b: S.correlate2d(a, b, mode, fillvalue=0.5), x, h)


def test_bridge_conv2d_with_flipped_kernel_is_true_convolution():
    """F.conv2d correlates (no flip), as every DL library; with the kernel flipped on both axes and
    padding k-1 it is scipy.signal.convolve2d(x, h, "full"), and with padding "valid" the 'valid' one."""
    rng = np.random.default_rng(5)
    x, h = rng.standard_normal((7, 6)), rng.standard_normal((3, 2))
    flipped = h[::-1, ::-1].copy()
    out = conv2d(cr.tensor(x[None, None]), cr.tensor(flipped[None, None]), padding="full")[0, 0]
    np.testing.assert_allclose(out.data, ss.convolve2d(x, h, "full"), rtol=1e-12, atol=1e-12)
    out = conv2d(cr.tensor(x[None, None]), cr.tensor(flipped[None, None]), padding="valid")[0, 0]
    np.testing.assert_allclose(out.data, ss.convolve2d(x, h, "valid"), rtol=1e-12, atol=1e-12)
    out = conv2d(cr.tensor(x[None, None]), cr.tensor(h[None, None]), padding="valid")[0, 0]
    np.testing.assert_allclose(out.data, ss.correlate2d(x, h, "valid"), rtol=1e-12, atol=1e-12)
    assert not np.allclose(out.data, ss.convolve2d(x, h, "valid"))


@pytest.mark.parametrize("kernel", [(3, 3), (3, 2), (2, 4)])
def test_bridge_same_padding(kernel):
    """padding="same" of the conv layer is SciPy's correlate2d 'same' for every kernel; with the
    kernel flipped it is convolve2d 'same' only for odd sizes: for an even one, convolution's 'same'
    (NumPy, SciPy) puts the extra zero of padding before x, the conv layer after it."""
    rng = np.random.default_rng(sum(kernel))
    x, h = rng.standard_normal((6, 7)), rng.standard_normal(kernel)
    out = conv2d(cr.tensor(x[None, None]), cr.tensor(h[None, None]), padding="same")[0, 0]
    np.testing.assert_allclose(out.data, ss.correlate2d(x, h, "same"), rtol=1e-12, atol=1e-12)
    flipped = conv2d(cr.tensor(x[None, None]), cr.tensor(h[::-1, ::-1].copy()[None, None]), padding="same")[0, 0]
    odd = all(k % 2 for k in kernel)
    assert np.allclose(flipped.data, ss.convolve2d(x, h, "same")) == odd
