"""The flip-and-slide table: discrete convolution worked by hand, as the lecture does it.

1. list the index k over a sufficient range, -(len(h)-1) .. len(x)+len(h)-1;
2. list the input x[k];
3. reverse h to get h[-k], its last element under the first of x;
4. multiply the overlapping entries and add them: y[n] = sum_k x[k] h[n - k];
5. slide h[n - k] one place to the right (n + 1) and repeat, until nothing overlaps.

The table has a row per slide and a column per k, so its size grows as (len(x) + len(h))^2: it is
for reading by hand, and ``convolution_table`` refuses more than ``MAX_TABLE_SAMPLES`` samples in all.
Integers stay Python ints throughout (exact at any size).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

from .. import backend as B
from ..autograd.tensor import Tensor
from .convolve import as_sequence, convolve

MAX_TABLE_SAMPLES = 100  # len(x) + len(h): at most 100 rows of at most 200 columns


def check_table_size(m: int, n: int, fn: str = "convolution_table") -> None:
    """ValueError when a table of sequences of lengths m and n would be longer than MAX_TABLE_SAMPLES."""
    if m + n > MAX_TABLE_SAMPLES:
        raise ValueError(
            f"{fn}: the table of {m} + {n} = {m + n} samples would have {m + n} rows of {m + 2 * n - 1} "
            f"columns; it is for reading by hand, at most {MAX_TABLE_SAMPLES} samples in all "
            "(convolve itself takes sequences of any length)"
        )


@dataclass(frozen=True)
class ConvolutionTable:
    """The table as data (``k``, ``rows()``, ``products``, ``y``) and as text (``text()``, ``str``).

    ``products[n]`` lists (k, x[k], h[n - k]) for each k where both are given, in increasing k;
    ``y`` is the full convolution, y[n] for n = 0 .. len(x)+len(h)-2.
    """

    x: tuple
    h: tuple

    @property
    def k(self) -> list[int]:
        return list(range(-(len(self.h) - 1), len(self.x) + len(self.h)))

    @property
    def n(self) -> list[int]:
        """The slide positions the table shows: 0 .. len(x)+len(h)-1, the last one past the overlap."""
        return list(range(len(self.x) + len(self.h)))

    def _h_at(self, i: int):
        return self.h[i] if 0 <= i < len(self.h) else None

    @property
    def products(self) -> list[list[tuple]]:
        return [
            [(k, self.x[k], self._h_at(n - k)) for k in range(len(self.x)) if self._h_at(n - k) is not None]
            for n in self.n
        ]

    @property
    def y(self):
        return convolve(_as_array(self.x), _as_array(self.h))

    def rows(self) -> list[tuple[str, list[str]]]:
        """(label, cells) for the k row, the x[k] row and each h[n-k] row; blank cells are ''."""
        k = self.k
        rows = [("k:", [str(i) for i in k]), ("x[k]:", [_cell(self.x[i]) if 0 <= i < len(self.x) else "" for i in k])]
        for n in self.n:
            label = "h[-k]:" if n == 0 else f"h[{n}-k]:"
            rows.append((label, [_cell(self._h_at(n - i)) for i in k]))
        return rows

    def equations(self) -> list[str]:
        """One line per n: "y[2] = 3 x 1 + 1 x 2 + 2 x 3 = 11", the products in increasing k."""
        lines = []
        for n, terms in zip(self.n, self.products):
            if not terms:
                lines.append(f"y[{n}] = 0 (no overlap)")
                continue
            sum_of_products = " + ".join(f"{_term(a)} x {_term(b)}" for _, a, b in terms)
            lines.append(f"y[{n}] = {sum_of_products} = {_cell(sum(a * b for _, a, b in terms))}")
        return lines

    def text(self) -> str:
        """The table with columns aligned, then the equations."""
        rows = self.rows()
        label_width = max(len(label) for label, _ in rows)
        width = max(len(c) for _, cells in rows for c in cells) + 2
        lines = [(label.ljust(label_width) + "".join(c.rjust(width) for c in cells)).rstrip() for label, cells in rows]
        return "\n".join(lines + [""] + self.equations())

    __str__ = text


def convolution_table(x, h) -> ConvolutionTable:
    """The lecture's flip-and-slide table for y = x * h; x=[3,1,2], h=[3,2,1] gives y=[9,9,11,5,2]."""
    x, h = as_sequence(x, "x", "convolution_table"), as_sequence(h, "h", "convolution_table")
    check_table_size(x.shape[0], h.shape[0])
    x, h = (v._data if isinstance(v, Tensor) else v for v in (x, h))
    x, h = (v.astype(B.numpy.int64) if v.dtype.kind == "b" else v for v in (x, h))  # True x False: 1 x 0
    return ConvolutionTable(tuple(x.tolist()), tuple(h.tolist()))


def _as_array(values: tuple):
    """The entries as an array: int64 or float as NumPy makes them, Python ints (object) past int64."""
    if all(isinstance(v, int) for v in values) and not all(-(2**63) <= v < 2**63 for v in values):
        return B.numpy.array(values, dtype=object)
    return B.numpy.asarray(values)


def _cell(v) -> str:
    """A number as the tables, equations and the CLI print it: 3 for 3.0, else 12 significant digits."""
    if v is None:
        return ""
    if isinstance(v, complex):
        return str(v)
    v = float(v) if not isinstance(v, int) or isinstance(v, bool) else v
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v) if isinstance(v, int) else f"{v:.12g}"


def _term(v) -> str:
    text = _cell(v)
    return f"({text})" if text.startswith("-") else text


def _show(v) -> str:
    """A number, or a sequence as "[a, b, c]", its entries as ``_cell`` writes them."""
    if isinstance(v, numbers.Number):
        return _cell(v)
    return "[" + ", ".join(_cell(e) for e in B.numpy.asarray(v).reshape(-1).tolist()) + "]"
