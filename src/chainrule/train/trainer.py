"""The training loop: minibatch SGD-family steps, validation each epoch, checkpoints, metrics.

Each step is the lecture's recipe: forward pass, loss, backward pass (backpropagation through the
computational graph), optimizer update. Determinism: batches come from a permutation seeded by
(seed, epoch) and augmentation from a generator seeded by (seed, epoch, batch), so a run resumed
from a checkpoint sees exactly the batches an uninterrupted run would, and ends on the same weights.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .. import backend as B
from ..autograd.engine import no_grad
from ..autograd.tensor import tensor
from ..data.loader import DataLoader
from ..devices import to_host
from ..nn import functional as F
from ..nn.module import model_device
from .checkpoint import save_checkpoint
from .interrupt import DeferredInterrupt
from .metrics import MetricsLog
from .state import EpochTotals, nonfinite_state, restore


class DivergenceError(RuntimeError):
    """The loss, a validation metric or a weight became NaN or infinite; the message names the epoch and
    step, and the last good checkpoint (or that there is none)."""


@dataclass
class EvalResult:
    loss: float
    accuracy: float
    predictions: np.ndarray
    probabilities: np.ndarray


@dataclass
class FitResult:
    history: list = field(default_factory=list)
    stopped: str = "finished"  # "finished" | "early_stopping" | "interrupted"
    best_epoch: int | None = None


class Callback:
    """A hook into the fit loop (gradient monitoring, distributed averaging...): override what you need."""

    def after_backward(self, trainer: Trainer) -> None:
        """Gradients are in each parameter's ``.grad``; the optimizer has not stepped yet."""

    def after_step(self, trainer: Trainer, loss: float) -> None:
        """The optimizer (and a per-step scheduler) has stepped."""

    def on_epoch_end(self, trainer: Trainer, record: dict) -> None:
        """``record`` is about to be logged and written: a callback may add columns to it."""

    def on_fit_end(self, trainer: Trainer, result: FitResult) -> None:
        """``fit`` is returning or raising (finished, early stopping, Ctrl-C, divergence)."""


