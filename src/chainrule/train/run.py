"""A whole training run from a config: data, model, optimizer, schedule, fit, test, plots.

The default recipe reaches the accuracy the lecture's networks can have (SPEC section 5): Adam
with a one-cycle learning-rate schedule and light augmentation (random shifts of up to two pixels),
keeping the lecture's architectures exactly.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from .. import backend as B
from .. import models, optim
from ..data.idx import atomic_write_bytes
from ..devices import check as check_device
from ..devices import device as parse_device
from .trainer import Trainer, evaluate

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
DEFAULT_EPOCHS = {"shallow": 20, "deep": 15, "mlp": 20}  # measured: test accuracy >= 0.989 / 0.993
SCHEDULES = ("onecycle", "cosine", "step", "none")
MAX_SHIFT = 8  # augmentation shifts past a third of a 28-pixel image only destroy digits


@dataclass
class TrainConfig:
    model: str = "shallow"
    dataset: str = "mnist"
    epochs: int | None = None  # None: the model's default (DEFAULT_EPOCHS)
    batch_size: int = 128
    optimizer: str = "adam"
    lr: float = 3e-3  # the peak rate under the one-cycle schedule
    weight_decay: float = 0.0
    schedule: str = "onecycle"
    shift: int = 2  # augmentation: random shifts of up to this many pixels (0: none)
    val_fraction: float = 1 / 12  # 5,000 of the 60,000 training images
    seed: int = 0
    patience: int | None = None  # early stopping after this many epochs without a better val loss
    limit: int | None = None  # train on the first `limit` training images (quick runs, tests)
    grad_flow: int | None = None  # record per-layer gradient flow every N steps (grad_flow.jsonl + plot)
    data_root: str | None = None
    out: str | None = None
    plots: bool = True
    progress: bool = True
    device: str = "cpu"  # "cuda" (or "cuda:k") trains on an NVIDIA GPU through CuPy
    extra: dict = field(default_factory=dict)

    def validate(self) -> None:
        """Check every field's type and range (a ValueError naming the option), fill in the default epochs."""
        problem = config_problem(asdict(self))
        if problem is not None:
            name, message = problem
            raise ValueError(f"--{name.replace('_', '-')} {message}")
        if self.epochs is None:
            self.epochs = DEFAULT_EPOCHS[self.model]
        self.device = str(parse_device(self.device))  # "gpu", "cuda:x": a clear ValueError here

    @classmethod
    def from_saved(cls, saved: dict, file) -> TrainConfig:
        """The config a checkpoint's trainer.json holds, checked field by field (CheckpointError naming it)."""
        from .checkpoint import CheckpointError

        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in saved.items() if k in known}
        problem = config_problem(values)
        if problem is not None:
            raise CheckpointError(f"{file}: field 'config.{problem[0]}': {problem[1]}")
        try:
            parse_device(values.get("device", "cpu"))  # what a range cannot say: the device's name
        except ValueError as err:
            raise CheckpointError(f"{file}: field 'config.device': {err}") from None
        return cls(**values)


@dataclass(frozen=True)
class Range:
    """The values an option takes: ``kind`` (int, float, str, bool, dict) within [lo, hi] (``open_lo``/``open_hi``:
    bound excluded), or one of ``choices``; ``optional``: None allowed."""

    kind: type
    lo: float | None = None
    hi: float | None = None
    open_lo: bool = False
    open_hi: bool = False
    optional: bool = False
    choices: tuple | None = None

    def problem(self, value) -> str | None:
        """None when ``value`` fits, else what is wrong ('must be an integer >= 1, got -5')."""
        if value is None and self.optional:
            return None
        if self.choices is not None:
            return None if value in self.choices else f"must be one of {', '.join(self.choices)}, got {value!r}"
        if not _is_kind(value, self.kind):
            return f"must be {self.describe()}, got {value!r}"
        low_ok = self.lo is None or (value > self.lo if self.open_lo else value >= self.lo)
        high_ok = self.hi is None or (value < self.hi if self.open_hi else value <= self.hi)
        return None if low_ok and high_ok else f"must be {self.describe()}, got {value!r}"

    def describe(self) -> str:
        kind = {int: "an integer", float: "a number", str: "a string", bool: "true or false", dict: "an object"}
        text, lo, hi = kind[self.kind], _fmt(self.lo), _fmt(self.hi)
        if self.lo is not None and self.hi is not None and self.hi < MAX_INT:
            text += f" in {'(' if self.open_lo else '['}{lo}, {hi}{')' if self.open_hi else ']'}"
        elif self.lo is not None:
            text += f" {'>' if self.open_lo else '>='} {lo}"
        return text


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _is_kind(value, kind: type) -> bool:
    """bool is not a number here; a float must be finite (10**400 is not)."""
    if kind is bool or isinstance(value, bool):
        return kind is bool and isinstance(value, bool)
    if kind is float:
        try:
            return isinstance(value, (int, float)) and math.isfinite(value)
        except OverflowError:
            return False
    return isinstance(value, kind)


