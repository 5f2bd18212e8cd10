"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch.optim.SGD)."""

from __future__ import annotations

from typing import Any

from .. import backend as B
from .optimizer import Optimizer


class SGD(Optimizer):
    r"""SGD, step for step as ``torch.optim.SGD``. With ``g = grad`` (``-grad`` if maximize)::

        g <- g + weight_decay * p                      (if weight_decay != 0)
        b <- g                                         (first step: the buffer is the gradient)
        b <- momentum * b + (1 - dampening) * g        (later steps)
        g <- g + momentum * b  if nesterov  else  b    (if momentum != 0)
        p <- p - lr * g

    ``state[p]["momentum_buffer"]`` holds ``b`` (only when momentum != 0), in p's dtype.
    Where the gradient stays 0 the buffer decays geometrically; entries below 1e-30 (float32;
    1e-300 float64) are flushed to zero so they never become slow subnormal numbers.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate(self, options: dict[str, Any]) -> None:
        self._check_nonnegative(
            options, lr="learning rate", momentum="momentum value", weight_decay="weight_decay value"
        )
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening: SGD got nesterov=True "
                f"with momentum={options['momentum']}, dampening={options['dampening']}"
            )

    def _update(self, p, grad, state: dict, group: dict) -> None:
        xp = B.module_of(p._data)  # NumPy or CuPy, where the parameter is
        momentum, lr = group["momentum"], group["lr"]
        g = self._decayed_grad(p, grad, group["weight_decay"], group["maximize"])
        t = self._scratch(p._data)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = xp.array(g, dtype=p._data.dtype, copy=True)
            else:
                buf *= momentum
                if group["dampening"] == 0:
                    buf += g
                else:
                    buf += xp.multiply(g, 1.0 - group["dampening"], out=t)
            if group["nesterov"]:
                g = xp.add(g, xp.multiply(buf, momentum, out=t), out=t)
            else:
                g = buf
        p._data -= xp.multiply(g, lr, out=t)
        if momentum != 0:
            self._flush_tiny(p, state["momentum_buffer"], momentum)
