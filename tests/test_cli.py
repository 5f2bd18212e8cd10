"""The command line: ``chainrule graph``, ``chainrule demo`` (the backprop demo), ``--version``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import chainrule as cr
from chainrule.cli import main
from chainrule.viz import graph as G

SIGMOID = ["1/(1+exp(-(w0*x0+w1*x1+w2)))", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"]
SIGMOID_LINES = ["f = 0.73", "df/dw0 = -0.20", "df/dx0 = 0.39", "df/dw1 = -0.39", "df/dx1 = -0.59", "df/dw2 = 0.20"]
SRC = str(Path(__file__).resolve().parents[1] / "src")


def run_module(*args, env=None, cwd=None):
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "chainrule", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def test_graph_prints_value_gradients_and_trace(capsys):
    assert main(["graph", *SIGMOID]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[: len(SIGMOID_LINES)] == SIGMOID_LINES
    assert "[1.00] x [-1.00/(1.37)^2] = -0.53" in out and "[-0.53] x [e^(-1.00)] = -0.20" in out


def test_graph_single_sigmoid_node_and_options(capsys):
    assert main(["graph", "sigmoid(w0*x0+w1*x1+w2)", *SIGMOID[1:], "--digits", "4"]) == 0
    out = capsys.readouterr().out
    assert "f = 0.7311" in out and "df/dx1 = -0.5898" in out
    assert "[1.00] x [(1 - 0.73)(0.73)] = 0.20" in out
    assert main(["graph", "(x + y) * z", "x=-2", "y=5", "z=-4", "--no-trace"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["f = -12.00", "df/dx = -4.00", "df/dy = -4.00", "df/dz = 3.00"]


def test_graph_draws_dot(tmp_path, capsys):
    path = tmp_path / "simple.dot"
    assert main(["graph", "(x + y) * z", "x=-2", "y=5", "z=-4", "--no-trace", "-o", str(path)]) == 0
    src = path.read_text(encoding="utf-8")
    assert 'label="+"' in src and 'label="*"' in src and "-12.00" in src
    assert f"graph source written to {path}" in capsys.readouterr().out


def test_graph_draws_svg(tmp_path, capsys):
    if G.find_dot() is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz's `dot` is not installed, and CI is set: rendering must be tested")
        pytest.skip("Graphviz's `dot` is not installed (set CI to make this a failure)")
    path = tmp_path / "sigmoid.svg"
    assert main(["graph", *SIGMOID, "-o", str(path)]) == 0
    assert "<svg" in path.read_text(encoding="utf-8")
    assert path.with_suffix(".dot").exists()
    assert f"graph written to {path}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["graph", "__import__('os')"], "function '__import__' at column 1"),
        (["graph", "x.y", "x=1"], "attribute access 'x.y'"),
        (["graph", "x + y", "x=1"], "unknown name 'y' at column 5"),
        (["graph", "x", "x=abc"], "'abc' is not a number"),
        (["graph", "x", "x"], "expected NAME=VALUE"),
        (["graph", "x", "x=1", "x=2"], "given twice"),
        (["graph", "x", "1x=2"], "not a variable name"),
        (["graph", "x", "x=inf"], "finite"),
        (["graph", "x", "x=1", "-o", "out.txt"], "argument -o/--output: out.txt: use a .svg, .png"),
        (["graph", "x", "x=1", "-o", "no/such/dir/g.svg"], "folder no/such/dir does not exist"),
        (["graph", "x", "x=1", "--digits", "40"], "argument --digits: must be an integer in [0, 12], got '40'"),
        (["graph", "x", "x=1", "--digits", "-1"], "argument --digits: must be an integer in [0, 12], got '-1'"),
        (["graph", "x", "x=1", "--digits", "two"], "argument --digits: must be an integer, got 'two'"),
    ],
)
def test_graph_errors_are_one_line_exit_2(argv, message, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip().splitlines()
    assert err[-1].startswith("chainrule graph: error: ") and message in err[-1]
    assert all(line.startswith(("usage:", " ")) for line in err[:-1])  # argparse's usage, for parse-time checks


def test_demo_runs_the_backprop_examples(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for line in [
        "f = -12.00",
        "df/dx = -4.00",
        "df/dy = -4.00",
        "df/dz = 3.00",
        *SIGMOID_LINES,
        "[1.00] x [(1 - 0.73)(0.73)] = 0.20",
        "upstream 2.00 -> dx=2.00, dy=2.00",
        "upstream 5.00 -> dx=15.00, dy=10.00",
        "upstream 1.00 -> dx=6.00",
        "upstream 9.00 -> dx=0.00, dy=9.00",
    ]:
        assert line in out, line
    for gate in ["add gate", "mul gate", "copy gate", "max gate"]:
        assert gate in out


def test_version_and_usage(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"chainrule {cr.__version__}"
    assert main([]) == 2
    assert "the following arguments are required: COMMAND" in capsys.readouterr().err


def test_python_dash_m(tmp_path):
    proc = run_module("graph", *SIGMOID, "--no-trace")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[:6] == SIGMOID_LINES
    proc = run_module("graph", "a[0]", "a=1")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == "chainrule graph: error: subscript 'a[0]' at column 1 is not allowed"
    proc = run_module("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"chainrule {cr.__version__}"


def test_python_dash_m_without_graphviz(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path / "empty"))
    proc = run_module("graph", "x * y", "x=2", "y=3", "-o", "g.svg", env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "df/dx = 3.00" in proc.stdout and "graph written to g.svg (DOT source: g.dot)" in proc.stdout
    assert proc.stderr == ""  # an .svg is drawn in pure Python without Graphviz
    assert 'id="e-f-1"' in (tmp_path / "g.svg").read_text(encoding="utf-8") and (tmp_path / "g.dot").exists()
    proc = run_module("graph", "x * y", "x=2", "y=3", "-o", "g.png", env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "graph source written to g.dot" in proc.stdout
    assert "apt-get install graphviz" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "g.png").exists()


def test_every_command_is_wired(capsys):
    for command in (
        ["train"],
        ["eval"],
        ["predict"],
        ["lecture"],
        ["graph"],
        ["demo"],
        ["convolve"],
        ["experiment", "vanishing"],
        ["experiment", "sensitivity"],
        ["experiment", "overfit"],
    ):
        assert main([*command, "--help"]) == 0, command
        assert "usage: chainrule" in capsys.readouterr().out
