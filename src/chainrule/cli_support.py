"""What every ``chainrule`` subcommand shares: one exit-code table, the one translation of an error into
a message and a status, and parse-time option checks.

Exit codes (README, "Exit codes"):

====  ==========================================================================================
0     success
1     an error while running: data that cannot be loaded, a file that cannot be written, ...
2     usage: a bad command line (unknown option, a value out of range), found before any work
130   interrupted (Ctrl-C)
====  ==========================================================================================

Commands raise; ``cli.main`` catches and prints :func:`explain`'s line (so does a data-parallel
job before it ends every rank). The checks are argparse ``type=`` functions, so a value out of
range stops the command at parse time, exit 2, with argparse's one line "argument --seed: must be
an integer >= 0, got '-1'".
"""

from __future__ import annotations

import argparse
import keyword
import math
from pathlib import Path

from .devices import DeviceError
from .errors import ChainruleError, UsageError

OK, FAILURE, USAGE, INTERRUPTED = 0, 1, 2, 130

# What a user can cause (bad data, a checkpoint of another network, an unwritable folder, a value a
# library function refuses): one line with the message. Anything else is a bug: one line that says so.
EXPECTED = (ChainruleError, DeviceError, OSError, ValueError)


def explain(err: BaseException, command: str) -> tuple[str, int]:
    """The one line to print on stderr and the exit status for ``err``, which ended ``command``."""
    if isinstance(err, KeyboardInterrupt):
        return f"{command}: interrupted", INTERRUPTED
    if isinstance(err, UsageError):
        return f"{command}: error: {err}", USAGE
    if isinstance(err, EXPECTED):
        return f"{command}: error: {err}", FAILURE
    return (
        f"{command}: error: {type(err).__name__}: {err} (an unexpected error: please report it; "
        "CHAINRULE_TRACEBACK=1 shows the traceback)"
    ), FAILURE


def command(parser: argparse.ArgumentParser, func) -> None:
    """Make ``func(args) -> status`` the subcommand ``parser`` runs; errors name it by ``parser.prog``."""
    parser.set_defaults(func=func, prog=parser.prog)


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


def parse_assignments(items: list[str]) -> dict[str, float]:
    """``["x=-2", "y=5"]`` -> ``{"x": -2.0, "y": 5.0}``; raises UsageError naming the bad item."""
    values = {}
    for item in items:
        name, eq, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not eq:
            raise UsageError(f"expected NAME=VALUE, got {item!r}")
        if not name.isidentifier() or keyword.iskeyword(name):
            raise UsageError(f"{item!r}: {name!r} is not a variable name")
        if name in values:
            raise UsageError(f"{item!r}: variable {name!r} is given twice")
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"{item!r}: {text!r} is not a number") from None
        if not math.isfinite(value):
            raise UsageError(f"{item!r}: the value must be a finite number")
        values[name] = value
    return values


def _bounds(low, high, low_open: bool = False) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low}, {high}]"
    if low is not None:
        return f"{'>' if low_open else '>='} {low}"
    return f"<= {high}" if high is not None else ""
