"""Checkpoints: a folder written atomically, readable by PyTorch.

    <run>/checkpoints/<tag>/model.safetensors      weights, PyTorch's key names and layouts
                           /optimizer.safetensors  the optimizer's state arrays ("state.<i>.<name>")
                           /trainer.json           config, position, history, optimizer groups,
                                                   scheduler and random-generator state (standard
                                                   JSON: a non-finite number is written as null)

Saving writes every file into ``<tag>.tmp`` (each fsynced, ``trainer.json`` last), then swaps it in
with two renames: ``<tag>`` -> ``<tag>.old``, ``<tag>.tmp`` -> ``<tag>``. A crash between the two
leaves ``<tag>.old`` and a complete ``<tag>.tmp`` and no ``<tag>``; :func:`resolve`, which every
reader goes through (``eval``, ``predict``, ``train --resume``, the Python API), then takes the
``.tmp`` (it is newer), else the ``.old``; the next save finishes that swap before starting its own.
A failed save (disk full, read-only folder, Ctrl-C) removes its ``.tmp`` and leaves the previous
checkpoint in place. Nothing is unpickled: weights and optimizer arrays are safetensors, the rest JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save as safetensors_bytes

from ..autograd.tensor import Tensor
from ..devices import is_cuda_array, to_host
from ..errors import CheckpointError
from ..io import to_json
from .schema import POSITION, check_info

FORMAT = "chainrule-checkpoint-1"

__all__ = [
    "FORMAT",
    "POSITION",
    "CheckpointError",
    "load_weights",
    "locate_run",
    "read_checkpoint",
    "read_info",
    "resolve",
    "save_checkpoint",
]


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
                scalars.setdefault(str(index), {})[name] = to_json(
                    np.asarray(value).item() if isinstance(value, np.ndarray) else value
                )
    return arrays, {"scalars": scalars, "param_groups": to_json(state["param_groups"])}


def _unpack_optimizer(arrays: dict, meta: dict, file: Path) -> dict:
    state: dict = {}
    for key, value in arrays.items():
        _, index, name = (key.split(".", 2) + ["", ""])[:3]
        if not (key.startswith("state.") and index.isdigit() and name):
            raise CheckpointError(f"{file}: array {key!r} is not named state.<parameter index>.<name>")
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


# --- writing --------------------------------------------------------------------------------------
def _siblings(folder: Path) -> tuple[Path, Path]:
    return folder.with_name(folder.name + ".tmp"), folder.with_name(folder.name + ".old")


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every system can open a folder (Windows)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _finish_swap(folder: Path) -> None:
    """Put the folder of an interrupted swap (or a failed save) back in place, and drop leftovers."""
    tmp, old = _siblings(folder)
    if not (folder / "model.safetensors").is_file() and (old / "model.safetensors").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp if _complete(tmp) else old, folder)
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)


def _files(model, optimizer, info: dict | None) -> dict[str, bytes]:
    """The checkpoint's files as bytes (trainer.json last: its presence marks a complete folder)."""
    weights = {k: np.ascontiguousarray(to_host(getattr(v, "_data", v))) for k, v in model.state_dict().items()}
    files = {"model.safetensors": safetensors_bytes(weights, metadata={"format": FORMAT})}
    meta = dict(info or {}, format=FORMAT)
    if optimizer is not None:
        arrays, meta["optimizer"] = _pack_optimizer(optimizer.state_dict())
        files["optimizer.safetensors"] = safetensors_bytes(arrays, metadata={"format": FORMAT})
    files["trainer.json"] = json.dumps(to_json(meta), indent=1, allow_nan=False).encode()
    return files


def save_checkpoint(folder, model, optimizer=None, info: dict | None = None) -> Path:
    """Write ``folder`` (e.g. ``run/checkpoints/last``) atomically; returns its path.

    A write that fails (disk full, read-only folder) is a CheckpointError naming the folder; the
    previous checkpoint stays, and no ``.tmp`` is left behind.
    """
    folder = Path(folder)
    tmp, old = _siblings(folder)
    files = _files(model, optimizer, info)  # serialised first: a bad state never touches the disk
    try:
        _finish_swap(folder)
        tmp.mkdir(parents=True)
        for name, data in files.items():
            _write_synced(tmp / name, data)
        _fsync_dir(tmp)
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)  # a crash between these two renames: see resolve()
        _fsync_dir(folder.parent)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException as err:  # disk full, read-only, Ctrl-C: put the old one back, leave nothing behind
        with contextlib.suppress(OSError):
            _finish_swap(folder)
        if not isinstance(err, OSError):
            raise
        kept = (
            f"the previous checkpoint {folder} is intact"
            if (folder / "model.safetensors").is_file()
            else "no checkpoint was saved"
        )
        raise CheckpointError(
            f"{folder.parent}: cannot write checkpoint {folder.name!r} ({err.strerror or err}); {kept}"
        ) from None
    return folder


