"""benchmarks/harness.py's thread handling: ``--threads 1,2`` lists and the calibration's verdict."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import harness  # noqa: E402


def test_thread_counts_parse_lists():
    assert harness.thread_counts("1,2") == [1, 2]
    assert harness.thread_counts("4") == [4]
    for bad in ("0", "1,,2", "two", "-1"):
        with pytest.raises(argparse.ArgumentTypeError, match="positive integers"):
            harness.thread_counts(bad)


def _calibration(monkeypatch, speedup: float, cpu: float):
    result = {
        "chainrule BLAS mkl": {"speedup": 1.9, "cpu_per_wall": 1.95},
        "pool": {"speedup": speedup, "cpu_per_wall": cpu},
    }
    done = subprocess.CompletedProcess([], 0, stdout="noise\n" + json.dumps(result) + "\n", stderr="")
    monkeypatch.setattr(harness.subprocess, "run", lambda *a, **k: done)
    return harness.check_threads(2, "script.py")


def test_check_threads_passes_when_every_part_scales(monkeypatch):
    ok, line = _calibration(monkeypatch, 1.6, 1.9)
    assert ok and "pool 1.60x (CPU/wall 1.90)" in line and "NOT PARALLEL" not in line


@pytest.mark.parametrize("speedup, cpu", [(1.02, 1.9), (1.8, 1.0)])  # no faster; or CPU time = wall time
def test_check_threads_says_so_plainly_when_threads_do_not_run_in_parallel(monkeypatch, speedup, cpu):
    ok, line = _calibration(monkeypatch, speedup, cpu)
    assert not ok and "NOT PARALLEL: 2 threads do not run in parallel" in line
