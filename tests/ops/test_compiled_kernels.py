"""The compiled kernels (backend/compiled.py, ops/kernels/compiled.py) against the NumPy forms they
replace: ReLU forward and backward, col2im, bit for bit; the switch and the thread count. (Adam's
compiled pass: tests/optim/test_adam_threads.py; every op with them on: tests/ops/test_registry.py.)"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.backend import blas, compiled, kernels, openblas, threads
from chainrule.ops.kernels import compiled as kernels_compiled
from chainrule.ops.kernels import conv_fast
from chainrule.ops.window import ConvGeometry, kernel_offsets


def _relu_both_ways(x: np.ndarray, upstream: np.ndarray):
    """(out, dx) of F.relu with the compiled kernels, then with the NumPy forms."""
    results = []
    for on in (True, False):
        with compiled.using(on):
            t = cr.tensor(x, requires_grad=True)
            out = F.relu(t)
            out.backward(cr.tensor(upstream))
            results.append((out.detach().numpy(), t.grad.numpy()))
    return results


@pytest.mark.filterwarnings("ignore:invalid value encountered in multiply")  # inf * 0 in the NumPy form
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_equals_numpy_bitwise_with_nan_inf_and_signed_zeros(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(70_000).astype(dtype)
    x[:6] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45]
    upstream = rng.standard_normal(x.size).astype(dtype)
    upstream[6:9] = [np.nan, np.inf, -np.inf]  # at inputs < 0 or > 0: NaN times 0 stays NaN, as NumPy's product
    (out_c, dx_c), (out_n, dx_n) = _relu_both_ways(x, upstream)
    np.testing.assert_array_equal(out_c, out_n)
    np.testing.assert_array_equal(dx_c, dx_n)
    assert np.isnan(out_c[0]) and out_c[1] == np.inf and out_c[2] == 0 and not np.signbit(out_c[4])


def test_relu_keeps_the_batch_innermost_layout_and_falls_back_on_strided_operands(monkeypatch):
    rng = np.random.default_rng(1)
    chwn = rng.standard_normal((10, 14, 14, 64)).astype(np.float32)
    x = chwn.transpose(3, 0, 1, 2)  # (N, C, H, W), batch-innermost in memory
    calls = []
    monkeypatch.setattr(
        kernels_compiled, "relu_forward", lambda a, o, real=kernels_compiled.relu_forward: calls.append(1) or real(a, o)
    )
    with compiled.using(True):
        out = F.relu(cr.from_numpy(x))._data  # from_numpy shares x's memory, layout included
        assert out.transpose(1, 2, 3, 0).flags.c_contiguous and calls == [1]
        np.testing.assert_array_equal(out, np.maximum(x, 0))
        strided = x[:, :, ::2]  # not one dense block: the NumPy form
        np.testing.assert_array_equal(F.relu(cr.from_numpy(strided)).numpy(), np.maximum(strided, 0))
        assert calls == [1]
        small = F.relu(cr.from_numpy(x[:1, :1])).numpy()  # under 4,096 elements: the ufunc
        assert calls == [1] and np.array_equal(small, np.maximum(x[:1, :1], 0))


CONV_CASE = {  # a small conv's sizes, drawn by Hypothesis for the compiled conv kernels' tests
    "c": st.integers(1, 5),
    "n": st.integers(1, 9),
    "hw": st.integers(3, 11),
    "k": st.integers(1, 4),
    "stride": st.integers(1, 3),
    "dilation": st.integers(1, 2),
    "pad": st.integers(0, 2),
    "dtype": st.sampled_from([np.float32, np.float64]),
}


@settings(max_examples=25, deadline=None)
@given(**CONV_CASE)
def test_col2im_equals_the_slice_additions_bitwise(c, n, hw, k, stride, dilation, pad, dtype):
    geom = ConvGeometry.of((n, c, hw, hw), (k, k), (stride, stride), (dilation, dilation), ((pad, pad), (pad, pad)))
    ho, wo = geom.out_hw
    if ho < 1 or wo < 1:
        return
    dcols = np.random.default_rng(c * n + hw).standard_normal((c, k, k, ho, wo, n)).astype(dtype)
    taps = list(kernel_offsets(geom.kernel, geom.stride, geom.dilation, geom.out_hw, lead=1))
    want = np.full((c, *geom.padded_hw, n), np.nan, dtype)  # garbage first: both must zero it
    got = want.copy()
    with compiled.using(False):
        conv_fast.add_taps(want, dcols, taps, geom)
    with compiled.using(True):
        conv_fast.add_taps(got, dcols, taps, geom)
    np.testing.assert_array_equal(got, want)  # the same sums in the same order (taps, then positions)


def _conv_operands(seed: int, n: int, c: int, hw: int, k: int, bias: bool, dtype):
    """x (n, c, hw, hw), a weight of 3 filters k x k, and a bias (or None), standard normal."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, hw, hw)).astype(dtype)
    w = rng.standard_normal((3, c, k, k)).astype(dtype)
    return x, w, rng.standard_normal(3).astype(dtype) if bias else None


