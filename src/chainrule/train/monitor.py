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
The records (format and summaries: ``chainrule.records``) are kept in ``monitor.records``, appended
to a file and summarised per epoch in the trainer's epoch record (columns ``grad_norm/<name>``,
...: the mean over the epoch's recorded steps).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from .. import backend as B
from ..records import (
    METRICS,
    SUMMARY_METRICS,
    append_records,
    at_step,
    cut_records,
    epoch_summary,
    first_last_ratio,
    layers,
    ratio,
    read_grad_flow,
    series,
)
from .callbacks import Callback

__all__ = [
    "GradFlowMonitor",
    "at_step",
    "epoch_summary",
    "first_last_ratio",
    "layers",
    "parameter_stats",
    "read_grad_flow",
    "series",
]  # the record helpers too: a training script looks for them here


def _norm(a) -> float:
    xp = B.module_of(a)
    return float(xp.sqrt(xp.sum(xp.square(a, dtype=xp.float64))))


def parameter_stats(model, include: Callable | None = None) -> dict[str, dict]:
    """``{name: {"grad_norm", "grad_abs_mean", "weight_norm", "ndim"}}`` from each parameter's ``.grad``.

    Parameters without a gradient (frozen, or not reached by the backward pass) are left out.
    """
    stats = {}
    for name, p in model.named_parameters():
        if p.grad is None or (include is not None and not include(name, p)):
            continue
        g = p.grad._data
        xp = B.module_of(g)
        stats[name] = {
            "grad_norm": _norm(g),
            "grad_abs_mean": float(xp.mean(xp.abs(g), dtype=xp.float64)) if g.size else 0.0,
            "weight_norm": _norm(p._data),
            "ndim": int(p._data.ndim),
        }
    return stats


class GradFlowMonitor(Callback):
    """Trainer callback recording the gradient flow every ``every`` steps (see the module docstring).

    path: a ``grad_flow.jsonl`` file the records are appended to (None: no file). include(name,
    param) -> bool picks parameters (default all). keep: keep the records in memory
    (``self.records``). summary: the metrics averaged per epoch into the epoch record. Cost: on a
    recorded step, one pass over the gradients and one copy of the weights; other steps cost nothing.
    """

    def __init__(
        self,
        every: int = 1,
        path=None,
        include: Callable | None = None,
        keep: bool = True,
        summary: Iterable[str] = SUMMARY_METRICS,
    ) -> None:
        if int(every) < 1:
            raise ValueError(f"GradFlowMonitor: every must be >= 1, got {every}")
        unknown = set(summary) - set(METRICS)
        if unknown:
            raise ValueError(f"GradFlowMonitor: unknown summary metrics {sorted(unknown)}; choose from {METRICS}")
        self.every, self.include, self.keep = int(every), include, keep
        self.path = None if path is None else Path(path)
        self.summary = tuple(summary)
        self.records: list[dict] = []
        self._epoch_records: list[dict] = []
        self._unwritten: list[dict] = []
        self._pending = None
        self._first_step: int | None = None  # where this monitor started: a resumed run's file is cut here
        self._file_started = False

    # --- the trainer's hooks --------------------------------------------------------------------
    def after_backward(self, trainer) -> None:
        self._pending = None
        if self._first_step is None:
            self._first_step = trainer.step
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
            record = {
                "step": step,
                "epoch": epoch,
                "layer": name,
                "ndim": s["ndim"],
                "loss": float(loss),
                "grad_norm": s["grad_norm"],
                "grad_abs_mean": s["grad_abs_mean"],
                "weight_norm": s["weight_norm"],
                "update_norm": update,
                "update_ratio": ratio(update, s["weight_norm"]),
            }
            if self.keep:
                self.records.append(record)
            self._epoch_records.append(record)
            if self.path is not None:
                self._unwritten.append(record)

    def on_epoch_end(self, trainer, record: dict) -> None:
        record.update(epoch_summary(self._epoch_records, self.summary))
        self._epoch_records = []
        self.flush()

    def on_fit_end(self, trainer, result) -> None:
        self.flush()  # a run stopped mid-epoch (Ctrl-C, divergence) keeps its last records

    # --- the file -------------------------------------------------------------------------------
    def flush(self) -> Path | None:
        """Append the records not yet written to the file (a run stopped mid-epoch calls this itself)."""
        if self.path is None or self._first_step is None:
            return None
        if not self._file_started:
            cut_records(self.path, self._first_step)  # fresh run: empty the file; resumed run: drop steps redone
            self._file_started = True
        if self._unwritten:
            append_records(self.path, self._unwritten)
            self._unwritten = []
        return self.path
