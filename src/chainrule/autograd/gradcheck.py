"""Numerical gradient checking: the independent oracle for every op's local gradient.

For a random upstream u, the backward pass gives d(sum(u * f(x)))/dx; central differences give
(L(x + eps e_i) - L(x - eps e_i)) / (2 eps) for every element i, in float64.
"""

from __future__ import annotations

from .. import backend as B
from .engine import enable_grad, no_grad
from .tensor import Tensor


class GradCheckError(AssertionError):
    """The analytic and numerical gradients disagree; the message has the per-input report."""


def _numeric_grad(fn, inputs, k, upstream, eps):
    x = inputs[k]._data
    grad = B.module_of(x).zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views: perturbing flat perturbs the input
    for i in range(flat.size):  # a test-time oracle: one loop over elements is fine here
        old = flat[i]
        flat[i] = old + eps
        plus = float((fn(*inputs)._data * upstream).sum())
        flat[i] = old - eps
        minus = float((fn(*inputs)._data * upstream).sum())
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def grad_check(
    fn, *inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-4, seed: int = 0, raise_on_failure: bool = True
) -> dict:
    """Compare ``fn``'s backward pass with float64 central differences on every float input.

    ``fn(*tensors)`` must return a tensor. Integer or boolean inputs (class targets, masks) are
    passed through unchecked. Returns ``{input index: (max abs error, max relative error)}``;
    raises ``GradCheckError`` with a per-input report when any element is off by more than
    ``atol + rtol * |numeric|``.
    """
    tensors = []
    for x in inputs:
        data = x._data if isinstance(x, Tensor) else B.asarray(x)
        if data.dtype.kind == "f":
            tensors.append(Tensor(data.astype(B.numpy.float64), requires_grad=True))
        else:
            tensors.append(Tensor(data))
    with enable_grad():
        out = fn(*tensors)
        if not isinstance(out, Tensor):
            raise TypeError(f"grad_check: fn must return a Tensor, got {type(out).__name__}")
        host = B.numpy.random.default_rng(seed).standard_normal(out.shape)  # the same numbers on every device
        upstream = B.module_of(out._data).asarray(host)
        out.backward(upstream)
    report, lines, failed = {}, [], False
    for k, t in enumerate(tensors):
        if not t.requires_grad:
            continue
        xp = B.module_of(t._data)
        analytic = t.grad._data if t.grad is not None else xp.zeros_like(t._data)
        with no_grad():
            numeric = _numeric_grad(fn, tensors, k, upstream, eps)
        err = xp.abs(analytic - numeric)
        rel = err / xp.maximum(xp.abs(numeric), 1e-12)
        bad = ~(err <= atol + rtol * xp.abs(numeric))  # a NaN on either side is a failure
        report[k] = (float(err.max(initial=0.0)), float(rel.max(initial=0.0)))
        status = "ok" if not bad.any() else f"FAIL at {int(bad.sum())} of {bad.size} elements"
        lines.append(
            f"  input {k} shape {tuple(t.shape)}: max abs err {report[k][0]:.3g}, "
            f"max rel err {report[k][1]:.3g}: {status}"
        )
        if bad.any():
            failed = True
            i = int(xp.argmax(xp.where(bad, xp.nan_to_num(err, nan=B.numpy.inf), -1.0)))  # worst, not first
            idx = B.numpy.unravel_index(i, t.shape) if t.shape else ()
            lines.append(
                f"    worst at {tuple(int(j) for j in idx)}: analytic "
                f"{analytic.reshape(-1)[i]:.8g}, numeric {numeric.reshape(-1)[i]:.8g}"
            )
    if failed and raise_on_failure:
        name = getattr(fn, "__name__", "fn")
        raise GradCheckError(
            f"grad_check({name}): gradients disagree (eps={eps}, atol={atol}, rtol={rtol})\n" + "\n".join(lines)
        )
    return report