@settings(max_examples=30, deadline=None)
@given(**CONV_CASE, bias=st.booleans(), budget=st.integers(1, 4000), relu=st.booleans())
def test_conv_pieces_equal_the_numpy_loop_bitwise(c, n, hw, k, stride, dilation, pad, bias, dtype, budget, relu):
    """The compiled im2col-and-product (``conv_pieces``) against conv_fast's Python loop over the same
    pieces (here as small as one position, or runs within a row): the same copies and the same cblas
    call per piece, so the same numbers, in inference (a reused buffer) and training (all columns),
    except for pieces one column wide (one image, one position), where NumPy's matmul calls gemv.
    ``relu``: the ReLU fused in (``conv2d_relu``), each piece clamped after its product."""
    if dilation * (k - 1) + 1 > hw + 2 * pad:
        return
    x, w, b = _conv_operands(c * 31 + n * 7 + hw, n, c, hw, k, bias, dtype)
    results = []
    for on in (True, False):
        with compiled.using(on), pytest.MonkeyPatch.context() as mp:
            mp.setattr(conv_fast, "INFERENCE_COLS_BYTES", budget)
            calls = []
            for name in ("conv_pieces", "conv_pieces_parallel"):  # the latter in inference on the team
                real = getattr(kernels_compiled, name)
                mp.setattr(kernels_compiled, name, lambda *a, calls=calls, real=real: calls.append(1) or real(*a))
            with cr.no_grad():
                inference = F.conv2d(cr.tensor(x), cr.tensor(w), b, stride, pad, dilation, relu=relu).numpy()
            xt, wt = cr.tensor(x, requires_grad=True), cr.tensor(w, requires_grad=True)
            out = F.conv2d(xt, wt, b, stride, pad, dilation, relu=relu)
            out.backward(cr.tensor(np.ones(out.shape, dtype)))
            results.append((inference, out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()))
            if on and blas.active == "numpy" and openblas.gemm_address(dtype) is not None:
                assert len(calls) == 2  # the compiled loop ran (NumPy's OpenBLAS 64-bit cblas found)
            if not on:
                assert calls == []
    for got, want in zip(*results):
        if n > 1:  # each piece's product by the same cblas_?gemm call as NumPy's matmul makes
            np.testing.assert_array_equal(got, want)
        else:  # a piece one column wide: NumPy's matmul takes gemv, whose sums may round differently
            np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-13, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(**CONV_CASE, bias=st.booleans(), budget=st.integers(1, 4000), relu=st.booleans())
