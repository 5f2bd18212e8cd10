"""chainrule.backend.blas: MKL's gemm against NumPy's @ over shapes, dtypes and every operand layout."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule.backend.blas as blas

# the test extra installs MKL wherever its wheel exists (x86-64 Linux and Windows); CI is one of those
MKL_EXPECTED = platform.machine().lower() in ("x86_64", "amd64") and sys.platform in ("linux", "win32")


@pytest.fixture(scope="module")
def mkl():
    previous = blas.active
    try:
        blas.use("mkl")  # asked for by name: "auto" takes it on Intel CPUs only
    except RuntimeError:
        if MKL_EXPECTED:
            pytest.fail("the mkl wheel is part of the test extra here, yet MKL did not load")
        pytest.skip("no MKL wheel for this platform")
    yield
    blas.use(previous)


def _layout(rng, shape, dtype, kind):
    """An array of ``shape`` laid out as C, Fortran, a row-strided slice, a transposed slice, or a step view."""
    rows, cols = shape
    if kind == "c":
        return rng.standard_normal(shape).astype(dtype)
    if kind == "f":
        return np.asfortranarray(rng.standard_normal(shape).astype(dtype))
    if kind == "rows":  # a column slice: unit inner stride, leading dimension > cols
        return rng.standard_normal((rows, cols + 3)).astype(dtype)[:, 1 : cols + 1]
    if kind == "cols":  # the transpose of such a slice
        return rng.standard_normal((cols, rows + 2)).astype(dtype)[:, :rows].T
    return rng.standard_normal((rows, 2 * cols)).astype(dtype)[:, ::2]  # no unit stride: copied first


LAYOUTS = st.sampled_from(["c", "f", "rows", "cols", "step"])


@given(
    m=st.integers(1, 40),
    k=st.integers(1, 40),
    n=st.integers(1, 40),
    la=LAYOUTS,
    lb=LAYOUTS,
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
def test_mkl_gemm_matches_numpy(mkl, m, k, n, la, lb, dtype, seed):
    rng = np.random.default_rng(seed)
    a, b = _layout(rng, (m, k), dtype, la), _layout(rng, (k, n), dtype, lb)
    got = blas.matmul(a, b)
    assert got.dtype == dtype and got.shape == (m, n) and got.flags.c_contiguous
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, a.astype(np.float64) @ b.astype(np.float64), rtol=tol * 10, atol=tol * k)


def test_lecture_sized_products_and_fallbacks(mkl):
    rng = np.random.default_rng(0)
    w, cols = rng.random((80, 361), np.float32), rng.random((361, 6272), np.float32)
    np.testing.assert_allclose(blas.matmul(w, cols), w @ cols, rtol=1e-4)
    np.testing.assert_allclose(blas.matmul(cols, cols[:80].T), cols @ cols[:80].T, rtol=1e-4)
    batched = rng.random((3, 4, 5), np.float32)
    np.testing.assert_array_equal(blas.matmul(batched, w[:5, :6]), batched @ w[:5, :6])  # NumPy's batched @
    ints = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(blas.matmul(ints, ints.T), ints @ ints.T)  # integers: NumPy's
    assert blas.matmul(np.ones((0, 3), np.float32), np.ones((3, 2), np.float32)).shape == (0, 2)
    assert blas.matmul(np.ones((2, 0), np.float32), np.ones((0, 2), np.float32)).tolist() == [[0, 0], [0, 0]]
    with pytest.raises(ValueError):  # misaligned shapes: NumPy's own error
        blas.matmul(np.ones((2, 3), np.float32), np.ones((4, 2), np.float32))
    assert "Math Kernel Library" in blas.describe()


def test_use_switches_and_rejects_unknown_names():
    previous = blas.active
    try:
        assert blas.use("numpy") == "numpy" and blas.active == "numpy"
        assert "NumPy's" in blas.describe()
        a = np.ones((2, 3), np.float32)
        np.testing.assert_array_equal(blas.matmul(a, a.T), a @ a.T)
        with pytest.raises(ValueError, match="auto, numpy or mkl"):
            blas.use("openblas")
    finally:
        blas.use(previous)


def test_asking_for_mkl_without_it_is_one_clear_error(monkeypatch):
    previous, loaded = blas.active, blas._mkl
    monkeypatch.setattr(blas, "_mkl", None)
    monkeypatch.setattr(blas, "_find_mkl", lambda: None)
    try:
        assert blas.use("auto") == "numpy"  # auto falls back quietly
        with pytest.raises(RuntimeError, match=r"CHAINRULE_BLAS=mkl.*pip install 'chainrule\[mkl\]'"):
            blas.use("mkl")
    finally:
        monkeypatch.setattr(blas, "_mkl", loaded)
        blas.use(previous)


@pytest.mark.parametrize("vendor, expected", [("GenuineIntel", "mkl"), ("AuthenticAMD", "numpy")])
def test_auto_takes_mkl_on_intel_cpus_only(mkl, monkeypatch, tmp_path, vendor, expected):
    """MKL runs generic code on other CPUs (1.05-1.95x OpenBLAS's time on an AMD EPYC, measured)."""
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nvendor_id\t: {vendor}\nmodel name\t: some CPU\n")
    real = blas.intel_cpu
    monkeypatch.setattr(blas, "intel_cpu", lambda: real(str(cpuinfo)))
    previous = blas.active
    try:
        assert blas.use("auto") == expected
        assert blas.use("mkl") == "mkl"  # by name, on any CPU
    finally:
        blas.use(previous)


def test_intel_cpu_reads_the_vendor(tmp_path):
    intel, amd = tmp_path / "intel", tmp_path / "amd"
    intel.write_text("processor\t: 0\nvendor_id\t: GenuineIntel\n")
    amd.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\n")
    assert blas.intel_cpu(str(intel)) and not blas.intel_cpu(str(amd))


def test_environment_variable_chooses_at_import():
    code = "import chainrule.backend.blas as b; print(b.active)"
    env = dict(os.environ, CHAINRULE_BLAS="numpy")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "numpy", out.stderr
    env["CHAINRULE_BLAS"] = "fastest"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode != 0 and "must be auto, numpy or mkl, got 'fastest'" in out.stderr


_PRODUCTS_WITH_TORCH = """
import os, numpy as np
{first}
import chainrule.backend.blas as blas
{second}
assert blas.active == "mkl", blas.active
rng = np.random.default_rng(0)
bad = []
for m, k, n in [(4, 1960, 50), (26, 784, 10), (80, 361, 6272), (128, 3920, 50)]:
    for a in (rng.random((m, k), np.float32), np.asfortranarray(rng.random((m, k), np.float32))):
        for b in (rng.random((k, n), np.float32), rng.random((n, k), np.float32).T):
            ref = a.astype(np.float64) @ b.astype(np.float64)
            err = np.abs(blas.matmul(a, b) - ref).max() / np.abs(ref).max()
            if err > 1e-5:
                bad.append((m, k, n, a.flags.f_contiguous, b.flags.f_contiguous, float(err)))
print("bad", bad)
"""


@pytest.mark.parametrize("torch_first", [True, False], ids=["torch-first", "chainrule-first"])
def test_mkl_threads_stay_right_beside_pytorch(mkl, torch_first):
    """PyTorch brings GNU OpenMP; MKL's Intel threading layer beside it computed wrong products
    (each thread took the same block). Two threads, either import order: every product right."""
    code = _PRODUCTS_WITH_TORCH.format(
        first="import torch" if torch_first else "", second="" if torch_first else "import torch"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("MKL_NUM_THREADS", "OMP_NUM_THREADS")}
    env.update(OMP_NUM_THREADS="2", CHAINRULE_BLAS="mkl")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "bad []", out.stdout


@pytest.mark.parametrize("name", ["mkl", "numpy"])
def test_product_written_in_place_into_a_strided_view(mkl, name):
    previous = blas.active
    try:
        blas.use(name)
        rng = np.random.default_rng(3)
        a, b = rng.random((5, 7), np.float32), rng.random((7, 9), np.float32).T.copy().T  # b: Fortran order
        target = np.zeros((5, 30), np.float32)
        blas.matmul(a, b, out=target[:, 11:20])  # rows 30 apart: MKL writes with ldc = 30
        np.testing.assert_allclose(target[:, 11:20], a @ b, rtol=1e-6)
        assert not target[:, :11].any() and not target[:, 20:].any()  # nothing outside the view
    finally:
        blas.use(previous)


@given(
    st.integers(1, 30),
    st.integers(1, 12),
    st.integers(1, 9000),
    st.booleans(),
    st.booleans(),
    st.integers(0, 2**16),
)
def test_long_inner_products_as_sums_of_small_ones(m, n, k, transposed_a, strided_out, seed):
    """Beside OpenBLAS's AVX-512 kernels, a product with a small result and a long inner dimension is
    made as a sum of partial products (``SMALL_KERNEL_MADDS``); here the chunks are forced small, on
    whatever BLAS this machine has: the sum equals the one-call product to float32 rounding."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m) if transposed_a else (m, k), dtype=np.float32)
    a = a.T if transposed_a else a
    b = rng.standard_normal((n, k), dtype=np.float32).T  # a transposed view, as the conv's upstream
    expected = a.astype(np.float64) @ b.astype(np.float64)
    out = np.full((m, n + 3), np.nan, dtype=np.float32)
    target = out[:, 1 : n + 1] if strided_out else None
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(blas, "SMALL_KERNEL_MADDS", 1024 * m * n)  # chunks of 1,024 terms
        mp.setattr(blas, "_avx512_kernels", True)
        mp.setattr(blas, "active", "numpy")
        width = blas._inner_chunk(a, b)
        assert width == (1024 if k >= 2048 else 0)
        got = blas.matmul(a, b, out=target)
    assert target is None or got is target
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.sqrt(k))
    if strided_out:
        assert np.isnan(out[:, 0]).all() and np.isnan(out[:, n + 1 :]).all()


def test_only_small_results_on_avx512_openblas_are_split(monkeypatch):
    monkeypatch.setattr(blas, "active", "numpy")
    cols, upstream = np.ones((27, 25088), np.float32), np.ones((10, 25088), np.float32)
    monkeypatch.setattr(blas, "_avx512_kernels", True)
    assert blas._inner_chunk(cols, upstream.T) == blas.SMALL_KERNEL_MADDS // 270  # the first conv's [dW | db]
    assert blas._inner_chunk(np.ones((91, 3136), np.float32), np.ones((3136, 40), np.float32)) == 0  # large result
    assert blas._inner_chunk(cols.astype(np.float64), upstream.T.astype(np.float64)) == 0  # float32 only
    assert blas._inner_chunk(cols[:, :2000], upstream[:, :2000].T) == 0  # short: one call
    monkeypatch.setattr(blas, "_avx512_kernels", False)
    assert blas._inner_chunk(cols, upstream.T) == 0  # AVX2 kernels or another BLAS: one call
