"""``chainrule experiment sensitivity``: how much initialisation, learning rate and optimizer matter.

The lecture's shallow network (98,820 parameters) is trained for the same short budget, same data,
same batches, under two sweeps rather than the whole cross product:

- initialisation sweep (zeros, too small N(0, 1e-3^2), too large N(0, 1), Xavier, He; biases zero)
  under SGD with momentum (lr 0.01) and under Adam (lr 1e-3);
- learning rate (1e-4 .. 1) x optimizer (SGD, SGD + momentum 0.9, Adam) at the layers' default
  initialisation (PyTorch's: U(+-1/sqrt(fan_in)) for weights and biases).

A run whose loss becomes NaN/Inf or explodes (see ``common.DivergenceGuard``) is stopped there and
reported as diverged: a cross at the end of its loss curve, a hatched cell in the heat map.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from .. import backend as B
from .. import models, optim
from ..nn import init
from ..viz.figure import new_figure, save_figure
from . import common, figures

INITS = {
    "zeros": lambda w: init.zeros_(w),
    "too small": lambda w: init.normal_(w, 0.0, 1e-3),
    "too large": lambda w: init.normal_(w, 0.0, 1.0),
    "Xavier": lambda w: init.xavier_normal_(w),
    "He": lambda w: init.kaiming_normal_(w, nonlinearity="relu"),
}
INIT_OPTIMIZERS = {"SGD+momentum": 0.01, "Adam": 1e-3}  # optimizer -> its learning rate in the init sweep
OPTIMIZERS = ("SGD", "SGD+momentum", "Adam")
STUCK = 0.03  # a final loss within 3% of ln 10 (a uniform guess) is reported as "no progress"


@dataclass
class Budget:
    n_train: int
    n_val: int
    epochs: int
    lrs: tuple
    batch_size: int = 64


FULL = Budget(n_train=20_000, n_val=5_000, epochs=2, lrs=(1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0))
QUICK = Budget(n_train=8_000, n_val=2_000, epochs=1, lrs=(1e-4, 1e-3, 1e-2, 0.1, 1.0))


def make_optimizer(kind: str, params, lr: float):
    """SGD, SGD+momentum (0.9) or Adam at ``lr``."""
    if kind == "SGD":
        return optim.SGD(params, lr=lr)
    if kind == "SGD+momentum":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if kind == "Adam":
        return optim.Adam(params, lr=lr)
    raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {kind!r}")


def shallow(init_name: str | None = None):
    """The lecture's shallow CNN; ``init_name`` (a key of INITS) re-initialises weights, biases zero."""
    model = models.shallow_cnn()
    if init_name is not None:
        fill = INITS[init_name]
        for p in model.parameters():
            fill(p) if p._data.ndim >= 2 else init.zeros_(p)
    return model


def plan(budget: Budget) -> list[dict]:
    """The runs: the init sweep, then the lr x optimizer grid."""
    runs = [{"group": "init", "init": i, "optimizer": o, "lr": lr} for o, lr in INIT_OPTIMIZERS.items() for i in INITS]
    runs += [{"group": "lr", "init": "default", "optimizer": o, "lr": lr} for o in OPTIMIZERS for lr in budget.lrs]
    return runs


def run_one(spec: dict, train, val, budget: Budget, seed: int, bar=None) -> common.RunResult:
    """One seeded run of the shallow network under ``spec`` (init, optimizer, lr)."""
    B.manual_seed(seed)
    model = shallow(None if spec["init"] == "default" else spec["init"])
    opt = make_optimizer(spec["optimizer"], model.parameters(), spec["lr"])
    return common.train_run(
        label(spec), model, opt, train, val, epochs=budget.epochs, batch_size=budget.batch_size, seed=seed, bar=bar
    )


def label(spec: dict) -> str:
    return f"{spec['init']} / {spec['optimizer']} / lr {spec['lr']:g}"


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
    """Run both sweeps; write loss curves, the accuracy heat map and report.md; print a table."""
    budget = budget or (QUICK if quick else FULL)
    folder = common.run_dir(out, "sensitivity") if write else None
    train, val = common.mnist_subsets(budget.n_train, budget.n_val, seed, data_root)
    specs = plan(budget)
    per_run = budget.epochs * common.steps_per_epoch(budget.n_train, budget.batch_size)
    bar = common.progress(len(specs) * per_run, "sensitivity", progress)
    try:
        results = []
        for spec in specs:
            bar.set_postfix_str(label(spec))
            results.append((spec, run_one(spec, train, val, budget, seed, bar)))
    finally:
        bar.close()
    rows = [_row(spec, r) for spec, r in results]
    _print(rows, budget, per_run, log)
    summary = {
        "experiment": "sensitivity",
        "seed": seed,
        "quick": quick,
        "budget": asdict(budget),
        "steps_per_run": per_run,
        "runs": rows,
        "diverged": [r["run"] for r in rows if r["diverged"]],
    }
    if folder is not None:
        summary["run_dir"] = str(folder)
        summary["plots"] = _plots(folder, results, rows, budget)
        common.write_json(folder / "summary.json", {**summary, "curves": {label(s): r.losses for s, r in results}})
        _report(folder, rows, budget, per_run, summary["plots"])
        log(f"plots and report.md in {folder}")
    return summary


def _row(spec: dict, r: common.RunResult) -> dict:
    tail = [v for v in r.losses[-10:] if math.isfinite(v)]
    final = sum(tail) / len(tail) if tail and not r.diverged else math.nan
    stuck = abs(final - common.CHANCE_LOSS) <= STUCK * common.CHANCE_LOSS
    return {
        **spec,
        "run": r.name,
        "val_acc": r.val_acc,
        "val_loss": r.val_loss,
        "diverged": r.diverged,
        "final_train_loss": final,
        "no_progress": bool(stuck),
        "steps": r.steps,
    }


