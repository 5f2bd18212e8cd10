"""Run PyTorch-style scripts on torch or, with only their imports rewritten, on chainrule.

``run_scripts(paths, backend)`` starts ONE subprocess per backend (importing torch costs about two
seconds; once per backend keeps the suite well under a minute) which runs each script as
``__main__`` in a fresh namespace and its own temporary working directory, and reports per script:
``ok``, the JSON ``result`` the script printed as its last line, or the ``error`` (exception type,
message and the script line that raised). ``compare(expected, actual)`` lists every mismatch by path.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARK = "@@compat@@ "


@dataclass
class Outcome:
    """What one run of one script gave: its printed JSON result, or the error that stopped it."""

    ok: bool
    result: object = None
    error: str = ""
    stdout_tail: list[str] = field(default_factory=list)


def _script_error(exc: BaseException, filename: str) -> str:
    """'TypeError: ... (line 12: x.size(1))': the exception and the deepest frame inside the script."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    where = f" (line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}{where}"


def _run_one(path: str, backend: str) -> dict:
    from tests.compat.rewrite import to_chainrule

    source = Path(path).read_text(encoding="utf-8")
    if backend == "chainrule":
        source = to_chainrule(source)
    buffer = io.StringIO()
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)
        try:
            with contextlib.redirect_stdout(buffer):
                exec(compile(source, path, "exec"), {"__name__": "__main__", "__file__": path})
        except BaseException as exc:  # noqa: BLE001 - a script's failure is data here, SystemExit included
            return {"ok": False, "error": _script_error(exc, path), "tail": buffer.getvalue().splitlines()[-5:]}
        finally:
            os.chdir(here)
    lines = [line for line in buffer.getvalue().splitlines() if line.strip()]
    try:
        return {"ok": True, "result": json.loads(lines[-1]), "tail": lines[-5:-1]}
    except (IndexError, json.JSONDecodeError) as exc:
        return {"ok": False, "error": f"no JSON result on the last line: {exc}", "tail": lines[-5:]}


def run_scripts(paths: list[Path], backend: str, timeout: float = 120.0) -> dict[str, Outcome]:
    """Run every script on ``backend`` ('torch' or 'chainrule') in one subprocess; results by file stem."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    root = str(HERE.parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "tests.compat.runner", backend, *map(str, paths)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=root)
        output, failure = proc.stdout, proc.stderr.strip().splitlines()[-3:]
    except subprocess.TimeoutExpired as exc:
        output, failure = (
            (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or ""),
            [f"timed out after {timeout:.0f} s"],
        )
    outcomes = {}
    for line in output.splitlines():
        if line.startswith(MARK):
            name, data = json.loads(line[len(MARK) :])
            outcomes[name] = Outcome(data["ok"], data.get("result"), data.get("error", ""), data.get("tail", []))
    for path in paths:  # a script the runner never reported on: the runner process itself died
        outcomes.setdefault(Path(path).stem, Outcome(False, error="runner stopped: " + " | ".join(failure)))
    return outcomes


def compare(expected, actual, rtol: float = 1e-4, atol: float = 1e-6, path: str = "") -> list[str]:
    """Every difference between two JSON values: floats within rtol/atol, everything else exactly."""
    where = path or "result"
    if isinstance(expected, bool) or isinstance(actual, bool) or isinstance(expected, str):
        return [] if expected == actual else [f"{where}: torch {expected!r}, chainrule {actual!r}"]
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        if isinstance(expected, int) and isinstance(actual, int):
            return [] if expected == actual else [f"{where}: torch {expected}, chainrule {actual}"]
        if math.isclose(expected, actual, rel_tol=rtol, abs_tol=atol) or (math.isnan(expected) and math.isnan(actual)):
            return []
        return [f"{where}: torch {expected!r}, chainrule {actual!r} (rtol {rtol:g}, atol {atol:g})"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        diffs = [f"{where}.{k}: missing in chainrule's result" for k in expected if k not in actual]
        for k in expected:
            if k in actual:
                diffs += compare(expected[k], actual[k], rtol, atol, f"{where}.{k}")
        return diffs
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: length {len(expected)} in torch, {len(actual)} in chainrule"]
        diffs = []
        for i, (e, a) in enumerate(zip(expected, actual)):
            diffs += compare(e, a, rtol, atol, f"{where}[{i}]")
        return diffs
    return [f"{where}: torch {expected!r} ({type(expected).__name__}), chainrule {actual!r} ({type(actual).__name__})"]


def main(argv: list[str]) -> None:
    backend, paths = argv[0], argv[1:]
    if backend not in ("torch", "chainrule"):
        raise SystemExit(f"backend must be 'torch' or 'chainrule', not {backend!r}")
    for path in paths:
        data = _run_one(path, backend)
        sys.stdout.write(MARK + json.dumps([Path(path).stem, data]) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
