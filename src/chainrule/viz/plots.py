"""Training plots: curves, confusion matrix, filters, feature maps, misclassified digits.

Every plot is drawn on its own ``matplotlib.figure.Figure`` with the Agg canvas (no pyplot, so no
global figure state and no GUI backend; see ``viz.figure``). With a ``path`` it is written there as
a PNG, atomically (parent folders created), and the ``Path`` is returned; with ``path=None`` (the
default) the ``Figure`` is returned, which Jupyter shows inline as a cell's value.
matplotlib is imported on first use, so ``import chainrule`` stays fast.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import backend as B
from ..autograd.tensor import Tensor
from ..backend.devices import to_host
from ..nn.activation import ReLU
from ..nn.conv import Conv2d
from ..nn.summary import probing
from .figure import finish_figure, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TRAIN_COLOR, VAL_COLOR, BEST_COLOR = "#1f77b4", "#ff7f0e", "#2ca02c"


# --- helpers ---------------------------------------------------------------------------------------
def _host(x):
    """A Tensor, a device array or array-like -> a host (NumPy) array for matplotlib."""
    return to_host(x._data if isinstance(x, Tensor) else x)


def _number(value) -> float:
    return math.nan if value is None else float(value)


# --- training curves -------------------------------------------------------------------------------
def plot_curves(history: Iterable[Mapping], path=None, title: str = "training curves", dpi: int = 100) -> Path | Figure:
    """Loss and accuracy per epoch, train vs validation, the best validation epoch marked; lr if logged.

    history: one dict per epoch with ``epoch``, ``train_loss``, ``train_acc`` and optionally
    ``val_loss``, ``val_acc`` (missing or None: not drawn) and ``lr``. Best epoch: lowest val_loss
    (highest val_acc when only accuracy was validated).
    Returns the ``Path`` of the PNG written to ``path``, or the ``Figure`` when ``path`` is None.
    """
    xp = B.numpy
    rows = list(history)
    if not rows:
        raise ValueError("plot_curves: history is empty (no epochs to plot)")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise TypeError(f"plot_curves: history[{i}] must be a dict of metrics, got {type(row).__name__}")
    epochs = xp.asarray([_number(r.get("epoch", i + 1)) for i, r in enumerate(rows)])
    col = {
        k: xp.asarray([_number(r.get(k)) for r in rows])
        for k in ("train_loss", "train_acc", "val_loss", "val_acc", "lr")
    }
    has = {k: bool(xp.isfinite(v).any()) for k, v in col.items()}
    best = None
    if has["val_loss"]:
        best = int(xp.nanargmin(col["val_loss"]))
    elif has["val_acc"]:
        best = int(xp.nanargmax(col["val_acc"]))

    n_panels = 3 if has["lr"] else 2
    fig = new_figure(13 if has["lr"] else 10.5, 4.2, dpi)
    axes = fig.subplots(1, n_panels, gridspec_kw={"width_ratios": [3, 3, 2][:n_panels]})
    marker = "o" if len(rows) <= 30 else None
    for ax, metric, label in ((axes[0], "loss", "loss"), (axes[1], "acc", "accuracy")):
        for split, color in (("train", TRAIN_COLOR), ("val", VAL_COLOR)):
            if has[f"{split}_{metric}"]:
                name = "train" if split == "train" else "validation"
                ax.plot(epochs, col[f"{split}_{metric}"], color=color, marker=marker, ms=3, label=name)
        if best is not None and math.isfinite(col[f"val_{metric}"][best]):
            ax.plot(
                [epochs[best]],
                [col[f"val_{metric}"][best]],
                marker="*",
                ms=14,
                color=BEST_COLOR,
                ls="none",
                label=f"best val: {_best_text(col, best, epochs[best])}",
                zorder=5,
            )
        if best is not None:
            ax.axvline(epochs[best], color=BEST_COLOR, ls="--", lw=1)
        ax.set(xlabel="epoch", ylabel=label, title=label)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    from matplotlib.ticker import PercentFormatter

    axes[1].yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    if has["lr"]:
        _lr_panel(axes[2], epochs, col["lr"], best)
    fig.suptitle(title)
    return finish_figure(fig, path)


def _best_text(col, best: int, epoch: float) -> str:
    loss, acc = col["val_loss"][best], col["val_acc"][best]
    parts = [f"epoch {epoch:g}"]
    if math.isfinite(loss):
        parts.append(f"loss {loss:.4f}")
    if math.isfinite(acc):
        parts.append(f"acc {acc:.2%}")
    return ", ".join(parts)


def _lr_panel(ax, epochs, lr, best) -> None:
    ax.plot(epochs, lr, color="#7f7f7f", marker="o" if len(lr) <= 30 else None, ms=3)
    finite = lr[B.numpy.isfinite(lr)]
    if finite.size and float(finite.min()) > 0 and float(finite.max()) > 10 * float(finite.min()):
        ax.set_yscale("log")
    if best is not None:
        ax.axvline(epochs[best], color=BEST_COLOR, ls="--", lw=1)
    ax.set(xlabel="epoch", ylabel="learning rate", title="learning rate")
    ax.grid(alpha=0.3)


# --- confusion matrix ------------------------------------------------------------------------------
def confusion_matrix(y_true, y_pred, num_classes: int) -> B.numpy.ndarray:
    """int64 (K, K): entry [i, j] counts the samples of true class i predicted as class j."""
    xp = B.numpy
    t, p = _host(y_true).ravel(), _host(y_pred).ravel()
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
        raise ValueError(f"confusion_matrix: num_classes must be a positive int, got {num_classes!r}")
    if t.shape != p.shape:
        raise ValueError(f"confusion_matrix: y_true has {t.size} labels but y_pred has {p.size}")
    for name, y in (("y_true", t), ("y_pred", p)):
        if y.size and y.dtype.kind not in "iub":
            raise TypeError(f"confusion_matrix: {name} must hold integer class labels, got dtype {y.dtype}")
        bad = (y < 0) | (y >= num_classes)
        if bool(bad.any()):
            raise ValueError(f"confusion_matrix: {name} has label {int(y[bad][0])} outside 0..{num_classes - 1}")
    k = num_classes
    counts = xp.bincount(t.astype(xp.int64) * k + p.astype(xp.int64), minlength=k * k)
    return counts.reshape(k, k).astype(xp.int64)


def plot_confusion(
    cm,
    path=None,
    class_names: Sequence[str] | None = None,
    normalize: bool = False,
    title: str = "confusion matrix",
    dpi: int = 100,
) -> Path | Figure:
    """Heat map of a (K, K) confusion matrix (rows true, columns predicted), values in the cells.

    normalize: each row divided by its total (the recall of that class); the title gives the
    overall accuracy, trace / total, from the counts.
    Returns the ``Path`` of the PNG written to ``path``, or the ``Figure`` when ``path`` is None.
    """
    xp = B.numpy
    cm = _host(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise ValueError(f"plot_confusion: cm must be a square (K, K) matrix, got shape {cm.shape}")
    k = cm.shape[0]
    names = [str(i) for i in range(k)] if class_names is None else [str(c) for c in class_names]
    if len(names) != k:
        raise ValueError(f"plot_confusion: {len(names)} class names for a {k}x{k} matrix")
    total, correct = float(cm.sum()), float(xp.trace(cm))
    values = cm.astype(xp.float64)
    if normalize:
        sums = values.sum(axis=1, keepdims=True)
        values = xp.divide(values, sums, out=xp.zeros_like(values), where=sums > 0)
    side = max(4.5, 0.55 * k + 2.5)
    fig = new_figure(side + 1.0, side, dpi)
    ax = fig.subplots()
    image = ax.imshow(values, cmap="Blues", vmin=0, interpolation="nearest")
    fig.colorbar(image, ax=ax, shrink=0.8, label="fraction of the true class" if normalize else "count")
    if k <= 30:  # past that the numbers would not fit in the cells
        _annotate(ax, values, normalize)
    long_names = max(map(len, names)) > 2  # "Ankle boot": slant the column labels so they do not overlap
    ax.set_xticks(range(k), names, rotation=45 if long_names else 0, ha="right" if long_names else "center")
    ax.set_yticks(range(k), names)
    ax.set(xlabel="predicted", ylabel="true")
    acc = f"accuracy {correct / total:.2%} ({int(correct)}/{int(total)})" if total else "no samples"
    ax.set_title(f"{title}{' (row-normalised)' if normalize else ''}\n{acc}")
    return finish_figure(fig, path)


def _annotate(ax, values, normalize: bool) -> None:
    xp = B.numpy
    top = float(values.max()) or 1.0
    k = values.shape[0]
    size = 9 if k <= 12 else 6
    for (i, j), v in zip(xp.ndindex(values.shape), values.ravel()):
        text = f"{v:.2f}" if normalize else f"{int(v)}"
        ax.text(j, i, text, ha="center", va="center", fontsize=size, color="white" if v > top / 2 else "black")


# --- filters ----------------------------------------------------------------------------------------
def plot_filters(
    weight, path=None, title: str = "first-layer filters", cmap: str = "gray", dpi: int = 100
) -> Path | Figure:
    """A grid of a conv layer's filters, weight (F, C, kh, kw) or (F, kh, kw), 0 at the colour map's middle.

    All filters share one symmetric scale, [-max|w|, +max|w|], so they compare; with C > 1 each
    filter shows its mean over the input channels.
    Returns the ``Path`` of the PNG written to ``path``, or the ``Figure`` when ``path`` is None.
    """
    w = _host(weight).astype(B.numpy.float64)
    if w.ndim == 3:
        w = w[:, None]
    if w.ndim != 4 or w.shape[0] == 0:
        raise ValueError(f"plot_filters: weight must be (F, C, kh, kw), got shape {w.shape}")
    f, c, kh, kw = w.shape
    shown = w[:, 0] if c == 1 else w.mean(axis=1)
    vmax = float(B.numpy.abs(shown).max()) or 1.0
    cols = math.ceil(math.sqrt(f))
    rows = math.ceil(f / cols)
    fig = new_figure(1.1 * cols + 1.2, 1.1 * rows + 0.8, dpi)
    axes = fig.subplots(rows, cols, squeeze=False)
    image = None
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < f:
            image = ax.imshow(shown[i], cmap=cmap, vmin=-vmax, vmax=vmax, interpolation="nearest")
            ax.set_title(str(i), fontsize=8)
    fig.colorbar(image, ax=axes, shrink=0.8)
    detail = f"{f} filters, {kh}x{kw}" + (f", mean over {c} input channels" if c > 1 else "")
    fig.suptitle(f"{title}\n({detail})")
    return finish_figure(fig, path)


# --- feature maps -----------------------------------------------------------------------------------
def _one_image(model, image) -> Tensor:
    data = _host(image)
    if data.ndim == 2:
        data = data[None, None]
    elif data.ndim == 3:
        data = data[None]
    if data.ndim != 4 or data.shape[0] != 1:
        raise ValueError(
            f"feature_maps: image must be one image, (1, C, H, W), (C, H, W) or (H, W), got shape {_host(image).shape}"
        )
    params = list(model.parameters())
    dtype = params[0].dtype if params else B.default_float
    return Tensor(data.astype(dtype))


def feature_maps(model, image, include_relu: bool = False) -> list[tuple[str, B.numpy.ndarray]]:
    """Run one image through ``model`` (eval mode, no graph) and collect every Conv2d's output.

    Returns [(module name, array (C, H, W))] in the order the layers ran; with ``include_relu``
    also the output of a ReLU that runs right after a conv. Hooks and training modes are restored.
    """
    x = _one_image(model, image)
    names = {id(m): name or type(m).__name__ for name, m in model.named_modules()}
    leaves = [m for m in model.modules() if not any(True for _ in m.children())]
    events: list[tuple[str, object, object]] = []

    def hook(module, inputs, output):
        kept = output if isinstance(module, (Conv2d, ReLU)) else None
        events.append((names[id(module)], module, kept))

    if not any(isinstance(m, Conv2d) for m in leaves):
        raise ValueError(f"feature_maps: {type(model).__name__} has no Conv2d layer")
    with probing(model, leaves, hook):  # all leaves: "right after a conv" is exact
        model(x)
    out, seen, previous = [], {}, None
    for name, module, output in events:
        keep = isinstance(module, Conv2d) or (
            include_relu and isinstance(module, ReLU) and isinstance(previous, Conv2d)
        )
        previous = module
        if keep:
            seen[name] = seen.get(name, 0) + 1  # a layer run twice is listed twice: "conv", "conv#2"
            label = name if seen[name] == 1 else f"{name}#{seen[name]}"
            out.append((label, _host(output)[0].copy()))
    return out


def plot_feature_maps(
    model,
    image,
    path=None,
    max_channels: int = 16,
    include_relu: bool = False,
    title: str = "feature maps",
    dpi: int = 100,
) -> Path | Figure:
    """The input digit, then one row per conv layer (up to ``max_channels`` of its channels).

    Each map is scaled to its own range (viridis); row titles give the layer, its shape and how
    many channels are shown.
    Returns the ``Path`` of the PNG written to ``path``, or the ``Figure`` when ``path`` is None.
    """
    if max_channels < 1:
        raise ValueError(f"plot_feature_maps: max_channels must be >= 1, got {max_channels}")
    maps = feature_maps(model, image, include_relu=include_relu)
    kinds = _layer_kinds(model)
    cols = max(1, min(max_channels, max(a.shape[0] for _, a in maps)))
    fig = new_figure(max(4.0, 0.95 * cols + 0.5), 1.45 * (len(maps) + 1), dpi)
    subfigs = fig.subfigures(len(maps) + 1, 1)
    digit = _one_image(model, image)._data[0]
    _maps_row(subfigs[0], digit[:1], cols, "gray")
    subfigs[0].suptitle(
        f"{title}: input {digit.shape[1]}x{digit.shape[2]}"
        + (f" (channel 0 of {digit.shape[0]})" if digit.shape[0] > 1 else ""),
        fontsize=10,
    )
    for sub, (name, arr) in zip(subfigs[1:], maps):
        c, h, w = arr.shape
        shown = min(c, max_channels)
        note = f", first {shown} of {c} shown" if shown < c else ""
        sub.suptitle(
            f"layer {name} ({kinds.get(name.split('#')[0], 'layer')}): {c} channels, {h}x{w}{note}", fontsize=9
        )
        _maps_row(sub, arr[:shown], cols, "viridis")
    return finish_figure(fig, path)


def _layer_kinds(model) -> dict[str, str]:
    return {name: type(m).__name__ for name, m in model.named_modules() if name}


def _maps_row(sub, maps, cols: int, cmap: str) -> None:
    axes = sub.subplots(1, cols, squeeze=False)[0]
    for i, ax in enumerate(axes):
        ax.set_axis_off()
        if i < maps.shape[0]:
            ax.imshow(maps[i], cmap=cmap, interpolation="nearest")


# --- misclassified digits ---------------------------------------------------------------------------
def plot_misclassified(
    images,
    y_true,
    y_pred,
    path=None,
    probs=None,
    class_names: Sequence[str] | None = None,
    n: int = 25,
    title: str = "misclassified",
    dpi: int = 100,
) -> Path | Figure:
    """A grid of the first ``n`` images with y_true != y_pred, each titled "true 7 / pred 2 (0.81)".

    images: (N, 1, H, W) or (N, H, W); probs: (N, K) class probabilities (the predicted class's is
    shown) or (N,) the predicted class's probability. No mistakes: the figure says so.
    Returns the ``Path`` of the PNG written to ``path``, or the ``Figure`` when ``path`` is None.
    """
    xp = B.numpy
    imgs, t, p = _host(images), _host(y_true).ravel(), _host(y_pred).ravel()
    if imgs.ndim == 4 and imgs.shape[1] == 1:
        imgs = imgs[:, 0]
    if imgs.ndim != 3:
        raise ValueError(f"plot_misclassified: images must be (N, 1, H, W) or (N, H, W), got shape {imgs.shape}")
    if not (imgs.shape[0] == t.size == p.size):
        raise ValueError(f"plot_misclassified: {imgs.shape[0]} images, {t.size} true labels, {p.size} predictions")
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"plot_misclassified: n must be a positive int, got {n!r}")
    wrong = xp.flatnonzero(t != p)
    pick = wrong[:n]
    conf = None if probs is None else _predicted_prob(_host(probs), p, imgs.shape[0])
    name = (lambda c: str(int(c))) if class_names is None else (lambda c: str(class_names[int(c)]))
    cols = max(1, math.ceil(math.sqrt(pick.size)))
    rows = max(1, math.ceil(pick.size / cols))
    fig = new_figure(max(4.0, 1.45 * cols), 1.55 * rows + 0.6, dpi)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    lo, hi = (float(imgs[pick].min()), float(imgs[pick].max())) if pick.size else (0.0, 1.0)
    for ax, i in zip(axes.flat, pick):  # one grey scale for all, as the digits are compared
        ax.imshow(imgs[i], cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
        label = f"true {name(t[i])} / pred {name(p[i])}"
        ax.set_title(label + (f" ({float(conf[i]):.2f})" if conf is not None else ""), fontsize=7)
    total = imgs.shape[0]
    if pick.size == 0:
        axes[0, 0].text(
            0.5,
            0.5,
            f"no misclassified images\n({total} of {total} correct)",
            ha="center",
            va="center",
            transform=axes[0, 0].transAxes,
        )
    else:
        fig.suptitle(f"{title}: {wrong.size} of {total} ({wrong.size / total:.2%}), first {pick.size} shown")
    return finish_figure(fig, path)


def _predicted_prob(probs, pred, n: int):
    if probs.ndim == 2 and probs.shape[0] == n:
        if bool((pred >= probs.shape[1]).any()) or bool((pred < 0).any()):
            raise ValueError(f"plot_misclassified: a prediction is outside the {probs.shape[1]} classes of probs")
        return probs[B.numpy.arange(n), pred.astype(B.numpy.int64)]
    if probs.ndim == 1 and probs.shape[0] == n:
        return probs
    raise ValueError(f"plot_misclassified: probs must be (N, K) or (N,) with N = {n}, got shape {probs.shape}")