def _print(rows: list[dict], budget: Budget, per_run: int, log) -> None:
    log(
        f"sensitivity: shallow CNN, {budget.n_train} training images x {budget.epochs} epoch(s), batch "
        f"{budget.batch_size} ({per_run} steps per run), validation on {budget.n_val} images"
    )
    log(f"{'init':<11}{'optimizer':<14}{'lr':>8}{'train loss':>12}{'val acc':>9}  note")
    for r in rows:
        note = f"DIVERGED: {r['diverged']}" if r["diverged"] else ""
        note = note or ("no progress (loss ~ ln 10)" if r["no_progress"] else "")
        log(
            f"{r['init']:<11}{r['optimizer']:<14}{r['lr']:>8g}{common.fmt(r['final_train_loss'], '.4f'):>12}"
            f"{common.fmt(r['val_acc'], '.4f', '-'):>9}  {note}"
        )


def _grid(rows, group: str, row_key: str, row_names, col_key: str, col_names):
    cells = {(r[row_key], r[col_key]): r for r in rows if r["group"] == group}
    acc = [[cells[(a, b)]["val_acc"] for b in col_names] for a in row_names]
    div = [[bool(cells[(a, b)]["diverged"]) for b in col_names] for a in row_names]
    return acc, div


def _plots(folder, results, rows: list[dict], budget: Budget) -> list[str]:
    fig = new_figure(16, 8.5, 100)
    axes = fig.subplots(2, 3)
    for ax, opt in zip(axes[0], INIT_OPTIMIZERS):
        runs = {s["init"]: r for s, r in results if s["group"] == "init" and s["optimizer"] == opt}
        figures.draw_losses(ax, runs, f"initialisation sweep: {opt}, lr {INIT_OPTIMIZERS[opt]:g}")
    _legend_panel(axes[0, 2], results)
    for ax, opt in zip(axes[1], OPTIMIZERS):
        runs = {f"lr {s['lr']:g}": r for s, r in results if s["group"] == "lr" and s["optimizer"] == opt}
        figures.draw_losses(ax, runs, f"learning-rate sweep: {opt}, default init", cmap="plasma")
    fig.suptitle("training loss, same data and batches for every run (diverged runs end in a cross)")
    curves = save_figure(fig, folder / "loss_curves.png")

    fig = new_figure(15, 4.8, 100)
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 5]})
    acc, div = _grid(rows, "init", "init", list(INITS), "optimizer", list(INIT_OPTIMIZERS))
    figures.draw_heatmap(
        left,
        acc,
        div,
        list(INITS),
        [f"{o}\nlr {lr:g}" for o, lr in INIT_OPTIMIZERS.items()],
        "initialisation",
        ylabel="initialisation",
    )
    acc, div = _grid(rows, "lr", "optimizer", list(OPTIMIZERS), "lr", list(budget.lrs))
    image = figures.draw_heatmap(
        right,
        acc,
        div,
        list(OPTIMIZERS),
        [f"{lr:g}" for lr in budget.lrs],
        "learning rate x optimizer (default init)",
        xlabel="learning rate",
    )
    fig.colorbar(image, ax=right, label="validation accuracy")
    fig.suptitle(f"validation accuracy after {budget.epochs} epoch(s) on {budget.n_train} images")
    heat = save_figure(fig, folder / "val_accuracy_heatmap.png")
    return [curves.name, heat.name]


def _legend_panel(ax, results) -> None:
    diverged = [f"{label(s)}: {r.diverged}" for s, r in results if r.diverged]
    lines = [
        "Each curve: running mean of 10 steps.",
        "Diverged = loss NaN/Inf, above 10 x max(first loss, ln 10),",
        "or weights NaN/Inf; the run is stopped there (x).",
        "",
        f"{len(diverged)} diverged run(s):",
    ]
    lines += [f"  {d}" for d in diverged[:8]] + (["  ..."] if len(diverged) > 8 else [])
    ax.axis("off")
    ax.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", fontsize=8, family="monospace", wrap=True)


def _report(folder, rows, budget: Budget, per_run: int, plots: list[str]) -> None:
    report = common.Report("Sensitivity to initialisation, learning rate and optimizer")
    n_div = sum(bool(r["diverged"]) for r in rows)
    report.text(
        f"The lecture's shallow CNN, {len(rows)} runs of {per_run} steps each ({budget.n_train} images x "
        f"{budget.epochs} epoch(s), batch {budget.batch_size}), every run on the same batches from the same seed. "
        f"{n_div} run(s) diverged (loss NaN/Inf or above 10 × max(first loss, ln 10), or weights NaN/Inf): "
        "they were stopped and are shown as such, not dropped.",
        "Init sweep: all weights drawn from the named distribution, biases zero. The zero init never breaks "
        "the symmetry between hidden units and its ReLUs pass no gradient; a too-small init starts with "
        "vanishing signals that plain SGD barely moves while Adam, which rescales each parameter's step, "
        "recovers; a too-large one starts with huge logits.",
    )
    report.table(
        ["init", "optimizer", "lr", "train loss (last 10 steps)", "val acc", "note"],
        [
            (
                r["init"],
                r["optimizer"],
                f"{r['lr']:g}",
                common.fmt(r["final_train_loss"]),
                common.fmt(r["val_acc"]),
                f"diverged: {r['diverged']}"
                if r["diverged"]
                else "no progress (loss ≈ ln 10)"
                if r["no_progress"]
                else "",
            )
            for r in rows
        ],
    )
    report.image(plots[0], "overlaid training-loss curves")
    report.image(plots[1], "validation accuracy heat map (hatched: diverged)")
    report.write(folder / "report.md")
