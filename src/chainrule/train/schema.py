"""The one schema of a checkpoint's ``trainer.json``, checked on every read.

A checkpoint folder is a file an attacker or a clumsy user may have edited, so nothing in it is
trusted field by field: :func:`check_info` walks the parsed JSON against ``TRAINER_JSON`` (types,
ranges, finite numbers, the shapes of the nested config, optimizer, scheduler and random-generator
state) and :func:`check_like` compares a saved state with the live object's own state dict (same
keys, kinds and list lengths) before it is loaded. Every field is optional when only the weights
are read (``chainrule eval``); resuming requires the position (``epoch``, ``batch_in_epoch``,
``step``). Any mismatch is one ``CheckpointError`` naming the file and the field::

    run/checkpoints/last/trainer.json: field 'optimizer.param_groups[0].betas': expected a list of
    2 numbers in [0, 1), got 'x'
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import CheckpointError

MAX_COUNT = 2**53  # epochs, steps, counts: exact in a float and far past any run
POSITION = ("epoch", "batch_in_epoch", "step")


class Mismatch(Exception):
    """A value that does not fit the schema: ``path`` is the field ('a.b[2].c'), ``message`` what is wrong."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"field '{path}': {message}" if path else message)
        self.path = path


def _show(value) -> str:
    text = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__.replace("dict", "an object")
    text = {"list": "a list"}.get(text, text)
    return text if len(text) <= 60 else text[:57] + "..."


def _join(path: str, key) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key)


