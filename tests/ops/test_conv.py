"""conv1d / conv2d against PyTorch (float64) and numerical gradients, over a Hypothesis grid."""

from __future__ import annotations

from contextlib import nullcontext
from unittest.mock import patch

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.ops.kernels.conv_fast as conv_module
from chainrule.backend import compiled, kernels, openblas, threads
from chainrule.ops.conv import conv1d, conv2d
from chainrule.ops.kernels import compiled as kernels_compiled

MODES = ["zeros", "constant", "reflect", "replicate", "circular"]


def same_pads(size, k, s, d):
    """TensorFlow's 'same' rule, written out independently of the library."""
    out = int(np.ceil(size / s))
    total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def explicit_pads(padding, sizes, kernel, stride, dilation):
    stride = (stride,) * len(sizes) if isinstance(stride, int) else stride
    dilation = (dilation,) * len(sizes) if isinstance(dilation, int) else dilation
    if padding == "valid":
        return [(0, 0)] * len(sizes)
    if padding == "full":
        return [(d * (k - 1),) * 2 for k, d in zip(kernel, dilation)]
    if padding == "same":
        return [same_pads(n, k, s, d) for n, k, s, d in zip(sizes, kernel, stride, dilation)]
    if isinstance(padding, int):
        return [(padding, padding)] * len(sizes)
    return [(p, p) if isinstance(p, int) else tuple(p) for p in padding]


def torch_conv(x, w, b, stride, pads, dilation, mode, value):
    """PyTorch reference: pad explicitly (F.pad order: last dim first), then a valid conv."""
    flat = [p for pair in reversed(pads) for p in pair]
    tmode = {"zeros": "constant", "constant": "constant"}.get(mode, mode)
    fill = value if mode == "constant" else 0.0
    xp = TF.pad(x, flat, mode=tmode, value=fill) if tmode == "constant" else TF.pad(x, flat, mode=tmode)
    conv = TF.conv2d if x.ndim == 4 else TF.conv1d
    return conv(xp, w, b, stride, 0, dilation)


def check_against_torch(x, w, b, stride, padding, dilation, mode, value=0.0):
    dims = x.ndim - 2
    pads = explicit_pads(padding, x.shape[2:], w.shape[2:], stride, dilation)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = None if b is None else torch.tensor(b, requires_grad=True)
    expected = torch_conv(tx, tw, tb, stride, pads, dilation, mode, value)
    upstream = np.random.default_rng(1).standard_normal(tuple(expected.shape))
    expected.backward(torch.tensor(upstream))
    cx, cw = cr.tensor(x, requires_grad=True), cr.tensor(w, requires_grad=True)
    cb = None if b is None else cr.tensor(b, requires_grad=True)
    fn = conv2d if dims == 2 else conv1d
    out = fn(cx, cw, cb, stride, padding, dilation, padding_mode=mode, value=value)
    out.backward(upstream)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(cx.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(cw.grad, tw.grad.numpy(), rtol=1e-10, atol=1e-10)
    if b is not None:
        np.testing.assert_allclose(cb.grad, tb.grad.numpy(), rtol=1e-10, atol=1e-10)


def padding_strategy(dims):
    pair = st.tuples(st.integers(0, 2), st.integers(0, 2))
    return st.one_of(
        st.integers(0, 2),
        st.sampled_from(["valid", "same", "full"]),
        st.tuples(*[st.one_of(st.integers(0, 2), pair)] * dims),
    )


@st.composite
def conv_case(draw, dims):
    n, c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    sizes = tuple(draw(st.integers(1, 9)) for _ in range(dims))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    padding = draw(padding_strategy(dims))
    mode = draw(st.sampled_from(MODES))
    pads = explicit_pads(padding, sizes, kernel, stride, dilation)
    for size, k, d, (b, a) in zip(sizes, kernel, dilation, pads):
        assume(size + b + a >= d * (k - 1) + 1)
        if mode == "reflect":
            assume(max(b, a) < size)
        if mode == "circular":
            assume(max(b, a) <= size)
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, *sizes))
    w = rng.standard_normal((f, c, *kernel))
    b = rng.standard_normal(f) if draw(st.booleans()) else None
    stride = stride if dims == 2 else stride[0]
    dilation = dilation if dims == 2 else dilation[0]
    return x, w, b, stride, padding, dilation, mode, draw(st.sampled_from([0.0, 1.5]))


