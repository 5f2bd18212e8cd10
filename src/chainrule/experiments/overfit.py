"""``chainrule experiment overfit``: many parameters, few images, and what regularisation does.

The lecture's deep CNN (229,340 parameters) is trained on a small subset of MNIST (1,000 images)
for many epochs, in five settings with the same seed, data and optimizer (Adam):

- none: the network as it is;
- weight decay: an L2 penalty on every parameter (Adam's ``weight_decay``, as torch.optim.Adam);
- dropout: ``nn.Dropout(p)`` before each fully connected layer (the lecture's layers otherwise);
- augmentation: each training batch shifted at random by up to two pixels (``random_shift``);
- all three together.

Both accuracies are measured in eval mode after each epoch (no dropout, no shift), so the
generalisation gap = train accuracy - validation accuracy compares like with like.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import backend as B
from .. import models, nn, optim
from ..data.transforms import random_shift
from ..models import Classifier
from . import common, figures

SETTINGS = ("none", "weight decay", "dropout", "augmentation", "all three")


@dataclass
class Budget:
    n_train: int
    n_val: int
    epochs: int
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 2e-2
    dropout: float = 0.5
    shift: int = 2
    settings: tuple = SETTINGS


FULL = Budget(n_train=1_000, n_val=5_000, epochs=60)
QUICK = Budget(n_train=1_000, n_val=2_000, epochs=20)


def deep_cnn(dropout: float = 0.0) -> Classifier:
    """The lecture's deep CNN (``models.deep_cnn``), with ``nn.Dropout(dropout)`` before each fully connected
    layer if > 0; the same layers, built in the same order, so a seed gives the same weights."""
    model = models.deep_cnn()
    if not dropout:
        return model
    layers = []
    for layer in model.children():
        layers += [nn.Dropout(dropout), layer] if isinstance(layer, nn.Linear) else [layer]
    return Classifier(f"deep_cnn+dropout{dropout:g}", *layers)


def _parts(setting: str) -> tuple[bool, bool, bool]:
    """(weight decay, dropout, augmentation) of a setting."""
    if setting not in SETTINGS:
        raise ValueError(f"setting must be one of {', '.join(SETTINGS)}, got {setting!r}")
    every = setting == "all three"
    return every or setting == "weight decay", every or setting == "dropout", every or setting == "augmentation"


def run_one(setting: str, train, val, budget: Budget, seed: int, bar=None) -> common.RunResult:
    """One seeded run of the deep network under ``setting``; records carry train_eval_* and val_* per epoch."""
    wd, drop, aug = _parts(setting)
    B.manual_seed(seed)
    model = deep_cnn(budget.dropout if drop else 0.0)
    opt = optim.Adam(model.parameters(), lr=budget.lr, weight_decay=budget.weight_decay if wd else 0.0)
    augment = (lambda batch, rng: random_shift(batch, budget.shift, rng)) if aug else None
    return common.train_run(
        setting,
        model,
        opt,
        train,
        val,
        epochs=budget.epochs,
        batch_size=budget.batch_size,
        seed=seed,
        augment=augment,
        callbacks=[common.EvalOn("train_eval", train)],
        bar=bar,
    )


def gap_row(setting: str, r: common.RunResult) -> dict:
    last = r.history[-1] if r.history and not r.diverged else {}
    train_acc, val_acc = last.get("train_eval_acc", float("nan")), last.get("val_acc", float("nan"))
    train_loss, val_loss = last.get("train_eval_loss", float("nan")), last.get("val_loss", float("nan"))
    best = max((h.get("val_acc", 0.0) for h in r.history), default=float("nan"))
    return {
        "setting": setting,
        "train_acc": train_acc,
        "val_acc": val_acc,
        "gap": train_acc - val_acc,
        "train_loss": train_loss,
        "val_loss": val_loss,
        "loss_gap": val_loss - train_loss,
        "best_val_acc": best,
        "diverged": r.diverged,
    }


def run(
    quick: bool = False,
    out: str | None = None,
    seed: int = 0,
    data_root: str | None = None,
    progress: bool = True,
    log=print,
    budget: Budget | None = None,
    write: bool = True,
) -> dict:
    """Train every setting; write train/val curves, the gap chart and report.md; print the gaps."""
    budget = budget or (QUICK if quick else FULL)
    folder = common.run_dir(out, "overfit") if write else None
    train, val = common.mnist_subsets(budget.n_train, budget.n_val, seed, data_root)
    per_run = budget.epochs * common.steps_per_epoch(budget.n_train, budget.batch_size)
    bar = common.progress(len(budget.settings) * per_run, "overfit", progress)
    try:
        results = {}
        for setting in budget.settings:
            bar.set_postfix_str(setting)
            results[setting] = run_one(setting, train, val, budget, seed, bar)
    finally:
        bar.close()
    rows = [gap_row(s, r) for s, r in results.items()]
    _print(rows, budget, log)
    summary = {"experiment": "overfit", "seed": seed, "quick": quick, "budget": asdict(budget), "settings": rows}
    if folder is not None:
        summary["run_dir"] = str(folder)
        title = f"deep CNN on {budget.n_train} images: train (eval mode) vs validation"
        written = [
            figures.plot_train_val(results, folder / "train_val_curves.png", title=title),
            figures.plot_gap(
                [r["setting"] for r in rows],
                [r["train_acc"] for r in rows],
                [r["val_acc"] for r in rows],
                folder / "generalisation_gap.png",
                title=f"generalisation gap after {budget.epochs} epochs",
            ),
        ]
        summary["plots"] = [p.name for p in written]
        common.write_json(folder / "summary.json", {**summary, "runs": {s: r.as_dict() for s, r in results.items()}})
        _report(folder, rows, budget, summary["plots"])
        log(f"plots and report.md in {folder}")
    return summary


def _print(rows: list[dict], budget: Budget, log) -> None:
    log(
        f"overfitting: deep CNN (229,340 parameters) on {budget.n_train} training images, {budget.epochs} epochs, "
        f"Adam lr {budget.lr:g}; validation on {budget.n_val} images"
    )
    log(f"{'setting':<14}{'train acc':>10}{'val acc':>9}{'gap (pts)':>11}{'train loss':>12}{'val loss':>10}")
    for r in rows:
        if r["diverged"]:
            log(f"{r['setting']:<14}  diverged: {r['diverged']}")
            continue
        log(
            f"{r['setting']:<14}{r['train_acc']:>10.4f}{r['val_acc']:>9.4f}{100 * r['gap']:>11.2f}"
            f"{r['train_loss']:>12.4f}{r['val_loss']:>10.4f}"
        )


def _report(folder, rows, budget: Budget, plots: list[str]) -> None:
    report = common.Report("Overfitting and regularisation")
    report.text(
        f"The lecture's deep CNN (229,340 parameters) trained on only {budget.n_train} MNIST images for "
        f"{budget.epochs} epochs (Adam, lr {budget.lr:g}, batch {budget.batch_size}); validation on "
        f"{budget.n_val} other images. With that many parameters per image the network can memorise its "
        "training set: the generalisation gap (train accuracy − validation accuracy, both in eval mode) "
        "measures how much.",
        f"Weight decay: L2 penalty {budget.weight_decay:g} (Adam's weight_decay). Dropout: p = {budget.dropout:g} "
        f"before each fully connected layer. Augmentation: random shifts of up to {budget.shift} pixels.",
    )
    report.table(
        ["setting", "train acc", "val acc", "gap (points)", "train loss", "val loss", "best val acc"],
        [
            (
                r["setting"],
                common.fmt(r["train_acc"]),
                common.fmt(r["val_acc"]),
                common.fmt(100 * r["gap"], ".2f"),
                common.fmt(r["train_loss"]),
                common.fmt(r["val_loss"]),
                common.fmt(r["best_val_acc"]),
            )
            for r in rows
        ],
    )
    report.image(plots[0], "train and validation curves per setting")
    report.image(plots[1], "generalisation gap per setting")
    report.write(folder / "report.md")
