"""``chainrule convolve``: the subcommand's parser and run(), through a small parser of our own."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.signal import cli

from .test_table import LECTURE_TEXT


def invoke(argv, capsys):
    parser = argparse.ArgumentParser(prog="chainrule")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    assert args.func is cli.run  # the main CLI dispatches through args.func
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_lecture_example(capsys):
    code, out, err = invoke(["convolve", "3,1,2", "3,2,1"], capsys)
    assert (code, out, err) == (0, "y = [9, 9, 11, 5, 2]\n", "")


def test_table_is_the_lectures(capsys):
    code, out, _ = invoke(["convolve", "3,1,2", "3,2,1", "--table"], capsys)
    assert code == 0
    assert out == LECTURE_TEXT + "\n\ny = [9, 9, 11, 5, 2]\n"
    assert "y[2] = 3 x 1 + 1 x 2 + 2 x 3 = 11" in out.splitlines()


@pytest.mark.parametrize("mode, first", [("same", 1), ("valid", 2)])
def test_modes(mode, first, capsys):
    code, out, _ = invoke(["convolve", "3,1,2", "3,2,1", "--mode", mode], capsys)
    y = np.convolve([3, 1, 2], [3, 2, 1], mode)
    shown = ", ".join(str(v) for v in y)
    assert code == 0
    assert out == f"y = [{shown}]   (mode {mode}: y[{first}] .. y[{first + len(y) - 1}] of the full result)\n"


def test_floats_negatives_and_spaces(capsys):
    code, out, _ = invoke(["convolve", "--", "-1, 0.5", "2,-4"], capsys)
    assert code == 0 and out == "y = [-2, 5, -2]\n"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["3,a,2", "3,2,1"], "argument X: 'a' is not a number (in '3,a,2')"),
        (["3,1,2", "3,,1"], "argument H: '' is not a number (in '3,,1')"),
        (["", "3,2,1"], "argument X: empty sequence"),
        (["3,1,2", " "], "argument H: empty sequence"),
        (["1,nan", "1"], "argument X: 'nan' is not a finite number"),
        (["1,2", "1", "--mode", "circular"], "argument --mode: invalid choice: 'circular'"),
        ([f"{10**400},0.5", "1"], "argument X: an integer of 401 digits is too large to mix with decimals"),
        (["1", "-" + "9" * 1001], "argument H: an integer of 1001 digits; at most 1000"),
        (["1", "9" * 5000], "argument H: an integer of 5000 digits; at most 1000"),
        (["1," * 60 + "1", "1," * 40 + "1", "--table"], "argument --table: the table of 61 + 41 = 102 samples"),
    ],
)
def test_bad_input_is_exit_2_naming_the_argument(argv, message, capsys):
    code = main(["convolve", *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.splitlines()[-1].startswith("chainrule convolve: error: ") and message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "x, h",
    [
        ("9223372036854775807", "2"),
        ("-9223372036854775808", "-1,3"),
        (f"{2**64 + 1},{-(3**50)},7", f"{2**70},-1"),
        ("4294967296,3", "4294967296,5"),
    ],
)
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_integers_are_exact_never_wrapped(x, h, mode, capsys):
    """The issue's `convolve 9223372036854775807 2` printed [-2]; integers past int64 gave a traceback."""
    xs, hs = [int(v) for v in x.split(",")], [int(v) for v in h.split(",")]
    want = np.convolve(np.array(xs, dtype=object), np.array(hs, dtype=object), mode)  # Python ints: exact
    assert main(["convolve", "--mode", mode, "--", x, h]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"y = [{', '.join(str(v) for v in want)}]")


def test_table_with_integers_past_int64(capsys):
    assert main(["convolve", f"{2**63},1", "3", "--table"]) == 0
    out = capsys.readouterr().out
    assert f"y[0] = {2**63} x 3 = {3 * 2**63}" in out and out.endswith(f"y = [{3 * 2**63}, 3]\n")


def test_float_overflow_is_numpys_inf_with_a_note(capsys, recwarn):
    assert main(["convolve", "1e308,1e308", "10"]) == 0
    out, err = capsys.readouterr()
    assert out == "y = [inf, inf]\n" and err.startswith("note: some sums overflow float64")
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
