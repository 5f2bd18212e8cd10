"""The benchmark scripts run (smoke mode: a few steps). Nothing here asserts anything about time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.parametrize(
    "script, expect",
    [
        ("ops_vs_torch.py", ["conv3 40->80 3x3 s1 p1", "maxpool 40x14x14 2x2"]),
        ("train_vs_torch.py", ["shallow/16", "deep/16", "engine overhead"]),
        ("blas_choice.py", ["10x26x64", "auto chooses"]),
    ],
)
def test_benchmark_smoke(script, expect, mnist_home, monkeypatch):
    monkeypatch.setenv("CHAINRULE_HOME", str(mnist_home))
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--smoke"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for text in expect:
        assert text in done.stdout
    assert "ratio" in done.stdout
