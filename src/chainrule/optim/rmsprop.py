"""RMSprop, plain or centered, with momentum and weight decay (torch.optim.RMSprop)."""

from __future__ import annotations

from typing import Any

from .. import backend as B
from .optimizer import Optimizer


class RMSprop(Optimizer):
    r"""RMSprop, step for step as ``torch.optim.RMSprop``. With ``g = grad`` (``-grad`` if maximize)::

        g <- g + weight_decay * p                     (if weight_decay != 0)
        v <- alpha * v + (1 - alpha) * g^2
        a <- a + (1 - alpha) * (g - a)                (centered: running mean of g)
        s <- sqrt(v - a^2) + eps  if centered  else  sqrt(v) + eps
        b <- momentum * b + g / s;  p <- p - lr * b   (if momentum > 0)
        p <- p - lr * g / s                           (otherwise)

    ``state[p]``: ``step`` (int), ``square_avg`` (v), ``momentum_buffer`` (b, if momentum > 0),
    ``grad_avg`` (a, if centered). Entries that decay towards 0 where the gradient is 0 are
    flushed to zero below 1e-30 (float32; 1e-300 float64; a below the square root of that), so
    they never become slow subnormal numbers (v only when eps > 0, so s never becomes 0).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate(self, options: dict[str, Any]) -> None:
        self._check_nonnegative(
            options,
            lr="learning rate",
            eps="epsilon value",
            momentum="momentum value",
            weight_decay="weight_decay value",
            alpha="alpha value",
        )

    def _update(self, p, grad, state: dict, group: dict) -> None:
        xp = B.module_of(p._data)  # NumPy or CuPy, where the parameter is
        d = p._data
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(d)
        if momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = xp.zeros_like(d)
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = xp.zeros_like(d)
        state["step"] += 1
        g = self._decayed_grad(p, grad, group["weight_decay"], group["maximize"])
        v = state["square_avg"]
        t = self._scratch(d)
        v *= alpha
        v += xp.multiply(xp.multiply(g, g, out=t), 1 - alpha, out=t)
        if group["centered"]:
            a = state["grad_avg"]
            self._lerp_(a, g, 1 - alpha)
            s = xp.sqrt(xp.subtract(v, xp.multiply(a, a, out=t), out=t), out=t)
        else:
            s = xp.sqrt(v, out=t)
        s += eps
        step = xp.divide(g, s, out=t)
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += step
            step = xp.multiply(buf, lr, out=t)
        else:
            step *= lr
        d -= step

        if eps > 0:
            self._flush_tiny(p, v, alpha)
        if group["centered"]:
            self._flush_tiny(p, state["grad_avg"], alpha, threshold_power=0.5)
        if momentum > 0:
            self._flush_tiny(p, state["momentum_buffer"], momentum)
