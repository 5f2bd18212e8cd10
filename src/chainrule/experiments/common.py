"""What the experiments share: MNIST subsets, a short seeded training run with a budget, divergence
detection, a progress bar over a whole experiment, run folders and the Markdown report.

A run is the project's ``Trainer`` with callbacks: ``StepLog`` keeps every step's loss and moves
the bar, ``DivergenceGuard`` stops a run whose loss is NaN/Inf or has exploded, ``EvalOn``
evaluates the model in eval mode on another set each epoch (the training subset, for the
generalisation gap). A diverged run is a result (``RunResult.diverged`` says why), never a crash.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import backend as B
from .. import data
from ..data.transforms import to_float
from ..errors import DivergenceError
from ..io import atomic_write_bytes
from ..io import write_json as write_json  # the experiments' summary.json
from ..nn import functional as F
from ..train.callbacks import Callback, progress_bar
from ..train.callbacks import DivergenceGuard as TrainerGuard
from ..train.run import writable_folder
from ..train.trainer import Trainer, evaluate

CHANCE_LOSS = math.log(10)  # cross-entropy of a uniform guess over the 10 digits


# --- data ---------------------------------------------------------------------------------------
@lru_cache(maxsize=2)
def _mnist_train(data_root: str | None):
    images, labels = data.load_mnist("train", root=data_root)
    return to_float(images), labels


def mnist_subsets(n_train: int, n_val: int, seed: int, data_root: str | None = None):
    """((x, y) train, (x, y) validation): disjoint subsets of the 60,000 MNIST training images.

    Drawn by a permutation seeded by ``seed``; float32 (N, 1, 28, 28) in [0, 1], int64 labels.
    """
    x, y = _mnist_train(data_root)
    if n_train < 1 or n_val < 1 or n_train + n_val > len(x):
        raise ValueError(
            f"mnist_subsets: need 1 <= n_train, n_val and n_train + n_val <= {len(x)}, got {n_train} + {n_val}"
        )
    order = np.random.default_rng([seed, 8]).permutation(len(x))
    val, train = np.sort(order[:n_val]), np.sort(order[n_val : n_val + n_train])
    return (x[train], y[train]), (x[val], y[val])


# --- callbacks ----------------------------------------------------------------------------------
class Diverged(DivergenceError):
    """Raised by ``DivergenceGuard`` to stop a run; the message says why."""


class DivergenceGuard(TrainerGuard):
    """The trainer's guard (a NaN/Inf loss stops before backward, a NaN/Inf epoch metric or weight at the
    epoch's end), and besides: stop when the loss exceeds ``factor`` x max(first loss, ln 10), or a
    weight is not finite after a step.

    ln 10 is the loss of a uniform guess over 10 classes: a loss ten times that is no longer
    training. Weights are checked after each step, so a run whose update blew up stops at once.
    """

    def __init__(self, factor: float = 10.0) -> None:
        super().__init__()
        self.factor, self.reference = factor, None

    def after_step(self, trainer, loss: float) -> None:
        where = f"at step {trainer.step}"
        if self.reference is None:
            self.reference = max(loss, CHANCE_LOSS)
        if loss > self.factor * self.reference:
            raise Diverged(f"loss exploded to {loss:.3g} {where} (over {self.factor:g} x {self.reference:.3g})")
        for name, p in trainer.model.named_parameters():
            if not B.module_of(p._data).isfinite(p._data).all():
                raise Diverged(f"weights of {name} became NaN/Inf {where}")


class StepLog(Callback):
    """Keep each step's training loss; move a shared progress bar by one step."""

    def __init__(self, bar=None) -> None:
        self.losses: list[float] = []
        self.bar = bar

    def after_step(self, trainer, loss: float) -> None:
        self.losses.append(float(loss))
        if self.bar is not None:
            self.bar.update(1)


