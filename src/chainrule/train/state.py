"""A trainer's state in a checkpoint: the running totals of the epoch in progress, the check that keeps a
diverged state out of every checkpoint, and ``restore`` (resume), which checks a checkpoint against the
live trainer (schema, position, scheduler, random generator, optimizer groups) before loading any of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import backend as B
from ..errors import CheckpointError
from ..io import to_json
from .checkpoint import POSITION, load_model_state, read_checkpoint, resolve
from .schema import Mismatch, check_like


@dataclass
class EpochTotals:
    """The epoch in progress, so a run resumed mid-epoch logs the same epoch record as one never stopped."""

    lr: float = 0.0  # the learning rate at the epoch's start
    loss_sum: float = 0.0  # sum of loss x batch size
    correct: int = 0
    seen: int = 0
    seconds: float = 0.0

    def add(self, loss: float, correct: int, n: int, seconds: float) -> None:
        self.loss_sum, self.correct = self.loss_sum + loss * n, self.correct + correct
        self.seen, self.seconds = self.seen + n, self.seconds + seconds

    def record(self) -> dict:
        n = max(self.seen, 1)
        return {
            "lr": self.lr,
            "train_loss": self.loss_sum / n,
            "train_acc": self.correct / n,
            "seconds": self.seconds,
            "images_per_s": self.seen / max(self.seconds, 1e-9),
        }

    def postfix(self) -> dict:
        r = self.record()
        return {"loss": f"{r['train_loss']:.4f}", "acc": f"{r['train_acc']:.4f}", "img_s": f"{r['images_per_s']:.0f}"}

    def as_dict(self) -> dict:
        return asdict(self)


def _finite(value) -> bool:
    a = getattr(value, "_data", value)
    if a is None or isinstance(a, (str, bytes, bool)):
        return True
    try:
        return bool(B.module_of(a).isfinite(a).all())
    except TypeError:  # not numeric
        return True


def nonfinite_state(trainer) -> str | None:
    """What holds NaN or infinity among the weights, buffers and optimizer state (None: nothing)."""
    for name, value in trainer.model.state_dict().items():
        if not _finite(value):
            return f"weight {name} holds NaN or infinity"
    for index, entry in trainer.optimizer.state_dict().get("state", {}).items():
        for key, value in entry.items():
            if not _finite(value):
                return f"the optimizer's {key} of parameter {index} holds NaN or infinity"
    return None


# --- resume -----------------------------------------------------------------------------------------
def _mismatch(file, err: Mismatch) -> CheckpointError:
    return CheckpointError(f"{file}: {err}")


def _check_position(trainer, info: dict, file) -> None:
    per_epoch = -(-len(trainer.train_x) // trainer.batch_size)
    epoch, batch, step = (info[k] for k in POSITION)
    if batch > per_epoch or step != epoch * per_epoch + batch:
        raise CheckpointError(
            f"{file}: field 'step': the position (epoch {epoch}, batch {batch}, step {step}) "
            f"does not fit this run's {per_epoch} batches per epoch: the training data or the "
            "batch size differ from the checkpoint's"
        )


def _check_scheduler(trainer, info: dict, file) -> dict | None:
    sched, saved = trainer.scheduler, info.get("scheduler")
    if sched is None:
        return None
    if saved is None:
        raise CheckpointError(f"{file}: field 'scheduler': missing, but this run has a {type(sched).__name__}")
    try:
        check_like(saved, to_json(sched.state_dict()), "scheduler")
    except Mismatch as err:
        raise _mismatch(file, err) from None
    total = getattr(sched, "total_steps", None)
    if isinstance(total, int) and saved.get("total_steps", total) != total:
        raise CheckpointError(
            f"{file}: field 'scheduler.total_steps': the checkpoint's schedule has "
            f"{saved['total_steps']} steps, this run's {total}"
        )
    last, live_last = saved.get("last_epoch"), getattr(sched, "last_epoch", None)
    if isinstance(last, int) and isinstance(live_last, int):  # the scheduler counts what the position counts
        unit = trainer.scheduler_interval
        if last - info[unit] != live_last - getattr(trainer, unit):
            raise CheckpointError(
                f"{file}: field 'scheduler.last_epoch': the scheduler stands at {last} but the "
                f"position at {unit} {info[unit]}: the checkpoint holds half an update"
            )
    return saved


def _check_rng(info: dict, file) -> dict | None:
    saved = info.get("rng")
    if saved is None:
        return None
    live = B.rng().bit_generator
    try:
        check_like(saved, to_json(live.state), "rng")
        type(live)().state = saved  # a scratch generator: the live one changes only once all is checked
    except Mismatch as err:
        raise _mismatch(file, err) from None
    except (ValueError, TypeError, OverflowError, KeyError) as err:
        raise CheckpointError(f"{file}: field 'rng': not a {type(live).__name__} state ({err})") from None
    return saved


def _check_optimizer(trainer, state: dict | None, folder) -> None:
    if state is None:
        raise CheckpointError(
            f"{folder / 'trainer.json'}: field 'optimizer': missing (a checkpoint to resume "
            "from holds the optimizer's state)"
        )
    live = trainer.optimizer.state_dict()["param_groups"]
    if len(state["param_groups"]) == len(live):
        try:
            for i, (saved, group) in enumerate(zip(state["param_groups"], live)):
                check_like(
                    {k: v for k, v in saved.items() if k != "params"},
                    to_json({k: v for k, v in group.items() if k != "params"}),
                    f"optimizer.param_groups[{i}]",
                )
        except Mismatch as err:
            raise _mismatch(folder / "trainer.json", err) from None


def restore(trainer, path) -> None:
    """Load a checkpoint into ``trainer``: every part is checked before anything is loaded."""
    folder = resolve(path)
    file = folder / "trainer.json"
    weights, optimizer_state, info = read_checkpoint(folder, require=POSITION)
    _check_position(trainer, info, file)
    scheduler_state = _check_scheduler(trainer, info, file)
    rng_state = _check_rng(info, file)
    _check_optimizer(trainer, optimizer_state, folder)
    load_model_state(trainer.model, weights, folder / "model.safetensors")
    try:
        trainer.optimizer.load_state_dict(optimizer_state)
    except (ValueError, TypeError, KeyError, OverflowError, IndexError) as err:
        raise CheckpointError(
            f"{folder / 'optimizer.safetensors'} (with trainer.json's 'optimizer'): does not fit this optimizer: {err}"
        ) from None
    if scheduler_state is not None:
        trainer.scheduler.load_state_dict(scheduler_state)
    if rng_state is not None:
        B.rng().bit_generator.state = rng_state
    trainer.epoch, trainer.batch_in_epoch, trainer.step = (info[k] for k in POSITION)
    totals = info.get("epoch_totals")
    trainer.totals = EpochTotals(**totals) if totals else EpochTotals(lr=trainer.optimizer.param_groups[0]["lr"])
    trainer.history[:] = info.get("history", [])
    best = info.get("best_val_loss")
    trainer.best_val_loss = float("inf") if best is None else best
    trainer.best_epoch, trainer.bad_epochs = info.get("best_epoch"), info.get("bad_epochs", 0)
    trainer.last_good = (folder, trainer.epoch, trainer.step)