class Trainer:
    """Fit a classifier on (images, labels) arrays; evaluate it; save and resume its state.

    images: float32 (N, C, H, W); labels: int64 (N,). ``augment(batch, rng) -> batch`` runs on each
    training batch; ``scheduler`` is stepped after every optimizer step (OneCycleLR, CosineAnnealingLR
    sized in steps) unless ``scheduler_per_epoch``. A step and an epoch's end are atomic (see
    ``interrupt``): a checkpoint only ever holds a state the run passed through, and never a
    non-finite weight or metric (the run stops with DivergenceError instead).
    """

    def __init__(self, model, optimizer, train_data, val_data=None, *, batch_size: int = 128, scheduler=None,
                 scheduler_per_epoch: bool = False, augment: Callable | None = None, seed: int = 0,
                 run_dir=None, patience: int | None = None, progress: bool = True, config: dict | None = None,
                 log: Callable[[str], None] = print, callbacks: list | None = None, shard: tuple = (0, 1),
                 is_main: bool = True) -> None:
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.device = model_device(model)  # batches go where the parameters are
        self.train_x, self.train_y = train_data
        self.loader = DataLoader(self.train_x, self.train_y, batch_size, shuffle=True, seed=seed)
        self.val_data = val_data
        self.batch_size, self.scheduler_per_epoch, self.augment = batch_size, scheduler_per_epoch, augment
        self.seed, self.patience, self.progress, self.log = seed, patience, progress, log
        self.config = dict(config or {})
        self.callbacks = list(callbacks or [])
        self.shard, self.is_main = shard, is_main  # data-parallel: this process's (rank, world size)
        self.run_dir = Path(run_dir) if run_dir is not None and is_main else None
        self.metrics = MetricsLog(self.run_dir) if self.run_dir is not None else None
        self.epoch, self.batch_in_epoch, self.step = 0, 0, 0  # position: what is done
        self.totals = EpochTotals()  # the epoch in progress: its lr, loss sum, correct, images, seconds
        self.history: list = []
        self.best_val_loss, self.best_epoch, self.bad_epochs = math.inf, None, 0
        self.last_good: tuple | None = None  # (folder, epoch, step) of the newest checkpoint saved or resumed
        self._interrupt = DeferredInterrupt()
        self._torn: str | None = None  # what an exception cut short (a step, an epoch's end): never saved

    # --- one step: the lecture's recipe ------------------------------------------------------------
    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        """Forward, loss, backward, update; returns (loss, number correct)."""
        logits = self.model(tensor(x, device=self.device))
        loss = F.cross_entropy(logits, tensor(y, device=self.device))
        value = loss.item()
        if not math.isfinite(value):
            self._diverged(f"the loss became {value} at epoch {self.epoch + 1}, step {self.batch_in_epoch + 1} "
                           f"(global step {self.step + 1})")
        self.optimizer.zero_grad()
        loss.backward()
        for cb in self.callbacks:
            cb.after_backward(self)
        self.optimizer.step()
        if self.scheduler is not None and not self.scheduler_per_epoch:
            self.scheduler.step()
        for cb in self.callbacks:
            cb.after_step(self, value)
        return value, int((to_host(logits._data.argmax(axis=1)) == y).sum())

    # --- one epoch ---------------------------------------------------------------------------------
    def _train_epoch(self, epochs: int) -> None:
        self.model.train()
        order, bs = self.loader.order(self.epoch), self.batch_size  # seeded by (seed, epoch)
        rank, world = self.shard
        plan = [order[i : i + bs] for i in range(0, len(order), bs)]
        if self.batch_in_epoch == 0:
            self.totals = EpochTotals(lr=self.optimizer.param_groups[0]["lr"])
        bar = tqdm(total=len(plan), initial=self.batch_in_epoch, desc=f"epoch {self.epoch + 1}/{epochs}",
                   unit="batch", disable=not (self.progress and self.is_main), leave=True, dynamic_ncols=True)
        for b in range(self.batch_in_epoch, len(plan)):
            self._interrupt.stop_if_requested()  # Ctrl-C came during the last step: stop between steps
            started = time.perf_counter()
            idx = plan[b][rank::world]  # data-parallel: each process takes its share of the global batch
            x, y = self.train_x[idx], self.train_y[idx]
            if self.augment is not None:
                x = self.augment(x, np.random.default_rng([self.seed, self.epoch, b]))
            with self._atomic("a step"):  # all of the update or, for a checkpoint, none of it
                loss, right = self.train_step(x, y)
                self.totals.add(loss, right, len(y), time.perf_counter() - started)
                self.batch_in_epoch, self.step = b + 1, self.step + 1
            bar.set_postfix(**self.totals.postfix(), refresh=False)
            bar.update(1)
        bar.close()

    # --- the loop ----------------------------------------------------------------------------------
    def fit(self, epochs: int) -> FitResult:
        """Train until ``epochs`` are done (counting those of a resumed run), early stopping or Ctrl-C."""
        if self._torn is not None:
            raise RuntimeError(f"Trainer: {self._torn} was cut short by an exception, so the weights, optimizer "
                               "and position may hold half an update; resume from a checkpoint before fitting again")
        result = FitResult(history=self.history)
        self._interrupt = DeferredInterrupt()
        try:
            with self._interrupt:
                try:
                    self._fit_epochs(epochs, result)
                except KeyboardInterrupt:
                    result.stopped = "interrupted"
                    self._save_interrupted()
        finally:
            result.best_epoch = self.best_epoch
            for cb in self.callbacks:
                cb.on_fit_end(self, result)
        return result

    def _fit_epochs(self, epochs: int, result: FitResult) -> None:
        while self.epoch < epochs:
            self._train_epoch(epochs)
            self._interrupt.stop_if_requested()  # before validation: the epoch's steps are whole
            record = {"epoch": self.epoch + 1, **self.totals.record()}
            if self.val_data is not None:
                val = self.evaluate(*self.val_data)
                record.update(val_loss=val.loss, val_acc=val.accuracy)
            for cb in self.callbacks:
                cb.on_epoch_end(self, record)
            self._check_finite(record)  # a diverged epoch is never saved
            with self._atomic("the end of an epoch"):
                stop = self._end_epoch(record)
            if stop:
                result.stopped = "early_stopping"
                return

    def _end_epoch(self, record: dict) -> bool:
        """Step a per-epoch scheduler, log, write metrics and checkpoints; True when early stopping says stop."""
        if self.scheduler is not None and self.scheduler_per_epoch:
            self.scheduler.step()
        self.epoch, self.batch_in_epoch, self.totals = self.epoch + 1, 0, EpochTotals()
        record["step"] = self.step
        self.history.append(record)
        parts = [f"epoch {record['epoch']}", f"loss {record['train_loss']:.4f}", f"acc {record['train_acc']:.4f}"]
        if "val_loss" in record:
            parts += [f"val_loss {record['val_loss']:.4f}", f"val_acc {record['val_acc']:.4f}"]
        parts.append(f"{record['seconds']:.1f}s ({record['images_per_s']:.0f} img/s)")
        if self.is_main:
            self.log("  ".join(parts))
        improved = record.get("val_loss", -math.inf) < self.best_val_loss
        if improved:
            self.best_val_loss, self.best_epoch, self.bad_epochs = record.get("val_loss", math.inf), self.epoch, 0
        else:
            self.bad_epochs += 1
        if self.run_dir is not None:
            self.metrics.append(record)
            self.save("last")
            if improved and self.val_data is not None:
                self.save("best")
        if self.patience is not None and self.bad_epochs > self.patience:
            if self.is_main:
                self.log(f"early stopping: validation loss has not improved for {self.bad_epochs} epochs "
                         f"(best {self.best_val_loss:.4f} at epoch {self.best_epoch})")
            return True
        return False

    # --- evaluation --------------------------------------------------------------------------------
    def evaluate(self, images, labels, batch_size: int = 1000) -> EvalResult:
        """Mean cross-entropy, accuracy, predicted classes and softmax probabilities, in eval mode."""
        return evaluate(self.model, images, labels, batch_size)

    # --- state: atomic sections, divergence, checkpoints -------------------------------------------
    @contextlib.contextmanager
    def _atomic(self, what: str):
        """Ctrl-C waits for the block's end; an exception inside leaves the state torn (never saved)."""
        with self._interrupt.deferred():
            self._torn = what
            yield
            self._torn = None

    def _check_finite(self, record: dict) -> None:
        bad = [k for k, v in record.items() if k.startswith(("train_", "val_")) and isinstance(v, float)
               and not math.isfinite(v)]
        problem = f"the {bad[0].replace('_', ' ')} became {record[bad[0]]}" if bad else nonfinite_state(self)
        if problem:
            self._diverged(f"{problem} at the end of epoch {self.epoch + 1} (global step {self.step})")

    def _diverged(self, what: str):
        kept = ""
        if self.run_dir is not None:
            kept = "; nothing was saved (no checkpoint before it was good)" if self.last_good is None else \
                "; the last good checkpoint is {} (epoch {}, step {})".format(*self.last_good)
        raise DivergenceError(f"training diverged: {what}{kept}. Try a smaller learning rate.")

    def _save_interrupted(self) -> None:
        where = f"at epoch {self.epoch + 1}, step {self.batch_in_epoch}"
        if self.run_dir is None:
            return
        problem = f"{self._torn} was cut short" if self._torn is not None else nonfinite_state(self)
        if problem is None:
            with self._interrupt.deferred():  # a failed save changes nothing in memory: not torn
                path = self.save("last")
            self.log(f"\ninterrupted {where}: checkpoint saved to {path}; continue with --resume {self.run_dir}")
            return
        kept = "no checkpoint was saved" if self.last_good is None else \
            "the last good checkpoint is {} (epoch {}, step {})".format(*self.last_good)
        self.log(f"\ninterrupted {where}: {problem}, so this state is not saved; {kept}")

    def state(self) -> dict:
        """The trainer's part of a checkpoint (trainer.json): config, position, history, schedules, RNG."""
        return {
            "config": self.config, "epoch": self.epoch, "batch_in_epoch": self.batch_in_epoch, "step": self.step,
            "epoch_totals": self.totals.as_dict(), "history": self.history,
            "best_val_loss": self.best_val_loss if math.isfinite(self.best_val_loss) else None,
            "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs,
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "rng": B.rng().bit_generator.state,
        }

    def save(self, tag: str = "last") -> Path:
        path = save_checkpoint(self.run_dir / "checkpoints" / tag, self.model, self.optimizer, self.state())
        if tag == "last":
            self.last_good = (path, self.epoch, self.step)
        return path

    def resume(self, path) -> None:
        """Restore weights, optimizer, scheduler, position, history and RNG from a checkpoint.

        Everything is checked first (CheckpointError naming the file and field); a load that still fails
        half-way leaves the trainer torn, refusing to fit or save.
        """
        with self._atomic("a resume"):
            restore(self, path)
        if self.metrics is not None:
            self.metrics.keep_epochs(self.epoch)


@no_grad()
def evaluate(model, images, labels, batch_size: int = 1000) -> EvalResult:
    """Run ``model`` over (images, labels) in eval mode, in batches; restores the model's mode."""
    was_training = model.training
    model.eval()
    loss_sum, probs, dev = 0.0, [], model_device(model)
    try:
        for i in range(0, len(images), batch_size):
            logits = model(tensor(images[i : i + batch_size], device=dev))
            y = labels[i : i + batch_size]
            loss_sum += F.cross_entropy(logits, tensor(y, device=dev), reduction="sum").item()
            probs.append(to_host(F.softmax(logits, dim=1)._data))
    finally:
        model.train(was_training)
    p = np.concatenate(probs) if probs else np.zeros((0, 10), np.float32)
    pred = p.argmax(axis=1)
    n = max(len(labels), 1)
    return EvalResult(loss_sum / n, float((pred == labels).mean()) if len(labels) else 0.0, pred, p)
