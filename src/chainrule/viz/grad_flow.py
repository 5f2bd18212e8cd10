"""Gradient-flow plots: per-layer gradient magnitudes on a log scale, at one step or across training.

The records are those of ``chainrule.train.monitor.GradFlowMonitor`` (``chainrule.records``: flat dicts
with ``step``, ``layer``, ``ndim`` and the metrics), a ``grad_flow.jsonl`` file, or a run folder holding one.
With ``step`` given, one bar per layer (input side on the left): a staircase falling to the left
is a vanishing gradient. Without it, one line per layer across training steps, coloured from the
first layer (dark) to the last (light).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import records as flow  # the record format: read here, written by train.monitor
from .figure import finish_figure, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METRIC_LABELS = {
    "grad_norm": "gradient norm ||g||",
    "grad_abs_mean": "mean |g|",
    "weight_norm": "weight norm ||w||",
    "update_norm": "update norm ||Δw||",
    "update_ratio": "update / weight ||Δw|| / ||w||",
}


def _records(records) -> list[dict]:
    if isinstance(records, (str, Path)):
        return flow.read_grad_flow(records)
    rows = list(records)
    if not rows:
        raise ValueError("plot_grad_flow: no gradient-flow records to plot")
    missing = {"step", "layer"} - set(rows[0])
    if missing:
        raise ValueError(f"plot_grad_flow: records need 'step' and 'layer' keys, the first lacks {sorted(missing)}")
    return rows


def _pick_layers(rows: list[dict], layers: Sequence[str] | None) -> list[str]:
    if layers is None:
        return flow.layers(rows, weights_only=True) or flow.layers(rows)
    known = set(flow.layers(rows))
    unknown = [name for name in layers if name not in known]
    if unknown:
        raise ValueError(f"plot_grad_flow: no records for layers {unknown}; recorded: {sorted(known)}")
    return list(layers)


def _short(name: str, labels: Mapping[str, str] | None = None) -> str:
    return labels[name] if labels and name in labels else name.removesuffix(".weight")


def draw_grad_flow(
    ax,
    records,
    *,
    step=None,
    metric: str = "grad_norm",
    layers: Sequence[str] | None = None,
    title: str | None = None,
    color: str = "#1f77b4",
    legend: bool = True,
    labels: Mapping[str, str] | None = None,
) -> None:
    """Draw onto a matplotlib ``ax``: bars per layer at ``step`` (int, "first", "last"), else lines per layer.

    labels: display names for parameter names (default: the name without ".weight").
    """
    if metric not in METRIC_LABELS:
        raise ValueError(f"plot_grad_flow: metric must be one of {', '.join(METRIC_LABELS)}, got {metric!r}")
    rows = _records(records)
    names = _pick_layers(rows, layers)
    ax.set_yscale("log")
    ax.grid(alpha=0.3, which="both" if step is not None else "major")
    if step is not None:
        _bars(ax, flow.at_step(rows, step, metric), names, color, labels)
        chosen = step if not isinstance(step, str) else f"{step} recorded"
        ax.set(ylabel=METRIC_LABELS[metric], title=title or f"{METRIC_LABELS[metric]} per layer, step {chosen}")
        return
    _lines(ax, flow.series(rows, metric), names, legend, labels)
    ax.set(xlabel="step", ylabel=METRIC_LABELS[metric], title=title or f"{METRIC_LABELS[metric]} during training")


def _bars(ax, values: dict[str, float], names: list[str], color: str, labels) -> None:
    heights = [values.get(n, math.nan) for n in names]
    positive = [h for h in heights if math.isfinite(h) and h > 0]
    floor = min(positive) / 10 if positive else 1e-12
    xs = range(len(names))
    ax.bar(xs, [h if math.isfinite(h) and h > 0 else floor for h in heights], color=color, bottom=0)
    for x, h in zip(xs, heights):
        if not (math.isfinite(h) and h > 0):  # log scale cannot show 0, nan or inf: say so on the bar
            ax.annotate("0" if h == 0 else str(h), (x, floor), ha="center", va="bottom", fontsize=8, color="red")
    ax.set_xticks(list(xs), [_short(n, labels) for n in names], rotation=45, ha="right", fontsize=8)
    ax.set_xlabel("layer (input side first)")


def _lines(ax, data: dict[str, tuple[list, list]], names: list[str], legend: bool, labels) -> None:
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    for i, name in enumerate(names):
        steps, values = data[name]
        shade = cmap(0.9 * i / max(len(names) - 1, 1))
        ys = [v if math.isfinite(v) and v > 0 else math.nan for v in values]
        ax.plot(steps, ys, color=shade, lw=1.2, label=_short(name, labels))
    if legend and names:
        ax.legend(fontsize=7, ncol=2 if len(names) > 6 else 1, title="layer", title_fontsize=7)


def plot_grad_flow(
    records,
    path=None,
    *,
    step=None,
    metric: str = "grad_norm",
    layers: Sequence[str] | None = None,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    dpi: int = 100,
) -> Path | Figure:
    """Per-layer gradient magnitudes, log scale: a PNG written to ``path`` (its ``Path`` returned), or
    the ``Figure`` when ``path`` is None (shown inline in Jupyter).

    records: GradFlowMonitor records, a grad_flow.jsonl file or a run folder. step: None for lines
    across training, or an int / "first" / "last" for one bar per layer at that step. metric: one of
    grad_norm, grad_abs_mean, weight_norm, update_norm, update_ratio. layers: default the weight
    matrices and kernels (ndim >= 2), in forward order; all parameters when there are none.
    labels: display names for parameter names (default: the name without ".weight").
    """
    rows = _records(records)
    width = max(6.0, 0.45 * len(_pick_layers(rows, layers)) + 3) if step is not None else 8.0
    fig = new_figure(width, 4.5, dpi)
    draw_grad_flow(fig.subplots(), rows, step=step, metric=metric, layers=layers, title=title, labels=labels)
    return finish_figure(fig, path)


def plot_grad_flow_compare(
    runs: Iterable[tuple[str, list]],
    path=None,
    *,
    step=None,
    metric: str = "grad_norm",
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    dpi: int = 100,
) -> Path | Figure:
    """One panel per (label, records) run, sharing the log y axis: gradient flow side by side.

    Returns the ``Path`` of the PNG written to ``path``, or the ``Figure`` when ``path`` is None.
    """
    runs = list(runs)
    if not runs:
        raise ValueError("plot_grad_flow_compare: no runs")
    fig = new_figure(4.6 * len(runs), 4.5, dpi)
    axes = fig.subplots(1, len(runs), sharey=True, squeeze=False)[0]
    colors = ("#d62728", "#ff7f0e", "#2ca02c", "#1f77b4", "#9467bd")
    for i, (ax, (label, records)) in enumerate(zip(axes, runs)):
        draw_grad_flow(
            ax,
            records,
            step=step,
            metric=metric,
            title=label,
            color=colors[i % len(colors)],
            legend=i == len(runs) - 1,
            labels=labels,
        )
        if i:
            ax.set_ylabel("")
    if title:
        fig.suptitle(title)
    return finish_figure(fig, path)
