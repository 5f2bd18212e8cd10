"""Formatting as a habit: ``ruff format --check`` and ``ruff check`` pass on the code base (CI runs this)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["src", "tests", "benchmarks", "examples"]


@pytest.mark.parametrize("command", [["format", "--check"], ["check"]], ids=["format", "lint"])
def test_ruff(command):
    out = subprocess.run([sys.executable, "-m", "ruff", *command, *PATHS], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, (
        f"ruff {' '.join(command)} fails (run it without --check to fix):\n{out.stdout}{out.stderr}"
    )
