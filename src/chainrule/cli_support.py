"""What every ``chainrule`` subcommand shares: one exit-code table and parse-time option checks.

Exit codes (README, "Exit codes"):

====  ==========================================================================================
0     success
1     an error while running: data that cannot be loaded, a file that cannot be written, ...
2     usage: a bad command line (unknown option, a value out of range), found before any work
130   interrupted (Ctrl-C)
====  ==========================================================================================

The checks are argparse ``type=`` functions, so a value out of range stops the command at parse
time, exit 2, with argparse's one line "argument --seed: must be an integer >= 0, got '-1'".
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

OK, FAILURE, USAGE, INTERRUPTED = 0, 1, 2, 130


def int_range(low: int | None = None, high: int | None = None):
    """An argparse type: an integer in [low, high] (either end open when None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be an integer {_bounds(low, high)}, got {text!r}")
        return value

    parse.__name__ = "integer"  # argparse names the type in its own messages
    return parse


def float_range(low: float | None = None, high: float | None = None, low_open: bool = False):
    """An argparse type: a finite float in [low, high] ((low, high] with ``low_open``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        below = low is not None and (value <= low if low_open else value < low)
        if not math.isfinite(value) or below or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be a finite number {_bounds(low, high, low_open)}, got {text!r}")
        return value

    parse.__name__ = "number"
    return parse


def existing_folder(text: str) -> str:
    """An argparse type: a folder that exists (a data root), returned as given."""
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"no folder {text!r}")
    return text


def _bounds(low, high, low_open: bool = False) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low}, {high}]"
    if low is not None:
        return f"{'>' if low_open else '>='} {low}"
    return f"<= {high}" if high is not None else ""