# --- finding ----------------------------------------------------------------------------------------
def _complete(folder: Path) -> bool:
    """A folder whose save finished: weights present and trainer.json (written last) too."""
    return (folder / "model.safetensors").is_file() and (folder / "trainer.json").is_file()


def _in_place(folder: Path) -> Path | None:
    """``folder`` if it holds a checkpoint, else what an interrupted swap left of it (.tmp, then .old)."""
    if (folder / "model.safetensors").is_file():
        return folder
    tmp, old = _siblings(folder)
    if (old / "model.safetensors").is_file():  # the first rename happened, so the .tmp was complete
        return tmp if _complete(tmp) else old
    return None


def resolve(path) -> Path:
    """The checkpoint folder for a run folder, its ``checkpoints`` folder, a checkpoint folder (``last``,
    ``best``, or any folder save_checkpoint wrote) or its ``model.safetensors``; an interrupted swap is
    recovered (the newest complete copy)."""
    path = Path(path)
    if path.suffix == ".safetensors":  # its folder (which may be mid-swap)
        path = path.parent
    if (path / "checkpoints").is_dir():
        path = path / "checkpoints" / "last"
    elif path.name == "checkpoints" and path.is_dir():
        path = path / "last"
    found = _in_place(path)
    if found is None:
        raise CheckpointError(
            f"{path}: no checkpoint here (expected model.safetensors in it, or in checkpoints/last under a run folder)"
        )
    return found


def locate_run(path) -> tuple[Path, Path]:
    """(run folder, checkpoint folder) for ``--resume PATH``: a run folder, its ``checkpoints`` folder or
    one of its checkpoint folders (``RUN/checkpoints/last``, ``.../best``). Anything else is an error:
    resuming never starts a new run inside a checkpoint."""
    path = Path(path)
    if path.suffix == ".safetensors":  # its folder (which may be mid-swap)
        path = path.parent
    if (path / "checkpoints").is_dir():
        run = path
    elif path.name == "checkpoints" and path.is_dir():
        run = path.parent
    elif path.parent.name == "checkpoints" and path.parent.is_dir():
        run = path.parent.parent
    else:
        what = (
            "does not exist"
            if not path.exists()
            else "is neither a run folder (with checkpoints/ in it) "
            "nor one of its checkpoint folders (RUN/checkpoints/last or best)"
        )
        raise CheckpointError(f"{path}: cannot resume from here: it {what}")
    return run, resolve(path)


# --- reading ----------------------------------------------------------------------------------------
@contextlib.contextmanager
def _reading(file: Path):
    """Any failure while reading ``file`` (truncated, bad JSON, bad header) -> CheckpointError naming it."""
    try:
        yield
    except CheckpointError:
        raise
    except Exception as err:  # whatever safetensors or json raise: one clear error
        raise CheckpointError(f"{file}: unreadable checkpoint file ({type(err).__name__}: {err})") from None


def _no_constants(name: str):
    raise ValueError(f"{name} is not standard JSON")


def _read_arrays(path: Path) -> dict:
    with _reading(path), safe_open(str(path), framework="np") as f:
        return {k: f.get_tensor(k) for k in f.keys()}


def _read_info(folder: Path, require=()) -> dict:
    file = folder / "trainer.json"
    if not file.is_file():
        if require:
            raise CheckpointError(f"{file}: missing (a checkpoint to resume from holds the run's position)")
        return {}
    with _reading(file):
        info = json.loads(file.read_bytes().decode("utf-8"), parse_constant=_no_constants)
    return check_info(info, file, require)


def read_info(path) -> dict:
    """The trainer info (config, position, history, ...) of a checkpoint, without reading its arrays."""
    info = _read_info(resolve(path))
    info.pop("optimizer", None)
    return info


def read_checkpoint(path, require=()) -> tuple[dict, dict | None, dict]:
    """(weights, optimizer state dict or None, trainer info) from a checkpoint; ``require``: info fields
    that must be present (``POSITION`` to resume)."""
    folder = resolve(path)
    info = _read_info(folder, require)
    weights = _read_arrays(folder / "model.safetensors")
    optimizer = None
    if info.get("optimizer") is not None:
        file = folder / "optimizer.safetensors"
        if not file.is_file():
            raise CheckpointError(f"{file}: missing (trainer.json describes an optimizer state)")
        optimizer = _unpack_optimizer(_read_arrays(file), info["optimizer"], file)
    info.pop("optimizer", None)
    return weights, optimizer, info


def load_weights(model, path) -> dict:
    """Load a checkpoint's weights into ``model`` (its optimizer state is not read); returns its info.

    A mismatch names the file, the keys and shapes.
    """
    folder = resolve(path)
    info = read_info(folder)
    load_model_state(model, _read_arrays(folder / "model.safetensors"), folder / "model.safetensors")
    return info


def load_model_state(model, weights: dict, file: Path) -> None:
    try:
        model.load_state_dict(weights)
    except (ValueError, TypeError, RuntimeError) as err:
        detail = "; ".join(line.strip() for line in str(err).splitlines() if line.strip())  # one line
        raise CheckpointError(f"{file}: does not fit this model: {detail}") from None
