"""The run folder behind the page: which one (the latest under ``runs/``), its model, its test set.

The model is built as ``chainrule eval`` and ``predict`` build it (``train.cli.load_model``: the
network the run's config names, the weights of ``checkpoints/last``) and reloaded when that
checkpoint changes, so a run still training shows its newest weights. A folder that stops loading
is a 4xx naming the file, never a 500. Grad mode is per thread (as PyTorch's), but the model is
shared (its reload, its train/eval flag), so model computations run one at a time (``COMPUTE``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from .. import data, nn
from ..errors import ChainruleError
from ..train.checkpoint import resolve
from ..train.cli import load_model
from .protocol import BadRequest, Context

COMPUTE = threading.Lock()
MARKERS = ("metrics.jsonl", "summary.json", "checkpoints/last/trainer.json", "checkpoints/last/model.safetensors")
HOW_TO_TRAIN = (
    "no run folder to show: train one with `chainrule train --model deep --epochs 1 --limit 5000` "
    "(about a minute), then run `chainrule explore` (the latest run under runs/) or `chainrule explore RUN_DIR`"
)


@dataclass
class Loaded:
    """A run's model, flattened into its layers, with the config it was trained with."""

    model: nn.Module
    layers: list
    config: dict
    stamp: tuple  # (path, mtime_ns, size) of the weights it was read from

    @property
    def dataset(self) -> str:
        return self.config.get("dataset", "mnist")


def run_time(folder: Path) -> float:
    """When a run last wrote anything the page reads (its metrics, summary or last checkpoint)."""
    times = [(folder / name).stat().st_mtime for name in MARKERS if (folder / name).is_file()]
    return max(times, default=0.0)


def latest_run(root: Path = Path("runs")) -> Path | None:
    """The run folder (one with ``checkpoints/``) under ``root``, up to three levels down, written last."""
    if not root.is_dir():
        return None
    found = [p.parent for depth in ("*", "*/*", "*/*/*") for p in root.glob(f"{depth}/checkpoints") if p.is_dir()]
    return max(found, key=run_time, default=None)


def layers_of(model: nn.Module, name: str = "") -> list[tuple[str, nn.Module]]:
    """(name, layer) of a Sequential, nested Sequentials flattened: the order the input flows through."""
    if not isinstance(model, nn.Sequential):
        raise ChainruleError(f"{name or type(model).__name__}: explore shows Sequential models layer by layer")
    out = []
    for key, child in model.named_children():
        full = f"{name}.{key}" if name else key
        out += layers_of(child, full) if isinstance(child, nn.Sequential) else [(full, child)]
    return out


def _stamp(run_dir: Path) -> tuple:
    weights = resolve(run_dir) / "model.safetensors"
    st = weights.stat()
    return (str(weights), st.st_mtime_ns, st.st_size)


def load_run(run_dir: Path) -> Loaded:
    """The run's model (eval mode) and config; ChainruleError (CheckpointError, ...) if it does not load."""
    stamp = _stamp(run_dir)
    model, config = load_model(run_dir)
    return Loaded(model, layers_of(model), dict(config), stamp)


def loaded(ctx: Context) -> Loaded:
    """The model of the server's run folder, reloaded when its checkpoint changed; 404 without a run,
    422 when the folder does not load (any more)."""
    if ctx.run_dir is None:
        raise BadRequest(HOW_TO_TRAIN, 404)
    try:
        stamp = _stamp(ctx.run_dir)
        with ctx.lock:
            current = ctx.cache.get("model")
            if current is None or current.stamp != stamp:
                ctx.cache["model"] = current = load_run(ctx.run_dir)
        return current
    except (ChainruleError, OSError) as err:
        raise BadRequest(f"the run folder {ctx.run_dir} does not load: {err}", 422) from None


def test_set(ctx: Context, dataset: str = "mnist"):
    """(uint8 images (N, 28, 28), int64 labels (N,)) of the test split, loaded once by chainrule's loader."""
    try:
        return ctx.cached(f"test:{dataset}", lambda: data.load_mnist("test", dataset=dataset))
    except (ChainruleError, OSError) as err:
        raise BadRequest(f"the {dataset} test set cannot be loaded: {err}", 503) from None


def dataset_of(ctx: Context) -> str:
    """The run's dataset, or MNIST when the server has no run."""
    return loaded(ctx).dataset if ctx.run_dir is not None else "mnist"


def class_names(dataset: str) -> list[str]:
    """The class names of ``dataset`` (MNIST's are the digits)."""
    return [str(n) for n in data.CLASSES.get(dataset, [str(k) for k in range(10)])]
