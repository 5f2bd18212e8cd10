"""examples/lti_walkthrough.py runs and prints the lecture's numbers."""

from __future__ import annotations

import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lti_walkthrough.py"


def test_walkthrough_runs(capsys):
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "y[n] = (x * h)[n]    linear: True   time invariant: True" in out
    assert "y[n] = x[n]^2        linear: False  time invariant: True" in out
    assert "y[n] = n x[n]        linear: True   time invariant: False" in out
    assert "y[2] = 3 x 1 + 1 x 2 + 2 x 3 = 11" in out
    assert "conv1d(x, flip(h), padding=2) = [ 9.  9. 11.  5.  2.]" in out
    assert "d sum(y) / dx = [6. 6. 6.]" in out
