"""``chainrule convolve X H [--mode same] [--table]``: y = x * h, and the flip-and-slide table.

``add_parser(subparsers)`` registers the subcommand; ``run(args)`` returns the exit status (the
table in ``chainrule.cli_support``) or raises. X, H and --mode are checked at parse time (exit 2, one
line naming the argument); ``--table`` takes at most ``MAX_TABLE_SAMPLES`` samples in all (a
UsageError beyond).
Integers are exact at any size (Python ints past int64), never wrapped.
"""

from __future__ import annotations

import argparse
import math
import sys

from .. import backend as B
from ..cli_support import OK, command
from ..errors import UsageError
from .convolve import MODES, convolve, full_start
from .table import MAX_TABLE_SAMPLES, _show, check_table_size, convolution_table

INT64 = (-(2**63), 2**63 - 1)
MAX_DIGITS = 1000  # per integer: exact products and sums stay far below Python's 4300-digit str() limit


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``convolve`` to an argparse subparsers object; its ``func`` default is ``run``."""
    p = subparsers.add_parser(
        "convolve",
        help="discrete convolution y = x * h, with the flip-and-slide table",
        description="Convolve two sequences as numpy.convolve does (the kernel flipped, unlike a conv "
        "layer) and, with --table, show the lecture's flip-and-slide table with each y[n] as its sum "
        "of products. Integers are exact at any size.",
        epilog="example: chainrule convolve 3,1,2 3,2,1 --table   (a sequence that starts with '-' "
        "goes after '--': chainrule convolve -- -1,2 3,4)",
    )
    p.add_argument("x", metavar="X", type=sequence, help="the input sequence, comma-separated numbers: 3,1,2")
    p.add_argument("h", metavar="H", type=sequence, help="the unit sample response, comma-separated numbers: 3,2,1")
    p.add_argument("--mode", default="full", choices=MODES, help="full (default), same or valid, as numpy.convolve")
    p.add_argument(
        "--table",
        action="store_true",
        help="print the flip-and-slide table and each y[n] (for "
        f"reading by hand: at most {MAX_TABLE_SAMPLES} samples of X and H together)",
    )
    command(p, run)
    return p


def sequence(text: str):
    """argparse type: "3,1,2" -> array([3, 1, 2]): int64 if every entry is an integer that fits,
    Python ints (an object array) if one does not (up to MAX_DIGITS digits), else float64 (all finite)."""
    if text.strip() == "":
        raise argparse.ArgumentTypeError("empty sequence; give comma-separated numbers such as 3,1,2")
    values = []
    for e in (e.strip() for e in text.split(",")):
        if len(e.lstrip("+-")) > MAX_DIGITS and e.lstrip("+-").isdigit():
            raise argparse.ArgumentTypeError(
                f"an integer of {len(e.lstrip('+-'))} digits; at most {MAX_DIGITS} (in {_short(text)})"
            )
        try:
            values.append(int(e))
        except ValueError:
            try:
                v = float(e)
            except ValueError:
                raise argparse.ArgumentTypeError(f"{e!r} is not a number (in {_short(text)})") from None
            if not math.isfinite(v):
                raise argparse.ArgumentTypeError(f"{e!r} is not a finite number (in {_short(text)})") from None
            values.append(v)
    if all(isinstance(v, int) for v in values):
        if all(INT64[0] <= v <= INT64[1] for v in values):
            return B.numpy.asarray(values, dtype=B.numpy.int64)
        return B.numpy.array(values, dtype=object)  # exact: Python ints
    for v in values:
        if isinstance(v, int) and not -1e308 < v < 1e308:  # float(v) would overflow
            raise argparse.ArgumentTypeError(
                f"an integer of {len(str(abs(v)))} digits is too large to mix with "
                f"decimals in one sequence (in {_short(text)})"
            )
    return B.numpy.asarray([float(v) for v in values])


def _short(text: str, limit: int = 60) -> str:
    return repr(text) if len(text) <= limit else repr(text[: limit - 3] + "...")


def run(args) -> int:
    """Print y = x * h in the chosen mode (and the table with ``--table``); returns the exit status."""
    x, h = args.x, args.h
    if args.table:
        try:
            check_table_size(len(x), len(h), "--table")
        except ValueError as err:
            raise UsageError(f"argument {err}; drop --table") from None
        print(convolution_table(x, h).text())
        print()
    with B.numpy.errstate(over="ignore", invalid="ignore"):  # floats as NumPy: inf past 1.8e308, said below
        y = convolve(x, h, args.mode)
    note = ""
    if args.mode != "full":
        start = full_start(args.mode, min(len(x), len(h)))
        note = f"   (mode {args.mode}: y[{start}] .. y[{start + len(y) - 1}] of the full result)"
    print(f"y = {_show(y)}{note}")
    if y.dtype.kind == "f" and not B.module_of(y).isfinite(y).all():
        print(
            "note: some sums overflow float64 (inf, nan); integers without a decimal point are exact", file=sys.stderr
        )
    return OK
