"""``chainrule convolve X H [--mode same] [--table]``: y = x * h, and the flip-and-slide table.

``add_parser(subparsers)`` registers the subcommand; ``run(args)`` returns the exit status: 0, or
2 with one line on stderr naming the bad argument (no traceback).
"""

from __future__ import annotations

import argparse
import math
import sys

from .. import backend as B
from .convolve import MODES, convolve, full_start
from .table import _show, convolution_table

USAGE_ERROR = 2


class _ArgumentError(Exception):
    """A bad command-line value: one line on stderr, exit status 2."""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``convolve`` to an argparse subparsers object; its ``func`` default is ``run``."""
    p = subparsers.add_parser(
        "convolve", help="discrete convolution y = x * h, with the flip-and-slide table",
        description="Convolve two sequences as numpy.convolve does (the kernel flipped, unlike a conv "
        "layer) and, with --table, show the lecture's flip-and-slide table with each y[n] as its sum "
        "of products.",
        epilog="example: chainrule convolve 3,1,2 3,2,1 --table   (a sequence that starts with '-' "
        "goes after '--': chainrule convolve -- -1,2 3,4)",
    )
    p.add_argument("x", metavar="X", help="the input sequence, comma-separated numbers: 3,1,2")
    p.add_argument("h", metavar="H", help="the unit sample response, comma-separated numbers: 3,2,1")
    p.add_argument("--mode", default="full", help="full (default), same or valid, as numpy.convolve")
    p.add_argument("--table", action="store_true", help="print the flip-and-slide table and each y[n]")
    p.set_defaults(func=run)
    return p


def parse_sequence(text: str, name: str):
    """"3,1,2" -> array([3, 1, 2]) (integers if every entry is one, else floats)."""
    entries = [e.strip() for e in text.split(",")]
    if text.strip() == "":
        raise _ArgumentError(f"argument {name}: empty sequence; give comma-separated numbers such as 3,1,2")
    values = []
    for e in entries:
        try:
            values.append(int(e))
        except ValueError:
            try:
                v = float(e)
            except ValueError:
                raise _ArgumentError(f"argument {name}: {e!r} is not a number (in {text!r})") from None
            if not math.isfinite(v):
                raise _ArgumentError(f"argument {name}: {e!r} is not a finite number (in {text!r})") from None
            values.append(v)
    return B.xp.asarray(values)


def run(args) -> int:
    """Print y = x * h in the chosen mode (and the table with ``--table``); returns the exit status."""
    try:
        x, h = parse_sequence(args.x, "X"), parse_sequence(args.h, "H")
        if args.mode not in MODES:
            raise _ArgumentError(f"argument --mode: {args.mode!r} is not one of {', '.join(MODES)}")
    except _ArgumentError as err:
        print(f"chainrule convolve: error: {err}", file=sys.stderr)
        return USAGE_ERROR
    if args.table:
        print(convolution_table(x, h).text())
        print()
    y = convolve(x, h, args.mode)
    note = ""
    if args.mode != "full":
        start = full_start(args.mode, min(len(x), len(h)))
        note = f"   (mode {args.mode}: y[{start}] .. y[{start + len(y) - 1}] of the full result)"
    print(f"y = {_show(y)}{note}")
    return 0
