"""Checkpoints: a folder written atomically, readable by PyTorch.

    <run>/checkpoints/<tag>/model.safetensors      weights, PyTorch's key names and layouts
                           /optimizer.safetensors  the optimizer's state arrays ("state.<i>.<name>")
                           /trainer.json           config, position, history, optimizer groups,
                                                   scheduler and random-generator state

The folder is written beside its final place (``<tag>.tmp``) and swapped in with renames, so a crash
leaves either the old checkpoint or the new one, never half of each. Nothing is unpickled: weights
and optimizer arrays are safetensors, the rest JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

from ..autograd.tensor import Tensor
from ..devices import is_cuda_array, to_host

FORMAT = "chainrule-checkpoint-1"


class CheckpointError(ValueError):
    """A checkpoint that is missing, incomplete, or does not fit the model it is loaded into."""


def _to_json(value):
    """Make optimizer/scheduler values JSON-friendly (tuples -> lists, NumPy scalars -> Python)."""
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _pack_optimizer(state: dict) -> tuple[dict, dict]:
    """Split ``optimizer.state_dict()`` into arrays (for safetensors) and the rest (for JSON)."""
    arrays, scalars = {}, {}
    for index, entry in state["state"].items():
        for name, value in entry.items():
            value = value._data if isinstance(value, Tensor) else value  # torch's optimizers keep Tensors here
            value = to_host(value) if is_cuda_array(value) else value
            if isinstance(value, np.ndarray) and value.ndim > 0:
                arrays[f"state.{index}.{name}"] = np.ascontiguousarray(value)
            else:
                scalars.setdefault(str(index), {})[name] = _to_json(np.asarray(value).item()
                                                                    if isinstance(value, np.ndarray) else value)
    return arrays, {"scalars": scalars, "param_groups": _to_json(state["param_groups"])}


def _unpack_optimizer(arrays: dict, meta: dict) -> dict:
    state: dict = {}
    for key, value in arrays.items():
        _, index, name = key.split(".", 2)
        state.setdefault(int(index), {})[name] = value
    for index, entry in meta["scalars"].items():
        state.setdefault(int(index), {}).update(entry)
    groups = []
    for group in meta["param_groups"]:
        group = dict(group)
        if isinstance(group.get("betas"), list):
            group["betas"] = tuple(group["betas"])
        groups.append(group)
    return {"state": state, "param_groups": groups}


def save_checkpoint(folder, model, optimizer=None, info: dict | None = None) -> Path:
    """Write ``folder`` (e.g. ``run/checkpoints/last``) atomically; returns its path."""
    folder = Path(folder)
    tmp, old = folder.with_name(folder.name + ".tmp"), folder.with_name(folder.name + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    weights = {k: np.ascontiguousarray(to_host(v)) for k, v in model.state_dict().items()}
    save_file(weights, str(tmp / "model.safetensors"), metadata={"format": FORMAT})
    meta = dict(info or {}, format=FORMAT)
    if optimizer is not None:
        arrays, meta["optimizer"] = _pack_optimizer(optimizer.state_dict())
        save_file(arrays, str(tmp / "optimizer.safetensors"), metadata={"format": FORMAT})
    with open(tmp / "trainer.json", "w") as f:
        json.dump(_to_json(meta), f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    # swap: the old folder moves aside, the new one takes its name, then the old one goes
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)
    return folder


def resolve(path) -> Path:
    """A checkpoint folder from a run folder, a checkpoint folder or a model.safetensors path."""
    path = Path(path)
    for candidate in (path, path / "checkpoints" / "last", path.parent if path.suffix == ".safetensors" else None):
        if candidate is not None and (candidate / "model.safetensors").is_file():
            return candidate
    old = path.with_name(path.name + ".old")  # a crash between the two renames leaves only .old
    if (old / "model.safetensors").is_file():
        return old
    raise CheckpointError(f"{path}: no checkpoint here (expected model.safetensors in it, or in "
                          f"checkpoints/last under a run folder)")


@contextlib.contextmanager
def _reading(folder: Path):
    """Any failure while reading ``folder`` (truncated file, bad JSON, bad header) -> CheckpointError."""
    try:
        yield
    except Exception as err:  # noqa: BLE001 - whatever safetensors or json raise, one clear error
        raise CheckpointError(f"{folder}: unreadable checkpoint ({type(err).__name__}: {err})") from None


def _read_arrays(path: Path) -> dict:
    with safe_open(str(path), framework="np") as f:
        return {k: f.get_tensor(k) for k in f.keys()}


def _read_info(folder: Path) -> dict:
    return json.loads((folder / "trainer.json").read_text()) if (folder / "trainer.json").is_file() else {}


def read_info(path) -> dict:
    """The trainer info (config, position, history, ...) of a checkpoint, without reading its arrays."""
    folder = resolve(path)
    with _reading(folder):
        info = _read_info(folder)
    info.pop("optimizer", None)
    return info


def read_checkpoint(path) -> tuple[dict, dict | None, dict]:
    """(weights, optimizer state dict or None, trainer info) from a checkpoint folder."""
    folder = resolve(path)
    with _reading(folder):
        weights, info = _read_arrays(folder / "model.safetensors"), _read_info(folder)
        optimizer = None
        if (folder / "optimizer.safetensors").is_file() and "optimizer" in info:
            optimizer = _unpack_optimizer(_read_arrays(folder / "optimizer.safetensors"), info.pop("optimizer"))
    return weights, optimizer, info


def load_weights(model, path) -> dict:
    """Load a checkpoint's weights into ``model`` (its optimizer state is not read); returns its info.

    A mismatch names the keys and shapes.
    """
    info, folder = read_info(path), resolve(path)
    with _reading(folder):
        weights = _read_arrays(folder / "model.safetensors")
    try:
        model.load_state_dict(weights)
    except ValueError as err:
        detail = "; ".join(line.strip() for line in str(err).splitlines() if line.strip())  # one line
        raise CheckpointError(f"{folder}: does not fit this model: {detail}") from None
    return info
