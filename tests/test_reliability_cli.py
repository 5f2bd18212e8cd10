"""One way to fail: every command follows the exit-code table of ``cli_support``
(0 ok, 1 error, 2 usage, 130 interrupted), checks its options' ranges at parse time with a message
naming the option, and never prints a traceback, whatever the input.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from chainrule import cli_support
from chainrule.cli import main
from chainrule.signal import cli as signal_cli

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))

BAD = [  # (argv, exit status, text the last line of stderr holds)
    ([], 2, "the following arguments are required: COMMAND"),
    (["nope"], 2, "argument COMMAND: invalid choice: 'nope'"),
    (["--frobnicate"], 2, "the following arguments are required: COMMAND"),
    (["demo", "extra"], 2, "unrecognized arguments: extra"),
    (["graph"], 2, "the following arguments are required: EXPR"),
    (["graph", "x", "x=1", "--digits", "13"], 2, "argument --digits: must be an integer in [0, 12], got '13'"),
    (["graph", "x", "x=1", "--digits", "-1"], 2, "argument --digits: must be an integer in [0, 12], got '-1'"),
    (["graph", "x", "x=1", "--digits", "2.5"], 2, "argument --digits: must be an integer, got '2.5'"),
    (["graph", "x", "x=1", "-o", "g.txt"], 2, "argument -o/--output: g.txt: use a .svg, .png, .pdf, .dot or .gv"),
    (["graph", "x", "x=1", "-o", "no/dir/g.svg"], 2, "argument -o/--output: no/dir/g.svg: folder no/dir does not"),
    (["graph", "x", "x=nan"], 2, "'x=nan': the value must be a finite number"),
    (["graph", "(" * 300 + "x" + ")" * 300, "x=1"], 2, "too many nested parentheses"),
    (["graph", "x" + "+x" * 3000, "x=1"], 2, "nested too deeply"),
    (["graph", "__import__('os').system('true')"], 2, "at column 1 is not allowed; known functions"),
    (["convolve"], 2, "the following arguments are required: X, H"),
    (["convolve", "1,2", "3", "--mode", "circular"], 2, "argument --mode: invalid choice: 'circular'"),
    (["convolve", "1,x", "3"], 2, "argument X: 'x' is not a number"),
    (["convolve", "1", "inf"], 2, "argument H: 'inf' is not a finite number"),
    (["convolve", "1", "9" * 1001], 2, "argument H: an integer of 1001 digits; at most 1000"),
    (["convolve", ",".join(["1"] * 3000), "1,2", "--table"], 2, "argument --table: the table of 3000 + 2 = 3002"),
    (["experiment"], 2, "the following arguments are required: EXPERIMENT"),
    (["experiment", "gradients"], 2, "argument EXPERIMENT: invalid choice: 'gradients'"),
    (["experiment", "vanishing", "--seed", "-1"], 2, "argument --seed: must be an integer >= 0, got '-1'"),
    (["experiment", "overfit", "--seed", "1e3"], 2, "argument --seed: must be an integer, got '1e3'"),
    (["experiment", "sensitivity", "--data-root", "/no/such/folder"], 2, "argument --data-root: no folder"),
    (["graph", "x", "x=1", "-o", "/proc/self/no.dot"], 1, "cannot write /proc/self/no.dot"),
]


@pytest.mark.parametrize("argv, status, text", BAD, ids=[" ".join(a)[:40] or "(nothing)" for a, _, _ in BAD])
def test_bad_command_lines(argv, status, text, capsys):
    assert main(argv) == status
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert lines and text in lines[-1], err
    assert re.match(r"chainrule( [a-z]+)*: error: ", lines[-1]), lines[-1]
    assert "Traceback" not in err
    if status == cli_support.USAGE:
        assert out == ""  # a usage error is found before any work


def test_help_and_version_are_status_0(capsys):
    for argv in (["--help"], ["--version"], ["convolve", "--help"], ["experiment", "overfit", "--help"]):
        assert main(argv) == 0, argv
    assert "usage: chainrule" in capsys.readouterr().out


def test_ctrl_c_is_130_and_a_bug_is_one_line_status_1(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(signal_cli, "convolve", interrupted)
    assert main(["convolve", "1", "2"]) == 130
    assert capsys.readouterr().err == "chainrule convolve: interrupted\n"

    def bug(*args, **kwargs):
        return 1 / 0

    monkeypatch.setattr(signal_cli, "convolve", bug)
    monkeypatch.delenv("CHAINRULE_TRACEBACK", raising=False)
    assert main(["convolve", "1", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("chainrule convolve: error: ZeroDivisionError: division by zero (an unexpected error")
    assert err.count("\n") == 1 and "CHAINRULE_TRACEBACK=1" in err
    monkeypatch.setenv("CHAINRULE_TRACEBACK", "1")
    with pytest.raises(ZeroDivisionError):
        main(["convolve", "1", "2"])


CHILD = """
import sys, time
from chainrule.cli import main
from chainrule.signal import cli

def slow(*args, **kwargs):
    print("ready", flush=True)
    time.sleep(60)

cli.convolve = slow
raise SystemExit(main(["convolve", "1", "2"]))
"""


def test_a_real_sigint_exits_130_without_a_traceback():
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
    )
    try:
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130 and err == "chainrule convolve: interrupted\n"


def test_a_closed_pipe_is_status_1_without_a_traceback():
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainrule", "convolve", "3,1,2", "3,2,1", "--table"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    proc.stdout.close()  # the reader goes away before the command writes (| head -c 0)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1
    assert err == ""  # no "Traceback", no "Exception ignored ... BrokenPipeError"


def test_readme_has_the_exit_code_table():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Exit codes") :]
    section = section[: section.find("\n## ", 1) if "\n## " in section[1:] else None]
    for status in (cli_support.OK, cli_support.FAILURE, cli_support.USAGE, cli_support.INTERRUPTED):
        assert re.search(rf"^\| *`?{status}`? *\|", section, re.M), status
