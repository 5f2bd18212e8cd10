"""Gradient-flow monitoring: per parameter and step, how large the gradient and the update are.

The backward pass multiplies the upstream gradient by one local gradient per layer; where those
are below 1 (a sigmoid's is at most 1/4) the product shrinks with depth and the first layers stop
learning: the vanishing gradient. ``GradFlowMonitor`` makes that a number. Every ``every`` steps
it records, for each parameter (a layer's weight or bias):

- ``grad_norm``      ||g||_2, the gradient just after ``backward()``;
- ``grad_abs_mean``  mean |g|;
- ``weight_norm``    ||w||_2 before the optimizer step;
- ``update_norm``    ||w_after - w_before||_2 and ``update_ratio`` = update_norm / weight_norm: the
                     fraction by which one step moves the weights (around 1e-3 is the usual healthy
                     figure; far below, the layer is frozen; near 1, it is thrashing).

Sums are taken in float64, so a diverging run's huge gradients give large numbers, not overflow.
Records are flat dicts, one per (step, parameter), kept in ``monitor.records``, appended to
``<run>/grad_flow.jsonl`` and summarised per epoch in the trainer's epoch record (columns
``grad_norm/<name>``, ...: the mean over the epoch's recorded steps). ``step`` is the global step
index counted from 0 (step 0: the gradient of the freshly initialised network); ``epoch`` counts
from 1, as the trainer's records do.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path

from .. import backend as B
from ..data.idx import atomic_write_bytes
from .metrics import finite_or_none
from .trainer import Callback

METRICS = ("grad_norm", "grad_abs_mean", "weight_norm", "update_norm", "update_ratio")
SUMMARY_METRICS = ("grad_norm", "grad_abs_mean", "weight_norm", "update_ratio")


def _norm(a) -> float:
    return float(B.xp.sqrt(B.xp.sum(B.xp.square(a, dtype=B.xp.float64))))


def parameter_stats(model, include: Callable | None = None) -> dict[str, dict]:
    """``{name: {"grad_norm", "grad_abs_mean", "weight_norm", "ndim"}}`` from each parameter's ``.grad``.

    Parameters without a gradient (frozen, or not reached by the backward pass) are left out.
    """
    stats = {}
    for name, p in model.named_parameters():
        if p.grad is None or (include is not None and not include(name, p)):
            continue
        g = p.grad._data
        stats[name] = {"grad_norm": _norm(g),
                       "grad_abs_mean": float(B.xp.mean(B.xp.abs(g), dtype=B.xp.float64)) if g.size else 0.0,
                       "weight_norm": _norm(p._data), "ndim": int(p._data.ndim)}
    return stats


def _ratio(num: float, den: float) -> float:
    if den > 0:
        return num / den
    return 0.0 if num == 0 else math.inf


class GradFlowMonitor(Callback):
    """Trainer callback recording the gradient flow every ``every`` steps (see the module docstring).

    path: ``"auto"`` writes ``<run_dir>/grad_flow.jsonl`` when the trainer has a run folder; a path
    writes there; None writes no file. include(name, param) -> bool picks parameters (default all).
    keep: keep the records in memory (``self.records``). summary: the metrics averaged per epoch
    into the epoch record. Cost: on a recorded step, one pass over the gradients and one copy of
    the weights; other steps cost nothing.
    """

    def __init__(self, every: int = 1, path="auto", include: Callable | None = None, keep: bool = True,
                 summary: Iterable[str] = SUMMARY_METRICS) -> None:
        if int(every) < 1:
            raise ValueError(f"GradFlowMonitor: every must be >= 1, got {every}")
        unknown = set(summary) - set(METRICS)
        if unknown:
            raise ValueError(f"GradFlowMonitor: unknown summary metrics {sorted(unknown)}; choose from {METRICS}")
        self.every, self.path, self.include, self.keep = int(every), path, include, keep
        self.summary = tuple(summary)
        self.records: list[dict] = []
        self._epoch_records: list[dict] = []
        self._unwritten: list[dict] = []
        self._pending = None
        self._first_step: int | None = None  # where this monitor started: a resumed run's file is cut here
        self._file: Path | None = None
        self._file_started = False

    # --- the trainer's hooks --------------------------------------------------------------------
    def after_backward(self, trainer) -> None:
        self._pending = None
        if self._first_step is None:
            self._first_step = trainer.step
            self._file = self._resolve_path(trainer)
        if trainer.step % self.every:
            return
        stats = parameter_stats(trainer.model, self.include)
        params = dict(trainer.model.named_parameters())
        before = {name: params[name]._data.copy() for name in stats}
        self._pending = (trainer.step, trainer.epoch + 1, stats, before, params)

    def after_step(self, trainer, loss: float) -> None:
        if self._pending is None:
            return
        step, epoch, stats, before, params = self._pending
        self._pending = None
        for name, s in stats.items():
            update = _norm(params[name]._data - before[name])
            record = {"step": step, "epoch": epoch, "layer": name, "ndim": s["ndim"], "loss": float(loss),
                      "grad_norm": s["grad_norm"], "grad_abs_mean": s["grad_abs_mean"],
                      "weight_norm": s["weight_norm"], "update_norm": update,
                      "update_ratio": _ratio(update, s["weight_norm"])}
            if self.keep:
                self.records.append(record)
            self._epoch_records.append(record)
            if self._file is not None:
                self._unwritten.append(record)

    def on_epoch_end(self, trainer, record: dict) -> None:
        record.update(epoch_summary(self._epoch_records, self.summary))
        self._epoch_records = []
        if getattr(trainer, "is_main", True):
            self.flush()

    # --- files ----------------------------------------------------------------------------------
    def _resolve_path(self, trainer) -> Path | None:
        if not getattr(trainer, "is_main", True) or self.path is None:
            return None
        if self.path == "auto":
            run_dir = getattr(trainer, "run_dir", None)
            return None if run_dir is None else Path(run_dir) / "grad_flow.jsonl"
        return Path(self.path)

    def on_fit_end(self, trainer, result) -> None:
        self.flush()  # a run stopped mid-epoch (Ctrl-C, divergence) keeps its last records

    def flush(self) -> Path | None:
        """Append the records not yet written to the file (a run stopped mid-epoch calls this itself)."""
        if self._file is None:
            return None
        if not self._file_started:
            _cut(self._file, self._first_step)  # fresh run: empty the file; resumed run: drop steps redone
            self._file_started = True
        if self._unwritten:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            with open(self._file, "a") as f:
                f.writelines(_dumps(r) + "\n" for r in self._unwritten)
            self._unwritten = []
        return self._file


def _dumps(record: dict) -> str:
    return json.dumps(finite_or_none(record), allow_nan=False)


def _cut(path: Path, first_step: int) -> None:
    """Keep only the lines of ``path`` before ``first_step`` (rewritten atomically)."""
    if not path.is_file():
        return
    kept = [line for line in path.read_text().splitlines()
            if line.strip() and json.loads(line).get("step", 0) < first_step]
    atomic_write_bytes(path, "".join(line + "\n" for line in kept).encode())


def read_grad_flow(path) -> list[dict]:
    """The records of a ``grad_flow.jsonl`` file (or a run folder holding one); null values -> nan."""
    path = Path(path)
    if path.is_dir():
        path = path / "grad_flow.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no gradient-flow records (train with a GradFlowMonitor)")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [{k: (math.nan if v is None else v) for k, v in r.items()} for r in rows]


# --- summaries ------------------------------------------------------------------------------------
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
        raise ValueError(f"at_step: step {step} was not recorded (recorded steps {steps[0]}..{steps[-1]}, "
                         f"{len(steps)} of them)")
    return {r["layer"]: r[metric] for r in rows if r["step"] == chosen}


def first_last_ratio(values: dict[str, float]) -> float:
    """The first layer's value over the last layer's (dict order): the vanishing gradient as a number."""
    names = list(values)
    if len(names) < 2:
        raise ValueError(f"first_last_ratio: need at least two layers, got {names}")
    return _ratio(values[names[0]], values[names[-1]])
