"""backend/openblas.py: NumPy's own OpenBLAS reached directly (the blocked transposition, gemm's address)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainrule.backend import openblas

needs_openblas = pytest.mark.skipif(not openblas.controllers(), reason="NumPy's BLAS is not OpenBLAS here")


@needs_openblas
@given(
    st.integers(1, 70),
    st.integers(1, 70),
    st.integers(0, 5),
    st.integers(0, 5),
    st.sampled_from([np.float32, np.float64]),
)
def test_transpose_is_an_exact_copy_of_the_transpose(m, n, pad_a, pad_out, dtype):
    """out = a.T for row-strided operands (leading dimensions wider than the rows), both float dtypes."""
    rng = np.random.default_rng(m * 71 + n)
    a = rng.standard_normal((m, n + pad_a)).astype(dtype)[:, :n]
    room = np.full((n, m + pad_out), -7.0, dtype)
    out = room[:, :m]
    assert openblas.transpose(a, out)
    np.testing.assert_array_equal(out, a.T)
    assert (room[:, m:] == -7).all()  # nothing written past the rows


def test_transpose_declines_what_it_cannot_take():
    a = np.ones((3, 4), np.float32)
    assert not openblas.transpose(a.astype(np.int64), np.empty((4, 3), np.int64))  # no integer routine
    assert not openblas.transpose(a, np.empty((4, 3), np.float64))  # dtypes differ
    assert not openblas.transpose(a, np.empty((3, 4), np.float32))  # not the transposed shape
    assert not openblas.transpose(np.ones((3, 8), np.float32)[:, ::2], np.empty((4, 3), np.float32))  # strided rows
    assert not openblas.transpose(np.ones(4, np.float32), np.empty(4, np.float32))  # not 2-D


@needs_openblas
def test_gemm_address_is_numpys_openblas():
    assert isinstance(openblas.gemm_address(np.float32), int) and isinstance(openblas.gemm_address(np.float64), int)
    assert openblas.gemm_address(np.int32) is None and openblas.gemm_address("not a dtype") is None
