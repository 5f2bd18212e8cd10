"""The flip-and-slide table: the lecture's worked example, cell by cell, and general sizes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule.signal as S

# The lecture's table for x = [3 1 2], h = [3 2 1], row by row ('' = an empty cell).
LECTURE_ROWS = [
    ("k:", ["-2", "-1", "0", "1", "2", "3", "4", "5"]),
    ("x[k]:", ["", "", "3", "1", "2", "", "", ""]),
    ("h[-k]:", ["1", "2", "3", "", "", "", "", ""]),
    ("h[1-k]:", ["", "1", "2", "3", "", "", "", ""]),
    ("h[2-k]:", ["", "", "1", "2", "3", "", "", ""]),
    ("h[3-k]:", ["", "", "", "1", "2", "3", "", ""]),
    ("h[4-k]:", ["", "", "", "", "1", "2", "3", ""]),
    ("h[5-k]:", ["", "", "", "", "", "1", "2", "3"]),
]

# Each y[n] as a sum of x[k] x h[n-k], k increasing. (The lecture writes y[1]'s second product as
# "3 x 1", h first; with x[k] first, as in every other line of the lecture, it is "1 x 3".)
LECTURE_EQUATIONS = [
    "y[0] = 3 x 3 = 9",
    "y[1] = 3 x 2 + 1 x 3 = 9",
    "y[2] = 3 x 1 + 1 x 2 + 2 x 3 = 11",
    "y[3] = 1 x 1 + 2 x 2 = 5",
    "y[4] = 2 x 1 = 2",
    "y[5] = 0 (no overlap)",
]

LECTURE_TEXT = """\
k:       -2  -1   0   1   2   3   4   5
x[k]:             3   1   2
h[-k]:    1   2   3
h[1-k]:       1   2   3
h[2-k]:           1   2   3
h[3-k]:               1   2   3
h[4-k]:                   1   2   3
h[5-k]:                       1   2   3

y[0] = 3 x 3 = 9
y[1] = 3 x 2 + 1 x 3 = 9
y[2] = 3 x 1 + 1 x 2 + 2 x 3 = 11
y[3] = 1 x 1 + 2 x 2 = 5
y[4] = 2 x 1 = 2
y[5] = 0 (no overlap)"""


def test_the_lectures_table():
    table = S.convolution_table([3, 1, 2], [3, 2, 1])
    assert table.k == list(range(-2, 6))  # from -(len(h) - 1) = -2 to len(x) + len(h) - 1 = 5
    assert table.rows() == LECTURE_ROWS
    assert table.equations() == LECTURE_EQUATIONS
    assert table.y.tolist() == [9, 9, 11, 5, 2]
    assert table.products[2] == [(0, 3, 1), (1, 1, 2), (2, 2, 3)]  # (k, x[k], h[n - k])
    assert table.products[5] == []
    assert table.text() == LECTURE_TEXT == str(table)


def test_text_columns_line_up_with_k():
    """Every cell of the text sits right-aligned under its k, so the text is the rows() data."""
    table = S.convolution_table([-1.5, 2, 10], [4, -3])
    lines = table.text().split("\n")
    rows = table.rows()
    label_width = max(len(label) for label, _ in rows)
    width = max(len(c) for _, cells in rows for c in cells) + 2
    for line, (label, cells) in zip(lines, rows):
        line = line.ljust(label_width + width * len(cells))
        assert line[:label_width].strip() == label
        parsed = [line[label_width + i * width : label_width + (i + 1) * width].strip() for i in range(len(cells))]
        assert parsed == cells
    assert table.equations()[1] == "y[1] = (-1.5) x (-3) + 2 x 4 = 12.5"


@given(x=st.lists(st.integers(-9, 9), min_size=1, max_size=12), h=st.lists(st.integers(-9, 9), min_size=1, max_size=12))
def test_any_table_sums_to_numpy_convolve(x, h):
    table = S.convolution_table(x, h)
    want = np.convolve(x, h)
    assert table.y.tolist() == want.tolist()
    assert len(table.rows()) == 2 + len(x) + len(h) and len(table.k) == len(x) + 2 * len(h) - 1
    for n, terms in enumerate(table.products[:-1]):
        assert sum(a * b for _, a, b in terms) == want[n]
        assert [k for k, _, _ in terms] == list(range(max(0, n - len(h) + 1), min(n, len(x) - 1) + 1))
        assert table.equations()[n].endswith(f"= {want[n]}")
    assert table.products[-1] == [] and table.equations()[-1].endswith("= 0 (no overlap)")


def test_bad_input():
    with pytest.raises(ValueError, match="convolution_table: h is empty"):
        S.convolution_table([1], [])
    with pytest.raises(ValueError, match=r"convolution_table: x must be a 1-D sequence, got shape \(1, 2\)"):
        S.convolution_table([[1, 2]], [1])
