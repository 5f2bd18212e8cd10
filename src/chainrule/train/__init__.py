"""Training: the fit loop and its plug-ins, checkpoints, metrics, and whole runs from a config.

``Trainer`` is the loop (trainer.py); callbacks (callbacks.py, metrics.py, monitor.py) plug in
checkpoints, metrics files, progress, early stopping, the divergence guard and gradient-flow
monitoring; a strategy (strategy.py; ``chainrule.distributed.DataParallel``) spreads it over processes.
"""

from ..errors import CheckpointError, DivergenceError
from .callbacks import Callback, Checkpoints, DivergenceGuard, EarlyStopping, Progress
from .checkpoint import load_weights, read_checkpoint, save_checkpoint
from .config import TrainConfig
from .metrics import MetricsLog
from .monitor import GradFlowMonitor
from .run import resume_run, train
from .strategy import Strategy
from .trainer import EvalResult, FitResult, Trainer, evaluate

__all__ = [
    "Callback",
    "CheckpointError",
    "Checkpoints",
    "DivergenceError",
    "DivergenceGuard",
    "EarlyStopping",
    "EvalResult",
    "FitResult",
    "GradFlowMonitor",
    "MetricsLog",
    "Progress",
    "Strategy",
    "TrainConfig",
    "Trainer",
    "evaluate",
    "load_weights",
    "read_checkpoint",
    "resume_run",
    "save_checkpoint",
    "train",
]