@given(conv_case(2))
def test_conv2d_matches_torch(case):
    check_against_torch(*case)


@given(conv_case(2), st.integers(1, 3000))
def test_inference_conv_in_pieces_matches_torch(case, chunk_bytes):
    """Without autograd, the fast conv2d runs im2col on pieces of output positions (here as small as
    one position, the last piece shorter): the result must not depend on it."""
    x, w, b, stride, padding, dilation, mode, value = case
    pads = explicit_pads(padding, x.shape[2:], w.shape[2:], stride, dilation)
    tb = None if b is None else torch.tensor(b)
    expected = torch_conv(torch.tensor(x), torch.tensor(w), tb, stride, pads, dilation, mode, value).numpy()
    with patch.object(conv_module, "INFERENCE_COLS_BYTES", chunk_bytes), kernels.using("fast"), cr.no_grad():
        out = conv2d(cr.tensor(x), cr.tensor(w), b, stride, padding, dilation, padding_mode=mode, value=value)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-10)
    assert out._ctx is None and not out.requires_grad


@given(conv_case(2), st.integers(1, 2000))
def test_input_gradient_in_channel_blocks_matches_torch(case, block_bytes):
    """Large dcols are made in blocks of channels (here as small as one channel): same gradients."""
    with patch.object(conv_module, "DCOLS_BLOCK_BYTES", block_bytes), kernels.using("fast"):
        check_against_torch(*case)


@pytest.mark.parametrize("budget", [1, 200, 1000, 1 << 20])
def test_network_input_padded_in_blocks_of_samples(budget):
    """A network's (N, C, H, W) input is padded and turned batch-innermost a block of samples at a time
    (blocks of 16 here, the last one shorter, or all at once for the largest budget): the padded array,
    the conv and its gradients do not depend on it."""
    rng = np.random.default_rng(budget)
    x, w, b = rng.standard_normal((37, 2, 5, 6)), rng.standard_normal((3, 2, 3, 2)), rng.standard_normal(3)
    no_blas = patch.object(conv_module, "transposed", lambda xp, x: None)  # the NumPy path, not OpenBLAS's
    with patch.object(conv_module, "TRANSPOSE_BLOCK_BYTES", budget), no_blas:
        xt = x.transpose(1, 2, 3, 0)
        assert conv_module.transpose_block(xt) == (16 if budget < 1 << 20 else 37)
        geom = conv_module.ConvGeometry.of(x.shape, (3, 2), (1, 1), (1, 1), ((1, 2), (2, 0)))
        np.testing.assert_array_equal(conv_module.pad(np, xt, geom), np.pad(xt, ((0, 0), (1, 2), (2, 0), (0, 0))))
        with kernels.using("fast"):
            check_against_torch(x, w, b, (2, 1), ((1, 2), (2, 0)), (1, 1), "zeros", 0.0)


