"""A training run's settings: ``TrainConfig``, and the one range table every reader checks them against.

The CLI's parser, ``TrainConfig.validate`` and a checkpoint's saved config all check a value with the
same ``Range`` (``RANGES``), so an option is refused with the same words wherever it comes from.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

from .. import models
from ..devices import device as parse_device
from ..errors import CheckpointError

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
