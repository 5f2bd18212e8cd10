"""The training loop: minibatch SGD-family steps, validation each epoch, checkpoints, metrics.

Each step is the lecture's recipe: forward pass, loss, backward pass (backpropagation through the
computational graph), optimizer update. Determinism: batches come from a permutation seeded by
(seed, epoch) and augmentation from a generator seeded by (seed, epoch, batch), so a run resumed
from a checkpoint sees exactly the batches an uninterrupted run would, and ends on the same weights.
"""

from __future__ import annotations

import math
import signal
import threading
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
from .checkpoint import read_checkpoint, save_checkpoint
from .metrics import MetricsLog


class DivergenceError(RuntimeError):
    """The loss became NaN or infinite; the message names the epoch and step."""


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


class DeferredInterrupt:
    """Ctrl-C while training finishes the current step first, so a checkpoint never holds half an update.

    The first SIGINT only sets ``requested`` (the loop stops at the next step boundary); a second
    one interrupts at once. Installed only over Python's default handler, in the main thread.
    """

    def __init__(self) -> None:
        self.requested, self._previous = False, None

    def __enter__(self) -> DeferredInterrupt:
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


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
    sized in steps) unless ``scheduler_per_epoch``.
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
        self.history: list = []
        self._interrupt = DeferredInterrupt()
        self.best_val_loss, self.best_epoch, self.bad_epochs = math.inf, None, 0

    # --- one epoch -------------------------------------------------------------------------
    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        """Forward, loss, backward, update; returns (loss, number correct)."""
        logits = self.model(tensor(x, device=self.device))
        loss = F.cross_entropy(logits, tensor(y, device=self.device))
        value = loss.item()
        if not math.isfinite(value):
            where = f"epoch {self.epoch + 1}, step {self.batch_in_epoch + 1} (global step {self.step + 1})"
            kept = f"; the last good checkpoint is {self.run_dir / 'checkpoints' / 'last'}" if self.run_dir else ""
            raise DivergenceError(f"training diverged: the loss became {value} at {where}{kept}. "
                                  "Try a smaller learning rate.")
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

    def _train_epoch(self, epochs: int) -> dict:
        self.model.train()
        order, bs = self.loader.order(self.epoch), self.batch_size  # seeded by (seed, epoch)
        rank, world = self.shard
        plan = [order[i : i + bs] for i in range(0, len(order), bs)]
        loss_sum = correct = seen = 0
        start = time.perf_counter()
        bar = tqdm(total=len(plan), initial=self.batch_in_epoch, desc=f"epoch {self.epoch + 1}/{epochs}",
                   unit="batch", disable=not (self.progress and self.is_main), leave=True, dynamic_ncols=True)
        for b in range(self.batch_in_epoch, len(plan)):
            if self._interrupt.requested:  # Ctrl-C came during the last step: stop between steps
                raise KeyboardInterrupt
            idx = plan[b][rank::world]  # data-parallel: each process takes its share of the global batch
            x, y = self.train_x[idx], self.train_y[idx]
            if self.augment is not None:
                x = self.augment(x, np.random.default_rng([self.seed, self.epoch, b]))
            loss, right = self.train_step(x, y)
            loss_sum, correct, seen = loss_sum + loss * len(y), correct + right, seen + len(y)
            self.batch_in_epoch, self.step = b + 1, self.step + 1
            elapsed = time.perf_counter() - start
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}",
                            img_s=f"{seen / max(elapsed, 1e-9):.0f}", refresh=False)
            bar.update(1)
        bar.close()
        seconds = time.perf_counter() - start
        return {"train_loss": loss_sum / max(seen, 1), "train_acc": correct / max(seen, 1),
                "seconds": seconds, "images_per_s": seen / max(seconds, 1e-9)}

    # --- the loop ----------------------------------------------------------------------------
    def fit(self, epochs: int) -> FitResult:
        """Train until ``epochs`` are done (counting those of a resumed run), early stopping or Ctrl-C."""
        result = FitResult(history=self.history)
        self._interrupt = DeferredInterrupt()
        try:
            with self._interrupt:
                self._fit_epochs(epochs, result)
        except KeyboardInterrupt:
            result.stopped = "interrupted"
            if self.run_dir is not None:
                path = self.save("last")
                self.log(f"\ninterrupted at epoch {self.epoch + 1}, step {self.batch_in_epoch}: checkpoint saved to "
                         f"{path}; continue with --resume")
        finally:
            result.best_epoch = self.best_epoch
            for cb in self.callbacks:
                cb.on_fit_end(self, result)
        return result

    def _fit_epochs(self, epochs: int, result: FitResult) -> None:
        while self.epoch < epochs:
            record = {"epoch": self.epoch + 1, "lr": self.optimizer.param_groups[0]["lr"]}
            record.update(self._train_epoch(epochs))
            if self.val_data is not None:
                val = self.evaluate(*self.val_data)
                record.update(val_loss=val.loss, val_acc=val.accuracy)
            if self.scheduler is not None and self.scheduler_per_epoch:
                self.scheduler.step()
            self.epoch, self.batch_in_epoch = self.epoch + 1, 0
            record["step"] = self.step
            self.history.append(record)
            if self._after_epoch(record):
                result.stopped = "early_stopping"
                return

    def _after_epoch(self, record: dict) -> bool:
        """Log, write metrics and checkpoints; True when early stopping says stop."""
        for cb in self.callbacks:
            cb.on_epoch_end(self, record)
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

    # --- evaluation --------------------------------------------------------------------------
    def evaluate(self, images, labels, batch_size: int = 1000) -> EvalResult:
        """Mean cross-entropy, accuracy, predicted classes and softmax probabilities, in eval mode."""
        return evaluate(self.model, images, labels, batch_size)

    # --- checkpoints -------------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "config": self.config, "epoch": self.epoch, "batch_in_epoch": self.batch_in_epoch, "step": self.step,
            "history": self.history, "best_val_loss": self.best_val_loss if math.isfinite(self.best_val_loss)
            else None, "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs,
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "rng": B.rng().bit_generator.state,
        }

    def save(self, tag: str = "last") -> Path:
        return save_checkpoint(self.run_dir / "checkpoints" / tag, self.model, self.optimizer, self.state())

    def resume(self, path) -> None:
        """Restore weights, optimizer, scheduler, position and history from a checkpoint."""
        weights, optimizer_state, info = read_checkpoint(path)
        self.model.load_state_dict(weights)
        if optimizer_state is not None:
            self.optimizer.load_state_dict(optimizer_state)
        if self.scheduler is not None and info.get("scheduler") is not None:
            self.scheduler.load_state_dict(info["scheduler"])
        self.epoch, self.batch_in_epoch, self.step = info["epoch"], info["batch_in_epoch"], info["step"]
        self.history[:] = info.get("history", [])
        best = info.get("best_val_loss")
        self.best_val_loss = math.inf if best is None else best
        self.best_epoch, self.bad_epochs = info.get("best_epoch"), info.get("bad_epochs", 0)
        if info.get("rng"):
            B.rng().bit_generator.state = info["rng"]
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