MAX_INT = 2**63 - 1
RANGES = {  # every TrainConfig field: the CLI's parser, validate() and a saved config all check these
    "model": Range(str, choices=tuple(models.MODELS)),
    "dataset": Range(str, choices=("mnist", "fashion")),
    "epochs": Range(int, 1, 100_000, optional=True),
    "batch_size": Range(int, 1, 2**31),
    "optimizer": Range(str, choices=OPTIMIZERS),
    "lr": Range(float, 0, 10, open_lo=True, open_hi=True),
    "weight_decay": Range(float, 0, 10),
    "schedule": Range(str, choices=SCHEDULES),
    "shift": Range(int, 0, MAX_SHIFT),
    "val_fraction": Range(float, 0, 1, open_hi=True),
    "seed": Range(int, 0, MAX_INT),
    "patience": Range(int, 0, 100_000, optional=True),
    "limit": Range(int, 1, MAX_INT, optional=True),
    "grad_flow": Range(int, 0, MAX_INT, optional=True),
    "data_root": Range(str, optional=True),
    "out": Range(str, optional=True),
    "plots": Range(bool),
    "progress": Range(bool),
    "device": Range(str),
    "extra": Range(dict),
}


def config_problem(values: dict) -> tuple[str, str] | None:
    """(field, what is wrong) for the first value outside its Range, else None."""
    for name, value in values.items():
        problem = RANGES[name].problem(value) if name in RANGES else None
        if problem is not None:
            return name, problem
    return None


def run_folder(config: TrainConfig) -> Path:
    """The run's output folder, created and checked writable (a clear error if it is not)."""
    return writable_folder(config.out, f"{config.model}-{config.dataset}")


def writable_folder(out: str | None, name: str) -> Path:
    """``out``, or ``runs/<name>-<time>``: created, and checked writable with a one-line error."""
    path = Path(out) if out else Path("runs") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as err:
        raise OSError(f"{path}: cannot write the run folder here ({err.strerror or err})") from None
    return path


