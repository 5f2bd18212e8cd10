"""Linear time-invariant systems: unit samples, the unit sample response h[n], and property checks.

A finite sequence x = [x[0], ..., x[L-1]] stands for the infinite one that is zero elsewhere.
Any x is a sum of shifted, scaled unit samples, x[n] = sum_k x[k] delta[n - k]; a linear,
time-invariant system S answers delta[n - k] with h[n - k], so it answers x with
y[n] = sum_k x[k] h[n - k] = (x * h)[n]: h alone characterises S.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from .. import backend as B
from ..autograd.tensor import Tensor
from ..ops import concatenate
from .convolve import as_sequence, convolve
from .table import _show, _term


def unit_sample(length: int, shift: int = 0, dtype=None):
    """delta[n - shift] for n = 0 .. length-1: 1 at n = shift, 0 elsewhere (float64 by default)."""
    if not isinstance(length, numbers.Integral) or isinstance(length, bool) or length < 1:
        raise ValueError(f"unit_sample: length must be an int >= 1, got {length!r}")
    if not isinstance(shift, numbers.Integral) or isinstance(shift, bool) or not 0 <= shift < length:
        raise ValueError(f"unit_sample: shift must be an int in [0, {length - 1}] for length {length}, got {shift!r}")
    delta = B.numpy.zeros(int(length), dtype=dtype or B.numpy.float64)
    delta[int(shift)] = 1
    return delta


class Term(NamedTuple):
    """One term x[k] delta[n - k] of the unit sample decomposition."""

    k: int  # the time index of the sample
    value: float  # x[k], the scale
    sequence: object  # x[k] delta[n - k] over the same n as x

    @property
    def label(self) -> str:
        shift = "n" if self.k == 0 else f"n{-self.k:+d}"
        return f"{_term(self.value)} delta[{shift}]"


def decompose(x, origin: int = 0) -> list[Term]:
    """x as a sum of shifted, scaled unit samples: one Term per sample, and sum(t.sequence) == x.

    ``origin`` is the position in ``x`` of time n = 0 (the lecture's x[-2] .. x[2] is origin=2);
    term i is x[k] delta[n - k] with k = i - origin.
    """
    x = as_sequence(x, "x", "decompose")
    if isinstance(x, Tensor):
        x = x._data
    _check_origin(origin, "decompose")
    xp = B.module_of(x)
    eye = xp.eye(x.shape[0], dtype=xp.result_type(x.dtype, B.numpy.float64))
    return [Term(i - origin, x[i].item(), x[i] * eye[i]) for i in range(x.shape[0])]


def _check_origin(origin, fn: str) -> None:
    if not isinstance(origin, numbers.Integral) or isinstance(origin, bool):
        raise TypeError(f"{fn}: origin must be an int, got {origin!r}")


# --- the system ------------------------------------------------------------------------------------


class LTISystem:
    """A linear time-invariant system given by its unit sample response h.

    ``h[i]`` is h[n] at n = i - origin: origin=0 is a causal FIR filter (h[0] first), origin > 0
    puts samples at negative n (non-causal), origin < 0 delays the response by -origin samples.
    ``system(x)`` is y[n] = sum_k x[k] h[n - k] over n = 0 .. len(x)-1, the samples of the input,
    as ``scipy.signal.lfilter(h, 1, x)`` for a causal FIR; ``response(x)`` gives every non-zero n.
    """

    def __init__(self, h, origin: int = 0):
        self.h = as_sequence(h, "h", "LTISystem")
        _check_origin(origin, "LTISystem")
        self.origin = int(origin)

    @property
    def indices(self):
        """The n at which h is given: -origin .. len(h) - 1 - origin."""
        return B.numpy.arange(self.h.shape[0]) - self.origin

    @property
    def is_causal(self) -> bool:
        """y[n] depends on no future input: h[n] = 0 for n < 0."""
        before = self.h[: max(self.origin, 0)]
        return not bool((before._data if isinstance(before, Tensor) else before).any())

    def response(self, x):
        """(n, y): the whole response x * h with its time indices, n = -origin .. len(x)+len(h)-2-origin."""
        y = convolve(as_sequence(x, "x", "LTISystem"), self.h)
        return B.numpy.arange(y.shape[0]) - self.origin, y

    def __call__(self, x):
        """y[n] for n = 0 .. len(x)-1 (zero where the full response has no sample)."""
        x = as_sequence(x, "x", "LTISystem")
        _, y = self.response(x)
        return _window(y, self.origin, x.shape[0])

    def impulse_response(self):
        """The response to delta[n], which is h itself: an LTI system is its unit sample response."""
        _, y = self.response(unit_sample(1))
        return y

    def __repr__(self) -> str:
        h = self.h._data if isinstance(self.h, Tensor) else self.h
        return f"LTISystem(h={B.numpy.array2string(h, separator=', ')}, origin={self.origin})"


def _window(y, start: int, length: int):
    """y[start : start + length], with zeros where that range leaves y (arrays or tensors)."""
    lo = min(max(start, 0), y.shape[0])
    hi = max(min(start + length, y.shape[0]), lo)
    before = min(max(-start, 0), length)
    after = length - before - (hi - lo)
    if isinstance(y, Tensor):  # y[lo:hi] stays in the graph even when empty: the gradient is then 0
        xp = B.module_of(y._data)
        parts = [Tensor(xp.zeros(before, y.dtype))] if before else []
        parts += [y[lo:hi]] + ([Tensor(xp.zeros(after, y.dtype))] if after else [])
        return concatenate(parts) if len(parts) > 1 else parts[0]
    xp = B.module_of(y)
    return xp.concatenate([xp.zeros(before, y.dtype), y[lo:hi], xp.zeros(after, y.dtype)])


# --- property checks on any system ------------------------------------------------------------------


@dataclass
class Counterexample:
    """Inputs on which an identity fails, its two sides, and where they differ most.

    ``outputs`` holds the two sides as arrays over n = ``start`` .. (zero-padded to one length);
    ``at`` is the n where they differ most.
    """

    identity: str
    inputs: dict
    outputs: dict
    max_error: float
    at: int
    start: int = 0

    def __str__(self) -> str:
        lines = [f"  violated: {self.identity}"]
        lines += [f"  {k} = {_show(v)}" for k, v in self.inputs.items()]
        since = f"   (from n = {self.start})" if self.start else ""
        lines += [f"  {k} = {_show(v)}{since}" for k, v in self.outputs.items()]
        lines.append(f"  they differ by {self.max_error:.4g} at n = {self.at}")
        return "\n".join(lines)


@dataclass
class PropertyCheck:
    """The verdict of ``is_linear`` / ``is_time_invariant``: truthy when the property held.

    ``counterexample`` is None when it held on every trial, else the first failure found.
    """

    property: str
    holds: bool
    trials: int
    counterexample: Counterexample | None = field(default=None)

    def __bool__(self) -> bool:
        return self.holds

    def __str__(self) -> str:
        if self.holds:
            return f"{self.property}: holds on {self.trials} random trials"
        return f"{self.property}: FAILS\n{self.counterexample}"


def _run(system: Callable, x, fn: str):
    y = system(B.numpy.array(x, copy=True))  # a copy: a system that writes into its input changes nothing here
    y = y._data if isinstance(y, Tensor) else B.numpy.asarray(y)
    if y.ndim == 0:
        y = y.reshape(1)
    if y.ndim != 1 or y.dtype.kind not in "biufc":
        raise ValueError(f"{fn}: the system must return a 1-D numeric sequence, got {y.dtype} of shape {y.shape}")
    return y


def _compare(identity: str, inputs: dict, sides: dict, rtol: float, atol: float, start: int = 0):
    """None if the two sides agree at every n >= start, else the Counterexample.

    Both are zero-padded to one length: a sequence is zero beyond the samples it lists.
    """
    (left, lhs), (right, rhs) = sides.items()
    n = max(lhs.shape[0], rhs.shape[0], start)
    xp = B.module_of(lhs, rhs)
    lhs, rhs = (xp.pad(v, (0, n - v.shape[0]))[start:] for v in (lhs, rhs))
    err = xp.abs(lhs - rhs)
    tol = atol + rtol * xp.maximum(xp.abs(lhs), xp.abs(rhs)).max(initial=0.0)
    if (err <= tol).all():  # a NaN on either side fails
        return None
    err = xp.where(xp.isnan(err), B.numpy.inf, err)
    return Counterexample(identity, inputs, {left: lhs, right: rhs}, float(err.max()), start + int(err.argmax()), start)


def _random_sequence(rng, length: int):
    return B.numpy.round(rng.standard_normal(length) * 2, 2)  # two decimals: readable counter-examples


def _check_trials(length, trials, fn):
    for name, v in (("length", length), ("trials", trials)):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{fn}: {name} must be an int >= 1, got {v!r}")


def is_linear(
    system: Callable, length: int = 16, trials: int = 20, seed: int = 0, rtol: float = 1e-5, atol: float = 1e-8
) -> PropertyCheck:
    """Test superposition S(a x1 + b x2) = a S(x1) + b S(x2) on random x1, x2, a, b.

    Trial t uses inputs of length 1 + t % ``length``, shortest first. ``system`` is any callable
    from a 1-D array to a 1-D sequence. Returns a PropertyCheck: truthy if every trial held, else
    falsy with the inputs, both sides and the largest difference. A passing check is evidence,
    not proof: a system can be linear on these inputs only.
    """
    _check_trials(length, trials, "is_linear")
    rng = B.numpy.random.default_rng(seed)
    for t in range(trials):
        n = 1 + t % length  # short inputs first, so a counter-example is as small as it can be
        x1, x2 = _random_sequence(rng, n), _random_sequence(rng, n)
        a, b = (float(v) for v in B.numpy.round(rng.uniform(-3, 3, 2), 2))
        lhs = _run(system, a * x1 + b * x2, "is_linear")
        rhs = a * _run(system, x1, "is_linear") + b * _run(system, x2, "is_linear")
        cex = _compare(
            "S(a x1 + b x2) = a S(x1) + b S(x2)",
            {"x1": x1, "x2": x2, "a": a, "b": b},
            {"S(a x1 + b x2)": lhs, "a S(x1) + b S(x2)": rhs},
            rtol,
            atol,
        )
        if cex:
            return PropertyCheck("linearity", False, t + 1, cex)
    return PropertyCheck("linearity", True, trials)


def is_time_invariant(
    system: Callable, length: int = 16, trials: int = 20, seed: int = 0, rtol: float = 1e-5, atol: float = 1e-8
) -> PropertyCheck:
    """Test S(x[n - N]) = y[n - N] (y = S(x)) on random x and delays 1 <= N <= len(x).

    Trial t uses an x of length 1 + t % ``length``, shortest first; a delay by N puts N zeros in
    front of the sequence. The system returns y from n = 0 on, so y[n - N] is known for n >= N
    and the two sides are compared there. ``system`` is any callable from a 1-D array to a 1-D
    sequence; the PropertyCheck is falsy with a counter-example when a trial fails.
    """
    _check_trials(length, trials, "is_time_invariant")
    rng = B.numpy.random.default_rng(seed)
    for t in range(trials):
        n = 1 + t % length  # short inputs first, so a counter-example is as small as it can be
        x = _random_sequence(rng, n)
        shift = int(rng.integers(1, n + 1))
        y = _run(system, x, "is_time_invariant")
        lhs = _run(system, B.numpy.concatenate([B.numpy.zeros(shift), x]), "is_time_invariant")
        rhs = B.numpy.concatenate([B.numpy.zeros(shift, y.dtype), y])
        # y is known from n = 0 on, so y[n - N] from n = N on: compare there (a non-causal system's
        # output before n = 0 is not in y, and x + 1 is time invariant though it answers 0 with 1)
        cex = _compare(
            "S(x[n - N]) = y[n - N], where y = S(x)",
            {"x": x, "N": shift},
            {"S(x[n - N])": lhs, "y[n - N]": rhs},
            rtol,
            atol,
            start=shift,
        )
        if cex:
            return PropertyCheck("time invariance", False, t + 1, cex)
    return PropertyCheck("time invariance", True, trials)