def test_unpadded_network_input_is_made_batch_innermost():
    """Without padding, a conv output (batch innermost) is read in place, and a network's (N, C, H, W)
    input is copied batch-innermost first, so that im2col copies runs of N numbers: same results."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((40, 3, 6, 5)), rng.standard_normal((2, 3, 3, 3))
    geom = conv_module.ConvGeometry.of(x.shape, (3, 3), (1, 1), (1, 1), ((0, 0), (0, 0)))
    inner = np.ascontiguousarray(x.transpose(1, 2, 3, 0))
    assert conv_module.pad(np, inner, geom) is inner
    for blas_transposition in (True, False):
        no_blas = patch.object(conv_module, "transposed", lambda xp, x: None)
        with (
            patch.object(conv_module, "TRANSPOSE_BLOCK_BYTES", 100),
            no_blas if not blas_transposition else nullcontext(),
        ):
            copied = conv_module.pad(np, x.transpose(1, 2, 3, 0), geom)
        assert copied.flags.c_contiguous and copied.shape == (3, 6, 5, 40)
        np.testing.assert_array_equal(copied, inner)
    with kernels.using("fast"):
        check_against_torch(x, w, None, (1, 2), "valid", (1, 1), "zeros", 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_network_input_transposed_by_openblas(dtype, restore_threads):
    """A dense (N, C, H, W) input is turned batch-innermost by NumPy's OpenBLAS (omatcopy) where it is
    NumPy's BLAS, then padded: the same array as np.pad's; a strided view takes the NumPy path."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((23, 3, 7, 5)).astype(dtype)
    geom = conv_module.ConvGeometry.of(x.shape, (3, 3), (1, 1), (1, 1), ((2, 1), (1, 3)))
    xt = x.transpose(1, 2, 3, 0)
    flat = conv_module.transposed(np, xt)
    if openblas.controllers():  # NumPy's wheels bring OpenBLAS: the blocked transposition must be used
        assert flat is not None and flat.flags.c_contiguous
        np.testing.assert_array_equal(flat, xt)
    np.testing.assert_array_equal(conv_module.pad(np, xt, geom), np.pad(xt, ((0, 0), (2, 1), (1, 3), (0, 0))))
    for count in (2, 1):  # on the team: the rows transposed in place by the compiled kernel (pad_rows)
        threads.set_num_threads(count)
        calls = []
        spy = lambda *a, r=kernels_compiled.pad_rows, c=calls: c.append(1) or r(*a)  # noqa: E731
        with patch.object(kernels_compiled, "pad_rows", spy):
            np.testing.assert_array_equal(conv_module.pad(np, xt, geom), np.pad(xt, ((0, 0), (2, 1), (1, 3), (0, 0))))
        on_team = count > 1 and compiled.enabled() and compiled.thread_count() > 1
        assert len(calls) == on_team and (not on_team or openblas.omatcopy_address(dtype) is not None)
    view = x[::2].transpose(1, 2, 3, 0)  # every other sample: not one dense block
    assert conv_module.transposed(np, view) is None
    geom = conv_module.ConvGeometry.of(x[::2].shape, (3, 3), (1, 1), (1, 1), ((2, 1), (1, 3)))
    np.testing.assert_array_equal(conv_module.pad(np, view, geom), np.pad(view, ((0, 0), (2, 1), (1, 3), (0, 0))))


@pytest.mark.parametrize(
    "budget, widths",
    [
        (2 * 6 * 28 * 7 * 4, [84] * 3),  # two output rows (6 positions x 7 images) a piece
        (4 * 28 * 7 * 4, [28, 14] * 6),  # a row does not fit: 4 positions, then the other 2, in each row
    ],
    ids=["rows", "within-rows"],
)
def test_inference_pieces_cover_the_output(budget, widths):
    x = np.random.default_rng(0).standard_normal((7, 3, 6, 6)).astype(np.float32)
    conv = cr.nn.Conv2d(3, 4, 3, padding=1)
    expected = conv(cr.tensor(x)).data  # with autograd: one product over the whole batch
    calls = []

    def recording(a, b, out=None):
        calls.append(b.shape[1])
        return np.matmul(a, b, out=out)

    with (
        patch.object(conv_module, "INFERENCE_COLS_BYTES", budget),
        patch.object(conv_module, "matmul", recording),
        kernels.using("fast"),
        compiled.using(False),  # the Python loop (the compiled one: tests/ops/test_compiled_kernels.py)
        cr.no_grad(),
    ):
        out = conv(cr.tensor(x)).data
    assert calls == widths  # (k + 1 = 28 rows of columns, 7 images per position)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


@given(conv_case(1))
def test_conv1d_matches_torch(case):
    check_against_torch(*case)


def test_same_padding_stride1_is_torch_same():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 8, 7)), rng.standard_normal((4, 3, 4, 3))
    out = conv2d(cr.tensor(x), cr.tensor(w), padding="same", dilation=(1, 2))
    ref = TF.conv2d(torch.tensor(x), torch.tensor(w), padding="same", dilation=(1, 2))
    np.testing.assert_allclose(out.data, ref.numpy(), atol=1e-12)


