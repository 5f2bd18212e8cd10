"""Integer convolution is exact, never wrapped (issue 14, class 6), and the table is bounded (class
"unbounded resources"): NumPy's integer convolve wraps silently past its dtype; ours keeps NumPy's
result where nothing can overflow and is exact (int64, then Python ints) where something could.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import signal as S
from chainrule.cli import main
from chainrule.signal.table import MAX_TABLE_SAMPLES

BIG = 2**63 - 1


def reference(x, h, mode="full"):
    """y[n] = sum_k x[k] h[n - k] with Python ints, cut to NumPy's modes."""
    m, n = len(x), len(h)
    full = [sum(x[k] * h[i - k] for k in range(m) if 0 <= i - k < n) for i in range(m + n - 1)]
    start = {"full": 0, "same": (min(m, n) - 1) // 2, "valid": min(m, n) - 1}[mode]
    length = {"full": m + n - 1, "same": max(m, n), "valid": max(m, n) - min(m, n) + 1}[mode]
    return full[start : start + length]


def reference_2d(x, h):
    """Full 2-D convolution with Python ints."""
    (m, n), (p, q) = np.shape(x), np.shape(h)
    return [
        [
            sum(x[a][b] * h[i - a][j - b] for a in range(m) for b in range(n) if 0 <= i - a < p and 0 <= j - b < q)
            for j in range(n + q - 1)
        ]
        for i in range(m + p - 1)
    ]


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_int64_that_would_wrap_is_exact(mode):
    x, h = np.array([BIG, -BIG - 1, 7]), np.array([2, 3])
    assert np.convolve(x, h, mode).tolist() != reference(x.tolist(), h.tolist(), mode)  # NumPy wraps
    got = S.convolve(x, h, mode)
    assert got.dtype == object and got.tolist() == reference(x.tolist(), h.tolist(), mode)
    assert all(type(v) is int for v in got.tolist())
    c = S.correlate(x, h, mode)
    assert (
        c.tolist()
        == reference(x.tolist(), h.tolist()[::-1], mode)
        == np.correlate(x.astype(object), h.astype(object), mode).tolist()
    )


def test_narrow_dtypes_widen_only_when_needed():
    u8 = np.array([200, 100], np.uint8)
    wide = S.convolve(u8, np.array([1, 1], np.uint8))
    assert wide.dtype == np.int64 and wide.tolist() == [200, 300, 100]  # NumPy: [200, 44, 100]
    got = S.convolve(u8, np.array([2, 3], np.uint8))
    assert got.dtype == np.int64 and got.tolist() == [400, 800, 300]  # NumPy: [144, 32, 44]
    small = S.convolve(np.array([1, 2], np.int8), np.array([3, 4], np.int8))
    assert small.dtype == np.int8 and small.tolist() == [3, 10, 8]  # nothing can overflow: NumPy's, dtype too
    u64 = S.convolve(np.array([2**63], np.uint64), np.array([1], np.uint64))
    assert u64.dtype == np.uint64 and u64.tolist() == [2**63]


def test_python_ints_past_int64_and_mixed_with_floats():
    assert S.convolve([2**70, 1], [3]).tolist() == [3 * 2**70, 3]
    assert S.convolve([2**64 - 1], [2**64 - 1]).tolist() == [(2**64 - 1) ** 2]
    assert S.convolve([1.5, 2.0], [2, 1]).dtype == np.float64  # floats: unchanged
    np.testing.assert_array_equal(S.convolve([1.5, 2.0], [2, 1]), np.convolve([1.5, 2.0], [2, 1]))
    with pytest.raises(TypeError, match="x must hold numbers"):
        S.convolve(np.array(["a", 1], dtype=object), [1])


@settings(max_examples=40, deadline=None)
@given(
    x=st.lists(st.integers(-(2**80), 2**80), min_size=1, max_size=8),
    h=st.lists(st.integers(-(2**70), 2**70), min_size=1, max_size=8),
    mode=st.sampled_from(["full", "same", "valid"]),
)
def test_any_integers_are_exact(x, h, mode):
    assert S.convolve(x, h, mode).tolist() == reference(x, h, mode)


@settings(max_examples=25, deadline=None)
@given(
    x=st.lists(st.integers(-(2**62), 2**62), min_size=1, max_size=6),
    h=st.lists(st.integers(-16, 16), min_size=1, max_size=6),
)
def test_int64_arrays_are_exact_whatever_the_size(x, h):
    got = S.convolve(np.array(x, np.int64), np.array(h, np.int64))
    assert got.tolist() == reference(x, h)


def test_2d_integers_are_exact():
    x = np.array([[BIG, 1], [3, -BIG]])
    h = np.array([[4, 1], [2, 2]])
    got = S.convolve2d(x, h)
    assert got.dtype == object and got.tolist() == reference_2d(x.tolist(), h.tolist())
    corr = S.correlate2d(x, h)
    assert corr.tolist() == reference_2d(x.tolist(), h[::-1, ::-1].tolist())
    fine = S.convolve2d(np.array([[1, 2], [3, 4]]), np.array([[1, 1]]))
    assert fine.dtype == np.int64 and fine.tolist() == reference_2d([[1, 2], [3, 4]], [[1, 1]])


def test_integer_tensors_that_could_overflow_are_refused():
    assert S.convolve(cr.tensor([1, 2]), cr.tensor([3, 4])).tolist() == [3, 10, 8]
    with pytest.raises(OverflowError, match=r"convolve: integer tensors of int64 and int64 could overflow int64"):
        S.convolve(cr.tensor([2**62, 2]), cr.tensor([3, 4]))


def test_table_is_exact_and_bounded():
    table = S.convolution_table([2**63, 1], [3])
    assert table.y.tolist() == [3 * 2**63, 3]
    assert table.equations()[0] == f"y[0] = {2**63} x 3 = {3 * 2**63}"
    S.convolution_table([1] * (MAX_TABLE_SAMPLES - 1), [1])  # at the limit: fine
    with pytest.raises(ValueError, match=rf"convolution_table: the table of {MAX_TABLE_SAMPLES} \+ 1 = "):
        S.convolution_table([1] * MAX_TABLE_SAMPLES, [1])


def test_cli_table_of_long_sequences_is_refused_at_once(capsys):
    """3,000 samples took 42 s and 2.8 GB; now a usage error before any work."""
    x = ",".join(["1"] * 3000)
    start = time.perf_counter()
    assert main(["convolve", x, "1,2", "--table"]) == 2
    assert time.perf_counter() - start < 5
    err = capsys.readouterr().err
    assert "argument --table: the table of 3000 + 2 = 3002 samples" in err and "drop --table" in err
    assert main(["convolve", x, "1,2"]) == 0  # without the table: any length
    assert capsys.readouterr().out.startswith("y = [1, 3, 3, ")
