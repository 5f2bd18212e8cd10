"""The fit loop's plug-ins: progress, checkpoints, early stopping, the divergence guard.

A callback overrides the hooks it needs; the loop calls each hook on every callback, in list order:

    on_fit_start
      on_epoch_start
        after_loss(loss)   the loss of a step is known; nothing has changed yet
        after_backward     every ``.grad`` holds the global batch's gradient; the optimizer has not stepped
        after_step(loss)   the optimizer (and a per-step scheduler) has stepped
      on_epoch_end(record)   the epoch is trained and validated: add columns to its record
      check_epoch(record)    the record is final: raise to keep this epoch out of every file
      after_epoch(record)    the epoch is committed (position, history, best): log, write, save, stop
    on_interrupt           Ctrl-C: the state is whole unless ``trainer.torn`` says what was cut short
    on_fit_end(result)     ``fit`` is returning or raising

A step (``after_loss`` .. ``after_step``) and ``after_epoch`` run inside atomic sections: an exception
there leaves the trainer torn, and nothing is saved of that state. Metrics files are
``metrics.MetricsLog``; gradient-flow records ``monitor.GradFlowMonitor``.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import sys
from pathlib import Path

from tqdm.std import tqdm as text_bar

from ..errors import DivergenceError
from .checkpoint import save_checkpoint
from .state import nonfinite_state


class Callback:
    """A hook into the fit loop: override what you need (see the module docstring)."""

    def on_fit_start(self, trainer) -> None: ...
    def on_epoch_start(self, trainer) -> None: ...
    def after_loss(self, trainer, loss: float) -> None: ...
    def after_backward(self, trainer) -> None: ...
    def after_step(self, trainer, loss: float) -> None: ...
    def on_epoch_end(self, trainer, record: dict) -> None: ...
    def check_epoch(self, trainer, record: dict) -> None: ...
    def after_epoch(self, trainer, record: dict) -> None: ...
    def on_interrupt(self, trainer) -> None: ...
    def on_fit_end(self, trainer, result) -> None: ...


def in_notebook() -> bool:
    """True in a Jupyter kernel (JupyterLab, Notebook, VS Code, Colab), False in a terminal or IPython.

    The kernel's shell is a ``ZMQInteractiveShell`` (Colab's subclasses it); Qt console and Spyder
    run one too but cannot draw widgets, so they count as terminals, as in ``tqdm.autonotebook``.
    """
    ipython = sys.modules.get("IPython")  # never imported here: a kernel has it loaded already
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is None or not any(c.__name__ == "ZMQInteractiveShell" for c in type(shell).__mro__):
        return False
    return not any(k == "QT_API" or k.startswith("SPYDER") for k in os.environ)


def bar_class():
    """The tqdm class to draw with: ``tqdm.notebook``'s widget in a kernel that has ipywidgets, else
    ``tqdm.std``'s text bar. Without ipywidgets a notebook gets the text bar, and no warning
    (``tqdm.auto`` would warn "IProgress not found" and fall back the same way)."""
    if in_notebook() and importlib.util.find_spec("ipywidgets") is not None:
        notebook = importlib.import_module("tqdm.notebook")  # loads ipywidgets: only in a kernel
        if notebook.IProgress is not None:  # an ipywidgets too old for tqdm counts as none
            return notebook.tqdm
    return text_bar


def progress_bar(**kwargs):
    """A tqdm bar of ``bar_class()``: a widget in Jupyter, text in a terminal (tqdm's keywords)."""
    return bar_class()(**kwargs)


class Progress(Callback):
    """A progress bar over each epoch's steps (``bar``) and one line per epoch through ``log``."""

    def __init__(self, log=print, bar: bool = True) -> None:
        self.log, self.bar_enabled, self.bar = log, bar, None

    def on_epoch_start(self, trainer) -> None:
        steps = -(-len(trainer.train_x) // trainer.batch_size)
        self.bar = progress_bar(
            total=steps,
            initial=trainer.batch_in_epoch,
            desc=f"epoch {trainer.epoch + 1}/{trainer.epochs}",
            unit="batch",
            disable=not self.bar_enabled,
            leave=True,
            dynamic_ncols=True,
        )

    def after_step(self, trainer, loss: float) -> None:
        if self.bar is not None:
            self.bar.set_postfix(**trainer.totals.postfix(), refresh=False)
            self.bar.update(1)

    def on_epoch_end(self, trainer, record: dict) -> None:
        self._close()

    def after_epoch(self, trainer, record: dict) -> None:
        parts = [f"epoch {record['epoch']}", f"loss {record['train_loss']:.4f}", f"acc {record['train_acc']:.4f}"]
        if "val_loss" in record:
            parts += [f"val_loss {record['val_loss']:.4f}", f"val_acc {record['val_acc']:.4f}"]
        parts.append(f"{record['seconds']:.1f}s ({record['images_per_s']:.0f} img/s)")
        self.log("  ".join(parts))

    def on_fit_end(self, trainer, result) -> None:
        self._close()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class EarlyStopping(Callback):
    """Stop when the validation loss has not improved for more than ``patience`` epochs."""

    def __init__(self, patience: int, log=print) -> None:
        self.patience, self.log = patience, log

    def after_epoch(self, trainer, record: dict) -> None:
        if trainer.bad_epochs > self.patience:
            self.log(
                f"early stopping: validation loss has not improved for {trainer.bad_epochs} epochs "
                f"(best {trainer.best_val_loss:.4f} at epoch {trainer.best_epoch})"
            )
            trainer.stop = "early_stopping"


class Checkpoints(Callback):
    """``<run_dir>/checkpoints/last`` after every epoch and on Ctrl-C, ``best`` when the validation loss
    improved; ``config`` is saved beside the trainer's state. A state with a NaN or infinite weight,
    or one an exception cut short, is never saved."""

    def __init__(self, run_dir, config: dict | None = None, log=print) -> None:
        self.run_dir, self.config, self.log = Path(run_dir), dict(config or {}), log

    def after_epoch(self, trainer, record: dict) -> None:
        problem = nonfinite_state(trainer)  # the divergence guard has said so already, if there is one
        if problem:
            raise diverged(f"{problem} at the end of epoch {trainer.epoch}", self.kept(trainer))
        self.save(trainer, "last")
        if trainer.best_epoch == trainer.epoch and trainer.val_data is not None:
            self.save(trainer, "best")

    def on_interrupt(self, trainer) -> None:
        where = f"at epoch {trainer.epoch + 1}, step {trainer.batch_in_epoch}"
        problem = f"{trainer.torn} was cut short" if trainer.torn is not None else nonfinite_state(trainer)
        if problem is None:
            path = self.save(trainer, "last")
            self.log(f"\ninterrupted {where}: checkpoint saved to {path}; continue with --resume {self.run_dir}")
        else:
            self.log(
                f"\ninterrupted {where}: {problem}, so this state is not saved; "
                f"{self.kept(trainer, 'no checkpoint was saved')}"
            )

    def save(self, trainer, tag: str = "last") -> Path:
        """Write the checkpoint ``tag`` of the trainer's present state; returns its folder."""
        info = {"config": self.config, **trainer.state()}
        path = save_checkpoint(self.run_dir / "checkpoints" / tag, trainer.model, trainer.optimizer, info)
        if tag == "last":
            trainer.last_good = (path, trainer.epoch, trainer.step)
        return path

    @staticmethod
    def kept(trainer, none: str = "nothing was saved (no checkpoint before it was good)") -> str:
        """Which checkpoint a stopped run can go on from."""
        if trainer.last_good is None:
            return none
        return "the last good checkpoint is {} (epoch {}, step {})".format(*trainer.last_good)


def diverged(what: str, kept: str | None = None) -> DivergenceError:
    return DivergenceError(
        f"training diverged: {what}{'' if kept is None else '; ' + kept}. Try a smaller learning rate."
    )


class DivergenceGuard(Callback):
    """Stop with DivergenceError when the loss, an epoch's train/val metric, a weight or the optimizer's
    state becomes NaN or infinite. The message names the epoch and step and, with ``checkpoints``,
    the last good checkpoint (or that there is none). A NaN loss stops before its backward pass."""

    def __init__(self, checkpoints: Checkpoints | None = None) -> None:
        self.checkpoints = checkpoints

    def after_loss(self, trainer, loss: float) -> None:
        if not math.isfinite(loss):
            self._stop(
                trainer,
                f"the loss became {loss} at epoch {trainer.epoch + 1}, step "
                f"{trainer.batch_in_epoch + 1} (global step {trainer.step + 1})",
            )

    def check_epoch(self, trainer, record: dict) -> None:
        bad = [
            k
            for k, v in record.items()
            if k.startswith(("train_", "val_")) and isinstance(v, float) and not math.isfinite(v)
        ]
        problem = f"the {bad[0].replace('_', ' ')} became {record[bad[0]]}" if bad else nonfinite_state(trainer)
        if problem:
            self._stop(trainer, f"{problem} at the end of epoch {trainer.epoch + 1} (global step {trainer.step})")

    def _stop(self, trainer, what: str):
        raise diverged(what, None if self.checkpoints is None else self.checkpoints.kept(trainer))