def load_data(config: TrainConfig):
    """((train_x, train_y), (val_x, val_y) or None, (test_x, test_y)) as float32 (N, 1, 28, 28), int64."""
    from ..data import load_mnist
    from ..data.loader import train_val_split
    from ..data.transforms import to_float

    images, labels = load_mnist("train", dataset=config.dataset, root=config.data_root)
    test_images, test_labels = load_mnist("test", dataset=config.dataset, root=config.data_root)
    train_idx, val_idx = train_val_split(len(images), val_fraction=config.val_fraction, seed=config.seed)
    n_val = len(val_idx)
    if config.limit:
        train_idx = train_idx[: config.limit]
        val_idx = val_idx[: max(config.limit // 4, 1)] if n_val else val_idx
    train = (to_float(images[train_idx]), labels[train_idx])
    val = (to_float(images[val_idx]), labels[val_idx]) if n_val else None
    return train, val, (to_float(test_images), test_labels)


def make_optimizer(config: TrainConfig, params, steps_per_epoch: int):
    params = list(params)
    kind, lr, wd = config.optimizer, config.lr, config.weight_decay
    opt = {"adam": lambda: optim.Adam(params, lr=lr, weight_decay=wd),
           "adamw": lambda: optim.AdamW(params, lr=lr, weight_decay=wd or 1e-2),
           "sgd": lambda: optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=wd),
           "rmsprop": lambda: optim.RMSprop(params, lr=lr, weight_decay=wd)}[kind]()
    total = config.epochs * steps_per_epoch
    if config.schedule == "onecycle":
        sched = optim.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=0.25,
                                 cycle_momentum=kind != "rmsprop")
    elif config.schedule == "cosine":
        sched = optim.CosineAnnealingLR(opt, T_max=total)
    elif config.schedule == "step":
        sched = optim.StepLR(opt, step_size=max(total // 3, 1), gamma=0.1)
    else:
        sched = None
    return opt, sched


def make_augment(shift: int):
    if shift <= 0:
        return None
    from ..data.transforms import random_shift

    return lambda batch, rng: random_shift(batch, shift, rng)


def train(config: TrainConfig, resume: str | None = None, log=print, comm=None) -> dict:
    """Run a whole training; returns the summary written to <run>/summary.json.

    ``comm``: a ``chainrule.distributed.Comm`` for data-parallel training (``--distributed``): every
    rank calls this; rank 0 alone writes the run folder, logs, tests and plots.
    """
    config.validate()
    main = comm is None or comm.is_main
    if not main:
        from ..distributed import quiet

        log = quiet
    if comm is not None and config.device != "cpu":
        raise ValueError(f"--distributed runs on the CPU (MPI over NumPy arrays); drop --device {config.device}")
    check_device(config.device)  # before anything is written: no CuPy or no GPU is one clear error
    run_dir = checkpoint = None
    if resume is not None:  # the run folder of RUN, RUN/checkpoints or RUN/checkpoints/<tag>; else an error
        from .checkpoint import locate_run

        run_dir, checkpoint = locate_run(resume) if main else (None, resume)
    elif main:
        run_dir = run_folder(config)
    B.manual_seed(config.seed)
    train_data, val_data, test_data = load_data(config)
    model = models.get_model(config.model).to(config.device)  # before the optimizer, as in PyTorch
    steps = -(-len(train_data[0]) // config.batch_size)
    optimizer, scheduler = make_optimizer(config, model.parameters(), steps)
    trainer = Trainer(model, optimizer, train_data, val_data, batch_size=config.batch_size, scheduler=scheduler,
                      augment=make_augment(config.shift), seed=config.seed, run_dir=run_dir,
                      patience=config.patience, progress=config.progress, config=asdict(config), log=log,
                      callbacks=_callbacks(config), shard=(0, 1) if comm is None else (comm.rank, comm.world),
                      is_main=main)
    if comm is not None:
        from ..distributed import setup_trainer

        setup_trainer(trainer, comm, shift=config.shift, config=asdict(config), resume=resume)
        log(f"data-parallel over {comm.world} MPI ranks: {config.batch_size} images per step in all")
    elif resume is not None:
        trainer.resume(checkpoint)
    if resume is not None:
        log(f"resumed {checkpoint} at epoch {trainer.epoch + 1}, step {trainer.step}")
    log(f"{config.model} on {config.dataset}: {len(train_data[0])} training images, "
        f"{0 if val_data is None else len(val_data[0])} validation, {len(test_data[0])} test; run folder {run_dir}")
    started = time.perf_counter()
    result = trainer.fit(config.epochs)
    seconds = time.perf_counter() - started
    if not main:  # rank 0 tests, writes the summary and plots
        return {"model": config.model, "stopped": result.stopped, "rank": comm.rank, "epochs_done": trainer.epoch,
                "step": trainer.step}
    if result.stopped == "interrupted":  # the checkpoint is saved; no test run or plots
        return {"model": config.model, "stopped": "interrupted", "run_dir": str(run_dir),
                "epochs_done": trainer.epoch, "step": trainer.step}
    model.to("cpu")  # the test run, plots and summary read the weights on the host
    test = evaluate(model, *test_data)
    n_params = int(sum(p.numel() for p in model.parameters()))
    summary = {"model": config.model, "dataset": config.dataset, "parameters": n_params,
               "test_loss": test.loss, "test_accuracy": test.accuracy, "epochs_done": trainer.epoch,
               "stopped": result.stopped, "train_seconds": seconds, "best_epoch": result.best_epoch,
               "run_dir": str(run_dir), "config": asdict(config)}
    _write_json(run_dir / "summary.json", summary)
    log(f"test accuracy {test.accuracy:.4f}  test loss {test.loss:.4f}  ({seconds:.0f}s of training)")
    if config.plots:
        summary["plots"] = make_plots(run_dir, model, trainer.history, test_data, test, config.dataset)
    return summary


def _callbacks(config: TrainConfig) -> list:
    if not config.grad_flow:
        return []
    from .monitor import GradFlowMonitor

    return [GradFlowMonitor(every=config.grad_flow)]


def make_plots(run_dir: Path, model, history, test_data, test, dataset: str) -> list[str]:
    from ..data import CLASSES
    from ..viz import plots

    images, labels = test_data
    folder = run_dir / "plots"
    names = CLASSES.get(dataset)
    first_conv = next((m for m in model.modules() if type(m).__name__ == "Conv2d"), None)
    wrong = np.flatnonzero(test.predictions != labels)
    written = [
        plots.plot_curves(history, folder / "curves.png"),
        plots.plot_confusion(plots.confusion_matrix(labels, test.predictions, 10), folder / "confusion.png",
                             class_names=names),
        plots.plot_misclassified(images[wrong], labels[wrong], test.predictions[wrong], folder / "misclassified.png",
                                 probs=test.probabilities[wrong].max(axis=1), class_names=names),
    ]
    if (run_dir / "grad_flow.jsonl").is_file():
        from ..viz.grad_flow import plot_grad_flow

        written.append(plot_grad_flow(run_dir, folder / "grad_flow.png"))
    if first_conv is not None:
        written.append(plots.plot_filters(first_conv.weight._data, folder / "filters.png"))
        written.append(plots.plot_feature_maps(model, images[:1], folder / "feature_maps.png"))
    return [str(p) for p in written]


def _write_json(path: Path, data: dict) -> None:
    from .checkpoint import to_json  # standard JSON: NaN and infinity as null

    atomic_write_bytes(path, json.dumps(to_json(data), indent=1, default=str, allow_nan=False).encode())
