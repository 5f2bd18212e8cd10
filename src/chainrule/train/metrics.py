"""Training metrics: one record per epoch, appended to metrics.jsonl and metrics.csv."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ..io import append_jsonl, to_json
from .callbacks import Callback

COLUMNS = ("epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds", "images_per_s")


class MetricsLog(Callback):
    """Appends epoch records to ``<folder>/metrics.jsonl`` and ``<folder>/metrics.csv`` (standard JSON: a
    non-finite number is null; flushed each time). As a callback it writes each committed epoch, and
    at the start of ``fit`` drops records past the trainer's epoch, so a resumed run continues the
    files cleanly (``keep_epochs``)."""

    def __init__(self, folder) -> None:
        self.folder = Path(folder)
        self.jsonl, self.csv = self.folder / "metrics.jsonl", self.folder / "metrics.csv"

    def on_fit_start(self, trainer) -> None:
        self.keep_epochs(trainer.epoch)

    def after_epoch(self, trainer, record: dict) -> None:
        self.append(record)

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
        clean = to_json(record)
        append_jsonl(self.jsonl, [clean])
        new = not self.csv.is_file()
        with open(self.csv, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow({k: clean.get(k) for k in COLUMNS})
