"""``chainrule experiment vanishing``: the vanishing gradient of a deep sigmoid network, as a number.

The lecture: the backward pass multiplies one local gradient per layer, and a product of numbers
below 1 shrinks. A 10-layer MLP on MNIST (784 -> 128 x 9 -> 10) is trained three ways with the same
optimizer, data and seed:

- sigmoid with naive initialisation, weights N(0, 0.01^2): each layer multiplies the gradient by
  about sigma'(.) ||W|| ~ 0.25 x 0.01 x sqrt(128), so nine layers shrink it by ~1e-14;
- sigmoid with Xavier initialisation: the weights no longer shrink the signal, but sigma' <= 1/4
  still does, layer after layer;
- ReLU with He initialisation: ReLU' is 0 or 1 and He's variance 2 / fan_in keeps the gradient's
  size from layer to layer.

The number printed is ||dL/dW_1|| / ||dL/dW_10||, the first weight matrix's gradient norm over the
last one's, at the first step (the initialised network) and averaged over the last epoch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from .. import backend as B
from .. import nn, optim
from ..nn import init
from ..records import at_step, first_last_ratio, layers, series
from ..train.monitor import GradFlowMonitor
from ..viz.grad_flow import plot_grad_flow_compare
from . import common, figures

DEPTH, WIDTH = 10, 128
NAIVE_STD = 0.01


@dataclass
class Budget:
    n_train: int
    n_val: int
    epochs: int
    batch_size: int = 128
    every: int = 1  # record the gradient flow every this many steps
    lr: float = 0.01
    momentum: float = 0.9


FULL = Budget(n_train=50_000, n_val=10_000, epochs=5, every=5)
QUICK = Budget(n_train=10_000, n_val=2_000, epochs=3, every=1)


def _naive(w):
    return init.normal_(w, 0.0, NAIVE_STD)


def _xavier(w):
    return init.xavier_normal_(w)


def _he(w):
    return init.kaiming_normal_(w, nonlinearity="relu")


# name -> (activation, weight init, description)
STACKS = {
    "sigmoid, N(0, 0.01²)": (nn.Sigmoid, _naive, "sigmoid, naive init N(0, 0.01^2)"),
    "sigmoid, Xavier": (nn.Sigmoid, _xavier, "sigmoid, Xavier init N(0, 2/(fan_in+fan_out))"),
    "ReLU, He": (nn.ReLU, _he, "ReLU, He init N(0, 2/fan_in)"),
}


def deep_mlp(activation=nn.Sigmoid, weight_init=_naive, depth: int = DEPTH, width: int = WIDTH) -> nn.Sequential:
    """Flatten -> (Linear -> activation) x (depth - 1) -> Linear: ``depth`` weight layers, biases zero."""
    layers_: list = [nn.Flatten()]
    fan_in = 28 * 28
    for _ in range(depth - 1):
        layers_ += [nn.Linear(fan_in, width), activation()]
        fan_in = width
    layers_.append(nn.Linear(fan_in, 10))
    model = nn.Sequential(*layers_)
    for m in model.modules():
        if isinstance(m, nn.Linear):
            weight_init(m.weight)
            init.zeros_(m.bias)
    return model


def _ratios(records) -> tuple[float, float, list[tuple[int, float]]]:
    """(ratio at the first step, mean ratio over the last epoch, [(step, ratio)...]) of the weight layers."""
    names = layers(records, weights_only=True)
    if len(names) < 2:  # a run that diverged before its first step: nothing recorded
        return math.nan, math.nan, []
    data = series(records, "grad_norm")
    steps = data[names[0]][0]
    per_step = [(s, first_last_ratio({n: data[n][1][i] for n in (names[0], names[-1])})) for i, s in enumerate(steps)]
    start = first_last_ratio({n: v for n, v in at_step(records, "first").items() if n in (names[0], names[-1])})
    last_epoch = max(r["epoch"] for r in records)
    last_steps = {r["step"] for r in records if r["epoch"] == last_epoch}
    tail = [v for s, v in per_step if s in last_steps]
    return start, math.exp(sum(map(math.log, tail)) / len(tail)) if all(v > 0 for v in tail) else math.nan, per_step


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
    """Train the three stacks, write plots and report.md into the run folder, print the ratios."""
    budget = budget or (QUICK if quick else FULL)
    folder = common.run_dir(out, "vanishing") if write else None
    train, val = common.mnist_subsets(budget.n_train, budget.n_val, seed, data_root)
    total = len(STACKS) * budget.epochs * common.steps_per_epoch(budget.n_train, budget.batch_size)
    results, rows = {}, []
    bar = common.progress(total, "vanishing", progress)
    try:
        for name, (activation, weight_init, _) in STACKS.items():
            bar.set_postfix_str(name)
            B.manual_seed(seed)
            model = deep_mlp(activation, weight_init)
            opt = optim.SGD(model.parameters(), lr=budget.lr, momentum=budget.momentum)
            monitor = GradFlowMonitor(every=budget.every, path=None, summary=("grad_norm",))
            run_ = common.train_run(
                name,
                model,
                opt,
                train,
                val,
                epochs=budget.epochs,
                batch_size=budget.batch_size,
                seed=seed,
                callbacks=[monitor],
                bar=bar,
            )
            start, end, per_step = _ratios(monitor.records)
            results[name] = {
                "run": run_,
                "records": monitor.records,
                "ratio_start": start,
                "ratio_end": end,
                "ratio_steps": per_step,
            }
    finally:
        bar.close()
    summary = {
        "experiment": "vanishing",
        "seed": seed,
        "quick": quick,
        "budget": asdict(budget),
        "stacks": {
            n: {
                "ratio_start": r["ratio_start"],
                "ratio_last_epoch": r["ratio_end"],
                "val_acc": r["run"].val_acc,
                "diverged": r["run"].diverged,
            }
            for n, r in results.items()
        },
    }
    for name, r in results.items():
        rows.append((name, r["ratio_start"], r["ratio_end"], r["run"].val_acc, r["run"].diverged))
    _print(rows, budget, log)
    if folder is not None:
        summary["run_dir"] = str(folder)
        summary["plots"] = _plots(folder, results)
        common.write_json(
            folder / "summary.json", {**summary, "runs": {n: r["run"].as_dict() for n, r in results.items()}}
        )
        _report(folder, rows, budget, summary["plots"])
        log(f"plots and report.md in {folder}")
    return summary


def _print(rows, budget: Budget, log) -> None:
    log(
        f"vanishing gradients: {DEPTH}-layer MLP (784-{WIDTH}x{DEPTH - 1}-10), SGD lr {budget.lr} momentum "
        f"{budget.momentum}, {budget.n_train} training images x {budget.epochs} epochs"
    )
    log(f"{'stack':<22}{'|g1|/|g10| at start':>21}{'last epoch':>13}{'val acc':>10}")
    for name, start, end, acc, diverged in rows:
        note = f"  diverged: {diverged}" if diverged else ""
        log(f"{name:<22}{start:>21.3e}{end:>13.3e}{common.fmt(acc, '.4f', '-'):>10}{note}")


def _plots(folder, results) -> list[str]:
    runs = [(name, r["records"]) for name, r in results.items()]
    names = layers(next(iter(results.values()))["records"], weights_only=True)
    labels = {name: f"W{i + 1}" for i, name in enumerate(names)}
    written = [
        plot_grad_flow_compare(
            runs,
            folder / "grad_flow_start.png",
            step="first",
            title="gradient norm per layer at the first step (initialised networks)",
            labels=labels,
        ),
        plot_grad_flow_compare(
            runs, folder / "grad_flow_training.png", title="gradient norm per layer during training", labels=labels
        ),
        figures.plot_ratio(results, folder / "first_last_ratio.png"),
        figures.plot_learning_curves({n: r["run"] for n, r in results.items()}, folder / "learning_curves.png"),
    ]
    return [p.name for p in written]


def _report(folder, rows, budget: Budget, plots: list[str]) -> None:
    report = common.Report("Vanishing gradients")
    report.text(
        f"A {DEPTH}-layer MLP (784 → {WIDTH} × {DEPTH - 1} → 10) trained on {budget.n_train} MNIST images for "
        f"{budget.epochs} epochs (SGD, lr {budget.lr}, momentum {budget.momentum}, batch {budget.batch_size}), "
        "three ways. The backward pass multiplies one local gradient per layer; the sigmoid's is at most 1/4, "
        "so the gradient that reaches the first layer is a product of numbers below 1.",
        "Ratio = ‖∂L/∂W₁‖ / ‖∂L/∂W₁₀‖: the first weight matrix's gradient norm over the last one's "
        "(at the first step, and the geometric mean over the last epoch).",
    )
    report.table(
        ["stack", "ratio at start", "ratio, last epoch", "validation accuracy"],
        [(n, f"{s:.3e}", f"{e:.3e}", common.fmt(a, ".4f", f"diverged ({d})")) for n, s, e, a, d in rows],
    )
    captions = {
        "grad_flow_start.png": "gradient norm per layer at the first step",
        "grad_flow_training.png": "gradient norm per layer across training",
        "first_last_ratio.png": "first/last-layer gradient ratio across training",
        "learning_curves.png": "learning curves",
    }
    for name in plots:
        report.image(name, captions.get(name, name))
    report.write(folder / "report.md")
