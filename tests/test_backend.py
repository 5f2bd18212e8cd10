"""The backend package: malloc tuning as an explicit call (with its opt-out), the package's modules."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import chainrule.backend as B
from chainrule import cli

# Counts the process's mallopt calls: import chainrule must make none, tune_malloc() two.
_SPY = """
import ctypes
calls = []
class Spy(ctypes.CDLL):
    def __getattr__(self, name):
        if name == "mallopt":
            calls.append(name)
        return super().__getattr__(name)
ctypes.CDLL = Spy
import chainrule
print(len(calls))
print(chainrule.backend.tune_malloc(), len(calls))
"""


def _run(code: str, env: dict) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_import_leaves_malloc_alone_and_tune_malloc_tunes_it():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "CHAINRULE_MALLOC_TUNING"}
    assert _run(_SPY, env) == ["0", "True", "1"]  # nothing at import; the call looks mallopt up once
    assert _run(_SPY, {**env, "CHAINRULE_MALLOC_TUNING": "0"}) == ["0", "False", "0"]
    assert _run(_SPY, {**env, "MALLOC_TRIM_THRESHOLD_": "1000000"}) == ["0", "False", "0"]  # the user's choice wins


def test_the_command_line_tunes_malloc(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(cli, "tune_malloc", lambda: calls.append(1) or True)
    assert cli.main(["graph", "(x + y) * z", "x=-2", "y=5", "z=-4", "--no-trace"]) == 0
    assert calls == [1]
    assert "-12" in capsys.readouterr().out


def test_the_old_module_names_are_the_package_modules():
    import chainrule.blas
    import chainrule.devices

    assert chainrule.devices is B.devices and chainrule.blas is B.blas
    assert chainrule.devices.Device is B.devices.Device


def test_no_global_array_module_is_left_to_re_point():
    """The array module follows the operands (``module_of``, each op's ``self.xp``): the old global
    ``xp`` and the calls that re-pointed it before every op are gone."""
    for name in ("xp", "working_on", "restore", "following", "_FollowArrays", "_current", "devices_enabled"):
        assert not hasattr(B, name), name
    import numpy as np

    import chainrule as cr

    y = cr.tensor([1.0, 2.0], requires_grad=True).exp()
    assert y.grad_fn.xp is np and B.module_of(y._data) is np
