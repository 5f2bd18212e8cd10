"""``chainrule explore`` as a user starts it: the URL with the real port, Ctrl-C, run folders."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from chainrule.explore import runs


def start(args: list[str], cwd: Path) -> tuple[subprocess.Popen, list[str]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainrule", "explore", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "http://" in line:
            break
    return proc, lines


def test_the_url_shows_the_real_port_and_ctrl_c_stops_cleanly(tiny_run, tmp_path):
    proc, lines = start([str(tiny_run), "--port", "0"], tmp_path)
    try:
        url = re.search(r"http://[\d.]+:(\d+)/", lines[-1])
        assert url and url.group(1) != "0", lines
        with urllib.request.urlopen(url.group(0), timeout=10) as response:
            assert response.status == 200
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "stopped" in out and "Traceback" not in out


def test_a_run_folder_that_does_not_load_is_exit_1(tiny_run, tmp_path):
    run = shutil.copytree(tiny_run, tmp_path / "run")
    (run / "checkpoints" / "last" / "model.safetensors").write_bytes(b"broken")
    result = subprocess.run(
        [sys.executable, "-m", "chainrule", "explore", str(run), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "does not load" in result.stderr and "model.safetensors" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_a_run_it_says_how_to_train_one_and_serves(tmp_path):
    proc, lines = start(["--port", "0"], tmp_path)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    assert "chainrule train" in "".join(lines) and proc.returncode == 0


def test_the_latest_run_is_the_one_written_last(tmp_path):
    assert runs.latest_run(tmp_path / "runs") is None
    for name, age in [("old", 100), ("lecture/deep", 10), ("new", 50)]:
        folder = tmp_path / "runs" / name / "checkpoints" / "last"
        folder.mkdir(parents=True)
        (folder / "trainer.json").write_text("{}")
        stamp = time.time() - age
        os.utime(folder / "trainer.json", (stamp, stamp))
    assert runs.latest_run(tmp_path / "runs") == tmp_path / "runs" / "lecture" / "deep"


@pytest.mark.parametrize("bad", [["--port", "70000"]])
def test_bad_options_are_usage_errors(bad, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "chainrule", "explore", *bad], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 2 and "--port" in result.stderr
