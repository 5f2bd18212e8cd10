"""Training metrics: one record per epoch, appended to metrics.jsonl and metrics.csv."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

COLUMNS = ("epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds", "images_per_s")


def finite_or_none(value):
    """``value`` with NaN and infinite floats as None, in nested dicts and lists too: JSON has no literal for them."""
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(v) for v in value]
    return None if isinstance(value, float) and not math.isfinite(value) else value


class MetricsLog:
    """Appends epoch records to ``<run>/metrics.jsonl`` and ``<run>/metrics.csv`` (flushed each time).

    ``keep_epochs(n)`` drops records past epoch n, so a resumed run continues the files cleanly.
    """

    def __init__(self, folder) -> None:
        self.folder = Path(folder)
        self.jsonl, self.csv = self.folder / "metrics.jsonl", self.folder / "metrics.csv"

    def records(self) -> list[dict]:
        if not self.jsonl.is_file():
            return []
        return [json.loads(line) for line in self.jsonl.read_text().splitlines() if line.strip()]

    def keep_epochs(self, last_epoch: int) -> None:
        kept = [r for r in self.records() if r.get("epoch", 0) <= last_epoch]
        self.jsonl.unlink(missing_ok=True)
        self.csv.unlink(missing_ok=True)
        for record in kept:
            self.append(record)

    def append(self, record: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        clean = finite_or_none(record)
        with open(self.jsonl, "a") as f:
            f.write(json.dumps(clean, allow_nan=False) + "\n")
        new = not self.csv.is_file()
        with open(self.csv, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow({k: clean.get(k) for k in COLUMNS})

