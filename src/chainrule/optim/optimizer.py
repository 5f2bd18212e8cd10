"""The Optimizer base: parameter groups, per-parameter state, zero_grad, state_dict, as torch.optim.

An optimizer holds ``param_groups``, a list of dicts, each with its ``"params"`` (a list of tensors)
and its options (``lr``, ``momentum``, ...); a scheduler changes ``group["lr"]`` between steps.
``state`` maps each parameter to a dict of its running arrays (momentum buffer, Adam moments).
Subclasses implement ``_update(p, grad, state, group)``: one step for one parameter, in place on
``p._data`` with NumPy's ``out=`` ufuncs, in the parameter's dtype.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Iterator, MutableMapping
from typing import Any

from .. import backend as B
from ..autograd.engine import enable_grad
from ..autograd.tensor import Tensor
from ..backend import devices as _device

# Running averages that decay geometrically (Adam's moments, momentum buffers) drift into subnormal
# numbers on parameters whose gradient is 0 (dead ReLU units), and arithmetic on subnormals is
# ~100x slower on x86: float32 Adam slows about 5x after ~800 steps. Values below these
# thresholds are flushed to zero (see Optimizer._flush_tiny); they are far below anything that
# moves a weight. float16 is left alone: NumPy computes it in float32, where it is normal.
_FLUSH_BELOW = {B.numpy.dtype(B.numpy.float32): 1e-30, B.numpy.dtype(B.numpy.float64): 1e-300}
_MAX_FLUSH_PERIOD = 64


@functools.lru_cache(maxsize=256)
def _flush_period(beta: float, dtype: Any) -> int:
    """Steps a value can decay by ``beta`` per step from the threshold and still be normal."""
    thresh, smallest_normal = _FLUSH_BELOW[dtype], float(B.numpy.finfo(dtype).smallest_normal)
    steps = math.log(thresh / smallest_normal) / math.log(1.0 / beta)
    return max(1, min(_MAX_FLUSH_PERIOD, int(steps) - 1))


class _ParamState(MutableMapping):
    """``{param: state dict}`` keyed by identity (like torch's ``defaultdict(dict)`` on tensors).

    Identity keys keep it working whatever ``__eq__``/``__hash__`` a Tensor subclass defines.
    """

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Tensor, dict]] = {}

    def __getitem__(self, p: Tensor) -> dict:
        entry = self._by_id.get(id(p))
        if entry is None:
            entry = self._by_id[id(p)] = (p, {})
        return entry[1]

    def __setitem__(self, p: Tensor, value: dict) -> None:
        self._by_id[id(p)] = (p, value)

    def __delitem__(self, p: Tensor) -> None:
        del self._by_id[id(p)]

    def __contains__(self, p: object) -> bool:
        return id(p) in self._by_id

    def __iter__(self) -> Iterator[Tensor]:
        return (p for p, _ in list(self._by_id.values()))

    def __len__(self) -> int:
        return len(self._by_id)


def _grad_array(p: Tensor):
    g = p.grad
    return g._data if isinstance(g, Tensor) else g


def decayed_grad(xp, d, grad, weight_decay: float, maximize: bool, out):
    """``(-grad if maximize else grad) + weight_decay * d`` into ``out`` (the caller skips it when
    neither applies: then it is ``grad``)."""
    if weight_decay == 0:
        return xp.negative(grad, out=out)
    xp.multiply(d, weight_decay, out=out)
    return (xp.subtract if maximize else xp.add)(out, grad, out=out)


def lerp_(xp, avg, target, weight: float, t) -> None:
    """``avg += weight * (target - avg)`` in place (``t``: scratch of avg's shape), with torch.lerp_'s
    two-sided formula: ``target - (1 - weight) * (target - avg)`` when weight >= 0.5, as PyTorch."""
    xp.subtract(target, avg, out=t)
    if abs(weight) < 0.5:
        t *= weight
        avg += t
    else:
        t *= 1.0 - weight
        xp.subtract(target, t, out=avg)


class Optimizer:
    """Base class: ``Optimizer(params, defaults)``.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
    groups: ``{"params": [...], "lr": 0.1, ...}``; options a group leaves out come from
    ``defaults``). Parameters whose ``grad`` is None are skipped by ``step()``.
    """

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or dicts, got a "
                f"single Tensor of shape {params.shape}; wrap it in a list"
            )
        self._validate(defaults)
        self.defaults = defaults
        self.state = _ParamState()
        self.param_groups: list[dict[str, Any]] = []
        self._step_calls = 0
        self._updates: dict[int, int] = {}  # updates per parameter (id), for the flush period
        self._scratch_bufs: dict[tuple, Any] = {}
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                f"{type(self).__name__}: params must be an ordered collection (list), "
                "not a set: the order numbers the parameters in state_dict()"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # --- subclass interface ------------------------------------------------------------------
    def _validate(self, options: dict[str, Any]) -> None:
        """Raise ValueError on an invalid option value (called on defaults and on every group)."""

    def _check_nonnegative(self, options: dict[str, Any], **labels: str) -> None:
        """ValueError naming the option, e.g. ``Invalid learning rate: lr=-1 (SGD needs lr >= 0)``."""
        for key, label in labels.items():
            value = options[key]
            if not value >= 0:
                raise ValueError(f"Invalid {label}: {key}={value} ({type(self).__name__} needs {key} >= 0)")

    def _update(self, p: Tensor, grad, state: dict, group: dict) -> None:
        raise NotImplementedError

    def _fix_loaded_group(self, group: dict[str, Any]) -> None:
        """Adjust a group loaded by load_state_dict (AdamW forces decoupled weight decay)."""

    # --- groups ------------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group ``{"params": [...], option: value, ...}``; missing options come from defaults."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{name}: params must be an ordered collection (list), not a set")
        params = list(params)
        if params and all(isinstance(p, tuple) and len(p) == 2 for p in params):
            group["param_names"] = [n for n, _ in params]
            params = [p for _, p in params]
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name} can only optimize Tensors, but params[{i}] is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(
                    f"{name}: can't optimize a non-leaf Tensor (params[{i}], shape "
                    f"{p.shape}); optimize the leaf it was computed from"
                )
        group["params"] = params
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self._validate(group)
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter group holds the same parameter twice")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # --- stepping ----------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's ``grad`` to None (default) or fill it with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    _grad_array(p).fill(0)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; ``closure()`` re-evaluates the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._step_calls += 1
        self._update_all()  # each update computes with its parameter's array module (NumPy or CuPy)
        return loss

    def _update_all(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                grad = _grad_array(p)
                if grad is None:
                    continue
                if grad.shape != p._data.shape:
                    raise ValueError(
                        f"{type(self).__name__}.step: a parameter of shape {p._data.shape} has a "
                        f"grad of shape {grad.shape}"
                    )
                state = self.state[p]
                if B.cupy_loaded():  # the state follows its parameter to another device
                    where = _device.device_of(p._data)
                    for k, v in state.items():
                        if B.is_array(v) and _device.device_of(v) != where:
                            state[k] = _device.to_device(v, where)
                self._updates[id(p)] = self._updates.get(id(p), 0) + 1
                self._update(p, grad, state, group)
                p._bump_version()  # changed in place: a graph that saved p refuses a later backward, as torch
                if not state:  # stateless updates (plain SGD) leave no entry, as in torch
                    del self.state[p]

    # --- helpers for subclasses --------------------------------------------------------------
    def _scratch(self, like, slot: int = 0):
        """A reusable work array shaped like ``like`` (one flat buffer per dtype and slot)."""
        key = (like.dtype, slot, type(like))  # one per dtype, slot and array module (NumPy, CuPy)
        buf = self._scratch_bufs.get(key)
        if buf is None or buf.size < like.size:
            buf = self._scratch_bufs[key] = B.module_of(like).empty(like.size, dtype=like.dtype)
        return buf[: like.size].reshape(like.shape)

    def _decayed_grad(self, p: Tensor, grad, weight_decay: float, maximize: bool):
        """``(-grad if maximize else grad) + weight_decay * p``; ``grad`` itself when neither applies."""
        if weight_decay == 0 and not maximize:
            return grad
        return decayed_grad(B.module_of(grad), p._data, grad, weight_decay, maximize, self._scratch(p._data, slot=1))

    def _lerp_(self, avg, target, weight: float) -> None:
        """``avg += weight * (target - avg)`` in place, with torch.lerp_'s two-sided formula."""
        lerp_(B.module_of(avg), avg, target, weight, self._scratch(avg))

    def _flush_tiny(self, p: Tensor, x, beta: float, threshold_power: float = 1.0) -> None:
        """Zero the entries of ``x`` below ``1e-30`` (float32; ``1e-300`` for float64).

        ``x`` decays by ``beta`` per step where the gradient is 0, so it runs only every
        ``_flush_period(beta)`` updates of ``p`` (at most 64): often enough that nothing decays from the
        threshold to a subnormal in between, rarely enough to cost nothing measurable.
        ``threshold_power=0.5`` flushes below the square root of the threshold instead (for a
        running mean whose square is compared with a flushed mean of squares).
        """
        thresh = self._flush_threshold(p, x.dtype, beta)
        if thresh is not None:
            x[B.module_of(x).abs(x) < thresh**threshold_power] = 0

    def _flush_threshold(self, p: Tensor, dtype, beta: float) -> float | None:
        """The threshold if this update of ``p`` flushes a running average of ``dtype`` decaying by
        ``beta`` (see ``_flush_tiny``), else None."""
        thresh = _FLUSH_BELOW.get(dtype)
        if thresh is None or not 0.0 < beta < 1.0 or self._updates.get(id(p), 0) % _flush_period(beta, dtype):
            return None
        return thresh

    # --- state dict --------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {name: array copy}}, "param_groups": [{..., "params": [indices]}]}``.

        Parameters are numbered in group order, as PyTorch does; arrays are copies.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if id(p) in index}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a dict from :meth:`state_dict` (or from torch's, arrays as tensors), copying it.

        Raises ValueError when it does not fit: group count, parameters per group, array shapes.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError(
                f"{name}.load_state_dict: expected a dict with 'state' and "
                "'param_groups' keys (as returned by state_dict())"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state dict has {len(saved_groups)} "
                f"parameter groups, the optimizer has {len(self.param_groups)}"
            )
        params: dict[Any, Tensor] = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: parameter group {i} has {len(saved['params'])} "
                    f"parameters in the state dict, {len(group['params'])} in the optimizer"
                )
            params.update(zip(saved["params"], group["params"]))
        new_state = _ParamState()
        for key, saved_state in state_dict["state"].items():
            if key not in params:
                raise ValueError(
                    f"{name}.load_state_dict: state for parameter {key!r}, which no "
                    f"group lists (parameters: {sorted(params, key=str)})"
                )
            new_state[params[key]] = self._load_param_state(params[key], key, saved_state)
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
            for k, v in self.defaults.items():
                new.setdefault(k, v)
            new["params"] = group["params"]
            self._fix_loaded_group(new)
            new_groups.append(new)
        self.state, self.param_groups = new_state, new_groups

    def _load_param_state(self, p: Tensor, key, saved: dict) -> dict:
        out = {}
        for k, v in saved.items():
            if k == "step":
                out[k] = int(float(v))
            elif hasattr(v, "shape"):
                if tuple(v.shape) != p._data.shape:
                    raise ValueError(
                        f"{type(self).__name__}.load_state_dict: state '{k}' of parameter {key!r} "
                        f"has shape {tuple(v.shape)}, the parameter has shape {p._data.shape}"
                    )
                out[k] = _device.to_device(_device.to_host(v).astype(p._data.dtype), p.device)
            else:
                out[k] = copy.deepcopy(v)
        return out

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k not in ("params", "param_names")]
        return "\n".join(lines + [")"])
