"""Resuming a run: where its checkpoint is (on every process), and the settings it goes on with.

``chainrule train --resume RUN`` continues the run saved in RUN, a run folder or one of its checkpoint
folders; anything else is an error (resuming never starts a new run inside a checkpoint). The run's
own config is reused; ``--epochs`` may extend a run whose schedule does not depend on the total,
``--device`` moves it (checkpoints hold host arrays). ``run.resume_run`` puts these together.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from ..errors import CheckpointError
from .checkpoint import locate_run, read_info
from .config import TrainConfig
from .strategy import Strategy


class Located(NamedTuple):
    run_dir: Path | None  # the run folder, on the main process (None on the others)
    checkpoint: Path  # this process's copy of the checkpoint to resume from


def locate(path, strategy: Strategy | None = None) -> Located:
    """The run and checkpoint of ``--resume PATH``; the main process finds them, the others get a copy."""
    found = {}

    def find() -> Path:
        found["run"], folder = locate_run(path)
        return folder

    checkpoint = (strategy or Strategy()).local_copy(find)
    return Located(found.get("run"), checkpoint)


def resume_config(
    checkpoint, *, epochs: int | None = None, device: str | None = None, progress: bool = True
) -> TrainConfig:
    """The config saved in ``checkpoint`` (checked field by field), with the options that may change."""
    checkpoint = Path(checkpoint)
    info = read_info(checkpoint)
    if "config" not in info:
        raise CheckpointError(f"{checkpoint / 'trainer.json'}: field 'config': missing (the run's settings)")
    config = TrainConfig.from_saved(info["config"], checkpoint / "trainer.json")
    if epochs is not None and epochs != config.epochs:
        if config.schedule in ("onecycle", "cosine"):
            raise ValueError(
                f"--epochs {epochs} with --resume: the run's {config.schedule} schedule was planned "
                f"for {config.epochs} epochs; resume without --epochs"
            )
        config.epochs = epochs
    if device is not None:
        config.device = device
    config.progress = progress
    return config