def test_conv_pieces_on_the_team_equal_one_thread_bitwise(
    c, n, hw, k, stride, dilation, pad, bias, dtype, budget, relu
):
    """Inference with the pieces shared out among the team's threads (``conv_pieces_parallel``, each
    product unthreaded) against the same pieces on one thread: the same numbers, bit for bit. (Other
    pieces may round differently: OpenBLAS's small-matrix kernels sum in another order.)"""
    from chainrule.backend import team

    if dilation * (k - 1) + 1 > hw + 2 * pad:
        return
    x, w, b = _conv_operands(c * 37 + n * 5 + hw, n, c, hw, k, bias, dtype)
    ho = (hw + 2 * pad - dilation * (k - 1) - 1) // stride + 1
    total = ho * ho * (c * k * k + 1) * n * np.dtype(dtype).itemsize  # the columns' bytes, as product_in_pieces
    budget = min(budget, -(-total // 4))  # pieces two threads would not cut smaller: the same pieces both ways
    before = threads.get_num_threads()
    results, calls = [], []
    try:
        for count in (2, 1):
            threads.set_num_threads(count)
            with compiled.using(True), pytest.MonkeyPatch.context() as mp, cr.no_grad():
                mp.setattr(conv_fast, "INFERENCE_COLS_BYTES", budget)
                real = kernels_compiled.conv_pieces_parallel
                spy = lambda *a, c=count, r=real: calls.append(c) or r(*a)  # noqa: E731
                mp.setattr(kernels_compiled, "conv_pieces_parallel", spy)
                results.append(F.conv2d(cr.tensor(x), cr.tensor(w), b, stride, pad, dilation, relu=relu).numpy())
    finally:
        threads.set_num_threads(before)
    if team.installed and openblas.gemm_address(dtype) is not None and blas.active == "numpy":
        assert calls in ([], [2])  # [] when the whole output is one piece
    else:
        assert calls == []
    if n > 1:
        np.testing.assert_array_equal(results[0], results[1])
    else:  # one-column pieces: gemv's sums in the Python loop
        np.testing.assert_allclose(results[0], results[1], rtol=1e-5 if dtype == np.float32 else 1e-13, atol=1e-6)


def test_conv_pieces_are_skipped_where_they_cannot_run(monkeypatch):
    """MKL's products, several of chainrule's threads in the conv (MKL's pool), or an input that is not
    one dense block: conv_fast's own loop."""
    xpad = np.zeros((2, 5, 5, 3), np.float32)
    w_b = np.zeros((4, 19), np.float32)
    with compiled.using(True):
        if openblas.gemm_address(np.float32) is None:
            pytest.skip("NumPy's BLAS here has no 64-bit cblas_sgemm")
        assert conv_fast.compiled_gemm(np, xpad, w_b, 1) == openblas.gemm_address(np.float32)
        assert conv_fast.compiled_gemm(np, xpad, w_b, 2) is None
        assert conv_fast.compiled_gemm(np, xpad[:, :, ::2], w_b, 1) is None
        assert conv_fast.compiled_gemm(np, xpad, w_b.astype(np.float64), 1) is None
        monkeypatch.setattr(blas, "active", "mkl")
        assert conv_fast.compiled_gemm(np, xpad, w_b, 1) is None
    with compiled.using(False):
        monkeypatch.setattr(blas, "active", "numpy")
        assert conv_fast.compiled_gemm(np, xpad, w_b, 1) is None


def test_conv_gradients_agree_with_and_without_compiled_kernels():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((32, 10, 14, 14)).astype(np.float32)
    w = rng.standard_normal((40, 10, 3, 3)).astype(np.float32)
    grads = []
    for on in (True, False):
        with compiled.using(on):
            xt, wt = cr.tensor(x, requires_grad=True), cr.tensor(w, requires_grad=True)
            F.relu(F.conv2d(xt, wt, stride=2, padding=1)).sum().backward()
            grads.append((xt.grad.numpy(), wt.grad.numpy()))
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


def test_switch_follows_the_reference_kernels_and_restores():
    before = compiled.active
    with compiled.using(True):
        assert compiled.enabled()
        with kernels.using("reference"):
            assert not compiled.enabled()  # the reference forms never run compiled code
        with compiled.using(False):
            assert not compiled.enabled()
        assert compiled.enabled()
    assert compiled.active == before


def test_asking_for_compiled_kernels_without_numba_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(compiled, "available", False)
    monkeypatch.setattr(compiled, "active", compiled.active)  # put back after use(False) below
    with pytest.raises(RuntimeError, match=r"need Numba: pip install 'chainrule\[compiled\]'"):
        compiled.use(True)
    assert compiled.use(False) is False


def test_environment_variable_turns_them_off_at_import():
    code = "import chainrule.backend.compiled as c; print(c.available, c.active)"
    env = dict(os.environ, CHAINRULE_COMPILED="0")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False"]


def test_numba_threads_follow_chainrule_and_the_blas(restore_threads, monkeypatch):
    """All of chainrule's threads when MKL's (GNU OpenMP) threads are Numba's own, or when NumPy's
    OpenBLAS runs its threaded products on Numba's team (backend/team.py); one beside OpenBLAS's own
    spinning threads, and one inside a parallel_for block."""
    from chainrule.backend import team

    cr.set_num_threads(2)
    monkeypatch.setattr(blas, "active", "mkl")
    assert compiled.thread_count() == 2
    seen = []
    threads.parallel_for(4, lambda a, b: seen.append(compiled.thread_count()))
    assert seen and set(seen) == {1}
    monkeypatch.setattr(blas, "active", "numpy")
    assert compiled.thread_count() == (2 if team.install() else 1)
    team.uninstall()
    try:
        assert compiled.thread_count() == 1  # OpenBLAS's own threads: Numba's stay at one
    finally:
        team.install()
    import numba

    monkeypatch.setattr(blas, "active", "mkl")
    compiled._local.threads = None
    kernels_compiled.relu_forward(np.ones(8, np.float32), np.empty(8, np.float32))
    assert numba.get_num_threads() == min(2, numba.config.NUMBA_NUM_THREADS)