class EvalOn(Callback):
    """At each epoch end, evaluate on ``data`` in eval mode; add ``<name>_loss`` and ``<name>_acc``."""

    def __init__(self, name: str, data) -> None:
        self.name, self.data = name, data

    def on_epoch_end(self, trainer, record: dict) -> None:
        result = evaluate(trainer.model, *self.data)
        record[f"{self.name}_loss"], record[f"{self.name}_acc"] = result.loss, result.accuracy


# --- one run ------------------------------------------------------------------------------------
@dataclass
class RunResult:
    name: str
    history: list = field(default_factory=list)  # the trainer's epoch records
    losses: list = field(default_factory=list)  # every step's training loss
    diverged: str | None = None  # why the run was stopped, or None
    val_loss: float = math.nan
    val_acc: float = math.nan
    steps: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "diverged": self.diverged,
            "val_loss": self.val_loss,
            "val_acc": self.val_acc,
            "steps": self.steps,
            "seconds": round(self.seconds, 2),
            "losses": self.losses,
            "history": self.history,
        }


def steps_per_epoch(n: int, batch_size: int) -> int:
    return -(-n // batch_size)


def train_run(
    name: str,
    model,
    optimizer,
    train,
    val,
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    augment=None,
    callbacks=(),
    bar=None,
    explode: float = 10.0,
) -> RunResult:
    """Train ``model`` for ``epochs`` passes over ``train`` with the project's Trainer; never raises on divergence.

    The model must have been built after ``cr.manual_seed(seed)``: batches, augmentation and
    dropout are then the same on every run. A diverged run's bar is advanced by its unused steps.
    """
    log = StepLog(bar)
    trainer = Trainer(
        model,
        optimizer,
        F.cross_entropy,
        train,
        val,
        [*callbacks, log, DivergenceGuard(explode)],
        batch_size=batch_size,
        epochs=epochs,
        seed=seed,
        augment=augment,
    )
    result = RunResult(name)
    started = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        try:
            trainer.fit()
        except DivergenceError as err:  # a NaN loss, metric or weight, or an exploding loss
            result.diverged = str(err).split(". Try")[0].removeprefix("training diverged: ")
    result.history, result.losses, result.steps = trainer.history, log.losses, trainer.step
    if result.diverged is None and result.history:
        result.val_loss, result.val_acc = (
            result.history[-1].get("val_loss", math.nan),
            result.history[-1].get("val_acc", math.nan),
        )
    elif bar is not None:
        bar.update(max(epochs * steps_per_epoch(len(train[0]), batch_size) - trainer.step, 0))
    result.seconds = time.perf_counter() - started
    return result


def progress(total: int, desc: str, enabled: bool = True):
    """One bar over a whole experiment, in steps."""
    return progress_bar(total=total, desc=desc, unit="step", disable=not enabled, dynamic_ncols=True, leave=False)


# --- run folders and reports --------------------------------------------------------------------
def run_dir(out: str | None, name: str) -> Path:
    """``out``, or ``runs/experiment-<name>-<time>``: created and checked writable."""
    return writable_folder(out, f"experiment-{name}")


def fmt(value, spec: str = ".4f", missing: str = "—") -> str:
    """A number for a table; nan/None as ``missing``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    return format(value, spec)


class Report:
    """A short Markdown report: headings, paragraphs, tables, images; ``write`` is atomic."""

    def __init__(self, title: str) -> None:
        self.lines = [f"# {title}", ""]

    def heading(self, text: str, level: int = 2) -> Report:
        self.lines += ["#" * level + " " + text, ""]
        return self

    def text(self, *paragraphs: str) -> Report:
        for p in paragraphs:
            self.lines += [p, ""]
        return self

    def table(self, headers, rows) -> Report:
        self.lines.append("| " + " | ".join(headers) + " |")
        self.lines.append("|" + "|".join("---" for _ in headers) + "|")
        self.lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        self.lines.append("")
        return self

    def image(self, file: str, caption: str) -> Report:
        self.lines += [f"![{caption}]({file})", "", f"*{caption}*", ""]
        return self

    def write(self, path) -> Path:
        path = Path(path)
        atomic_write_bytes(path, ("\n".join(self.lines).rstrip() + "\n").encode())
        return path