def test_same_padding_stride2_output_size():
    out = conv2d(cr.zeros(1, 1, 28, 27), cr.zeros(2, 1, 5, 5), stride=2, padding="same")
    assert out.shape == (1, 2, 14, 14)


def test_lecture_shapes():
    x = cr.zeros(3, 1, 28, 28)
    assert conv2d(x, cr.zeros(10, 1, 5, 5), stride=2, padding=2).shape == (3, 10, 14, 14)
    h = conv2d(cr.zeros(3, 10, 14, 14), cr.zeros(40, 10, 3, 3), stride=2, padding=1)
    assert h.shape == (3, 40, 7, 7)
    assert conv2d(h, cr.zeros(80, 40, 3, 3), padding=1).shape == (3, 80, 7, 7)


@pytest.mark.parametrize("mode", MODES)
def test_conv2d_grad_check(mode):
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 2, 5, 6)), rng.standard_normal((3, 2, 3, 2)), rng.standard_normal(3)

    def f(x, w, b):
        return conv2d(x, w, b, stride=(2, 1), padding=(1, (0, 1)), dilation=(1, 2), padding_mode=mode, value=0.7)

    cr.grad_check(f, x, w, b)


def test_conv1d_grad_check():
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 3, 9)), rng.standard_normal((2, 3, 3))
    cr.grad_check(lambda x, w: conv1d(x, w, stride=2, padding="full", dilation=2), x, w)


def test_float32_stays_float32():
    out = conv2d(cr.randn(2, 1, 8, 8), cr.randn(4, 1, 3, 3), cr.randn(4), padding=1)
    assert out.dtype == np.float32


def test_flipped_kernel_is_true_convolution():
    scipy_signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(5)
    x, h = rng.standard_normal((6, 7)), rng.standard_normal((3, 2))
    out = conv2d(cr.tensor(x[None, None]), cr.tensor(h[::-1, ::-1].copy()[None, None]), padding="full")
    np.testing.assert_allclose(out.data[0, 0], scipy_signal.convolve2d(x, h, mode="full"), atol=1e-12)


@pytest.mark.parametrize(
    "x_shape, w_shape, kwargs, match",
    [
        ((2, 3, 8, 8), (4, 1, 3, 3), {}, r"input has 3 channels, expected 1"),
        ((3, 8, 8), (4, 3, 3, 3), {}, r"expected a 4-D input \(N, C, H, W\), got shape \(3, 8, 8\)"),
        ((1, 1, 3, 3), (1, 1, 5, 5), {}, r"kernel of size 5 .* larger than the padded input along H: 3"),
        ((1, 1, 4, 4), (1, 1, 3, 3), {"padding": 4, "padding_mode": "reflect"}, r"reflect padding 4 .* size 4"),
        ((1, 1, 4, 4), (1, 1, 3, 3), {"padding": 5, "padding_mode": "circular"}, r"circular padding 5"),
        ((1, 1, 4, 4), (1, 1, 3, 3), {"stride": 1.5}, r"stride must be an int"),
        ((1, 1, 4, 4), (1, 1, 3, 3), {"stride": 0}, r"stride must be >= 1"),
        ((1, 1, 4, 4), (1, 1, 3, 3), {"padding": "middle"}, r"padding must be"),
        ((1, 1, 4, 4), (1, 1, 3, 3), {"padding_mode": "mirror"}, r"padding_mode must be one of"),
    ],
)
def test_conv2d_bad_input_errors(x_shape, w_shape, kwargs, match):
    with pytest.raises(ValueError, match=match):
        conv2d(cr.zeros(*x_shape), cr.zeros(*w_shape), **kwargs)


def test_conv2d_bias_shape_error():
    with pytest.raises(ValueError, match=r"bias has shape \(3,\), expected \(4,\)"):
        conv2d(cr.zeros(1, 1, 4, 4), cr.zeros(4, 1, 3, 3), cr.zeros(3))
