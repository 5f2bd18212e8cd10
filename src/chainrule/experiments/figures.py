"""The experiments' figures: gradient ratios, overlaid loss curves, accuracy heat maps, gap bars.

Drawn like ``chainrule.viz.plots``: a ``Figure`` on the Agg canvas (no pyplot), written atomically.
A diverged run is drawn up to where it stopped and ends in a red cross; in a heat map its cell is
grey, hatched and labelled "diverged".
"""

from __future__ import annotations

import math

import numpy as np

from ..viz.figure import new_figure, save_figure

COLORS = ("#d62728", "#ff7f0e", "#2ca02c", "#1f77b4", "#9467bd", "#8c564b", "#e377c2", "#17becf")
DIVERGED = "#7f7f7f"


def smooth(values, window: int = 10) -> np.ndarray:
    """Running mean over the last ``window`` values (shorter at the start); NaN/Inf kept where they are."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return v
    finite = np.where(np.isfinite(v), v, 0.0)
    c = np.concatenate([[0.0], np.cumsum(finite)])
    idx = np.arange(1, v.size + 1)
    lo = np.maximum(idx - window, 0)
    out = (c[idx] - c[lo]) / (idx - lo)
    out[~np.isfinite(v)] = v[~np.isfinite(v)]
    return out


def _colors(n: int, cmap: str | None) -> list:
    if cmap is None and n <= len(COLORS):
        return list(COLORS[:n])
    from matplotlib import colormaps

    shades = colormaps[cmap or "viridis"]
    return [shades(0.85 * i / max(n - 1, 1)) for i in range(n)]


def draw_losses(ax, runs: dict, title: str, ymax: float = 4.0, window: int = 10, cmap: str | None = None) -> None:
    """Overlaid per-step training losses (running mean), diverged runs ending in a cross at the top.

    cmap: colour the runs along a colormap (for an ordered sweep such as learning rates).
    """
    colors = _colors(len(runs), cmap)
    for (label, run), color in zip(runs.items(), colors):
        losses = smooth(run.losses, window)
        steps = np.arange(len(losses))
        text = f"{label} (diverged)" if run.diverged else label
        ax.plot(
            steps, np.clip(losses, 0, ymax * 1.5), color=color, lw=1.3, label=text, ls="--" if run.diverged else "-"
        )
        if run.diverged:
            ax.plot([max(len(losses) - 1, 0)], [ymax * 0.97], marker="x", ms=10, mew=2.5, color=color)
    ax.set(xlabel="step", ylabel="training loss (running mean)", title=title, ylim=(0, ymax))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


def plot_learning_curves(runs: dict, path, title: str = "learning curves") -> object:
    """Left: per-step training loss of each run; right: validation accuracy per epoch."""
    fig = new_figure(11, 4.2, 100)
    left, right = fig.subplots(1, 2)
    draw_losses(left, runs, "training loss")
    for i, (label, run) in enumerate(runs.items()):
        epochs = [r["epoch"] for r in run.history]
        right.plot(
            epochs,
            [r.get("val_acc", math.nan) for r in run.history],
            marker="o",
            ms=4,
            color=COLORS[i % len(COLORS)],
            label=label,
        )
    right.set(xlabel="epoch", ylabel="validation accuracy", title="validation accuracy", ylim=(0, 1))
    right.grid(alpha=0.3)
    right.legend(fontsize=7)
    fig.suptitle(title)
    return save_figure(fig, path)


def plot_ratio(results: dict, path) -> object:
    """First/last-layer gradient-norm ratio per step for each stack, log scale, with the 1e-2 / 1e-1 lines."""
    fig = new_figure(7.5, 4.2, 100)
    ax = fig.subplots()
    for i, (label, r) in enumerate(results.items()):
        steps = [s for s, _ in r["ratio_steps"]]
        values = [v if v > 0 and math.isfinite(v) else math.nan for _, v in r["ratio_steps"]]
        ax.plot(steps, values, color=COLORS[i % len(COLORS)], lw=1.3, label=label)
    for level, style in ((1e-2, ":"), (1e-1, "--")):
        ax.axhline(level, color="black", ls=style, lw=0.8)
        ax.annotate(
            f"{level:g}",
            (0, level),
            xycoords=("axes fraction", "data"),
            xytext=(2, 2),
            textcoords="offset points",
            fontsize=7,
        )
    ax.set_yscale("log")
    ax.set(xlabel="step", ylabel="||dL/dW_first|| / ||dL/dW_last||", title="first/last-layer gradient ratio")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def draw_heatmap(ax, values, diverged, row_labels, col_labels, title: str, xlabel: str = "", ylabel: str = ""):
    """Accuracy cells (0..1, viridis) with their numbers; diverged cells grey, hatched, 'diverged'."""
    values = np.asarray(values, dtype=np.float64)
    diverged = np.asarray(diverged, dtype=bool)
    shown = np.ma.masked_where(diverged | ~np.isfinite(values), values)
    image = ax.imshow(shown, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        if diverged[i, j]:
            ax.add_patch(_hatched(j, i))
            ax.text(j, i, "diverged", ha="center", va="center", fontsize=8, color="white", weight="bold")
        else:
            ax.text(j, i, f"{v:.3f}", ha="center", va="center", fontsize=8, color="white" if v < 0.6 else "black")
    ax.set_xticks(range(len(col_labels)), col_labels, fontsize=8)
    ax.set_yticks(range(len(row_labels)), row_labels, fontsize=8)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return image


def _hatched(x, y):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor=DIVERGED, edgecolor="white", hatch="//", lw=0)


def plot_gap(names, train_acc, val_acc, path, title: str = "generalisation gap") -> object:
    """Grouped bars of train and validation accuracy per setting, the gap written above each pair."""
    fig = new_figure(max(6.0, 1.6 * len(names) + 2), 4.2, 100)
    ax = fig.subplots()
    x = np.arange(len(names))
    ax.bar(x - 0.2, train_acc, 0.4, label="train (eval mode)", color="#1f77b4")
    ax.bar(x + 0.2, val_acc, 0.4, label="validation", color="#ff7f0e")
    for xi, t, v in zip(x, train_acc, val_acc):
        ax.annotate(
            f"gap {100 * (t - v):.1f} pts",
            (xi, max(t, v)),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    low = min(min(train_acc), min(val_acc))
    ax.set_xticks(x, names, fontsize=9)
    ax.set(ylabel="accuracy", title=title, ylim=(max(0.0, low - 0.05), 1.02))
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8, loc="lower right")
    return save_figure(fig, path)


def plot_train_val(runs: dict, path, train_key: str = "train_eval", title: str = "train vs validation") -> object:
    """One column per setting: loss (top) and accuracy (bottom), train and validation side by side."""
    n = len(runs)
    fig = new_figure(3.3 * n, 6.0, 100)
    axes = fig.subplots(2, n, sharey="row", squeeze=False)
    for j, (label, run) in enumerate(runs.items()):
        epochs = [r["epoch"] for r in run.history]
        for i, metric in enumerate(("loss", "acc")):
            ax = axes[i, j]
            ax.plot(
                epochs, [r.get(f"{train_key}_{metric}", math.nan) for r in run.history], color="#1f77b4", label="train"
            )
            ax.plot(
                epochs, [r.get(f"val_{metric}", math.nan) for r in run.history], color="#ff7f0e", label="validation"
            )
            ax.grid(alpha=0.3)
            ax.set(xlabel="epoch" if i else "", ylabel=("loss" if i == 0 else "accuracy") if j == 0 else "")
            if i == 0:
                ax.set_title(label, fontsize=10)
            if i == 1:
                ax.set_ylim(top=1.0)
    axes[0, -1].legend(fontsize=8)
    fig.suptitle(title)
    return save_figure(fig, path)
