"""``chainrule convolve``: the subcommand's parser and run(), through a small parser of our own."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

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


@pytest.mark.parametrize("argv, message", [
    (["3,a,2", "3,2,1"], "argument X: 'a' is not a number (in '3,a,2')"),
    (["3,1,2", "3,,1"], "argument H: '' is not a number (in '3,,1')"),
    (["", "3,2,1"], "argument X: empty sequence"),
    (["3,1,2", " "], "argument H: empty sequence"),
    (["1,nan", "1"], "argument X: 'nan' is not a finite number"),
    (["1,2", "1", "--mode", "circular"], "argument --mode: 'circular' is not one of full, same, valid"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    code, out, err = invoke(["convolve", *argv], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("chainrule convolve: error: ") and message in err
    assert "Traceback" not in err
