"""A whole training run from a config: data, model, optimizer, schedule, plug-ins, fit, test, plots.

The default recipe reaches the accuracy the lecture's networks can have (SPEC section 5): Adam
with a one-cycle learning-rate schedule and light augmentation (random shifts of up to two pixels),
keeping the lecture's architectures exactly.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .. import backend as B
from .. import data, models, optim
from ..data.loader import train_val_split
from ..data.transforms import random_shift, to_float
from ..devices import check as check_device
from ..io import write_json
from ..nn import Conv1d, Conv2d
from ..nn import functional as F
from ..viz import plots
from ..viz.grad_flow import plot_grad_flow
from .callbacks import Checkpoints, DivergenceGuard, EarlyStopping, Progress
from .config import TrainConfig
from .metrics import MetricsLog
from .monitor import GradFlowMonitor
from .resume import Located, locate, resume_config
from .strategy import Strategy
from .trainer import Trainer, evaluate


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
    images, labels = data.load_mnist("train", dataset=config.dataset, root=config.data_root)
    test_images, test_labels = data.load_mnist("test", dataset=config.dataset, root=config.data_root)
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
    opt = {
        "adam": lambda: optim.Adam(params, lr=lr, weight_decay=wd),
        "adamw": lambda: optim.AdamW(params, lr=lr, weight_decay=wd or 1e-2),
        "sgd": lambda: optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=wd),
        "rmsprop": lambda: optim.RMSprop(params, lr=lr, weight_decay=wd),
    }[kind]()
    total = config.epochs * steps_per_epoch
    if config.schedule == "onecycle":
        sched = optim.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=0.25, cycle_momentum=kind != "rmsprop")
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
    return lambda batch, rng: random_shift(batch, shift, rng)


def run_callbacks(config: TrainConfig, run_dir: Path | None, log=print) -> list:
    """The plug-ins of a run: gradient flow (``--grad-flow``), the divergence guard, progress, and with a
    run folder metrics files and checkpoints, early stopping (``--patience``)."""
    checkpoints = Checkpoints(run_dir, asdict(config), log) if run_dir is not None else None
    callbacks: list = []
    if config.grad_flow:
        records = None if run_dir is None else run_dir / "grad_flow.jsonl"
        callbacks.append(GradFlowMonitor(config.grad_flow, path=records))
    callbacks += [DivergenceGuard(checkpoints), Progress(log, bar=config.progress and run_dir is not None)]
    if run_dir is not None:
        callbacks += [MetricsLog(run_dir), checkpoints]
    if config.patience is not None:
        callbacks.append(EarlyStopping(config.patience, log))
    return callbacks


def _quiet(*args, **kwargs) -> None:
    """The log of processes other than the main one: they print nothing (N copies would interleave)."""


def train(config: TrainConfig, resume=None, log=print, strategy: Strategy | None = None) -> dict:
    """Run a whole training; returns the summary written to <run>/summary.json.

    ``resume``: a run folder or one of its checkpoint folders (or ``resume.locate``'s answer) to go on
    from. ``strategy``: how the run spreads over processes (``chainrule.distributed.DataParallel``):
    every process calls this; the main one alone writes the run folder, logs, tests and plots.
    """
    strategy = strategy or Strategy()
    config.validate()
    log = log if strategy.is_main else _quiet
    strategy.check_device(config.device)
    check_device(config.device)  # before anything is written: no CuPy or no GPU is one clear error
    if resume is not None:  # the run folder of RUN, RUN/checkpoints or RUN/checkpoints/<tag>; else an error
        run_dir, checkpoint = resume if isinstance(resume, Located) else locate(resume, strategy)
    else:
        run_dir, checkpoint = (run_folder(config) if strategy.is_main else None), None
    strategy.run_dir = run_dir
    strategy.agree(asdict(config))
    B.manual_seed(config.seed)
    train_data, val_data, test_data = load_data(config)
    model = models.get_model(config.model).to(config.device)  # before the optimizer, as in PyTorch
    optimizer, scheduler = make_optimizer(config, model.parameters(), -(-len(train_data[0]) // config.batch_size))
    trainer = Trainer(
        model,
        optimizer,
        F.cross_entropy,
        train_data,
        val_data,
        run_callbacks(config, run_dir, log),
        batch_size=config.batch_size,
        epochs=config.epochs,
        seed=config.seed,
        scheduler=scheduler,
        augment=make_augment(config.shift),
        strategy=strategy,
    )
    if strategy.world > 1:
        log(f"{strategy}: {config.batch_size} images per step in all")
    if checkpoint is not None:
        trainer.resume(checkpoint)
        log(f"resumed {checkpoint} at epoch {trainer.epoch + 1}, step {trainer.step}")
    log(
        f"{config.model} on {config.dataset}: {len(train_data[0])} training images, "
        f"{0 if val_data is None else len(val_data[0])} validation, {len(test_data[0])} test; run folder {run_dir}"
    )
    started = time.perf_counter()
    result = trainer.fit()
    seconds = time.perf_counter() - started
    done = {"model": config.model, "stopped": result.stopped, "epochs_done": trainer.epoch, "step": trainer.step}
    if not strategy.is_main:  # the main process tests, writes the summary and plots
        return {**done, "rank": strategy.rank}
    if result.stopped == "interrupted":  # the checkpoint is saved; no test run or plots
        return {**done, "run_dir": str(run_dir)}
    model.to("cpu")  # the test run, plots and summary read the weights on the host
    test = evaluate(model, *test_data)
    n_params = int(sum(p.numel() for p in model.parameters()))
    summary = {
        "model": config.model,
        "dataset": config.dataset,
        "parameters": n_params,
        "test_loss": test.loss,
        "test_accuracy": test.accuracy,
        "epochs_done": trainer.epoch,
        "stopped": result.stopped,
        "train_seconds": seconds,
        "best_epoch": result.best_epoch,
        "run_dir": str(run_dir),
        "config": asdict(config),
    }
    write_json(run_dir / "summary.json", summary)
    log(f"test accuracy {test.accuracy:.4f}  test loss {test.loss:.4f}  ({seconds:.0f}s of training)")
    if config.plots:
        summary["plots"] = make_plots(run_dir, model, trainer.history, test_data, test, config.dataset)
    return summary


def resume_run(
    path,
    *,
    epochs: int | None = None,
    device: str | None = None,
    progress: bool = True,
    log=print,
    strategy: Strategy | None = None,
) -> dict:
    """Continue the run saved at ``path`` (a run folder or one of its checkpoint folders) with its own config;
    ``epochs`` and ``device`` may change (see ``resume.resume_config``). Returns the run's summary."""
    located = locate(path, strategy)
    config = resume_config(located.checkpoint, epochs=epochs, device=device, progress=progress)
    return train(config, resume=located, log=log, strategy=strategy)


def make_plots(run_dir: Path, model, history, test_data, test, dataset: str) -> list[str]:
    images, labels = test_data
    folder = run_dir / "plots"
    names = data.CLASSES.get(dataset)
    first_conv = next((m for m in model.modules() if isinstance(m, (Conv1d, Conv2d))), None)
    wrong = np.flatnonzero(test.predictions != labels)
    written = [
        plots.plot_curves(history, folder / "curves.png"),
        plots.plot_confusion(
            plots.confusion_matrix(labels, test.predictions, 10), folder / "confusion.png", class_names=names
        ),
        plots.plot_misclassified(
            images[wrong],
            labels[wrong],
            test.predictions[wrong],
            folder / "misclassified.png",
            probs=test.probabilities[wrong].max(axis=1),
            class_names=names,
        ),
    ]
    if (run_dir / "grad_flow.jsonl").is_file():
        written.append(plot_grad_flow(run_dir, folder / "grad_flow.png"))
    if isinstance(first_conv, Conv2d):  # filters and feature maps are images: a 2-D convolution's
        written.append(plots.plot_filters(first_conv.weight._data, folder / "filters.png"))
        written.append(plots.plot_feature_maps(model, images[:1], folder / "feature_maps.png"))
    return [str(p) for p in written]
