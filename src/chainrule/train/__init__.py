"""Training: the fit loop, checkpoints, metrics, and whole runs from a config."""

from .checkpoint import CheckpointError, load_weights, read_checkpoint, save_checkpoint
from .metrics import MetricsLog
from .run import TrainConfig, train
from .trainer import Callback, DivergenceError, EvalResult, FitResult, Trainer, evaluate

__all__ = [
    "Callback", "CheckpointError", "DivergenceError", "EvalResult", "FitResult", "MetricsLog", "TrainConfig", "Trainer",
    "evaluate", "load_weights", "read_checkpoint", "save_checkpoint", "train",
]