def _real(value) -> bool:
    """A finite JSON number (not a bool; 10**400 is not finite as a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


class Any:
    """Any JSON value whose numbers are finite (recursively)."""

    def check(self, value, path: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                self.check(v, _join(path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.check(v, _join(path, i))
        elif isinstance(value, float) and not math.isfinite(value):
            raise Mismatch(path, f"expected a finite number, got {value!r}")


class Num:
    """A finite number in [lo, hi] (hi excluded with ``open_hi``); ``null``: None is allowed."""

    def __init__(self, lo=-math.inf, hi=math.inf, *, open_hi=False, null=False, integer=False) -> None:
        self.lo, self.hi, self.open_hi, self.null, self.integer = lo, hi, open_hi, null, integer

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a number"
        if self.lo == -math.inf and self.hi == math.inf:
            return kind + (" or null" if self.null else "")
        if self.hi >= MAX_COUNT:
            bounds = f" >= {self.lo}"
        else:
            bounds = f" in [{self.lo}, {self.hi}{')' if self.open_hi else ']'}"
        return kind + bounds + (" or null" if self.null else "")

    def check(self, value, path: str) -> None:
        if value is None and self.null:
            return
        ok = isinstance(value, int) and not isinstance(value, bool) if self.integer else _real(value)
        ok = ok and self.lo <= value and (value < self.hi if self.open_hi else value <= self.hi)
        if not ok:
            raise Mismatch(path, f"expected {self.describe()}, got {_show(value)}")


def Int(lo=0, hi=MAX_COUNT, *, null=False) -> Num:  # capitalised: it reads as a type in the schema
    return Num(lo, hi, null=null, integer=True)


class Str:
    def __init__(self, choices: tuple | None = None) -> None:
        self.choices = choices

    def check(self, value, path: str) -> None:
        if not isinstance(value, str) or (self.choices is not None and value not in self.choices):
            wanted = "a string" if self.choices is None else " or ".join(map(repr, self.choices))
            raise Mismatch(path, f"expected {wanted}, got {_show(value)}")


class List:
    def __init__(self, item, length: int | None = None, *, null=False) -> None:
        self.item, self.length, self.null = item, length, null

    def check(self, value, path: str) -> None:
        if value is None and self.null:
            return
        if not isinstance(value, list) or (self.length is not None and len(value) != self.length):
            count = "" if self.length is None else f" of {self.length}"
            raise Mismatch(
                path,
                f"expected a list{count}, got {_show(value)}"
                + (f" of {len(value)}" if isinstance(value, list) else ""),
            )
        for i, v in enumerate(value):
            self.item.check(v, _join(path, i))


class Obj:
    """A JSON object: ``fields`` checked by name, ``required`` present, other keys checked by ``other``."""

    def __init__(self, fields: dict | None = None, required=(), other=None, *, null=False, keys=None) -> None:
        self.fields, self.required, self.other, self.null = fields or {}, tuple(required), other or Any(), null
        self.keys = keys  # None, or a predicate every key must pass (e.g. str.isdigit)

    def check(self, value, path: str, required=()) -> None:
        if value is None and self.null:
            return
        if not isinstance(value, dict):
            raise Mismatch(path, f"expected an object, got {_show(value)}")
        for name in (*self.required, *required):
            if name not in value:
                raise Mismatch(_join(path, name), "missing")
        for k, v in value.items():
            if self.keys is not None and not self.keys(k):
                raise Mismatch(_join(path, k), "unexpected key")
            self.fields.get(k, self.other).check(v, _join(path, k))


SCALAR = Any()  # numbers finite; strings, bools and null as they come
HISTORY_RECORD = Obj({"epoch": Int(1), "step": Int(0)})
OPTIMIZER_GROUP = Obj(
    {
        "params": List(Int(0)),
        "lr": Num(0),
        "betas": List(Num(0, 1, open_hi=True), 2),
        "eps": Num(0),
        "weight_decay": Num(0),
        "momentum": Num(0),
        "initial_lr": Num(0),
        "max_lr": Num(0),
        "min_lr": Num(0),
    },
    required=("params",),
)
TRAINER_JSON = Obj(
    {
        "format": Str(),
        "config": Obj(),
        "epoch": Int(0),
        "batch_in_epoch": Int(0),
        "step": Int(0),
        "history": List(HISTORY_RECORD),
        "best_val_loss": Num(null=True),
        "best_epoch": Int(0, null=True),
        "bad_epochs": Int(0),
        "epoch_totals": Obj(
            {"lr": Num(0), "loss_sum": Num(0), "correct": Int(0), "seen": Int(0), "seconds": Num(0)},
            required=("lr", "loss_sum", "correct", "seen", "seconds"),
            null=True,
        ),
        "scheduler": Obj(
            {
                "last_epoch": Int(-1),
                "_step_count": Int(0),
                "total_steps": Int(1),
                "base_lrs": List(Num(0)),
                "_last_lr": List(Num(0), null=True),
            },
            null=True,
        ),
        "rng": Obj(
            {"bit_generator": Str(), "state": Obj(), "has_uint32": Int(0, 1), "uinteger": Int(0, 2**32 - 1)},
            required=("bit_generator", "state", "has_uint32", "uinteger"),
            null=True,
        ),
        "optimizer": Obj(
            {"scalars": Obj(other=Obj(), keys=str.isdigit), "param_groups": List(OPTIMIZER_GROUP)},
            required=("scalars", "param_groups"),
            null=True,
        ),
    }
)


def check_info(info, file, require=()) -> dict:
    """``info`` (parsed trainer.json) if it fits ``TRAINER_JSON`` with ``require`` present, else CheckpointError."""
    try:
        TRAINER_JSON.check(info, "", required=require)
    except Mismatch as err:
        raise CheckpointError(f"{file}: {err}") from None
    return info


def _kind(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "a bool"
    if isinstance(value, (int, float, np.number)):
        return "a number"
    return {str: "a string", dict: "an object", list: "a list", tuple: "a list"}.get(type(value), "null")


def check_like(saved, live, path: str) -> None:
    """``saved`` has the shape of ``live`` (a state dict): the same keys, values of the same kinds, lists of
    the same lengths, numbers finite. A live None accepts anything. Raises Mismatch."""
    if live is None:
        return
    kind = _kind(live)
    if _kind(saved) != kind:
        raise Mismatch(path, f"expected {kind} (as this run's state has), got {_show(saved)}")
    if kind == "a number" and not _real(saved):
        raise Mismatch(path, f"expected a finite number, got {_show(saved)}")
    if kind == "an object":
        missing = [k for k in live if k not in saved]
        if missing:  # the live value would stay: a state the run never had
            raise Mismatch(_join(path, missing[0]), "missing")
        for k, v in saved.items():
            if k not in live:
                raise Mismatch(_join(path, k), f"unexpected key (expected some of {', '.join(map(str, live))})")
            check_like(v, live[k], _join(path, k))
    elif kind == "a list":
        if len(saved) != len(live):
            raise Mismatch(path, f"expected a list of {len(live)}, got a list of {len(saved)}")
        for i, (s, v) in enumerate(zip(saved, live)):
            check_like(s, v, _join(path, i))
