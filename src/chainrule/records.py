"""Gradient-flow records: the format ``train.monitor.GradFlowMonitor`` writes and ``viz.grad_flow`` reads.

A record is a flat dict for one (step, parameter)::

    {"step": 0, "epoch": 1, "layer": "1.weight", "ndim": 2, "loss": 2.30,
     "grad_norm": ..., "grad_abs_mean": ..., "weight_norm": ..., "update_norm": ..., "update_ratio": ...}

``step`` is the global step counted from 0 (step 0: the gradient of the freshly initialised
network), ``epoch`` counts from 1. A file (``grad_flow.jsonl``) holds one record per line in
standard JSON: a non-finite number is written as null and read back as nan. The functions below
summarise records; they know nothing of training or plotting, so both sides import this module.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

from .io import append_jsonl, atomic_write_bytes

METRICS = ("grad_norm", "grad_abs_mean", "weight_norm", "update_norm", "update_ratio")
SUMMARY_METRICS = ("grad_norm", "grad_abs_mean", "weight_norm", "update_ratio")
FILE_NAME = "grad_flow.jsonl"


# --- files -----------------------------------------------------------------------------------------
def read_grad_flow(path) -> list[dict]:
    """The records of a ``grad_flow.jsonl`` file (or a run folder holding one); null values -> nan."""
    path = Path(path)
    if path.is_dir():
        path = path / FILE_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no gradient-flow records (train with a GradFlowMonitor)")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [{k: (math.nan if v is None else v) for k, v in r.items()} for r in rows]


def append_records(path: Path, records: Iterable[dict]) -> None:
    """Append ``records`` to the file at ``path``, one standard-JSON line each."""
    append_jsonl(path, records)


def cut_records(path: Path, first_step: int) -> None:
    """Keep only the lines of ``path`` before ``first_step`` (rewritten atomically): a resumed run's redo."""
    if not path.is_file():
        return
    kept = [
        line for line in path.read_text().splitlines() if line.strip() and json.loads(line).get("step", 0) < first_step
    ]
    atomic_write_bytes(path, "".join(line + "\n" for line in kept).encode())


# --- summaries ---------------------------------------------------------------------------------------
def ratio(num: float, den: float) -> float:
    """num / den, with 0 / 0 = 0 and x / 0 = inf."""
    if den > 0:
        return num / den
    return 0.0 if num == 0 else math.inf


def layers(records: Iterable[dict], weights_only: bool = False) -> list[str]:
    """Parameter names in the order first recorded (forward order for a Sequential model).

    weights_only: keep weight matrices and kernels (ndim >= 2), leaving biases out.
    """
    names = {}
    for r in records:
        if not weights_only or r.get("ndim", 2) >= 2:
            names.setdefault(r["layer"], None)
    return list(names)


def epoch_summary(records: Iterable[dict], metrics: Iterable[str] = SUMMARY_METRICS) -> dict:
    """``{"<metric>/<layer>": mean over the records}``, non-finite values averaging to nan/inf."""
    sums: dict[str, list] = {}
    for r in records:
        for m in metrics:
            sums.setdefault(f"{m}/{r['layer']}", []).append(r[m])
    return {k: math.fsum(v) / len(v) if all(map(math.isfinite, v)) else _nonfinite_mean(v) for k, v in sums.items()}


def _nonfinite_mean(values: list) -> float:
    return math.nan if any(math.isnan(v) for v in values) else math.inf


def series(records: Iterable[dict], metric: str = "grad_norm") -> dict[str, tuple[list, list]]:
    """``{layer: (steps, values)}`` of one metric across training."""
    out: dict[str, tuple[list, list]] = {}
    for r in records:
        steps, values = out.setdefault(r["layer"], ([], []))
        steps.append(r["step"])
        values.append(r[metric])
    return out


def at_step(records: Iterable[dict], step, metric: str = "grad_norm") -> dict[str, float]:
    """``{layer: value}`` at one recorded step; step may be an int, ``"first"`` or ``"last"``."""
    rows = list(records)
    if not rows:
        raise ValueError("at_step: no records")
    steps = sorted({r["step"] for r in rows})
    chosen = {"first": steps[0], "last": steps[-1]}.get(step, step) if isinstance(step, str) else step
    if chosen not in steps:
        raise ValueError(
            f"at_step: step {step} was not recorded (recorded steps {steps[0]}..{steps[-1]}, {len(steps)} of them)"
        )
    return {r["layer"]: r[metric] for r in rows if r["step"] == chosen}


def first_last_ratio(values: dict[str, float]) -> float:
    """The first layer's value over the last layer's (dict order): the vanishing gradient as a number."""
    names = list(values)
    if len(names) < 2:
        raise ValueError(f"first_last_ratio: need at least two layers, got {names}")
    return ratio(values[names[0]], values[names[-1]])
