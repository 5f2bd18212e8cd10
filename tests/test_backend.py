"""The backend module: malloc tuning on Linux/glibc, with its opt-out."""

from __future__ import annotations

import subprocess
import sys

import pytest

import chainrule.backend as B


def _tuned(env: dict) -> str:
    code = "import chainrule.backend as B; print(B.MALLOC_TUNED)"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_malloc_tuning_on_and_opt_out(monkeypatch):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    assert _tuned(env) == "True"
    assert _tuned({**env, "CHAINRULE_MALLOC_TUNING": "0"}) == "False"
    assert _tuned({**env, "MALLOC_TRIM_THRESHOLD_": "1000000"}) == "False"  # the user's own choice wins
    assert isinstance(B.MALLOC_TUNED, bool)
