"""The fit loop: the lecture's training steps, with everything else plugged in.

One step: forward pass, loss, backward pass (backpropagation through the computational graph),
optimizer update. One epoch: the steps over the shuffled training set, then validation. Checkpoints,
metrics files, progress, early stopping, divergence checks and gradient monitoring are callbacks
(``callbacks.py``, ``monitor.py``); data parallelism is a strategy (``strategy.py``).

Determinism: batches come from a permutation seeded by (seed, epoch) and augmentation from a
generator seeded by (seed, epoch, batch), so a run resumed from a checkpoint sees exactly the
batches an uninterrupted run would, and ends on the same weights. A step and an epoch's end are
atomic (``interrupt.py``): a checkpoint only ever holds a state the run passed through.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import backend as B
from ..autograd.engine import enable_grad, no_grad
from ..autograd.tensor import tensor
from ..data.loader import DataLoader
from ..devices import to_host
from ..nn import functional as F
from ..nn.module import model_device
from .interrupt import DeferredInterrupt
from .state import EpochTotals, restore
from .strategy import Strategy

INTERVALS = ("step", "epoch")


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


class Trainer:
    """Fit a classifier on (images, labels) arrays: float32 (N, C, H, W) and int64 (N,).

    ``loss(logits, labels) -> scalar Tensor`` (e.g. ``F.cross_entropy``); ``callbacks``: the
    plug-ins, called in list order at each hook (``callbacks.Callback``). Settings: ``batch_size``
    (the global batch), ``epochs`` (the default of ``fit``), ``device`` (default: the model's),
    ``seed`` (batch order, augmentation); ``scheduler`` stepped every ``scheduler_interval``
    ("step" or "epoch"), as PyTorch Lightning's optimizer configuration does; ``augment(batch, rng)
    -> batch`` on each training batch; ``strategy``: how the loop spreads over processes.
    """

    def __init__(
        self,
        model,
        optimizer,
        loss: Callable,
        train_data,
        val_data=None,
        callbacks=(),
        *,
        batch_size: int = 128,
        epochs: int = 1,
        device=None,
        seed: int = 0,
        scheduler=None,
        scheduler_interval: str = "step",
        augment: Callable | None = None,
        strategy: Strategy | None = None,
    ) -> None:
        if scheduler_interval not in INTERVALS:
            raise ValueError(f"Trainer: scheduler_interval must be 'step' or 'epoch', got {scheduler_interval!r}")
        self.model, self.optimizer, self.loss, self.callbacks = model, optimizer, loss, list(callbacks)
        self.train_x, self.train_y = train_data
        self.val_data = val_data
        self.batch_size, self.epochs, self.seed = batch_size, epochs, seed
        self.device = model_device(model) if device is None else device  # batches go where the weights are
        self.scheduler, self.scheduler_interval, self.augment = scheduler, scheduler_interval, augment
        self.strategy = strategy or Strategy()
        self.loader = DataLoader(self.train_x, self.train_y, batch_size, shuffle=True, seed=seed)
        self.epoch, self.batch_in_epoch, self.step = 0, 0, 0  # position: what is done
        self.totals = EpochTotals()  # the epoch in progress: its lr, loss sum, correct, images, seconds
        self.history: list = []
        self.best_val_loss, self.best_epoch, self.bad_epochs = math.inf, None, 0
        self.last_good: tuple | None = None  # (folder, epoch, step) of the newest checkpoint saved or resumed
        self.stop: str | None = None  # a callback sets it to end fit after this epoch ("early_stopping")
        self.torn: str | None = None  # what an exception cut short (a step, an epoch's end): never saved
        self._interrupt = DeferredInterrupt()

    # --- one step: the lecture's recipe ------------------------------------------------------------
    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        """Forward, loss, backward, update; returns (loss, number correct)."""
        logits = self.model(tensor(x, device=self.device))
        loss = self.loss(logits, tensor(y, device=self.device))
        value = loss.item()
        self._emit("after_loss", value)  # the divergence guard stops a NaN loss before backward
        self.optimizer.zero_grad()
        loss.backward()
        self.strategy.reduce_gradients(self, len(y))  # data parallel: the global batch's gradient
        self._emit("after_backward")
        self.optimizer.step()
        if self.scheduler is not None and self.scheduler_interval == "step":
            self.scheduler.step()
        self._emit("after_step", value)
        return value, int((to_host(logits._data.argmax(axis=1)) == y).sum())

    # --- one epoch ---------------------------------------------------------------------------------
    def _train_epoch(self) -> None:
        self.model.train()
        order, bs = self.loader.order(self.epoch), self.batch_size  # seeded by (seed, epoch)
        plan = [order[i : i + bs] for i in range(0, len(order), bs)]
        if self.batch_in_epoch == 0:
            self.totals = EpochTotals(lr=self.optimizer.param_groups[0]["lr"])
        self._emit("on_epoch_start")
        for b in range(self.batch_in_epoch, len(plan)):
            self._interrupt.stop_if_requested()  # Ctrl-C came during the last step: stop between steps
            started = time.perf_counter()
            x, y = self.train_x[plan[b]], self.train_y[plan[b]]
            if self.augment is not None:
                x = self.augment(x, np.random.default_rng([self.seed, self.epoch, b]))
            x, y = self.strategy.shard(x), self.strategy.shard(y)  # data parallel: this process's share
            with self._atomic("a step"):  # all of the update or, for a checkpoint, none of it
                loss, right = self.train_step(x, y)
                self.totals.add(loss, right, len(y), time.perf_counter() - started)
                self.batch_in_epoch, self.step = b + 1, self.step + 1

    def _end_epoch(self) -> None:
        """Validate, let the callbacks add to and check the record, then commit the epoch atomically."""
        self._interrupt.stop_if_requested()  # before validation: the epoch's steps are whole
        record, val_images = {"epoch": self.epoch + 1, **self.totals.record()}, 0
        if self.val_data is not None:
            val_x, val_y = (self.strategy.shard(a) for a in self.val_data)
            val, val_images = self.evaluate(val_x, val_y), len(val_y)
            record.update(val_loss=val.loss, val_acc=val.accuracy)
        self.strategy.reduce_record(self, record, self.totals.seen, val_images)
        self._emit("on_epoch_end", record)  # callbacks add columns
        self._emit("check_epoch", record)  # the divergence guard: a diverged epoch is never kept
        with self._atomic("the end of an epoch"):
            if self.scheduler is not None and self.scheduler_interval == "epoch":
                self.scheduler.step()
            self.epoch, self.batch_in_epoch, self.totals = self.epoch + 1, 0, EpochTotals()
            record["step"] = self.step
            self.history.append(record)
            improved = record.get("val_loss", -math.inf) < self.best_val_loss
            if improved:
                self.best_val_loss, self.best_epoch, self.bad_epochs = record.get("val_loss", math.inf), self.epoch, 0
            else:
                self.bad_epochs += 1
            self._emit("after_epoch", record)  # log, write metrics, save checkpoints, decide to stop

    # --- the loop ----------------------------------------------------------------------------------
    def fit(self, epochs: int | None = None) -> FitResult:
        """Train until ``epochs`` are done (counting those of a resumed run), a callback stops it, or Ctrl-C."""
        if self.torn is not None:
            raise RuntimeError(
                f"Trainer: {self.torn} was cut short by an exception, so the weights, optimizer "
                "and position may hold half an update; resume from a checkpoint before fitting again"
            )
        self.epochs = self.epochs if epochs is None else epochs
        self.stop, self._interrupt = None, DeferredInterrupt()
        result = FitResult(history=self.history)
        try:
            # training records graphs whatever mode the caller is in: a Ctrl-C that lands inside a
            # no_grad block's entry (a user's handler raising at once) can leave graphs off for good
            with self._interrupt, enable_grad():
                try:
                    self.strategy.setup(self)
                    self._emit("on_fit_start")
                    while self.epoch < self.epochs and self.stop is None:
                        self._train_epoch()
                        self._end_epoch()
                except KeyboardInterrupt:
                    self.stop = "interrupted"
                    with self._interrupt.deferred():  # a checkpoint being saved is not cut short
                        self._emit("on_interrupt")
        finally:
            result.stopped, result.best_epoch = self.stop or "finished", self.best_epoch
            self._emit("on_fit_end", result)
        return result

    def _emit(self, hook: str, *args) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)

    # --- evaluation, state -------------------------------------------------------------------------
    def evaluate(self, images, labels, batch_size: int = 1000) -> EvalResult:
        """Mean loss, accuracy, predicted classes and softmax probabilities, in eval mode."""
        return evaluate(self.model, images, labels, batch_size, loss=self.loss)

    @contextlib.contextmanager
    def _atomic(self, what: str):
        """Ctrl-C waits for the block's end; an exception inside leaves the state torn (never saved)."""
        with self._interrupt.deferred():
            self.torn = what
            yield
            self.torn = None

    def state(self) -> dict:
        """The trainer's part of a checkpoint (trainer.json): position, history, schedules, RNG."""
        return {
            "epoch": self.epoch,
            "batch_in_epoch": self.batch_in_epoch,
            "step": self.step,
            "epoch_totals": self.totals.as_dict(),
            "history": self.history,
            "best_val_loss": self.best_val_loss if math.isfinite(self.best_val_loss) else None,
            "best_epoch": self.best_epoch,
            "bad_epochs": self.bad_epochs,
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "rng": B.rng().bit_generator.state,
        }

    def resume(self, path) -> None:
        """Restore weights, optimizer, scheduler, position, history and RNG from a checkpoint.

        Everything is checked first (CheckpointError naming the file and field); a load that still fails
        half-way leaves the trainer torn, refusing to fit or save.
        """
        with self._atomic("a resume"):
            restore(self, path)


@no_grad()
def evaluate(model, images, labels, batch_size: int = 1000, loss: Callable = F.cross_entropy) -> EvalResult:
    """Run ``model`` over (images, labels) in eval mode, in batches; restores the model's mode."""
    was_training = model.training
    model.eval()
    loss_sum, probs, dev = 0.0, [], model_device(model)
    try:
        for i in range(0, len(images), batch_size):
            logits = model(tensor(images[i : i + batch_size], device=dev))
            y = labels[i : i + batch_size]
            loss_sum += loss(logits, tensor(y, device=dev)).item() * len(y)
            probs.append(to_host(F.softmax(logits, dim=1)._data))
    finally:
        model.train(was_training)
    p = np.concatenate(probs) if probs else np.zeros((0, 10), np.float32)
    pred = p.argmax(axis=1)
    n = max(len(labels), 1)
    return EvalResult(loss_sum / n, float((pred == labels).mean()) if len(labels) else 0.0, pred, p)
